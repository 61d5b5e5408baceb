"""Retention cohorts (``/retention``) in ClickHouse SQL.

What the report counts and how it is shaped: :mod:`sparklytics.queries.retention`. A
visitor (the id its read-time sessions are kept under) joins the cohort of the local
period of its first event when that falls in the range, it has a matching event in the
range, and it has no event before the range (looked up in the raw events, all of the
website's history); it is retained in period k when it has a matching event in the k-th
period after its cohort's. One statement over the scope of the whole activity range
(the range plus ``max_periods`` periods), as DuckDB's filtered form.
"""

from __future__ import annotations

from datetime import date, timedelta

from sparklytics.queries.report_query import ReportQuery, time_bounds
from sparklytics.queries.result import ReportResult
from sparklytics.queries.retention import RetentionOptions, add_periods, period_start, shape_retention
from sparklytics.stores.clickhouse.scope import local_offset

from . import Fetch, Scope

_PERIOD = {
    "day": "toDate({local})",
    "week": "toMonday({local})",
    "month": "toStartOfMonth({local})",
}
_DISTANCE = {
    "day": "dateDiff('day', {a}, {b})",
    "week": "intDiv(dateDiff('day', {a}, {b}), 7)",
    "month": "dateDiff('month', {a}, {b})",
}

# A visitor's first event is its first session's start (``sess``: on the store that keeps
# sessions, their summaries, no event read); ``m`` is read once, for the periods it was
# active in (a CTE named twice would be computed twice); one row per cohort member, its
# return periods unrolled.
_COHORTS = """
, firsts AS (
    SELECT visitor_id AS visitor, min(first_seen) AS first_at
    FROM sess
    WHERE first_seen < {{range_end:DateTime64(6)}}
    GROUP BY visitor
    HAVING first_at >= {{range_start:DateTime64(6)}}
),
active AS (
    SELECT session_visitor AS visitor, min(created_at) AS first_match, groupUniqArray({event_period}) AS periods
    FROM m
    GROUP BY visitor
)
SELECT cohort_start, period, count()
FROM (
    SELECT {cohort_period} AS cohort_start,
           arrayJoin(arrayConcat([0], arrayFilter(k -> k BETWEEN 1 AND {{max_periods:UInt32}} - 1,
                                                  arrayMap(p -> {distance}, a.periods)))) AS period
    FROM firsts AS f INNER JOIN active AS a ON a.visitor = f.visitor
    WHERE a.first_match < {{range_end:DateTime64(6)}}
      AND f.visitor NOT IN (SELECT visitor_id FROM events
                            WHERE website_id = {{website_id:String}} AND created_at < {{range_start:DateTime64(6)}})
)
GROUP BY cohort_start, period
"""


def _local_period(q: ReportQuery, column: str, unit: str) -> tuple[str, dict]:
    offset, params = local_offset(q, column)
    return _PERIOD[unit].format(local=f"({column} + toIntervalSecond({offset}))"), params


async def retention(fetch: Fetch, scoped: Scope, q: ReportQuery, options: RetentionOptions) -> ReportResult:
    unit, periods = options.granularity, options.max_periods
    last_period_end = add_periods(period_start(q.end, unit), periods, unit)
    activity = q.with_range(q.start, last_period_end - timedelta(days=1))
    scope, params = await scoped(activity)
    range_start, range_end = time_bounds(q)
    params.update({"range_start": range_start, "range_end": range_end, "max_periods": periods})
    # Offsets over the activity range: it holds every instant used here.
    cohort_period, p = _local_period(activity, "f.first_at", unit)
    params.update(p)
    event_period, p = _local_period(activity, "created_at", unit)
    params.update(p)
    sql = scope.rstrip() + _COHORTS.format(
        cohort_period=cohort_period, event_period=event_period,
        distance=_DISTANCE[unit].format(a=cohort_period, b="p"),
    )
    rows = await fetch(sql, params)
    counts = [(date.fromisoformat(cohort_start), int(period), int(visitors)) for cohort_start, period, visitors in rows]
    return ReportResult(shape_retention(counts, options, q.end))
