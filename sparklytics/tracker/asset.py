"""The served tracker script: loaded once, gzip and ETag precomputed.

:func:`TrackerAsset.respond` is a pure function of the request's ``Accept-Encoding`` and
``If-None-Match`` headers, so the HTTP route stays a one-liner and the caching rules are
unit-tested without a server.
"""

from __future__ import annotations

import gzip
import hashlib
from dataclasses import dataclass
from pathlib import Path

TRACKER_DIR = Path(__file__).resolve().parent
DIST_PATH = TRACKER_DIR / "dist" / "s.js"

CONTENT_TYPE = "application/javascript; charset=utf-8"
# Short enough that a new tracker reaches every site within the hour; revalidation after
# that is a cheap 304 thanks to the ETag.
CACHE_CONTROL = "public, max-age=3600"

# Headers on every answer, 200 and 304 alike. The script is loaded cross-origin by
# design: any site may embed it, and a page with COEP must be allowed to.
COMMON_HEADERS = {
    "Cache-Control": CACHE_CONTROL,
    "Vary": "Accept-Encoding",
    "Access-Control-Allow-Origin": "*",
    "Cross-Origin-Resource-Policy": "cross-origin",
    "X-Content-Type-Options": "nosniff",
}


class TrackerNotBuiltError(RuntimeError):
    """A dist/ script (s.js, plausible.js, umami.js) is missing: the tracker was never built."""


@dataclass(frozen=True)
class Response:
    status: int
    headers: dict[str, str]
    body: bytes


@dataclass(frozen=True)
class TrackerAsset:
    body: bytes
    gzip_body: bytes
    etag: str  # strong ETag of the identity body
    gzip_etag: str  # strong ETag of the gzip body (a different representation)

    @classmethod
    def from_bytes(cls, body: bytes) -> "TrackerAsset":
        digest = hashlib.sha256(body).hexdigest()[:20]
        # mtime=0 keeps the gzip bytes (and so their ETag) identical across restarts.
        gz = gzip.compress(body, compresslevel=9, mtime=0)
        return cls(body=body, gzip_body=gz, etag=f'"{digest}"', gzip_etag=f'"{digest}-gz"')

    def respond(self, accept_encoding: str | None, if_none_match: str | None) -> Response:
        """Status, headers and body for ``GET /s.js`` given the two request headers."""
        use_gzip = accepts_gzip(accept_encoding)
        etag = self.gzip_etag if use_gzip else self.etag
        headers = {**COMMON_HEADERS, "ETag": etag}
        if if_none_match is not None and etag_matches(if_none_match, (self.etag, self.gzip_etag)):
            # Either representation's tag proves the client holds the current script.
            return Response(304, headers, b"")
        body = self.gzip_body if use_gzip else self.body
        headers["Content-Type"] = CONTENT_TYPE
        if use_gzip:
            headers["Content-Encoding"] = "gzip"
        headers["Content-Length"] = str(len(body))
        return Response(200, headers, body)


def accepts_gzip(accept_encoding: str | None) -> bool:
    """True when ``gzip`` (or ``x-gzip``, or ``*``) is acceptable with q > 0 (RFC 9110 §12.5.3)."""
    if not accept_encoding:
        return False
    qualities: dict[str, float] = {}
    for item in accept_encoding.split(","):
        coding, _, params = item.strip().partition(";")
        coding = coding.strip().lower()
        if not coding:
            continue
        q = 1.0
        for param in params.split(";"):
            key, _, value = param.strip().partition("=")
            if key.strip().lower() == "q":
                try:
                    q = float(value.strip())
                except ValueError:
                    q = 0.0
        qualities[coding] = q
    for name in ("gzip", "x-gzip"):
        if name in qualities:
            return qualities[name] > 0
    return qualities.get("*", 0.0) > 0


def etag_matches(if_none_match: str, current: tuple[str, ...]) -> bool:
    """Weak comparison of an If-None-Match list against our tags (RFC 9110 §13.1.2)."""
    value = if_none_match.strip()
    if value == "*":
        return True
    for tag in value.split(","):
        tag = tag.strip()
        if tag.startswith("W/"):
            tag = tag[2:]
        if tag in current:
            return True
    return False


def load_tracker(path: Path | str | None = None) -> TrackerAsset:
    """Read the built tracker once. Raises :class:`TrackerNotBuiltError` naming the fix."""
    path = Path(path) if path is not None else DIST_PATH
    try:
        body = path.read_bytes()
    except FileNotFoundError:
        raise TrackerNotBuiltError(
            f"Tracker script not built: {path} is missing. Run `bash scripts/install.sh` "
            "(or `bash sparklytics/tracker/build.sh`, which needs Node.js and npm)."
        ) from None
    if not body.strip():
        raise TrackerNotBuiltError(
            f"Tracker script {path} is empty. Rebuild it with `bash sparklytics/tracker/build.sh`."
        )
    return TrackerAsset.from_bytes(body)
