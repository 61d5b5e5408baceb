"""The lean HTTP/1.1 server: ingest requests answered in the connection's own task.

Why: a single-event collect request costs ~3.3 ms of CPU on the 2-vCPU EPYC box, and
py-spy put most of it outside our code — in the trio scheduler and Hypercorn's
per-request machinery. For every request Hypercorn's trio worker restarts the
keep-alive idle timer (a new task plus the cancel of the old one), spawns a task for
the ASGI app fed by a memory channel, and wraps every socket read in
``trio.fail_after``. HTTP/1.1 is sequential on a connection, so none of that is needed
to answer a request whose handler never streams: here the connection's task parses
it with h11 (the same parser, the same strictness and size limit as Hypercorn), calls
the app's own raw-ASGI ingest endpoint inline, and writes the answer in one send — the
bytes h11 would write (:func:`_response_bytes`). The keep-alive timer is one cancel
scope per connection whose deadline is moved; for a request that arrived whole the
server itself makes no task, channel or cancel scope — the answer goes straight to the
socket, and only a part that did not fit is sent in a shielded scope (:func:`_send_all`).
``bench/RESULTS.md``, sections "Lean intake" and "Intake tail latency", has the
measurements.

Only ingest paths (``handles(path)`` of the endpoints in ``RAW_ENDPOINTS``) are
answered here. On the first request for anything else — an upgrade, or a request h11
refuses — the connection is handed to Hypercorn's own ``TCPServer`` with the bytes read
so far replayed, so the dashboard, the API, HTTP errors and upgrades behave exactly as
before. The answers of ingest routes come from the same endpoint code on both paths;
``SPARKLYTICS_INGEST_PATH=classic`` serves everything through Hypercorn as before.

Kept as Hypercorn does it: the idle keep-alive timeout (also while a request head is
incomplete), ``100 Continue``, the ``date``/``server`` headers,
``keep_alive_max_requests``, and graceful shutdown — on the shutdown trigger the
listeners stop, idle connections close at once, a connection finishing a request
closes after its answer, and whatever is still running after ``graceful_timeout`` is
cancelled. Done a little differently: a body the endpoint did not read is read and
dropped (up to :data:`MAX_DRAINED_BODY`) so the connection can go on, and a closing
connection lingers briefly (:func:`_close`) so that the client sees an end of stream
rather than a reset.
"""

from __future__ import annotations

import logging
import math
import os
import time
from collections.abc import Awaitable, Callable, MutableMapping
from functools import partial
from typing import Any
from urllib.parse import unquote

import h11
import trio
from hypercorn.config import Config as HypercornConfig
from hypercorn.trio.lifespan import Lifespan
from hypercorn.trio.tcp_server import TCPServer
from hypercorn.trio.worker_context import WorkerContext
from hypercorn.typing import AppWrapper
from hypercorn.utils import suppress_body, wrap_app

log = logging.getLogger("sparklytics.http")

MAX_RECV = 2**16
# An answered request's unread body is read and dropped up to this size (Quart's
# request limit), so the connection can serve the next request; a bigger one closes it.
MAX_DRAINED_BODY = 1024 * 1024
# How long a closing connection waits for the client to close its side (see _close).
LINGER_SECONDS = 1.0

Message = MutableMapping[str, Any]
Asgi = Callable[[Message, Callable[[], Awaitable[Message]], Callable[[Message], Awaitable[None]]], Awaitable[None]]


class ReplayedStream(trio.abc.HalfCloseableStream):
    """A socket stream whose first reads return bytes already read from it, so that
    Hypercorn can take over a connection whose request the lean server has parsed."""

    def __init__(self, stream: trio.SocketStream, already_read: bytes) -> None:
        self.socket = stream.socket
        self._stream = stream
        self._already_read = already_read

    async def receive_some(self, max_bytes: int | None = None) -> bytes:
        if self._already_read:
            data, self._already_read = self._already_read, b""
            await trio.lowlevel.checkpoint()
            return data
        return await self._stream.receive_some(max_bytes)

    async def send_all(self, data: bytes | bytearray | memoryview) -> None:
        await self._stream.send_all(data)

    async def wait_send_all_might_not_block(self) -> None:
        await self._stream.wait_send_all_might_not_block()

    async def send_eof(self) -> None:
        await self._stream.send_eof()

    async def aclose(self) -> None:
        await self._stream.aclose()


class HandOver(Exception):
    """The connection goes to Hypercorn from here (not an ingest request)."""


class LeanServer:
    """Serves HTTP/1.1 on the listeners; see the module docstring.

    ``asgi`` is the app's raw-ASGI chain (ingest endpoints in front of Quart);
    ``is_ingest`` says whether a path is answered by one of those endpoints;
    ``app`` is the whole app, as Hypercorn serves it.
    """

    def __init__(self, asgi: Asgi, is_ingest: Callable[[str], bool], app: Any, hconfig: HypercornConfig) -> None:
        self._asgi = asgi
        self._is_ingest = is_ingest
        self._wrapped: AppWrapper = wrap_app(app, hconfig.wsgi_max_body_size, None)
        self._hconfig = hconfig
        self._context = WorkerContext(None)
        self._lifespan_state: dict[str, Any] = {}
        self._stopping = False
        self._idle: set[trio.CancelScope] = set()
        self._server_headers_at = 0
        self._server_headers_cache: list[tuple[bytes, bytes]] = []

    async def serve(self, shutdown_trigger: Callable[[], Awaitable[None]]) -> None:
        """Serve until ``shutdown_trigger`` returns, then stop as Hypercorn's worker does."""
        lifespan = Lifespan(self._wrapped, self._hconfig, self._lifespan_state)
        async with trio.open_nursery() as lifespan_nursery:
            await lifespan_nursery.start(lifespan.handle_lifespan)
            await lifespan.wait_for_startup()
            async with trio.open_nursery() as connections:
                sockets = self._hconfig.create_sockets()
                for sock in sockets.insecure_sockets:
                    sock.listen(self._hconfig.backlog)
                listeners = [trio.SocketListener(trio.socket.from_stdlib_socket(sock)) for sock in sockets.insecure_sockets]
                try:
                    async with trio.open_nursery() as accepting:
                        accepting.start_soon(partial(trio.serve_listeners, self._connection, listeners, handler_nursery=connections))
                        await shutdown_trigger()
                        accepting.cancel_scope.cancel()
                finally:
                    await self._stop_connections()
                    connections.cancel_scope.deadline = trio.current_time() + self._hconfig.graceful_timeout
            await lifespan.wait_for_shutdown()
            lifespan_nursery.cancel_scope.cancel()

    def _server_headers(self) -> list[tuple[bytes, bytes]]:
        """Hypercorn's ``date``/``server`` headers, made once a second (the date has
        whole seconds) instead of for every answer."""
        now = int(time.time())
        if now != self._server_headers_at:
            self._server_headers_at, self._server_headers_cache = now, self._hconfig.response_headers("h11")
        return self._server_headers_cache

    async def _stop_connections(self) -> None:
        self._stopping = True
        await self._context.terminated.set()
        for idle in self._idle:
            idle.cancel()

    async def _connection(self, stream: trio.SocketStream) -> None:
        try:
            await self._serve_connection(stream)
            return
        except HandOver as handover:
            already_read = handover.args[0]
        except (trio.BrokenResourceError, trio.ClosedResourceError, OSError):
            await stream.aclose()
            return
        except Exception:
            log.exception("ingest connection failed")
            await stream.aclose()
            return
        replayed = ReplayedStream(stream, already_read)
        await TCPServer(self._wrapped, self._hconfig, self._context, self._lifespan_state.copy(), replayed).run()  # type: ignore[arg-type]

    async def _serve_connection(self, stream: trio.SocketStream) -> None:
        connection: h11.Connection | None = self._new_connection(b"")
        client = _address(stream.socket.getpeername())
        server = _address(stream.socket.getsockname())
        requests = 0
        with trio.CancelScope() as keep_alive:
            while connection is not None and not self._stopping:
                # Idle until a request head is complete: the keep-alive timer runs.
                keep_alive.deadline = trio.current_time() + self._hconfig.keep_alive_timeout
                self._idle.add(keep_alive)
                try:
                    request, raw = await self._next_request(stream, connection)
                finally:
                    self._idle.discard(keep_alive)
                if request is None:
                    break
                keep_alive.deadline = math.inf
                requests += 1
                scope = _scope(request, client, server, self._hconfig.root_path)
                if not self._is_ingest(scope["path"]) or _asks_upgrade(request):
                    raise HandOver(raw)
                kept_alive = await self._answer(stream, connection, request, scope, requests)
                connection = await self._next_cycle(stream, connection) if kept_alive else None
        await _close(stream)

    def _new_connection(self, already_read: bytes) -> h11.Connection:
        connection = h11.Connection(h11.SERVER, max_incomplete_event_size=self._hconfig.h11_max_incomplete_size)
        if already_read:  # (receiving b"" would tell h11 the client closed)
            connection.receive_data(already_read)
        return connection

    async def _next_request(self, stream: trio.SocketStream, connection: h11.Connection) -> tuple[h11.Request | None, bytes]:
        """The next request head and every byte of it read so far, ``None`` when the
        client closed; raises :class:`HandOver` when h11 refuses it (Hypercorn answers)."""
        raw = bytearray(connection.trailing_data[0])
        while True:
            try:
                event = connection.next_event()
            except h11.RemoteProtocolError:
                raise HandOver(bytes(raw)) from None
            if isinstance(event, h11.Request):
                return event, bytes(raw)
            if isinstance(event, h11.ConnectionClosed):
                return None, b""
            data = await stream.receive_some(MAX_RECV)
            raw += data
            connection.receive_data(data)

    async def _next_cycle(self, stream: trio.SocketStream, connection: h11.Connection) -> h11.Connection | None:
        """The parser for the connection's next request (a new one, fed what followed
        this request), or ``None`` when the client's request did not end cleanly."""
        if connection.their_state is h11.SEND_BODY:
            await _drain_body(stream, connection, self._hconfig.keep_alive_timeout)
        if connection.their_state is not h11.DONE:
            return None
        following, closed = connection.trailing_data
        if closed and not following:
            return None
        return self._new_connection(following)

    async def _answer(self, stream: trio.SocketStream, connection: h11.Connection, request: h11.Request,
                      scope: Message, requests: int) -> bool:
        """Run the ASGI app for one ingest request in this task and send its answer;
        whether the connection stays open for another request."""
        response: dict[str, Any] = {"body": []}

        async def receive() -> Message:
            while True:
                if connection.they_are_waiting_for_100_continue:
                    data = connection.send(h11.InformationalResponse(status_code=100, headers=self._server_headers()))
                    await _send_all(stream, data or b"")
                try:
                    event = connection.next_event()
                except h11.RemoteProtocolError:
                    return {"type": "http.disconnect"}
                if isinstance(event, h11.Data):
                    return {"type": "http.request", "body": bytes(event.data), "more_body": True}
                if isinstance(event, h11.EndOfMessage):
                    return {"type": "http.request", "body": b"", "more_body": False}
                if event is not h11.NEED_DATA:
                    return {"type": "http.disconnect"}
                try:
                    data = await stream.receive_some(MAX_RECV)
                except (trio.BrokenResourceError, trio.ClosedResourceError):
                    data = b""
                connection.receive_data(data)

        async def send(message: Message) -> None:
            if message["type"] == "http.response.start":
                response.update(message)
                return
            response["body"].append(message.get("body", b""))
            if message.get("more_body", False):
                return
            status = int(response["status"])
            headers = [*response.get("headers", []), *self._server_headers()]
            if requests >= self._hconfig.keep_alive_max_requests:
                headers.append((b"connection", b"close"))
            body = b"".join(response["body"])
            response["kept_alive"] = _keeps_alive(request.headers, request.http_version) and _keeps_alive(headers)
            response["sent"] = True
            await _send_all(stream, _response_bytes(status, headers, b"" if suppress_body(scope["method"], status) else body,
                                                    len(body), response["kept_alive"]))

        try:
            await self._asgi(scope, receive, send)
        except Exception:
            if "sent" in response:
                raise
            # What Hypercorn answers when the app fails before its response.
            headers = [(b"content-length", b"0"), *self._server_headers()]
            await _send_all(stream, _response_bytes(500, headers, b"", 0, kept_alive=False))
            raise
        return bool(response.get("kept_alive"))


def _keeps_alive(headers: Any, http_version: bytes = b"1.1") -> bool:
    """h11's rule (``h11._connection._keep_alive``) for a request's or a response's
    headers (lower-case names: h11 gives them so, ASGI requires them)."""
    if http_version < b"1.1":
        return False
    for name, value in headers:
        if name == b"connection" and b"close" in value.lower():
            return False
    return True


def _response_bytes(status: int, headers: list[tuple[bytes, bytes]], body: bytes, length: int, kept_alive: bool) -> bytes:
    """A whole HTTP/1.1 response, byte for byte what h11 writes for it (status line
    without a reason, headers as given, ``Connection: close`` last when the connection
    ends) — built here because h11's generic validation and state machine cost ~9 % of
    the loop per ingest request. Our handlers always know the length of their body.
    A header holding CR or LF (which could start a header of its own) is refused."""
    if not kept_alive:
        headers = [(name, value) for name, value in headers if name != b"connection"] + [(b"Connection", b"close")]
    if not any(name == b"content-length" for name, _ in headers):
        headers = [*headers, (b"content-length", str(length).encode())]
    block = b"".join([b"%s: %s\r\n" % header for header in headers])
    if block.count(b"\n") != len(headers) or block.count(b"\r") != len(headers):
        raise ValueError("a response header holds CR or LF")
    return b"HTTP/1.1 %d \r\n%s\r\n%s" % (status, block, body)


async def _send_all(stream: trio.SocketStream, data: bytes) -> None:
    """Write the whole answer; a cancelled request never leaves half of it (a 202 the
    client never reads, whose event is stored).

    An answer (a few hundred bytes) almost always fits the socket's send buffer, so it
    is written straight to the non-blocking socket: no cancel scope and no trip
    through trio's send machinery (~4 % of the loop per ingest request). Only what
    did not fit is sent by ``send_all``, shielded like Hypercorn's last send.
    """
    try:
        sent = os.write(stream.socket.fileno(), data)
    except BlockingIOError:
        sent = 0
    except OSError as error:
        raise trio.BrokenResourceError(str(error)) from error
    if sent < len(data):
        with trio.CancelScope(shield=True):
            await stream.send_all(memoryview(data)[sent:])


async def _drain_body(stream: trio.SocketStream, connection: h11.Connection, budget: float) -> None:
    """Read and drop the rest of a request body the app answered without reading
    (a 413 or 415, say), within ``budget`` seconds and :data:`MAX_DRAINED_BODY` bytes.

    Hypercorn's reader task goes on reading a body while the app answers; answered
    inline, the client may still be sending it. Closing the socket then would make
    the kernel reset the connection, and the client could lose the answer.

    The usual case — a GET, or a body already received with the head — ends without
    waiting, so the timeout's cancel scope is only made when bytes must be awaited.
    """
    drained = 0
    deadline = trio.current_time() + budget
    while connection.their_state is h11.SEND_BODY and drained <= MAX_DRAINED_BODY:
        try:
            event = connection.next_event()
        except h11.RemoteProtocolError:
            return
        if event is h11.NEED_DATA:
            with trio.move_on_at(deadline) as waiting:
                data = await stream.receive_some(MAX_RECV)
            if waiting.cancelled_caught:
                return
            drained += len(data)
            connection.receive_data(data)


def _asks_upgrade(request: h11.Request) -> bool:
    """A WebSocket or h2c upgrade: Hypercorn decides what to do with it."""
    return any(name == b"upgrade" for name, _ in request.headers)


def _scope(request: h11.Request, client: tuple[str, int] | None, server: tuple[str, int] | None, root_path: str) -> Message:
    """The ASGI scope Hypercorn builds for this request (hypercorn/protocol/http_stream.py)."""
    path, _, query_string = request.target.partition(b"?")
    try:
        decoded = unquote(path.decode("ascii"))
    except UnicodeDecodeError:
        decoded = ""  # not an ingest path: Hypercorn will answer it
    return {
        "type": "http",
        "http_version": request.http_version.decode(),
        "asgi": {"spec_version": "2.1", "version": "3.0"},
        "method": request.method.decode("ascii").upper(),
        "scheme": "http",
        "path": decoded,
        "raw_path": path,
        "query_string": query_string,
        "root_path": root_path,
        "headers": list(request.headers),
        "client": client,
        "server": server,
        "state": {},
        "extensions": {"http.response.trailers": {}} if request.http_version == b"1.1" else {},
    }


def _address(address: Any) -> tuple[str, int] | None:
    return (address[0], address[1]) if isinstance(address, tuple) else None


async def _close(stream: trio.SocketStream) -> None:
    """Close gracefully: end our side, then read and drop what the client still sends
    for up to :data:`LINGER_SECONDS` before closing the socket.

    Closing a socket with unread bytes makes the kernel reset the connection: a client
    whose next request crossed our close (on a stop, or after a timeout) would get a
    reset instead of a clean end of stream — and might lose the answer it was reading.
    """
    try:
        await stream.send_eof()
        with trio.move_on_after(LINGER_SECONDS):
            while await stream.receive_some(MAX_RECV):
                pass
    except (trio.BrokenResourceError, trio.ClosedResourceError, trio.BusyResourceError, OSError):
        pass
    await stream.aclose()
