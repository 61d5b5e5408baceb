"""The analytics read API (API.md §1.5–§1.7, §1.10, §1.11): stats, series, breakdowns,
realtime, custom events, sessions, journey and retention. Each handler is one line of
wiring; the SQL lives in ``sparklytics/queries`` and the shared steps in
``sparklytics/api/reports.py``. Journey and retention take options of their own: they
are checked after the website (404 first) and before the shared parameters, and the
reports run in their own slot pools under their own time budgets.
"""

from __future__ import annotations

from quart import Blueprint, Response, current_app, jsonify

from sparklytics import queries
from sparklytics.api.errors import not_found
from sparklytics.api.reports import options_report_body, report_body, run, website_context
from sparklytics.queries import journey as journeys
from sparklytics.queries import retention as retention_report

analytics_bp = Blueprint("analytics", __name__, url_prefix="/api/websites/<website_id>")


@analytics_bp.route("/stats")
async def stats(website_id: str) -> Response:
    return jsonify(await report_body("stats", website_id, queries.stats))


@analytics_bp.route("/pageviews")
async def pageviews(website_id: str) -> Response:
    return jsonify(await report_body("pageviews", website_id, queries.pageviews))


@analytics_bp.route("/metrics")
async def metrics(website_id: str) -> Response:
    return jsonify(await report_body("metrics", website_id, queries.metrics))


@analytics_bp.route("/realtime")
async def realtime(website_id: str) -> Response:
    return jsonify(await report_body("realtime", website_id, queries.realtime))


@analytics_bp.route("/events")
async def events(website_id: str) -> Response:
    return jsonify(await report_body("events", website_id, queries.events_list))


@analytics_bp.route("/events/properties")
async def event_properties(website_id: str) -> Response:
    slots = current_app.config["SERVICES"].heavy_reports
    return jsonify(await report_body("event_properties", website_id, queries.event_properties, slots=slots))


@analytics_bp.route("/events/timeseries")
async def event_timeseries(website_id: str) -> Response:
    return jsonify(await report_body("event_timeseries", website_id, queries.event_timeseries))


@analytics_bp.route("/sessions")
async def sessions(website_id: str) -> Response:
    return jsonify(await report_body("sessions", website_id, queries.sessions_list))


@analytics_bp.route("/sessions/<session_id>")
async def session_detail(website_id: str, session_id: str) -> Response:
    await website_context(website_id)
    slots = current_app.config["SERVICES"].heavy_reports
    result = await run(lambda cur: queries.session_detail(cur, website_id, session_id), slots=slots)
    if result is None:
        raise not_found("Session not found")
    return jsonify(result.body())


@analytics_bp.route("/journey")
async def journey(website_id: str) -> Response:
    slots = current_app.config["SERVICES"].journeys
    return jsonify(await options_report_body(
        "journey", website_id, journeys.parse_journey_options, journeys.journey,
        slots=slots, timeout_ms=journeys.STATEMENT_TIMEOUT_MS,
    ))


@analytics_bp.route("/retention")
async def retention(website_id: str) -> Response:
    services = current_app.config["SERVICES"]
    return jsonify(await options_report_body(
        "retention", website_id, retention_report.parse_retention_options, retention_report.retention,
        slots=services.retention, timeout_ms=services.config.retention_statement_timeout_ms,
    ))
