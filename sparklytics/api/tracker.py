"""``GET /s.js``: the tracker script (see sparklytics/tracker/README.md).

The built script is loaded when the blueprint is registered, so a missing build fails at
app start with a message naming the build command, not on the first page view.
"""

from __future__ import annotations

from quart import Blueprint, Response, current_app, request

from sparklytics.tracker.asset import TrackerAsset, load_tracker

tracker_bp = Blueprint("tracker", __name__)


class _ScriptResponse(Response):
    # No default text/html Content-Type: the asset decides every header (none on a 304).
    default_mimetype = None


EXTENSION_KEY = "sparklytics.tracker"


@tracker_bp.record_once
def _load_asset(state) -> None:
    # Tests may pre-seed app.extensions with their own TrackerAsset.
    if state.app.extensions.get(EXTENSION_KEY) is None:
        state.app.extensions[EXTENSION_KEY] = load_tracker()


@tracker_bp.route("/s.js", methods=["GET"])
async def tracker_script() -> Response:
    asset: TrackerAsset = current_app.extensions[EXTENSION_KEY]
    result = asset.respond(request.headers.get("Accept-Encoding"), request.headers.get("If-None-Match"))
    response = _ScriptResponse(result.body, status=result.status, headers=result.headers)
    if result.status == 304:
        # As Quart's own make_conditional does: a 304 carries no Content-Length.
        del response.content_length
    return response
