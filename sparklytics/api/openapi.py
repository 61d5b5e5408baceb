"""``GET /api/openapi.json``: the OpenAPI 3.1 document of this server (public: listed
in ``sparklytics.auth.guards.PUBLIC_PATHS``).

Built from the app's own route table on the first request and kept (routes do not
change while the app runs). It describes the server as it runs: in ``none`` mode there
are no ``/api/auth/*`` routes and no security schemes. The dashboard's ``/docs`` page
renders it.
"""

from __future__ import annotations

from quart import Blueprint, Response, current_app, jsonify

from sparklytics.openapi import build_document, operation
from sparklytics.openapi.responses import OpenApiDocument

openapi_bp = Blueprint("openapi", __name__)

EXTENSION_KEY = "sparklytics.openapi"


@openapi_bp.route("/api/openapi.json", methods=["GET"])
@operation("This API as an OpenAPI 3.1 document", tag="Meta", response=OpenApiDocument, description="The document you are reading, generated from the route table.")
async def openapi_document() -> Response:
    document = current_app.extensions.get(EXTENSION_KEY)
    if document is None:
        services = current_app.config["SERVICES"]
        document = build_document(current_app, current_app.config["RAW_ENDPOINTS"], auth_mode=services.config.auth)
        current_app.extensions[EXTENSION_KEY] = document
    return jsonify(document)
