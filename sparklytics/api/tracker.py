"""``GET /s.js``: the tracker script (see sparklytics/tracker/README.md).

The built script is loaded when the blueprint is registered. A missing build does not
stop the server (the API and collect work without it): the log says how to build it, and
``/s.js`` answers 503 with the same words until a restart finds it.
"""

from __future__ import annotations

import logging

from quart import Blueprint, Response, current_app, request

from sparklytics.tracker.asset import TrackerAsset, TrackerNotBuiltError, load_tracker
from sparklytics.openapi import operation

log = logging.getLogger("sparklytics")

tracker_bp = Blueprint("tracker", __name__)


class _ScriptResponse(Response):
    # No default text/html Content-Type: the asset decides every header (none on a 304).
    default_mimetype = None


EXTENSION_KEY = "sparklytics.tracker"


@tracker_bp.record_once
def _load_asset(state) -> None:
    # Tests may pre-seed app.extensions with their own TrackerAsset.
    if state.app.extensions.get(EXTENSION_KEY) is None:
        try:
            state.app.extensions[EXTENSION_KEY] = load_tracker()
        except TrackerNotBuiltError as missing:
            log.warning("%s Until then /s.js answers 503.", missing)
            state.app.extensions[EXTENSION_KEY] = missing


@tracker_bp.route("/s.js", methods=["GET"])
@operation("The tracker script", tag="Collect", media_type="application/javascript", other_answers={304: "not modified (`If-None-Match`)", 503: "the tracker is not built (plain text says how)"})
async def tracker_script() -> Response:
    asset: TrackerAsset | TrackerNotBuiltError = current_app.extensions[EXTENSION_KEY]
    if isinstance(asset, TrackerNotBuiltError):
        return Response(f"{asset}\n", status=503, content_type="text/plain; charset=utf-8", headers={"Retry-After": "3600"})
    result = asset.respond(request.headers.get("Accept-Encoding"), request.headers.get("If-None-Match"))
    response = _ScriptResponse(result.body, status=result.status, headers=result.headers)
    if result.status == 304:
        # As Quart's own make_conditional does: a 304 carries no Content-Length.
        del response.content_length
    return response
