"""``POST /api/v2/query``: Plausible's Stats API v2 over our AnalyticsStore.

The body is parsed by :mod:`sparklytics.queries.stats_v2` into the same
:class:`ReportQuery` every report takes; the store's :meth:`grouped` answers it (plus
the denominators of the ratio metrics), and the shaper builds Plausible's body.

Errors keep our envelope (Decision 9) with Plausible's text as ``error.message``:
``{"error": {"code": "validation_error", "message": "#/metrics/0: Invalid metric \\"x\\"",
"field": "metrics"}}``. A Plausible client that shows ``error`` shows an object holding
that text. Auth uses the one guard (an API key as ``Bearer``, or the dashboard's
cookie); its refusals carry Plausible's sentences here. A ``site_id`` that is neither a
website id nor a domain is 404 with Plausible's "Invalid API key or site ID" sentence
(our keys see every website, so only the site can be wrong).
"""

from __future__ import annotations

from datetime import datetime, timezone

from quart import Blueprint, Response, current_app, jsonify, request

from sparklytics.api.errors import ApiError, domain_error, error_response
from sparklytics.api.requests import parse_json_body
from sparklytics.auth.errors import AuthError, NotAuthenticated
from sparklytics.auth.keys import bearer_token
from sparklytics.openapi import operation
from sparklytics.openapi.bodies import StatsV2Query
from sparklytics.openapi.responses import StatsV2Result
from sparklytics.queries.errors import QueryError
from sparklytics.queries.stats_v2 import V2Context, check_shape, denominator_queries, parse_v2_query, shape_response
from sparklytics.queries.stats_v2.dates import json_type

stats_v2_bp = Blueprint("stats_v2", __name__)

MAX_BODY_BYTES = 64 * 1024
MISSING_KEY = "Missing API key. Please use a valid Plausible API key as a Bearer Token."
INVALID_KEY_OR_SITE = (
    "Invalid API key or site ID. Please make sure you're using a valid API key with access to the site you've requested."
)
MISSING_SITE = "Missing site ID. Please provide the required site_id parameter with your request."


@stats_v2_bp.post("/api/v2/query")
@operation(
    "Plausible Stats API v2 query",
    tag="Stats API v2",
    body=StatsV2Query,
    response=StatsV2Result,
    errors=[(404, "not_found"), (503, "query_timeout")],
    description="Plausible's POST /api/v2/query over our reports; errors carry Plausible's sentences as `error.message`.",
)
async def query() -> Response:
    body = await parse_json_body(MAX_BODY_BYTES)
    if isinstance(body, dict) and "site_id" not in body:
        raise ApiError(400, "validation_error", MISSING_SITE, field="site_id")
    body = check_shape(body)
    services = current_app.config["SERVICES"]
    v2 = parse_v2_query(body, await _context(body["site_id"]))
    rows = await services.analytics.grouped(v2.report, v2.grouping)
    denominators = {
        use: await services.analytics.grouped(q, grouping) for use, (q, grouping) in denominator_queries(v2).items()
    }
    return jsonify(shape_response(v2, rows, denominators))


async def _context(site_id: object) -> V2Context:
    """The website ``site_id`` names (our id, else its domain or one of its extra
    domains, any case) and what the parser needs."""
    if not isinstance(site_id, str):
        raise QueryError(f"#/site_id: Type mismatch. Expected String but got {json_type(site_id)}.", "site_id")
    services = current_app.config["SERVICES"]
    website = await services.metadata.get_website(site_id)
    if website is None:
        by_domain = await services.metadata.website_for_domain(site_id.strip().lower())
        website = await services.metadata.get_website(by_domain) if by_domain else None
    context = await services.metadata.report_context(website["id"]) if website else None
    if context is None:
        raise ApiError(404, "not_found", INVALID_KEY_OR_SITE, field="site_id")
    website_id, tz_name, bot_mode = context
    return V2Context(
        website_id=website_id,
        domain=website["domain"],
        timezone=tz_name,
        include_bots=bot_mode == "off",
        goals=tuple(await services.metadata.list_goals(website_id)),
        first_event=await services.analytics.first_event_at(website_id),
        now=datetime.now(timezone.utc),
    )


@stats_v2_bp.errorhandler(AuthError)
async def _auth_error(error: AuthError) -> Response:
    """The guard's refusals, in Plausible's words where Plausible has them."""
    if isinstance(error, NotAuthenticated):
        missing = bearer_token(request.headers.get("Authorization")) is None
        return error_response(ApiError(401, "unauthorized", MISSING_KEY if missing else INVALID_KEY_OR_SITE))
    return error_response(domain_error(error))
