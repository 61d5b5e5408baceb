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

analytics_bp = Blueprint("analytics", __name__, url_prefix="/api/websites/<website_id>")


def _services():
    return current_app.config["SERVICES"]


@analytics_bp.route("/stats")
async def stats(website_id: str) -> Response:
    result = await _services().analytics.stats(await report_query("stats", website_id))
    return jsonify(result.body())


@analytics_bp.route("/pageviews")
async def pageviews(website_id: str) -> Response:
    result = await _services().analytics.pageviews(await report_query("pageviews", website_id))
    return jsonify(result.body())


@analytics_bp.route("/metrics")
async def metrics(website_id: str) -> Response:
    result = await _services().analytics.metrics(await report_query("metrics", website_id))
    return jsonify(result.body())


@analytics_bp.route("/realtime")
async def realtime(website_id: str) -> Response:
    result = await _services().analytics.realtime(await report_query("realtime", website_id))
    return jsonify(result.body())


@analytics_bp.route("/events")
async def events(website_id: str) -> Response:
    result = await _services().analytics.events(await report_query("events", website_id))
    return jsonify(result.body())


@analytics_bp.route("/events/properties")
async def event_properties(website_id: str) -> Response:
    services = _services()
    query = await report_query("event_properties", website_id)
    async with services.heavy_reports.hold():
        result = await services.analytics.event_properties(query)
    return jsonify(result.body())


@analytics_bp.route("/events/timeseries")
async def event_timeseries(website_id: str) -> Response:
    result = await _services().analytics.event_timeseries(await report_query("event_timeseries", website_id))
    return jsonify(result.body())


@analytics_bp.route("/sessions")
async def sessions(website_id: str) -> Response:
    result = await _services().analytics.sessions(await report_query("sessions", website_id))
    return jsonify(result.body())


@analytics_bp.route("/sessions/<session_id>")
async def session_detail(website_id: str, session_id: str) -> Response:
    services = _services()
    await website_context(website_id)
    async with services.heavy_reports.hold():
        result = await services.analytics.session(website_id, session_id)
    if result is None:
        raise not_found("Session not found")
    return jsonify(result.body())


@analytics_bp.route("/journey")
async def journey(website_id: str) -> Response:
    services = _services()
    return jsonify(await _options_report("journey", website_id, parse_journey_options, services.journeys))


@analytics_bp.route("/retention")
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
