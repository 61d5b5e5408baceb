"""What the raw-ASGI ingest routes share: who the client is, and how an answer is sent.

Collect (:mod:`~sparklytics.api.collect`), campaign links and tracking pixels
(:mod:`~sparklytics.api.acquisition`) sit in front of Quart and speak ASGI directly,
because they are the hot public routes (collect's docstring has the measurement). They
resolve the client the same way (Decision 23: the proxy-aware IP; the headers bot
scoring reads) and answer errors with the same envelope as the rest of the API.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Mapping, MutableMapping
from typing import Any

from actors.enricher import ClientInfo
from sparklytics.api.errors import ApiError
from sparklytics.enrich import TrustedProxies, client_ip

Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]
Headers = list[tuple[bytes, bytes]]

SECURITY_HEADERS: Headers = [
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"strict-origin-when-cross-origin"),
]
COMMON_HEADERS: Headers = [*SECURITY_HEADERS, (b"cache-control", b"no-store")]


def client_of(scope: Scope, headers: Mapping[bytes, bytes], trusted_proxies: TrustedProxies) -> ClientInfo:
    """The sender of a request as the Enricher needs it (the raw IP never leaves it)."""
    peer = scope.get("client")
    forwarded = headers.get(b"x-forwarded-for")
    return ClientInfo(
        ip=client_ip(peer[0] if peer else None, forwarded.decode("latin-1") if forwarded else None, trusted_proxies),
        user_agent=headers.get(b"user-agent", b"").decode("latin-1"),
        has_accept=b"accept" in headers,
        has_accept_language=b"accept-language" in headers,
    )


async def respond_error(send: Send, error: ApiError, extra: Headers) -> None:
    """``error`` in the JSON envelope (API.md §0.2), with its headers and ``extra``."""
    body = json.dumps({"error": {"code": error.code, "message": error.message, "field": error.field}}).encode()
    own = [(name.lower().encode(), value.encode()) for name, value in error.headers.items()]
    await respond(send, error.status, body, [(b"content-type", b"application/json"), *own, *extra])


async def respond(send: Send, status: int, body: bytes, headers: Headers) -> None:
    """Send ``body`` with ``headers``, the :data:`COMMON_HEADERS` and its length."""
    await send_all(send, status, body, [*headers, *COMMON_HEADERS, (b"content-length", str(len(body)).encode())])


async def send_all(send: Send, status: int, body: bytes, all_headers: Headers) -> None:
    """Send a complete response whose headers are exactly ``all_headers``."""
    await send({"type": "http.response.start", "status": status, "headers": all_headers})
    await send({"type": "http.response.body", "body": body})
