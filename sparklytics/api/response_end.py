"""How responses end their connections: shielded last sends, and ``Connection: close``
while the server stops.

**The last send.** Quart-Trio can cancel a response's final send half way.

Quart-Trio runs a request as two tasks in one nursery — one reading ASGI messages, one
handling the request — and cancels the nursery as soon as either finishes. The last
``http.response.body`` send is where Hypercorn finishes the exchange *inside the app's
task*: it closes the socket (HTTP/1.0, ``Connection: close``, an unread body) or
re-arms the keep-alive idle timer. Closing the socket makes the reader task see
``http.disconnect`` and cancel the nursery, which cancels that same send half way: the
socket was never closed and no idle timer ran, so every such connection stayed open
for ever (measured: a raw ``GET /health HTTP/1.0`` socket still open after 90 s; the
same with a 10-line Quart-Trio app on quart-trio 0.12 / Hypercorn 0.18, while the
raw-ASGI collect endpoint closed at once). Shielding that one send lets it complete;
it never waits on the client for more than a socket write.

**Stopping.** On SIGTERM Hypercorn stops accepting and lets the requests in flight
finish, then closes each connection after its response. A keep-alive client that was
not told so sends its next request into a socket being closed and gets no answer
(issue 13 #10 measured 7–8 per stop). While the server stops, every response says
``Connection: close``, so clients open a new connection instead — which the closed
listener refuses cleanly — and every request the server read gets its answer.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

import trio

Message = MutableMapping[str, Any]
Send = Callable[[Message], Awaitable[None]]
Receive = Callable[[], Awaitable[Message]]
Asgi = Callable[[Message, Receive, Send], Awaitable[None]]


def close_connections_when(stopping: trio.Event, app: Asgi) -> Asgi:
    """``app`` whose responses carry ``Connection: close`` once ``stopping`` is set."""

    async def wrapped(scope: Message, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await app(scope, receive, send)
            return

        async def send_closing_when_stopping(message: Message) -> None:
            if message["type"] == "http.response.start" and stopping.is_set():
                message = {**message, "headers": [*message.get("headers", []), (b"connection", b"close")]}
            await send(message)

        await app(scope, receive, send_closing_when_stopping)

    return wrapped


def shield_response_end(app: Asgi) -> Asgi:
    """``app`` with the final body send of each HTTP response shielded from cancellation."""

    async def wrapped(scope: Message, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await app(scope, receive, send)
            return

        async def send_with_shielded_end(message: Message) -> None:
            if message["type"] == "http.response.body" and not message.get("more_body", False):
                with trio.CancelScope(shield=True):
                    await send(message)
            else:
                await send(message)

        await app(scope, receive, send_with_shielded_end)

    return wrapped
