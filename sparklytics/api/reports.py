"""What every analytics route does: find the website, parse the query, run the report.

A handler names its route policy (``sparklytics.queries.filters.ROUTES``) and its report
function; this module checks that the website exists (404 ``Website not found``),
builds the :class:`ReportQuery` (400 with the contract's message on a bad parameter)
and runs the report in a worker thread under the query time budget (503
``query_timeout``), optionally inside a bounded slot pool (429 when none is free).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from quart import current_app, request

from sparklytics.api.errors import not_found
from sparklytics.queries import ReportQuery, ReportResult, parse_report_query
from sparklytics.stores.duckdb import websites as store
from sparklytics.report_slots import ReportSlots

Report = Callable[[Any, ReportQuery], ReportResult]


async def website_context(website_id: str) -> tuple[str, str, str]:
    """(id, timezone, bot policy mode) of the website, or 404."""
    services = current_app.config["SERVICES"]
    context = await services.db.read(lambda cur: store.report_context(cur, website_id))
    if context is None:
        raise not_found("Website not found")
    return context


def build_query(route: str, context: tuple[str, str, str]) -> ReportQuery:
    website_id, timezone, bot_mode = context
    return parse_report_query(
        request.args.to_dict(),
        route=route,
        website_id=website_id,
        website_timezone=timezone,
        include_bots_default=bot_mode == "off",
    )


async def run(fn: Callable[[Any], Any], *, slots: ReportSlots | None = None, timeout_ms: int | None = None) -> Any:
    """Run ``fn(cursor)`` under the query time budget, in ``slots`` if given.

    The budget is ``SPARKLYTICS_QUERY_TIMEOUT_MS`` unless the route has its own
    (``timeout_ms``: funnel results 5 s, retention its setting).
    """
    services = current_app.config["SERVICES"]
    timeout = (timeout_ms or services.config.query_timeout_ms) / 1000
    if slots is None:
        return await services.db.read(fn, timeout=timeout)
    async with slots.hold():
        return await services.db.read(fn, timeout=timeout)


async def report_body(
    route: str, website_id: str, report: Report, *, slots: ReportSlots | None = None, timeout_ms: int | None = None
) -> dict[str, Any]:
    """The JSON body of ``report`` for the website's query of ``route``."""
    query = build_query(route, await website_context(website_id))
    result = await run(lambda cur: report(cur, query), slots=slots, timeout_ms=timeout_ms)
    return result.body()


async def options_report_body(
    route: str,
    website_id: str,
    parse_options: Callable[[dict[str, str]], Any],
    report: Callable[[Any, ReportQuery, Any], ReportResult],
    *,
    slots: ReportSlots,
    timeout_ms: int,
) -> dict[str, Any]:
    """:func:`report_body` for a report with options of its own (journey, retention).

    The options are checked after the website (404 first) and before the shared
    parameters, and passed to ``report`` as its third argument.
    """
    context = await website_context(website_id)
    options = parse_options(request.args.to_dict())
    query = build_query(route, context)
    result = await run(lambda cur: report(cur, query, options), slots=slots, timeout_ms=timeout_ms)
    return result.body()
