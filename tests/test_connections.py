"""Connections end when they should (issue 13 #1), checked on raw sockets against a real
server: after HTTP/1.0 or ``Connection: close`` the server closes; an idle keep-alive
connection is closed after SPARKLYTICS_KEEP_ALIVE_TIMEOUT_SECONDS; a body trickled a byte
a second is cut off after SPARKLYTICS_BODY_TIMEOUT_SECONDS with a 408."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator

import pytest

from tests.harness import LiveServer
from tests.over_http import INGEST_PATHS

KEEP_ALIVE = 2
BODY_TIMEOUT = 2


@pytest.fixture(scope="module", params=INGEST_PATHS)
def server(tmp_path_factory, request) -> Iterator[LiveServer]:
    """The server on each ingest path in turn."""
    live = LiveServer(
        tmp_path_factory.mktemp("connections") / "data",
        SPARKLYTICS_AUTH="none",
        SPARKLYTICS_INGEST_PATH=request.param,
        SPARKLYTICS_KEEP_ALIVE_TIMEOUT_SECONDS=str(KEEP_ALIVE),
        SPARKLYTICS_BODY_TIMEOUT_SECONDS=str(BODY_TIMEOUT),
    ).start()
    yield live
    live.stop()


def connect(server: LiveServer) -> socket.socket:
    return socket.create_connection(("127.0.0.1", server.port), timeout=10)


def read_until_closed(sock: socket.socket, limit: float) -> tuple[bytes, float]:
    """Everything the server sends until it closes, and how long that took; fails if the
    connection is still open after ``limit`` seconds."""
    sock.settimeout(limit)
    started, data = time.monotonic(), b""
    try:
        while chunk := sock.recv(65536):
            data += chunk
    except TimeoutError:
        pytest.fail(f"the server kept the connection open for {limit} s; got {data[:80]!r}")
    return data, time.monotonic() - started


def read_response(sock: socket.socket) -> bytes:
    """One whole response (headers, then content-length bytes) off a kept-alive socket."""
    sock.settimeout(5)
    data = b""
    while b"\r\n\r\n" not in data:
        data += sock.recv(65536)
    head, _, body = data.partition(b"\r\n\r\n")
    length = next(int(line.split(b":")[1]) for line in head.split(b"\r\n") if line.lower().startswith(b"content-length:"))
    while len(body) < length:
        body += sock.recv(65536)
    return data


# The last two are ingest routes: the lean path answers them in the connection's task.
def read_responses(sock: socket.socket, count: int) -> list[bytes]:
    """``count`` whole responses (each with a content-length) off one socket."""
    sock.settimeout(5)
    data, answers = b"", []
    while len(answers) < count:
        head, separator, rest = data.partition(b"\r\n\r\n")
        length = next((int(line.split(b":")[1]) for line in head.split(b"\r\n") if line.lower().startswith(b"content-length:")), None)
        if separator and length is not None and len(rest) >= length:
            answers.append(head + separator + rest[:length])
            data = rest[length:]
        else:
            data += sock.recv(65536)
    return answers


PATHS = ["/health", "/api/websites", "/s.js", "/", "/api/nothing-here", "/api/collect", "/p/nothing.gif"]


@pytest.mark.parametrize("path", PATHS)
def test_http_1_0_is_answered_then_closed(server, path) -> None:
    with connect(server) as sock:
        sock.sendall(f"GET {path} HTTP/1.0\r\n\r\n".encode())
        data, _ = read_until_closed(sock, 5)
    assert data.startswith(b"HTTP/1.1 ")


@pytest.mark.parametrize("path", PATHS)
def test_connection_close_is_honoured(server, path) -> None:
    with connect(server) as sock:
        sock.sendall(f"GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".encode())
        data, elapsed = read_until_closed(sock, 5)
    assert data.startswith(b"HTTP/1.1 ") and elapsed < KEEP_ALIVE


@pytest.mark.parametrize(("path", "status"), [("/health", b"200"), ("/api/collect", b"405")])
def test_an_idle_keep_alive_connection_is_closed_after_the_timeout(server, path, status) -> None:
    with connect(server) as sock:
        for _ in range(2):  # two requests on one connection: it is kept alive between them
            sock.sendall(f"GET {path} HTTP/1.1\r\nHost: x\r\n\r\n".encode())
            assert read_response(sock).startswith(b"HTTP/1.1 " + status)
        _, idle = read_until_closed(sock, KEEP_ALIVE + 5)
    assert idle >= KEEP_ALIVE - 0.5


def test_pipelined_ingest_and_other_requests_on_one_connection_are_answered_in_order(server) -> None:
    """The lean path answers ingest requests itself and hands the connection to
    Hypercorn at the first other one; the client sees one ordinary connection."""
    body = b'{"website_id": "nope", "type": "pageview", "url": "https://example.com/"}'
    collect = b"POST /e HTTP/1.1\r\nHost: x\r\nContent-Type: text/plain\r\nContent-Length: %d\r\n\r\n%s" % (len(body), body)
    with connect(server) as sock:
        sock.sendall(collect + collect + b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n" + collect)
        answers = read_responses(sock, 4)
    assert [answer[:12] for answer in answers] == [b"HTTP/1.1 404", b"HTTP/1.1 404", b"HTTP/1.1 200", b"HTTP/1.1 404"]
    assert all(b"Unknown website_id: nope" in answers[i] for i in (0, 1, 3))


@pytest.mark.parametrize("path", ["/api/collect", "/health"])
def test_a_malformed_request_head_is_400_and_closed(server, path) -> None:
    with connect(server) as sock:
        sock.sendall(f"POST {path} HTTP/1.1\r\nHost: x\r\nno colon here\r\n\r\n".encode())
        data, _ = read_until_closed(sock, 5)
    assert data.startswith(b"HTTP/1.1 400")


@pytest.mark.parametrize(("path", "content_type"), [("/api/websites", "application/json"), ("/api/collect", "text/plain")])
def test_a_body_trickled_a_byte_a_second_is_cut_off(server, path, content_type) -> None:
    with connect(server) as sock:
        sock.sendall(
            f"POST {path} HTTP/1.1\r\nHost: x\r\nContent-Type: {content_type}\r\nContent-Length: 100\r\n\r\n".encode()
        )
        started, answer = time.monotonic(), b""
        sock.settimeout(1)
        for byte in b'{"name": "slow' * 10:
            try:
                sock.sendall(bytes([byte]))
                answer += sock.recv(65536)
            except TimeoutError:
                continue
            except (BrokenPipeError, ConnectionResetError):
                break
            if answer:
                break
        rest, _ = read_until_closed(sock, 5)
    assert (answer + rest).startswith(b"HTTP/1.1 408"), answer + rest
    assert time.monotonic() - started < BODY_TIMEOUT + 4
