"""The analytics read API (API.md §1.5–§1.7): stats, series, breakdowns, realtime,
custom events and sessions. Each handler is one line of wiring; the SQL lives in
``sparklytics/queries`` and the shared steps in ``sparklytics/api/reports.py``.
"""

from __future__ import annotations

from quart import Blueprint, Response, current_app, jsonify

from sparklytics import queries
from sparklytics.api.errors import not_found
from sparklytics.api.reports import report_body, run, website_context

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
