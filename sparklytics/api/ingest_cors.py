"""CORS headers of every ingest route (``/api/collect``, ``/e``; Decision 20).

The original Sparklytics tracker sends ``navigator.sendBeacon(url, new Blob([json],
{type: 'application/json'}))``: a credentialed request (beacons always include
credentials) that needs a CORS preflight. A browser refuses the answer to a credentialed
request when it says ``Access-Control-Allow-Origin: *``, so ingest routes echo the
request's ``Origin`` and allow credentials. That is safe because ingest never reads
cookies: a request with them can do nothing one without them cannot. Without an
``Origin`` (servers, curl, same-origin beacons) the answer stays ``*``.

``Vary: Origin`` is always sent, so a cache never hands one site's echo to another.
Query routes keep their restricted CORS (:mod:`sparklytics.auth.guards`).
"""

from __future__ import annotations

from collections.abc import Mapping

ALLOWED_METHODS = b"POST, OPTIONS"
# Without Access-Control-Request-Headers a preflight still learns that the JSON
# content type is allowed; "*" is not a wildcard for credentialed requests.
DEFAULT_ALLOWED_HEADERS = b"Content-Type"
PREFLIGHT_MAX_AGE_SECONDS = b"86400"
# Response headers a cross-origin script (an SDK) may read besides the safelisted ones.
EXPOSED_HEADERS = (
    b"x-sparklytics-ingest-ack, x-sparklytics-ingest-accepted-events, "
    b"x-sparklytics-ingest-dropped-events, x-sparklytics-ingest-drop-reason, "
    b"x-sparklytics-dropped-fields, x-sparklytics-truncated-fields, retry-after"
)


def ingest_cors_headers(request_headers: Mapping[bytes, bytes]) -> list[tuple[bytes, bytes]]:
    """The CORS headers of an ingest response (success or error) to this request."""
    return [*_allow_origin(request_headers), (b"access-control-expose-headers", EXPOSED_HEADERS)]


def ingest_preflight_headers(request_headers: Mapping[bytes, bytes]) -> list[tuple[bytes, bytes]]:
    """The headers of the 204 answering an ingest route's ``OPTIONS`` preflight."""
    return [
        *_allow_origin(request_headers),
        (b"access-control-allow-methods", ALLOWED_METHODS),
        (b"access-control-allow-headers", request_headers.get(b"access-control-request-headers") or DEFAULT_ALLOWED_HEADERS),
        (b"access-control-max-age", PREFLIGHT_MAX_AGE_SECONDS),
    ]


def _allow_origin(request_headers: Mapping[bytes, bytes]) -> list[tuple[bytes, bytes]]:
    origin = request_headers.get(b"origin")
    if not origin:
        return [(b"access-control-allow-origin", b"*"), (b"vary", b"Origin")]
    return [
        (b"access-control-allow-origin", origin),
        (b"access-control-allow-credentials", b"true"),
        (b"vary", b"Origin"),
    ]
