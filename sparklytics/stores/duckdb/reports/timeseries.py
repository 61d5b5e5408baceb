"""Time series (``/pageviews``, ``/events/timeseries``): the DuckDB SQL.

What the report counts and how it is shaped: :mod:`sparklytics.queries.timeseries`.

Speed: one GROUP BY over the matching rows; local time is ``created_at +
to_seconds(offset)`` where the offset is a constant or a CASE over the range's DST
transitions (no ICU conversion per row; see ``filters.py``). Zero-fill is done in
Python over at most a few thousand buckets.
"""

from __future__ import annotations

from datetime import datetime

from sparklytics.queries.report_query import ReportQuery, compare_meta, comparison_query
from sparklytics.queries.result import ReportResult
from sparklytics.queries.timeseries import align_compare, bucket_keys, bucket_label, fill_series
from sparklytics.stores.duckdb.sql import Cursor, fetch_all
from sparklytics.stores.duckdb.where import compile_where, local_offset_sql

_BUCKET_SQL = {
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
        bucket=_BUCKET_SQL[granularity], count_expr=count_expr, offset=offset_sql, where=where
    )
    rows = fetch_all(cur, sql, {**params, **offset_params})
    return {_normalize_key(r[0], granularity): (int(r[1]), int(r[2])) for r in rows}


def _normalize_key(value, granularity: str):
    if granularity == "hour":
        return value  # naive UTC datetime
    if isinstance(value, datetime):
        return value.date()
    return value


def pageviews_data(cur: Cursor, q: ReportQuery) -> dict:
    """``{"series", "granularity", "compare_series"}`` (used by share and saved reports)."""
    granularity = q.granularity or "day"
    keys = bucket_keys(q, granularity)
    labels = [bucket_label(k, granularity, q) for k in keys]
    series = fill_series(labels, keys, series_counts(cur, q, granularity))
    compare_series = None
    comparison = comparison_query(q)
    if comparison is not None:
        comp_keys = bucket_keys(comparison, granularity)
        compare_series = align_compare(labels, comp_keys, series_counts(cur, comparison, granularity))
    return {"series": series, "granularity": granularity, "compare_series": compare_series}


def pageviews(cur: Cursor, q: ReportQuery) -> ReportResult:
    """``GET /pageviews``: series + ``compare_series``; top-level ``compare`` when active."""
    meta = compare_meta(q)
    return ReportResult(pageviews_data(cur, q), {"compare": meta} if meta else {})


def event_timeseries(cur: Cursor, q: ReportQuery) -> ReportResult:
    """``GET /events/timeseries``: occurrences of ``q.event_name`` per local bucket."""
    assert q.event_name is not None, "parse with route='event_timeseries'"
    granularity = q.granularity or "day"
    keys = bucket_keys(q, granularity)
    labels = [bucket_label(k, granularity, q, style="plain") for k in keys]
    counts = series_counts(cur, q, granularity, custom_event=q.event_name)
    return ReportResult({"series": fill_series(labels, keys, counts), "granularity": granularity})
