"""The dashboard: the built single-page app (``sparklytics/dashboard_dist``, inside the
package so a wheel carries it) for every non-API path.

Resolution for ``GET``/``HEAD`` of a path (API.md §1.0 fallback, §8):

1. an exact file of ``dist/`` → that file;
2. anything under ``/assets/``, or whose last segment has a file extension, that is not
   a file → 404 (a missing script must not be answered with HTML);
3. everything else (``/``, ``/login``, ``/setup``, ``/dashboard/<id>/…``,
   ``/share/<id>``, …) → ``index.html``, the client-side router takes it from there.

Paths starting ``/api/`` and the paths ``/health``, ``/s.js`` and ``/e`` never reach this
blueprint: the route's converter refuses them, so they keep the framework's own 404/405.

Caching: hashed files under ``/assets/`` are ``immutable`` for a year; ``index.html`` is
``no-cache`` (revalidated through its ETag) so a new build is picked up at once; other
files (favicon) an hour. Text files are gzipped once at load time and sent compressed
when the client accepts gzip (``Vary: Accept-Encoding``).

The auth mode reaches the page without a round trip: ``index.html`` gets
``<script>window.__SPARKLYTICS_AUTH_MODE__='local';</script>`` before ``</head>``. HTML
answers carry a Content-Security-Policy whose ``script-src`` allows only our own files
plus that one inline script, by its SHA-256 hash.

If the build is missing the server still runs: non-API paths answer 503 with a
page naming the fix (``bash scripts/install.sh``), the start-up log says the same, and the
build is picked up without a restart.
Tests point the blueprint at another directory with ``app.config[DIST_CONFIG_KEY]``.
"""

from __future__ import annotations

import base64
import gzip
import hashlib
import logging
import mimetypes
from dataclasses import dataclass, field
from pathlib import Path

import trio
from quart import Blueprint, Response, current_app, request
from werkzeug.routing import PathConverter

from sparklytics.tracker.asset import accepts_gzip, etag_matches
from sparklytics.openapi import operation

__all__ = [
    "DIST_CONFIG_KEY",
    "DIST_DIR",
    "DashboardAssets",
    "auth_mode_script",
    "content_security_policy",
    "dashboard_bp",
    "load_assets",
]

DIST_DIR = Path(__file__).resolve().parents[1] / "dashboard_dist"
DIST_CONFIG_KEY = "SPARKLYTICS_DASHBOARD_DIST"
_EXTENSION_KEY = "sparklytics.dashboard"

log = logging.getLogger("sparklytics")

CACHE_IMMUTABLE = "public, max-age=31536000, immutable"
CACHE_INDEX = "no-cache"
CACHE_OTHER = "public, max-age=3600"

_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".js": "application/javascript; charset=utf-8",
    ".mjs": "application/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".json": "application/json",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".ico": "image/x-icon",
    ".woff": "font/woff",
    ".woff2": "font/woff2",
    ".ttf": "font/ttf",
    ".txt": "text/plain; charset=utf-8",
    ".webmanifest": "application/manifest+json",
}
_COMPRESSIBLE = {".html", ".js", ".mjs", ".css", ".json", ".svg", ".txt", ".ico", ".webmanifest"}
_AUTH_MODES = ("none", "password", "local")

NOT_BUILT_HTML = b"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Sparklytics: dashboard not built</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:40rem;margin:4rem auto;padding:0 1rem}
code{background:#8882;padding:.1em .3em;border-radius:4px}</style></head>
<body><h1>The dashboard is not built yet</h1>
<p>The Sparklytics server is running, and the API and event collection work, but the
dashboard files (<code>sparklytics/dashboard_dist</code>) are missing &mdash; and so may be the
tracker (<code>sparklytics/tracker/dist/s.js</code>), which <code>/s.js</code> serves.</p>
<p>From a checkout, run <code>bash scripts/install.sh</code> (or <code>bash dashboard/build.sh</code>
and <code>bash sparklytics/tracker/build.sh</code>, which need Node.js 20 and npm), then reload
this page; the tracker needs a restart. A wheel built after that carries both.</p>
</body></html>
"""


class _SpaPath(PathConverter):
    """A path converter that never matches the server's own non-dashboard paths."""

    regex = r"(?!api(?:/|$))(?!(?:health|s\.js|e)$)[^/].*?"


@dataclass(frozen=True, slots=True)
class StaticFile:
    body: bytes
    gzip_body: bytes | None
    content_type: str
    etag: str
    cache_control: str


@dataclass(slots=True)
class DashboardAssets:
    """The files of one build, in memory, with the per-mode ``index.html`` cached."""

    files: dict[str, StaticFile]
    index_template: bytes
    _index: dict[str, StaticFile] = field(default_factory=dict)

    def index_for(self, mode: str) -> StaticFile:
        page = self._index.get(mode)
        if page is None:
            page = _static_file(inject_auth_mode(self.index_template, mode), ".html", CACHE_INDEX)
            self._index[mode] = page
        return page


def auth_mode_script(mode: str) -> str:
    """The inline script body that tells the page the auth mode (no tags)."""
    if mode not in _AUTH_MODES:
        raise ValueError(f"unknown auth mode {mode!r}")
    return f"window.__SPARKLYTICS_AUTH_MODE__='{mode}';"


def inject_auth_mode(html: bytes, mode: str) -> bytes:
    """``html`` with the auth-mode script before ``</head>`` (else ``</body>``, else first)."""
    if b"__SPARKLYTICS_AUTH_MODE__" in html:
        return html
    tag = f"<script>{auth_mode_script(mode)}</script>".encode()
    for marker in (b"</head>", b"</body>"):
        at = html.find(marker)
        if at >= 0:
            return html[:at] + tag + html[at:]
    return tag + html


def content_security_policy(mode: str, *, frameable: bool = False, inline_styles: bool = False) -> str:
    """CSP for the dashboard's HTML: own files only, plus the auth-mode script by hash.

    ``inline_styles`` allows inline CSS (never scripts, never foreign sheets or fonts):
    the API reference page (``/docs``) needs it, as its viewer (RapiDoc) writes style
    attributes and a theme ``<style>`` built from its settings into its templates.
    """
    digest = base64.b64encode(hashlib.sha256(auth_mode_script(mode).encode()).digest()).decode()
    # Public share pages may be embedded in other sites; the dashboard may not.
    frame_ancestors = "*" if frameable else "'none'"
    return "; ".join(
        (
            "default-src 'self'",
            f"script-src 'self' 'sha256-{digest}'",
            # Styles set from script go through the CSSOM, which style-src does not restrict.
            "style-src 'self' 'unsafe-inline'" if inline_styles else "style-src 'self'",
            "img-src 'self' data:",
            "connect-src 'self'",
            "font-src 'self'",
            "object-src 'none'",
            "base-uri 'none'",
            "form-action 'self'",
            f"frame-ancestors {frame_ancestors}",
        )
    )


def _static_file(body: bytes, suffix: str, cache_control: str) -> StaticFile:
    content_type = _TYPES.get(suffix) or mimetypes.guess_type(f"x{suffix}")[0] or "application/octet-stream"
    gz = None
    if suffix in _COMPRESSIBLE and len(body) > 256:
        compressed = gzip.compress(body, compresslevel=9, mtime=0)
        gz = compressed if len(compressed) < len(body) else None
    etag = '"' + hashlib.sha256(body).hexdigest()[:20] + '"'
    return StaticFile(body, gz, content_type, etag, cache_control)


def load_assets(dist: Path) -> DashboardAssets | None:
    """Reads a build into memory; ``None`` when ``dist`` has no ``index.html``."""
    index = dist / "index.html"
    if not index.is_file():
        return None
    files: dict[str, StaticFile] = {}
    for path in sorted(dist.rglob("*")):
        if not path.is_file():
            continue
        rel = path.relative_to(dist).as_posix()
        if rel == "index.html" or rel.endswith(".gz"):
            continue
        cache = CACHE_IMMUTABLE if rel.startswith("assets/") else CACHE_OTHER
        files[rel] = _static_file(path.read_bytes(), path.suffix.lower(), cache)
    return DashboardAssets(files=files, index_template=index.read_bytes())


dashboard_bp = Blueprint("dashboard", __name__)


@dashboard_bp.record_once
def _register_converter(state) -> None:
    # Runs before the routes below are added (deferred functions keep their order).
    state.app.url_map.converters["spa"] = _SpaPath


@dashboard_bp.record_once
def _say_when_not_built(state) -> None:
    # The operator reads the log, not only the 503 page: say at start what is missing.
    dist = Path(state.app.config.get(DIST_CONFIG_KEY) or DIST_DIR)
    if not (dist / "index.html").is_file():
        log.warning(
            "Dashboard not built: %s is missing. Run `bash scripts/install.sh` (or `bash "
            "dashboard/build.sh`, which needs Node.js 20 and npm). Until then the dashboard's "
            "pages answer 503; the build is picked up without a restart.",
            dist / "index.html",
        )


async def _assets() -> DashboardAssets | None:
    app = current_app._get_current_object()
    assets = app.extensions.get(_EXTENSION_KEY)
    if assets is None:
        dist = Path(app.config.get(DIST_CONFIG_KEY) or DIST_DIR)
        assets = await trio.to_thread.run_sync(load_assets, dist)
        if assets is not None:  # a missing build is looked for again on the next request
            app.extensions[_EXTENSION_KEY] = assets
    return assets


def _auth_mode() -> str:
    services = current_app.config.get("SERVICES")
    mode = getattr(getattr(services, "config", None), "auth", "local")
    return mode if mode in _AUTH_MODES else "local"


def _send(file: StaticFile, *, extra_headers: dict[str, str] | None = None) -> Response:
    use_gzip = file.gzip_body is not None and accepts_gzip(request.headers.get("Accept-Encoding"))
    etag = file.etag[:-1] + '-gz"' if use_gzip else file.etag
    headers = {"Cache-Control": file.cache_control, "ETag": etag, **(extra_headers or {})}
    if file.gzip_body is not None:
        headers["Vary"] = "Accept-Encoding"
    if_none_match = request.headers.get("If-None-Match")
    if if_none_match and etag_matches(if_none_match, (file.etag, file.etag[:-1] + '-gz"')):
        response = Response(b"", status=304, headers=headers)
        del response.content_length
        return response
    body = file.gzip_body if use_gzip and file.gzip_body is not None else file.body
    if use_gzip:
        headers["Content-Encoding"] = "gzip"
    response = Response(body, status=200, headers=headers, content_type=file.content_type)
    return response


# The dashboard's API reference; its top-bar link loads it as a page of its own, so
# that its CSP (inline styles allowed) is never shared with the other pages.
API_REFERENCE_PAGE = "docs"


def _not_found() -> Response:
    return Response(b"Not found\n", status=404, content_type="text/plain; charset=utf-8", headers={"Cache-Control": "no-store"})


@dashboard_bp.route("/", methods=["GET"], defaults={"path": ""})
@dashboard_bp.route("/<spa:path>", methods=["GET"])
@operation("The dashboard (a single-page app) and its files", tag="Dashboard", media_type="text/html")
async def serve_dashboard(path: str) -> Response:
    assets = await _assets()
    if assets is None:
        return Response(NOT_BUILT_HTML, status=503, content_type="text/html; charset=utf-8", headers={"Cache-Control": "no-store", "Retry-After": "60"})
    file = assets.files.get(path)
    if file is not None:
        return _send(file)
    last = path.rsplit("/", 1)[-1]
    if path.startswith("assets/") or "." in last:
        return _not_found()
    mode = _auth_mode()
    csp = content_security_policy(mode, frameable=path.startswith("share/"), inline_styles=path == API_REFERENCE_PAGE)
    headers = {"Content-Security-Policy": csp}
    if not path.startswith("share/"):
        headers["X-Frame-Options"] = "DENY"
    return _send(assets.index_for(mode), extra_headers=headers)
