"""Run a saved report's config: the one path for preview, run, and every delivery.

The config becomes the query string of its analytics route (``saved_reports.query_params``,
a relative range ending "today" in the report's time zone), the same parser builds the
:class:`~sparklytics.queries.ReportQuery`, and the same AnalyticsStore method answers it.
So a saved "stats, last 30 days, Germany" report shows exactly what the dashboard shows
for that view, by construction. Bots follow the website's policy default (§1.13).

The result ``data`` by type (§1.13): stats → the Stats object (with a ``compare`` key when
compare is active); pageviews → ``{series, granularity, compare_series}``, or with compare
the nested ``{"data": {…}, "compare": {…}}``; metrics → ``{type, rows, total, compare}``
(the first 25 rows); events → ``{rows, total}``.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sparklytics.queries.report_query import parse_report_query
from sparklytics.queries.result import ReportResult
from sparklytics.saved_reports import local_today, query_params
from sparklytics.stores.analytics import AnalyticsStore
from sparklytics.stores.metadata import ReportContext


async def run_report(
    analytics: AnalyticsStore, context: ReportContext, config: Mapping[str, Any], *, now: datetime
) -> Any:
    """The result ``data`` of ``config`` for the website of ``context`` at ``now`` (naive UTC).

    Raises whatever the store raises (``QueryTimeout``), and ``QueryError`` if a stored
    config no longer parses (it cannot: configs are checked on save).
    """
    website_id, website_timezone, bot_mode = context
    report_type = config["report_type"]
    query = parse_report_query(
        query_params(config, today=local_today(config, website_timezone, now)),
        route=report_type,
        website_id=website_id,
        website_timezone=website_timezone,
        include_bots_default=bot_mode == "off",
        now=now,
    )
    result: ReportResult = await getattr(analytics, report_type)(query)
    return shape_result(report_type, result)


def shape_result(report_type: str, result: ReportResult) -> Any:
    """A route's :class:`ReportResult` as the ``data`` of a saved report (pure)."""
    match report_type:
        case "stats":
            return {**result.data, **({"compare": result.extras["compare"]} if "compare" in result.extras else {})}
        case "pageviews":
            return result.body() if "compare" in result.extras else result.data
        case "metrics":
            return {
                "type": result.data["type"],
                "rows": result.data["rows"],
                "total": result.extras["pagination"]["total"],
                "compare": result.extras.get("compare"),
            }
        case "events":
            return {"rows": result.data["rows"], "total": result.data["total"]}
        case _:
            raise ValueError(f"not a saved report type: {report_type!r}")
