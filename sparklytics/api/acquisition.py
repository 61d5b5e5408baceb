"""``GET /l/{slug}`` and ``GET /p/{pixel_key}[.gif]``: campaign links and tracking pixels
(API.md §1.15; Decisions 10, 14, 15, 17, 20).

A hit travels like a collect request, as one message down the ingest pipeline:
RateLimiter (per client IP: 120 link hits and 240 pixel hits a minute, buckets of their
own) → Enricher (finds the link or pixel in its 60-s cache, which every change empties;
builds the ``link_click`` / ``pixel_view`` event, scores it for bots, resolves the
visitor) → Buffer (WAL, fsync). The answer is sent once the event is **durable**, the
same promise as collect's 202 (``x-sparklytics-ingest-ack: durable``): a click that a
visitor saw redirect is never lost. Group commit makes that wait one shared fsync
(a few ms), which a visitor following a link does not notice. When the event cannot be
stored (queue full, disk full, server stopping) the answer is the 503 of collect, not a
redirect without its click.

* A link answers **302** with ``Location`` = the stored destination plus the link's UTM
  tags (:func:`sparklytics.campaigns.redirect_location`) and nothing from the request,
  so a crafted query cannot send a visitor anywhere else (open-redirect safe).
* A pixel answers **200** with the 43-byte transparent GIF, ``Cache-Control: no-store,
  no-cache, must-revalidate`` and ``Pragma: no-cache`` (every load reaches us).
* Errors use the JSON envelope: 404 ``not_found`` for a malformed, unknown or inactive
  slug or key (nothing recorded), 400 ``too many query parameters`` (over 32), 400 for a
  pixel ``url`` over 2 048 bytes, 400 ``payload_too_large`` for ``event_data`` over 4 096
  bytes, 405 for a method other than GET, 429 ``rate_limited`` with ``Retry-After``.

Raw ASGI in front of Quart, like collect and for the same reason: these are public hot
paths (``bench/ingest.py`` measures them).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import datetime, timezone
from typing import Any

from actors.buffer import Accepted
from actors.enricher import CampaignHit
from actors.ratelimiter import Admit, Limit
from actors.runtime import ask_nowait
from sparklytics.acquisition import TRANSPARENT_GIF, CampaignNotFound, Hit, HitRefused, language_of, read_query, referrer_of
from sparklytics.api.errors import DOMAIN_ERRORS, ApiError, domain_error, not_found
from sparklytics.api.ingest_asgi import SECURITY_HEADERS, Receive, Scope, Send, client_of, respond, respond_error, send_all
from sparklytics.api.ingest_cors import ingest_cors_headers
from sparklytics.campaigns import is_pixel_key, is_slug
from sparklytics.openapi import Operation, Query

log = logging.getLogger("sparklytics.api")

LINK_PREFIX = "/l/"
PIXEL_PREFIX = "/p/"
# The routes as docs/api.md names them (they are not in Quart's url_map).
ROUTES = frozenset({("GET", "/l/{slug}"), ("GET", "/p/{pixel_key}")})
LINK_LIMIT = Limit("link", 120)
PIXEL_LIMIT = Limit("pixel", 240)
PIPELINE_TIMEOUT = 30.0

_DURABLE = (b"x-sparklytics-ingest-ack", b"durable")
_GIF_HEADERS = [
    (b"content-type", b"image/gif"),
    (b"cache-control", b"no-store, no-cache, must-revalidate"),
    (b"pragma", b"no-cache"),
    _DURABLE,
    *SECURITY_HEADERS,
    (b"content-length", str(len(TRANSPARENT_GIF)).encode()),
]


_HIT_ERRORS = (
    (400, "validation_error"), (400, "payload_too_large"), (404, "not_found"), (429, "rate_limited"),
    (503, "ingest_overloaded"), (503, "storage_unavailable"), (503, "shutting_down"), (503, "service_unavailable"),
)


class AcquisitionEndpoint:
    """ASGI middleware: answers ``/l/…`` and ``/p/…`` itself, passes everything else on."""

    OPERATIONS = {
        ("GET", "/l/{slug}"): Operation(
            "Follow a campaign link",
            "Campaign links and pixels",
            name="follow_link",
            ok=302,
            media_type="text/plain",
            errors=_HIT_ERRORS,
            headers={"Location": "the link's destination with its UTM tags"},
            description=f"Records a `link_click` (durably), then redirects. {LINK_LIMIT.max_requests} hits a minute per client IP.",
        ),
        ("GET", "/p/{pixel_key}"): Operation(
            "Load a tracking pixel",
            "Campaign links and pixels",
            name="load_pixel",
            media_type="image/gif",
            query=(Query("url", "the page the pixel stands for (≤ 2048 bytes); default the pixel's default_url", {"type": "string", "maxLength": 2048}),),
            errors=_HIT_ERRORS,
            description=f"Records a `pixel_view` (durably) and answers a 1×1 GIF; `.gif` after the key is optional. {PIXEL_LIMIT.max_requests} hits a minute per client IP.",
        ),
    }

    def __init__(self, app: Callable[[Scope, Receive, Send], Awaitable[None]], services: Any) -> None:
        self._app = app
        self._services = services

    @staticmethod
    def handles(path: str) -> bool:
        """Whether this endpoint answers ``path`` (the lean server asks it too)."""
        return path.startswith((LINK_PREFIX, PIXEL_PREFIX))

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "")
        if scope["type"] != "http" or not self.handles(path):
            await self._app(scope, receive, send)
            return
        headers = dict(scope["headers"])
        cors = ingest_cors_headers(headers)
        kind = "link" if path.startswith(LINK_PREFIX) else "pixel"
        try:
            accepted = await self._hit(scope, headers, kind, path[len(LINK_PREFIX) :])
        except CampaignNotFound as missing:
            await respond_error(send, not_found(str(missing)), cors)
        except HitRefused as refused:
            await respond_error(send, ApiError(refused.status, refused.code, refused.message, field=refused.field), cors)
        except ApiError as error:
            await respond_error(send, error, cors)
        except DOMAIN_ERRORS as error:
            await respond_error(send, domain_error(error), cors)
        except Exception:
            log.exception("%s hit failed", kind)
            await respond_error(send, ApiError(500, "internal_error", "Internal server error"), cors)
        else:
            if kind == "link":
                await respond(send, 302, b"", [(b"location", accepted.receipt.encode()), _DURABLE, *cors])
            else:
                await send_all(send, 200, TRANSPARENT_GIF, [*_GIF_HEADERS, *cors])

    async def _hit(self, scope: Scope, headers: dict[bytes, bytes], kind: str, token: str) -> Accepted:
        if scope["method"] != "GET":
            raise ApiError(405, "method_not_allowed", "Method not allowed", headers={"Allow": "GET"})
        services = self._services
        if services.stopping.is_set():
            raise ApiError(503, "shutting_down", "Server is shutting down, retry shortly", headers={"Retry-After": "5"})
        if kind == "pixel":
            token = token.removesuffix(".gif")
        if not (is_slug(token) if kind == "link" else is_pixel_key(token)):
            raise CampaignNotFound(kind)
        referer, accept_language = headers.get(b"referer"), headers.get(b"accept-language")
        hit = Hit(
            token,
            read_query(scope.get("query_string", b"").decode("utf-8", "replace")),
            referrer_of(referer.decode("latin-1") if referer else None),
            language_of(accept_language.decode("latin-1") if accept_language else None),
        )
        client = client_of(scope, headers, services.trusted_proxies)
        received_at = datetime.now(timezone.utc).replace(tzinfo=None)
        limit = LINK_LIMIT if kind == "link" else PIXEL_LIMIT
        message = Admit(limit, client.ip, services.enricher.inbox, CampaignHit(kind, hit, client, received_at))
        return await ask_nowait(services.ratelimiter.inbox, message, timeout=PIPELINE_TIMEOUT)
