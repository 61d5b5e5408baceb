"""The four fetches of :class:`~sparklytics.queries.rows.ReportRows` in ClickHouse SQL.

The compositions over them (stats, series, breakdowns, share) are the query side's,
shared with DuckDB. Each fetch is one statement over :func:`.scope.report_scope`.

Distinct counts: visitors are ``uniqExact`` everywhere here — these reports promise
exact visitor numbers (the contract tests compare them with DuckDB's
``count(DISTINCT …)``). At 10M events per range ``uniqExact`` dominates (STACK-NOTES):
the daily rollups (``docs/clickhouse-sessions.md``) are the answer for long ranges, not
``uniq``'s ≈ 1 % error.

Series (pageviews, custom events) read the hourly rollup when the query allows it
exactly (:mod:`.rollup_series`); stats, filtered series and the session-level
and page breakdowns read one summary row per session, unfiltered or under the filters
a summary can answer (:mod:`.session_reports`: the closed days' table, and the rest
derived at read time); everything else derives the sessions of the range's events
(:func:`.scope.report_scope`). ``rollups=False`` takes
the read-time path everywhere (the tests and the benchmark compare the two).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from datetime import date, datetime
from typing import Any

from sparklytics.queries.report_query import ReportQuery
from sparklytics.queries.rows import BreakdownRow, PeriodTotals, SeriesCounts
from sparklytics.stores.clickhouse import rollup_series, session_reports
from sparklytics.stores.clickhouse.event_sessions import scope_of
from sparklytics.stores.clickhouse.scope import bucket_sql, local_offset, session_filter

Fetch = Callable[[str, dict], list[list[Any]]]

# A session's facts as ``m`` carries them on each of its rows (``s_`` columns).
_FACTS = ("visitor_id", "pageview_count", "is_bot", "first_seen", "last_seen")
_SESSION_FACTS = (
    "any(s_visitor_id) AS visitor, any(s_pageview_count) AS pageview_count, any(s_is_bot) AS is_bot,"
    " any(dateDiff('microsecond', s_first_seen, s_last_seen)) / 1e6 AS duration"
)

# One pass over ``m`` (each reference to it derives the sessions again): per session
# first, then the totals. The sessions counted are those with a matching event.
_TOTALS = f"""
SELECT sum(pageviews), uniqExact(visitor), countIf({{sessions}}), countIf({{sessions}} AND pageview_count = 1),
       avgOrNullIf(duration, {{sessions}})
FROM (
    SELECT session_id, countIf(event_type = 'pageview') AS pageviews, {_SESSION_FACTS}
    FROM m
    GROUP BY session_id
)
"""

BUCKETS = {granularity: bucket_sql(granularity, "created_at") for granularity in ("hour", "day", "month")}

_SERIES = """
SELECT {bucket} AS bucket, {count} AS n, uniqExact(session_visitor) AS visitors
FROM (SELECT *, {offset} AS tz_off FROM m WHERE {rows})
GROUP BY bucket
"""

# Session-level type → the session fact it reads; its value is ``s_<fact>`` (the referrer
# names a visit without one "(direct)").
_SESSION_DIMENSIONS = {
    "referrer": "referrer_domain", "channel": "channel", "utm_source": "utm_source",
    "utm_medium": "utm_medium", "utm_campaign": "utm_campaign", "country": "country", "region": "region",
    "city": "city", "browser": "browser", "os": "os", "device": "device_type", "screen": "screen",
    "language": "language", "entry_page": "entry_path", "exit_page": "exit_path",
}
_SESSION_VALUE = {"referrer": "ifNull(s_referrer_domain, '(direct)')"}
_EVENT_DIMENSIONS = {"page": "path", "event_name": "event_name"}
_ROWS = {"page": "event_type = 'pageview'"}
_ORDER = {
    "page": "pageviews DESC, visitors DESC, value ASC",
    "event_name": "events DESC, visitors DESC, value ASC",
}
_DEFAULT_ORDER = "visitors DESC, pageviews DESC, value ASC"

# Per (value, session): the matching events and pageviews of the range, and the
# session's facts. A session-level value is the session's own, so each session is one
# row; an event-level value may occur in several sessions and a session under several
# values.
_PER_SESSION = f"""
per AS (
    SELECT {{dim}} AS value, session_id, count() AS n_events, countIf(event_type = 'pageview') AS n_pageviews,
           {_SESSION_FACTS}
    FROM m
    WHERE {{dim}} IS NOT NULL AND {{rows}}
    GROUP BY value, session_id
)
"""

_SESSION_TOP = """
SELECT value, uniqExact(visitor) AS visitors, sum(n_pageviews) AS pageviews,
       {events} AS events, count() OVER () AS total, count() AS sessions,
       countIf(pageview_count = 1) AS bounces, avg(duration) AS avg_duration
FROM per
WHERE {sessions}
GROUP BY value
ORDER BY {order}
LIMIT {{limit:UInt64}} OFFSET {{offset:UInt64}}
"""

_TOTAL = "SELECT uniqExact(value) FROM per WHERE {sessions}"

_PREVIOUS = """
SELECT value, uniqExact(visitor), sum(n_pageviews)
FROM per
WHERE {sessions} AND has({{values:Array(String)}}, value)
GROUP BY value
"""


class ClickHouseRows:
    """:class:`~sparklytics.queries.rows.ReportRows` over a blocking ``fetch``; series
    come from the hourly rollup where it answers exactly, unless ``rollups`` is off
    (the benchmark and the tests compare both paths)."""

    def __init__(self, fetch: Fetch, *, rollups: bool = True) -> None:
        self._fetch = fetch
        self._rollups = rollups
        # per (query, keyed counts): a session of the range mixed in what the report reads?
        self._mixed: dict[tuple[ReportQuery, bool], bool] = {}

    def period_totals(self, q: ReportQuery) -> PeriodTotals:
        if self._summaries_answer(q):
            parts, params = session_reports.parts(self._fetch, q)
            sql = session_reports.totals_sql(q, parts, session_filter(q, ''))
        else:
            scope, params = self._scope(q, _FACTS)
            sql = scope + _TOTALS.format(sessions=session_filter(q, ''))
        [(pageviews, visitors, sessions, bounces, avg)] = self._fetch(sql, params)
        return int(pageviews), int(visitors), int(sessions), int(bounces), _number(avg)

    def series_counts(self, q: ReportQuery, granularity: str, *, custom_event: str | None = None) -> SeriesCounts:
        if self._rollups and rollup_series.covers(q):
            return self._rollup_series(q, granularity, custom_event)
        if (self._summaries_answer(q) if custom_event is None
                else self._summaries_answer(q, session_reports.EVENT_NAME, keyed_counts=True)):
            parts, params = session_reports.parts(self._fetch, q)
            sql, offset_params = session_reports.series_sql(q, parts, granularity, custom_event=custom_event)
            return {
                bucket_key(value, granularity): (int(n), int(visitors))
                for value, n, visitors in self._fetch(sql, {**params, **offset_params})
            }
        scope, params = self._scope(q)
        offset, offset_params = local_offset(q, "created_at")
        if custom_event is None:
            count, rows = "countIf(event_type = 'pageview')", "1"
        else:
            count, rows = "count()", "event_type = 'event' AND event_name = {event_name:String}"
            params["event_name"] = custom_event
        sql = scope + _SERIES.format(bucket=BUCKETS[granularity], count=count, offset=offset, rows=rows)
        return {
            bucket_key(value, granularity): (int(n), int(visitors))
            for value, n, visitors in self._fetch(sql, {**params, **offset_params})
        }

    def _rollup_series(self, q: ReportQuery, granularity: str, custom_event: str | None) -> SeriesCounts:
        rollup, correction, params = rollup_series.series_sql(q, granularity, custom_event)
        counts = {
            bucket_key(value, granularity): (int(n), int(visitors))
            for value, n, visitors in self._fetch(rollup, params)
        }
        for value, delta in self._fetch(correction, params):
            n, visitors = counts[bucket_key(value, granularity)]
            counts[bucket_key(value, granularity)] = (n, visitors + int(delta))
        return counts

    def top_rows(self, q: ReportQuery, metric: str, limit: int, offset: int) -> tuple[list[BreakdownRow], int]:
        order = _ORDER.get(metric, _DEFAULT_ORDER)
        if self._summaries_answer(q, metric):
            scope, params = self._summary_per(q, metric)
            sql, total_sql = scope + session_reports.TOP.format(order=order), scope + session_reports.TOTAL
        else:
            scope, params = self._per_value(q, metric)
            events = "count()" if metric in _SESSION_DIMENSIONS else "sum(n_events)"
            sql = scope + _SESSION_TOP.format(events=events, sessions=session_filter(q, ''), order=order)
            total_sql = scope + _TOTAL.format(sessions=session_filter(q, ''))
        params = {**params, "limit": limit, "offset": offset}
        rows = [
            (value, int(visitors), int(pageviews), int(events), int(total), int(sessions), int(bounces), _number(avg))
            for value, visitors, pageviews, events, total, sessions, bounces, avg in self._fetch(sql, params)
        ]
        if rows:
            return rows, rows[0][4]
        if offset == 0:
            return [], 0
        [[total]] = self._fetch(total_sql, params)
        return [], int(total)

    def previous_values(self, q: ReportQuery, metric: str, values: list[str]) -> dict[str, tuple[int, int]]:
        if not values:
            return {}
        if self._summaries_answer(q, metric):
            scope, params = self._summary_per(q, metric)
            sql = scope + session_reports.PREVIOUS
        else:
            scope, params = self._per_value(q, metric)
            sql = scope + _PREVIOUS.format(sessions=session_filter(q, ''))
        rows = self._fetch(sql, {**params, "values": values})
        return {value: (int(visitors), int(pageviews)) for value, visitors, pageviews in rows}

    def _summaries_answer(self, q: ReportQuery, metric: str | None = None, *, keyed_counts: bool = False) -> bool:
        if not (self._rollups and session_reports.applies(q, metric)):
            return False
        key = (q, keyed_counts)
        if key not in self._mixed:
            self._mixed[key] = session_reports.mixed_in_range(self._fetch, q, keyed_counts=keyed_counts)
        return not self._mixed[key]

    def _scope(self, q: ReportQuery, facts: tuple[str, ...] = ()) -> tuple[str, dict]:
        return scope_of(self._fetch, q, facts, stored=self._rollups)

    def _summary_per(self, q: ReportQuery, metric: str) -> tuple[str, dict]:
        parts, params = session_reports.parts(self._fetch, q)
        return session_reports.per_value_sql(q, parts, metric, session_filter(q, '')), params

    def _per_value(self, q: ReportQuery, metric: str) -> tuple[str, dict]:
        if metric in _SESSION_DIMENSIONS:
            fact = _SESSION_DIMENSIONS[metric]
            dim = _SESSION_VALUE.get(metric, f"s_{fact}")
            scope, params = self._scope(q, (*_FACTS, fact))
        else:
            dim = _EVENT_DIMENSIONS[metric]
            scope, params = self._scope(q, _FACTS)
        per = _PER_SESSION.format(dim=dim, rows=_ROWS.get(metric, "1"))
        return f"{scope.rstrip()},\n{per}", params


def _number(value: Any) -> float | None:
    """An average as JSON gives it: a number, or null/nan/inf for no rows."""
    if value is None:
        return None
    number = float(value)
    return None if math.isnan(number) or math.isinf(number) else number


def bucket_key(value: str, granularity: str) -> date | datetime:
    if granularity == "hour":
        return datetime.fromisoformat(value).replace(tzinfo=None)
    return date.fromisoformat(value[:10])
