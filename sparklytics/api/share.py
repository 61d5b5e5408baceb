"""Public share links (API.md §1.16): turning them on and off, and the four read-only
``/api/share/{share_id}/…`` routes (each body also carries ``"website": {"name"}``, so
the public page can say whose statistics it shows), limited to 30 requests a minute per client IP
(Decision 14: the IP the trusted-proxy rules resolve, never a raw header).
"""

from __future__ import annotations

import uuid

from quart import Blueprint, Response, current_app, jsonify

from actors.ratelimiter import Check, Limit
from actors.runtime import ask
from sparklytics.api.errors import not_found
from sparklytics.api.reports import build_query
from sparklytics.api.requests import client_ip
from sparklytics.openapi import operation
from sparklytics.openapi.responses import Data, Share

SHARE_LIMIT = Limit("share", 30)

share_bp = Blueprint("share", __name__)


@share_bp.route("/api/websites/<website_id>/share", methods=["POST"])
@operation("Turn the public share link on", tag="Sharing", ok=201, response=Data[Share])
async def enable(website_id: str) -> tuple[Response, int]:
    services = current_app.config["SERVICES"]
    fresh = str(uuid.uuid4())
    share_id = await services.metadata.enable_sharing(website_id, fresh)
    if share_id is None:
        raise not_found("Website not found")
    share_url = f"{services.config.public_url}/share/{share_id}"
    return jsonify({"data": {"share_id": share_id, "share_url": share_url}}), 201


@share_bp.route("/api/websites/<website_id>/share", methods=["DELETE"])
@operation("Turn the public share link off", tag="Sharing", ok=204)
async def disable(website_id: str) -> Response:
    services = current_app.config["SERVICES"]
    disabled = await services.metadata.disable_sharing(website_id)
    if disabled is None:
        raise not_found("Website not found")
    if not disabled:
        raise not_found("Sharing is not enabled for this website")
    return Response("", status=204)


# The share report names, each its route policy and AnalyticsStore method.
_SHARED_REPORTS = ("stats", "pageviews", "metrics", "overview")


@share_bp.route("/api/share/<share_id>/<report>")
@operation("A public shared report", tag="Sharing", report=tuple(f"share_{name}" for name in _SHARED_REPORTS), path_enums={"report": _SHARED_REPORTS}, errors=[(429, "rate_limited")])
async def shared(share_id: str, report: str) -> Response:
    if report not in _SHARED_REPORTS:
        raise not_found("Not found")
    services = current_app.config["SERVICES"]
    await ask(services.ratelimiter.inbox, Check(SHARE_LIMIT, client_ip(services.trusted_proxies)), timeout=10)
    found = await services.metadata.shared_website(share_id)
    if found is None:
        raise not_found("Share link not found")
    context, name = found
    route = f"share_{report}"
    query = await build_query(route, context)
    result = await getattr(services.analytics, route)(query)
    return jsonify({**result.body(), "website": {"name": name}})

