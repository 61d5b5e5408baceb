"""The tracker scripts (see sparklytics/tracker/README.md):

* ``GET /s.js`` — our tracker;
* ``GET /js/script.js`` and ``GET /js/script.<ext>[.<ext>…].js`` (also ``plausible.…``)
  — the Plausible-compatible build; one file serves every documented extension, which
  it reads from its own name, so a name with an unknown extension is a 404;
* ``GET /script.js`` — the Umami-compatible build.

The built scripts are loaded when the blueprint is registered. A missing build does not
stop the server (the API and collect work without it): the log says how to build it, and
the script answers 503 with the same words until a restart finds it.
"""

from __future__ import annotations

import logging
import re

from quart import Blueprint, Response, current_app, request

from sparklytics.api.errors import not_found
from sparklytics.tracker import asset as tracker_asset
from sparklytics.tracker.asset import TrackerAsset, TrackerNotBuiltError, load_tracker
from sparklytics.openapi import operation

log = logging.getLogger("sparklytics")

tracker_bp = Blueprint("tracker", __name__)

# Plausible's documented script extensions (any combination, any order).
PLAUSIBLE_EXTENSIONS = frozenset(
    {
        "hash", "outbound-links", "file-downloads", "tagged-events", "revenue", "pageview-props",
        "manual", "exclusions", "local", "compat",
    }
)  # fmt: skip
_PLAUSIBLE_NAME = re.compile(r"^(?:script|plausible)((?:\.[a-z-]+)*)\.js$")


class _ScriptResponse(Response):
    # No default text/html Content-Type: the asset decides every header (none on a 304).
    default_mimetype = None


EXTENSION_KEY = "sparklytics.tracker"
# The compatible builds, by dist file name.
COMPAT_EXTENSION_KEY = "sparklytics.tracker.compat"
COMPAT_BUILDS = ("plausible.js", "umami.js")


@tracker_bp.record_once
def _load_asset(state) -> None:
    # Tests may pre-seed app.extensions with their own TrackerAsset.
    if state.app.extensions.get(EXTENSION_KEY) is None:
        state.app.extensions[EXTENSION_KEY] = _load(None)
    if state.app.extensions.get(COMPAT_EXTENSION_KEY) is None:
        state.app.extensions[COMPAT_EXTENSION_KEY] = {
            name: _load(tracker_asset.DIST_PATH.with_name(name)) for name in COMPAT_BUILDS
        }


def _load(path) -> TrackerAsset | TrackerNotBuiltError:
    try:
        return load_tracker(path)
    except TrackerNotBuiltError as missing:
        log.warning("%s Until then its script answers 503.", missing)
        return missing


_SCRIPT_ANSWERS = {304: "not modified (`If-None-Match`)", 503: "the tracker is not built (plain text says how)"}


@tracker_bp.route("/s.js", methods=["GET"])
@operation("The tracker script", tag="Collect", media_type="application/javascript", other_answers=_SCRIPT_ANSWERS)
async def tracker_script() -> Response:
    return _serve(current_app.extensions[EXTENSION_KEY])


@tracker_bp.route("/js/<script_name>", methods=["GET"])
@operation(
    "The Plausible-compatible tracker", tag="Collect", media_type="application/javascript",
    other_answers=_SCRIPT_ANSWERS, errors=[(404, "not_found")],
    description="`script.js` or `script.<extension>[.<extension>…].js` with Plausible's extensions in any order.",
)
async def plausible_script(script_name: str) -> Response:
    found = _PLAUSIBLE_NAME.match(script_name)
    if found is None or not set(found.group(1).split(".")[1:]) <= PLAUSIBLE_EXTENSIONS:
        raise not_found("No such script")
    return _serve(current_app.extensions[COMPAT_EXTENSION_KEY]["plausible.js"])


@tracker_bp.route("/script.js", methods=["GET"])
@operation("The Umami-compatible tracker", tag="Collect", media_type="application/javascript", other_answers=_SCRIPT_ANSWERS)
async def umami_script() -> Response:
    return _serve(current_app.extensions[COMPAT_EXTENSION_KEY]["umami.js"])


def _serve(asset: TrackerAsset | TrackerNotBuiltError) -> Response:
    if isinstance(asset, TrackerNotBuiltError):
        return Response(f"{asset}\n", status=503, content_type="text/plain; charset=utf-8", headers={"Retry-After": "3600"})
    result = asset.respond(request.headers.get("Accept-Encoding"), request.headers.get("If-None-Match"))
    response = _ScriptResponse(result.body, status=result.status, headers=result.headers)
    if result.status == 304:
        # As Quart's own make_conditional does: a 304 carries no Content-Length.
        del response.content_length
    return response
