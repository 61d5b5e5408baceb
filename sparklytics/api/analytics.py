"""The analytics read API (API.md §1.5–§1.7, §1.10, §1.11): stats, series, breakdowns,
realtime, custom events, sessions, journey and retention. Each handler is a few lines
of wiring: the query comes from ``sparklytics/api/reports.py``, the answer from
``services.analytics`` (the AnalyticsStore). Journey and retention take options of
their own: they are checked after the website (404 first) and before the shared
parameters, and the reports run in their own slot pools under their own time budgets.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from quart import Blueprint, Response, current_app, jsonify, request

from sparklytics.api.errors import not_found
from sparklytics.api.reports import build_query, report_query, website_context
from sparklytics.queries.journey import parse_journey_options
from sparklytics.queries.retention import parse_retention_options
from sparklytics.report_slots import ReportSlots
from sparklytics.openapi import Query, operation
from sparklytics.openapi.responses import Data, Stats
from sparklytics.queries.journey import ANCHOR_TYPES, ANCHOR_VALUE_MAX_CHARS, DIRECTIONS, MAX_DEPTH_RANGE
from sparklytics.queries.retention import DEFAULT_GRANULARITY, GRANULARITIES as COHORT_GRANULARITIES

analytics_bp = Blueprint("analytics", __name__, url_prefix="/api/websites/<website_id>")


def _services():
    return current_app.config["SERVICES"]


@analytics_bp.route("/stats")
@operation("Headline numbers", tag="Reports", report="stats", response=Data[Stats], description="`bounce_rate` is a fraction 0–1; a bounce is a session with exactly one pageview.")
async def stats(website_id: str) -> Response:
    result = await _services().analytics.stats(await report_query("stats", website_id))
    return jsonify(result.body())


@analytics_bp.route("/pageviews")
@operation("Pageviews and visitors over time", tag="Reports", report="pageviews")
async def pageviews(website_id: str) -> Response:
    result = await _services().analytics.pageviews(await report_query("pageviews", website_id))
    return jsonify(result.body())


@analytics_bp.route("/metrics")
@operation("Breakdown by a dimension", tag="Reports", report="metrics", description="Rows' `bounce_rate` is a percentage 0–100.")
async def metrics(website_id: str) -> Response:
    result = await _services().analytics.metrics(await report_query("metrics", website_id))
    return jsonify(result.body())


@analytics_bp.route("/realtime")
@operation("The last 30 minutes", tag="Reports", report="realtime")
async def realtime(website_id: str) -> Response:
    result = await _services().analytics.realtime(await report_query("realtime", website_id))
    return jsonify(result.body())


@analytics_bp.route("/events")
@operation("Custom events", tag="Reports", report="events")
async def events(website_id: str) -> Response:
    result = await _services().analytics.events(await report_query("events", website_id))
    return jsonify(result.body())


@analytics_bp.route("/events/properties")
@operation("Properties of a custom event", tag="Reports", report="event_properties", errors=[(429, "rate_limited")])
async def event_properties(website_id: str) -> Response:
    services = _services()
    query = await report_query("event_properties", website_id)
    async with services.heavy_reports.hold():
        result = await services.analytics.event_properties(query)
    return jsonify(result.body())


@analytics_bp.route("/events/timeseries")
@operation("A custom event over time", tag="Reports", report="event_timeseries")
async def event_timeseries(website_id: str) -> Response:
    result = await _services().analytics.event_timeseries(await report_query("event_timeseries", website_id))
    return jsonify(result.body())


@analytics_bp.route("/sessions")
@operation("Sessions, newest first", tag="Reports", report="sessions")
async def sessions(website_id: str) -> Response:
    result = await _services().analytics.sessions(await report_query("sessions", website_id))
    return jsonify(result.body())


@analytics_bp.route("/sessions/<session_id>")
@operation("One session's events", tag="Reports", errors=[(429, "rate_limited"), (503, "query_timeout")])
async def session_detail(website_id: str, session_id: str) -> Response:
    services = _services()
    await website_context(website_id)
    async with services.heavy_reports.hold():
        result = await services.analytics.session(website_id, session_id)
    if result is None:
        raise not_found("Session not found")
    return jsonify(result.body())


@analytics_bp.route("/journey")
@operation("Journeys from or to a page or event", tag="Reports", report="journey", errors=[(429, "rate_limited")], query=(Query("anchor_type", "what the journey starts or ends at", {"type": "string", "enum": list(ANCHOR_TYPES)}, required=True), Query("anchor_value", "the page path or event name", {"type": "string", "minLength": 1, "maxLength": ANCHOR_VALUE_MAX_CHARS}, required=True), Query("direction", "follow the steps after or before the anchor", {"type": "string", "enum": list(DIRECTIONS)}, required=True), Query("max_depth", "steps to follow", {"type": "integer", "minimum": MAX_DEPTH_RANGE[0], "maximum": MAX_DEPTH_RANGE[1]})))
async def journey(website_id: str) -> Response:
    services = _services()
    return jsonify(await _options_report("journey", website_id, parse_journey_options, services.journeys))


@analytics_bp.route("/retention")
@operation("Cohort retention", tag="Reports", report="retention", errors=[(429, "rate_limited")], query=(Query("cohort_granularity", "cohort size", {"type": "string", "enum": list(COHORT_GRANULARITIES), "default": DEFAULT_GRANULARITY}), Query("max_periods", "periods to follow (day ≤ 30, week ≤ 12, month ≤ 12)", {"type": "integer", "minimum": 1, "maximum": 30})))
async def retention(website_id: str) -> Response:
    services = _services()
    return jsonify(await _options_report("retention", website_id, parse_retention_options, services.retention))


async def _options_report(
    route: str, website_id: str, parse_options: Callable[[dict[str, str]], Any], slots: ReportSlots
) -> dict:
    """A report with options of its own: the website (404), its options, then the shared
    parameters (400), then the store's answer inside its slot pool (429)."""
    context = await website_context(website_id)
    options = parse_options(request.args.to_dict())
    query = await build_query(route, context)
    async with slots.hold():
        result = await getattr(_services().analytics, route)(query, options)
    return result.body()
