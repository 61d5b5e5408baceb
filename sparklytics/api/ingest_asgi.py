"""What the raw-ASGI ingest routes share: who the client is, and how an answer is sent.

Collect (:mod:`~sparklytics.api.collect`), the Plausible- and Umami-compatible routes
(:mod:`~sparklytics.api.compat_ingest`), campaign links and tracking pixels
(:mod:`~sparklytics.api.acquisition`) sit in front of Quart and speak ASGI directly,
because they are the hot public routes (collect's docstring has the measurement). They
resolve the client the same way (Decision 23: the proxy-aware IP; the headers bot
scoring reads) and answer errors with the same envelope as the rest of the API.
:func:`serve_ingest_post` is the frame of every POST ingest route: preflight, CORS
(Decision 20), method and shutdown checks, and the mapping of every failure to the
envelope.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable, Mapping, MutableMapping
from typing import Any

from actors.enricher import ClientInfo
from sparklytics.api.collect_fields import FieldRepairs
from sparklytics.api.errors import DOMAIN_ERRORS, ApiError, domain_error
from sparklytics.api.ingest_cors import ingest_cors_headers, ingest_preflight_headers
from sparklytics.enrich import TrustedProxies, client_ip

log = logging.getLogger("sparklytics.api")

Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]
Headers = list[tuple[bytes, bytes]]
# Handles one POST (the checks of serve_ingest_post passed): reads the body, asks the
# pipeline, returns the status, body and own headers of the success answer.
IngestHandler = Callable[[Scope, dict[bytes, bytes], Receive, FieldRepairs], Awaitable[tuple[int, bytes, Headers]]]

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


async def serve_ingest_post(scope: Scope, receive: Receive, send: Send, stopping: Any, handle: IngestHandler) -> None:
    """Answer one request to a POST ingest route: ``OPTIONS`` is the CORS preflight,
    ``POST`` goes to ``handle``; every answer carries the ingest CORS headers and a
    bad optional field's repair headers, every failure the JSON envelope."""
    headers = dict(scope["headers"])
    if scope["method"] == "OPTIONS":
        await respond(send, 204, b"", ingest_preflight_headers(headers))
        return
    cors = ingest_cors_headers(headers)
    repairs = FieldRepairs()
    try:
        if scope["method"] != "POST":
            raise ApiError(405, "method_not_allowed", "Method not allowed")
        if stopping.is_set():
            # A request that begins after SIGTERM may have raced Hypercorn closing its
            # idle connection: storing it could leave a durable event whose answer never
            # arrives, and the client's retry would double it. Refuse it unstored.
            raise ApiError(503, "shutting_down", "Server is shutting down, retry shortly", headers={"Retry-After": "5"})
        status, body, own = await handle(scope, headers, receive, repairs)
    except ApiError as error:
        await respond_error(send, error, cors)
    except DOMAIN_ERRORS as error:
        await respond_error(send, domain_error(error), cors)
    except Exception:
        log.exception("ingest request to %s failed", scope["path"])
        await respond_error(send, ApiError(500, "internal_error", "Internal server error"), cors)
    else:
        await respond(send, status, body, [*own, *repairs.headers(), *cors])


class IngestPostEndpoint:
    """ASGI middleware of POST ingest routes: answers its ``PATHS`` through
    :func:`serve_ingest_post` with :meth:`handle`, passes every other request on."""

    PATHS: frozenset[str] = frozenset()

    def __init__(self, app: Callable[[Scope, Receive, Send], Awaitable[None]], services: Any) -> None:
        self._app = app
        self._services = services

    @classmethod
    def handles(cls, path: str) -> bool:
        """Whether this endpoint answers ``path`` (the lean server asks it too)."""
        return path in cls.PATHS

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not self.handles(scope["path"]):
            await self._app(scope, receive, send)
            return
        await serve_ingest_post(scope, receive, send, self._services.stopping, self.handle)

    async def handle(
        self, scope: Scope, headers: dict[bytes, bytes], receive: Receive, repairs: FieldRepairs
    ) -> tuple[int, bytes, Headers]:
        """The answer to one POST: (status, body, own headers)."""
        raise NotImplementedError
