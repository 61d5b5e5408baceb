"""Time series (``/pageviews``, ``/events/timeseries``): the DuckDB SQL.

What the report counts and how it is shaped: :mod:`sparklytics.queries.timeseries`.

Speed: one GROUP BY over the matching rows; local time is ``created_at +
to_seconds(offset)`` where the offset is a constant or a CASE over the range's DST
transitions (no ICU conversion per row; see ``filters.py``). Zero-fill is done in
Python over at most a few thousand buckets.
"""

from __future__ import annotations

from datetime import datetime

from sparklytics.queries.report_query import ReportQuery
from sparklytics.stores.duckdb.sql import Cursor, fetch_all
from sparklytics.stores.duckdb.where import compile_where, local_offset_sql, session_where

from .stats import BOT_SESSION_KEYS
from .visitor_counts import BOT_SESSIONS, event_coverage, visitor_counting

BUCKET_SQL = {
    "hour": "date_trunc('hour', created_at + to_seconds(tz_off)) - to_seconds(tz_off)",
    "day": "CAST(created_at + to_seconds(tz_off) AS DATE)",
    "month": "CAST(date_trunc('month', created_at + to_seconds(tz_off)) AS DATE)",
}

_SERIES_SQL = """
SELECT {bucket} AS bucket,
       {count_expr} AS n,
       count(DISTINCT visitor_id) AS visitors
FROM (
    SELECT e.created_at, e.visitor_id, e.event_type, {offset} AS tz_off
    FROM events e
    WHERE {where}
) t
GROUP BY bucket
"""


# Daily pageviews without filters and bots: visitors per local day from the sessions'
# previous visits (``visitor_counts``; ``stats._SETTLED_STATS_SQL`` for the bot sessions'
# human events). A session counts in every local day of the range it overlaps (it has an
# event in each: it never pauses 30 minutes), as that day's first visit of its visitor
# when its previous visit ended before the day began.
_SETTLED_DAYS_SQL = """
WITH bot_session_visitors AS (
    SELECT DISTINCT e.visitor_id, {event_day} AS day
    FROM events e
    WHERE {where} AND e.session_id IN ({bot_sessions})
),
pairs AS ({settled_pairs}),
settled AS (
    SELECT day, {settled} AS visitors
    FROM pairs
    GROUP BY day
),
unsettled AS ({unsettled}),
counts AS (
    SELECT {event_day} AS day, count(*) FILTER (WHERE e.event_type = 'pageview') AS n
    FROM events e
    WHERE {where}
    GROUP BY day
)
SELECT c.day, c.n, coalesce(s.visitors, 0) + coalesce(u.visitors, 0)
FROM counts c LEFT JOIN settled s USING (day) LEFT JOIN unsettled u USING (day)
"""

# (session, local day) for every local day of the range a session overlaps, with the
# columns ``{columns}`` of the session, for the sessions matching ``{sessions}``.
_PAIRS = """
    WITH visits AS NOT MATERIALIZED (
        SELECT greatest(s.first_seen, $utc_start) AS from_at,
               least(s.last_seen, $utc_end - INTERVAL 1 MICROSECOND) AS to_at{columns}
        FROM sessions s
        WHERE {session_where} AND s.last_seen >= $utc_start AND s.first_seen < $utc_end AND {sessions}
    ),
    visit_days AS NOT MATERIALIZED (SELECT *, {from_day} AS day, {to_day} AS last_day FROM visits)
    SELECT * EXCLUDE (from_at, to_at, last_day) FROM visit_days
    UNION ALL
    SELECT * EXCLUDE (from_at, to_at, last_day, day), CAST(unnest(generate_series(
               CAST(day AS TIMESTAMP) + INTERVAL 1 DAY, CAST(last_day AS TIMESTAMP), INTERVAL 1 DAY)) AS DATE) AS day
    FROM visit_days
    WHERE last_day > day"""

# The visitors per day of the unsettled visitors' rows and the bot sessions' human events.
_UNSETTLED_DAYS = """
    SELECT day, count(DISTINCT visitor_id) AS visitors
    FROM ({unsettled_pairs} {bot_session_pairs})
    GROUP BY day"""
_NO_DAYS = "SELECT NULL::DATE AS day, 0 AS visitors WHERE FALSE"


def series_counts(cur: Cursor, q: ReportQuery, granularity: str, *, custom_event: str | None = None
) -> dict[object, tuple[int, int]]:
    """``{bucket_key: (count, visitors)}`` for the buckets that have rows.

    ``count`` is pageview rows, or the rows of custom event ``custom_event`` when given.
    """
    where, params = compile_where(q, "e")
    if granularity == "day" and custom_event is None:
        settled = _settled_days(cur, q, where, params)
        if settled is not None:
            return settled
    offset_sql, offset_params = local_offset_sql(q, "e.created_at")
    if custom_event is None:
        count_expr = "count(*) FILTER (WHERE event_type = 'pageview')"
    else:
        where += " AND e.event_type = 'event' AND e.event_name = $event_name"
        params["event_name"] = custom_event
        count_expr = "count(*)"
    sql = _SERIES_SQL.format(
        bucket=BUCKET_SQL[granularity], count_expr=count_expr, offset=offset_sql, where=where
    )
    rows = fetch_all(cur, sql, {**params, **offset_params})
    return {normalize_bucket(r[0], granularity): (int(r[1]), int(r[2])) for r in rows}


def normalize_bucket(value, granularity: str):
    """A bucket as DuckDB returns it → the key ``queries.timeseries.bucket_keys`` makes."""
    if granularity == "hour":
        return value  # naive UTC datetime
    if isinstance(value, datetime):
        return value.date()
    return value


def _settled_days(cur: Cursor, q: ReportQuery, where: str, params: dict) -> dict[object, tuple[int, int]] | None:
    """The daily counts from the sessions' previous visits, or None when they cannot
    answer ``q`` (see ``visitor_counts``)."""
    s_where, s_params = session_where(q, "s")
    params = {**params, **s_params}
    counting = visitor_counting(cur, q, None, params)
    coverage = event_coverage(cur, where, s_where, params) if counting is not None else None
    if coverage is None or not coverage.covered:
        return None
    days = {}
    for name, column in (("event_day", "e.created_at"), ("from_day", "from_at"), ("to_day", "to_at"), ("prev_day", "prev")):
        offset, offset_params = local_offset_sql(q, column)
        days[name] = f"CAST({column} + to_seconds({offset}) AS DATE)"
        params.update(offset_params)
    also_keys = BOT_SESSION_KEYS if coverage.in_bot_sessions else ""
    unsettled = counting.unsettled_sessions(also_keys)
    pairs = {"session_where": s_where, "from_day": days["from_day"], "to_day": days["to_day"]}
    sql = _SETTLED_DAYS_SQL.format(
        where=where, bot_sessions=BOT_SESSIONS, event_day=days["event_day"],
        settled_pairs=_PAIRS.format(**pairs, columns=counting.columns(also_keys), sessions="TRUE"),
        settled=counting.settled(f"$utc_start OR {days['prev_day']} < day"),
        unsettled=_NO_DAYS if unsettled == "FALSE" else _UNSETTLED_DAYS.format(
            unsettled_pairs=_PAIRS.format(**pairs, columns=", s.visitor_id", sessions=unsettled),
            bot_session_pairs="UNION SELECT visitor_id, day FROM bot_session_visitors" if coverage.in_bot_sessions else "",
        ),
    )
    return {r[0]: (int(r[1]), int(r[2])) for r in fetch_all(cur, sql, params)}
