"""``parse_whole_request``: a request it reads is read exactly as h11 reads it, and
everything it declines (left to h11 by the lean server) is declined, not misread."""

from __future__ import annotations

import random

import h11
import pytest

from sparklytics.whole_request import parse_whole_request

BODY = b'{"website_id":"w1","url":"https://example.com/a","type":"pageview"}'
BEACON = (
    b"POST /api/collect HTTP/1.1\r\nHost: stats.example.com\r\nContent-Type: text/plain;charset=UTF-8\r\n"
    b"User-Agent: Mozilla/5.0 (X11; Linux x86_64)\r\nX-Forwarded-For: 203.0.113.9\r\n"
    b"Content-Length: %d\r\n\r\n" % len(BODY)
) + BODY
PIXEL = b"GET /p/abc.gif?utm_source=x HTTP/1.1\r\nHost: stats.example.com\r\nAccept: */*\r\n\r\n"


def _pixel_with(header_line: bytes) -> bytes:
    """The pixel request with ``header_line`` in place of its ``Accept`` header."""
    return PIXEL.replace(b"Accept: */*", header_line)


def _h11_read(data: bytes) -> tuple[h11.Request, bytes, bytes]:
    """What h11 reads from ``data``: the request, its body, the bytes after it."""
    connection = h11.Connection(h11.SERVER)
    connection.receive_data(data)
    request = connection.next_event()
    assert isinstance(request, h11.Request)
    body = b""
    while True:
        event = connection.next_event()
        if isinstance(event, h11.EndOfMessage):
            return request, body, bytes(connection.trailing_data[0])
        assert isinstance(event, h11.Data), event
        body += event.data


def _assert_read_as_h11_reads(data: bytes) -> None:
    whole = parse_whole_request(data)
    assert whole is not None
    request, body, following = _h11_read(data)
    assert (whole.head.method, whole.head.target, whole.head.http_version) == (
        request.method, request.target, request.http_version)
    assert whole.head.headers == list(request.headers)
    assert (whole.body, whole.following) == (body, following)


@pytest.mark.parametrize("data", [
    BEACON,
    PIXEL,
    BEACON + PIXEL,  # pipelined: the second request is what follows
    PIXEL + b"POST /e HTT",  # ... also when only part of it arrived
    _pixel_with(b"X-Padded:   spaced  value \t"),
    _pixel_with(b"X-Empty:"),
    _pixel_with(b"X-Latin: caf\xe9"),
    _pixel_with(b"Connection: close"),
    BEACON.replace(b"Content-Length", b"CONTENT-length"),
    b"POST /e HTTP/1.1\r\nHost: h\r\nContent-Length: 0\r\n\r\n",
])
def test_a_whole_plain_request_is_read_as_h11_reads_it(data: bytes) -> None:
    _assert_read_as_h11_reads(data)


@pytest.mark.parametrize("data", [
    b"",
    BEACON[:40],  # head not complete
    BEACON[:-1],  # body not complete
    BEACON.replace(b"HTTP/1.1", b"HTTP/1.0"),
    BEACON.replace(b"Content-Length: %d" % len(BODY), b"Transfer-Encoding: chunked"),
    BEACON.replace(b"Host: stats.example.com", b"Host: stats.example.com\r\nExpect: 100-continue"),
    BEACON.replace(b"Host: stats.example.com", b"Host: stats.example.com\r\nContent-Length: %d" % len(BODY)),
    BEACON.replace(b"Content-Length: %d" % len(BODY), b"Content-Length: %d, %d" % (len(BODY), len(BODY))),
    BEACON.replace(b"Content-Length: %d" % len(BODY), b"Content-Length: +%d" % len(BODY)),
    _pixel_with(b"Content-Length: " + b"0" * 21),
    PIXEL.replace(b"Host: stats.example.com\r\n", b""),
    _pixel_with(b"Host: other.example.com"),
    _pixel_with(b"X-Folded: a\r\n  b"),
    PIXEL.replace(b"\r\n", b"\n"),
    _pixel_with(b"Accept : */*"),
    _pixel_with(b"No colon here"),
    _pixel_with(b"X-Nul: a\x00b"),
    b"CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n",
    b"GET /p/a\x00.gif HTTP/1.1\r\nHost: h\r\n\r\n",
    b"\r\n" + PIXEL,
    b"GET  /p/a.gif HTTP/1.1\r\nHost: h\r\n\r\n",
])
def test_anything_else_is_left_to_h11(data: bytes) -> None:
    assert parse_whole_request(data) is None


def test_mangled_requests_are_either_read_as_h11_reads_them_or_declined() -> None:
    rng = random.Random(20)
    specials = [b"\r", b"\n", b" ", b"\t", b":", b",", b"\x00", b"\x7f", b"\xff", b"a", b"0", b"\r\n", b"\r\n\r\n"]
    accepted = 0
    for _ in range(4000):
        data = bytearray(rng.choice([BEACON, PIXEL, BEACON + PIXEL]))
        for _ in range(rng.randint(1, 3)):
            at = rng.randrange(len(data))
            if rng.random() < 0.5:
                data[at:at + 1] = rng.choice(specials)
            else:
                data[at:at] = rng.choice(specials)
        data = bytes(data)
        if parse_whole_request(data) is None:
            continue
        accepted += 1
        _assert_read_as_h11_reads(data)
    assert accepted > 1000  # most mangled bytes land in values or the body
