"""What every analytics route does first: find the website and parse the query.

A handler names its route policy (``sparklytics.queries.report_query.ROUTES``) and asks
``services.analytics`` for its report; this module checks that the website exists (404
``Website not found``), builds the :class:`ReportQuery` (400 with the contract's
message on a bad parameter), and the route awaits the store (which keeps the time budget: 503
``query_timeout``), inside a bounded slot pool where it has one (429 when none is free).
"""

from __future__ import annotations

from quart import current_app, request

from sparklytics.api.errors import not_found
from sparklytics.goals import Goal
from sparklytics.queries import ReportQuery, parse_report_query
from sparklytics.queries.report_query import GOAL_FILTER, ROUTES

async def website_context(website_id: str) -> tuple[str, str, str]:
    """(id, timezone, bot policy mode) of the website, or 404."""
    services = current_app.config["SERVICES"]
    context = await services.metadata.report_context(website_id)
    if context is None:
        raise not_found("Website not found")
    return context


async def build_query(route: str, context: tuple[str, str, str]) -> ReportQuery:
    website_id, timezone, bot_mode = context
    params = request.args.to_dict()
    return parse_report_query(
        params,
        route=route,
        website_id=website_id,
        website_timezone=timezone,
        include_bots_default=bot_mode == "off",
        goal=await _filter_goal(route, website_id, params),
    )


async def _filter_goal(route: str, website_id: str, params: dict[str, str]) -> Goal | None:
    """The goal ``filter_goal`` names, on routes that take filters (None if unknown:
    the parser answers 400)."""
    goal_id = (params.get(GOAL_FILTER) or "").strip()
    if not goal_id or not ROUTES[route].filters:
        return None
    return await current_app.config["SERVICES"].metadata.get_goal(website_id, goal_id)


async def report_query(route: str, website_id: str) -> ReportQuery:
    """The website's query of ``route`` (404 for an unknown website, then 400s)."""
    return await build_query(route, await website_context(website_id))
