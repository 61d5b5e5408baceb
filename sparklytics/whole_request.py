"""A request that arrived whole (head and body in the bytes read), parsed without h11.

Why: the lean server (:mod:`sparklytics.lean_server`) parsed every ingest request with
an ``h11.Connection``: a new one per request (its state machine cannot start a cycle
whose answer h11 did not write), three events and their state transitions for a head,
a body and its end. That came to ~24 µs of the trio thread per request on the 2-vCPU
EPYC box — more than the rest of the lean server's own work. A beacon, a pixel or a
link hit arrives in one segment, so its whole request is already in hand; this module
reads it with h11's own grammar (the regular expressions of ``h11._readers``, so it
accepts exactly the characters h11 accepts) and h11's rules for the headers it checks
(one ``Host``, one plain ``Content-Length``).

It answers ``None`` for everything else: a head or body not yet complete, HTTP/1.0, a
``Transfer-Encoding``, ``Expect``, ``CONNECT``, repeated or comma-listed lengths, a
folded or malformed line. The lean server then gives those bytes to h11 as before, so
every request this module declines gets h11's behaviour, errors included.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from h11._readers import header_field_re, request_line_re

# h11's limit on Content-Length digits (h11._headers.CONTENT_LENGTH_MAX_DIGITS).
_CONTENT_LENGTH = re.compile(rb"[0-9]{1,20}")
# Headers whose requests are left to h11: framing and interim answers it handles.
_LEFT_TO_H11 = frozenset({b"transfer-encoding", b"expect"})


@dataclass(frozen=True, slots=True)
class RequestHead:
    """What the ASGI scope needs of a request head; header names are lower case."""

    method: bytes
    target: bytes
    http_version: bytes
    headers: list[tuple[bytes, bytes]]


@dataclass(frozen=True, slots=True)
class WholeRequest:
    """A request read in full, and the bytes that followed it (a pipelined request)."""

    head: RequestHead
    body: bytes
    following: bytes


def parse_whole_request(data: bytes | bytearray) -> WholeRequest | None:
    """The request at the start of ``data`` if it is complete and plain (see the module
    docstring), else ``None``: the caller hands ``data`` to h11."""
    end = data.find(b"\r\n\r\n")
    if end < 0:
        return None
    lines = bytes(data[:end]).split(b"\r\n")
    request_line = request_line_re.fullmatch(lines[0])
    if request_line is None or request_line["http_version"] != b"1.1" or request_line["method"] == b"CONNECT":
        return None
    headers = []
    hosts = 0
    length: bytes | None = None
    for line in lines[1:]:
        field = header_field_re.fullmatch(line)
        if field is None:
            return None
        name, value = field["field_name"].lower(), field["field_value"]
        if name in _LEFT_TO_H11:
            return None
        if name == b"content-length":
            if length is not None or _CONTENT_LENGTH.fullmatch(value) is None:
                return None
            length = value
        elif name == b"host":
            hosts += 1
        headers.append((name, value))
    body_end = end + 4 + (int(length) if length is not None else 0)
    if hosts != 1 or len(data) < body_end:
        return None
    head = RequestHead(request_line["method"], request_line["target"], b"1.1", headers)
    return WholeRequest(head, bytes(data[end + 4:body_end]), bytes(data[body_end:]))
