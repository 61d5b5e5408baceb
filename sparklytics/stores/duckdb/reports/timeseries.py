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
from sparklytics.stores.duckdb.where import compile_where, local_offset_sql

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


def series_counts(cur: Cursor, q: ReportQuery, granularity: str, *, custom_event: str | None = None
) -> dict[object, tuple[int, int]]:
    """``{bucket_key: (count, visitors)}`` for the buckets that have rows.

    ``count`` is pageview rows, or the rows of custom event ``custom_event`` when given.
    """
    where, params = compile_where(q, "e")
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
