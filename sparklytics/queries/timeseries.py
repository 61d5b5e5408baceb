"""Time series: ``GET /pageviews`` (§1.5), ``GET /events/timeseries`` (§1.6), share pageviews.

Buckets are LOCAL (Decision 4) and zero-filled for every bucket of the range:

* ``day`` — local dates ``start … end``; label ``YYYY-MM-DD``.
* ``month`` — local calendar months touching the range (the first and last are partial
  when the range is); label ``YYYY-MM``.
* ``hour`` — every real hour that starts at a local ``HH:00``. On a spring-forward day
  the missing local hour has no bucket (23 buckets); on a fall-back day the repeated
  local hour gives two buckets (25). Internally an hour bucket is keyed by the UTC
  instant of its start, which is unique even when the wall clock repeats.

Hour labels (decision): ``/pageviews`` uses API.md's ``YYYY-MM-DDTHH:00:00Z`` when the
local offset is zero (UTC sites keep the exact contract format) and otherwise the local
wall-clock hour with its real offset, ``2026-03-08T01:00:00-08:00`` — RFC 3339, so a
client that parses it lands on the right instant, and the two fall-back hours
(``01:00-07:00``, ``01:00-08:00``) stay distinct. ``/events/timeseries`` keeps its
contract format ``YYYY-MM-DD HH:00:00`` in local wall-clock time (the repeated fall-back
hour therefore appears twice with the same label, in time order).

Values: ``pageviews`` = ``event_type = 'pageview'`` rows (Decision 1; on
``/events/timeseries`` it is the occurrences of the named custom event); ``visitors`` =
distinct visitors over the bucket's matching rows.

``granularity``: ``hour|day|month``, anything else → auto by inclusive local days
(≤ 2 hour, ≤ 60 day, else month); resolved in :func:`parse_report_query`.

Compare (``/pageviews`` only): ``compare_series`` has one entry per primary bucket,
labelled with the primary label, valued from the comparison bucket at the same index
(0 past the comparison's last bucket; extra comparison buckets are dropped).

Result: ``pageviews`` → ``ReportResult({"series", "granularity", "compare_series"},
{"compare": meta} when active)``; ``event_timeseries`` → ``ReportResult({"series",
"granularity"})``.

The DuckDB SQL is in ``stores/duckdb/reports/timeseries.py``.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from sparklytics.queries.report_query import (
    ReportQuery,
    compare_meta,
    comparison_query,
    offset_segments,
    time_bounds,
    utc_offset_seconds,
)
from sparklytics.queries.result import ReportResult
from sparklytics.queries.rows import ReportRows


def bucket_keys(q: ReportQuery, granularity: str) -> list:
    """Every bucket key of ``q``'s range, in order (pure).

    day/month → local ``date`` (first of month for month); hour → naive UTC ``datetime``
    of the bucket's start.
    """
    if granularity == "day":
        return [q.start + timedelta(days=i) for i in range(q.days)]
    if granularity == "month":
        keys = []
        cursor = date(q.start.year, q.start.month, 1)
        while cursor <= q.end:
            keys.append(cursor)
            cursor = date(cursor.year + cursor.month // 12, cursor.month % 12 + 1, 1)
        return keys
    utc_start, utc_end = time_bounds(q)
    segments = offset_segments(q.timezone, utc_start, utc_end)
    keys: list[datetime] = []
    for i, (seg_start, offset) in enumerate(segments):
        seg_end = segments[i + 1][0] if i + 1 < len(segments) else utc_end
        shift = timedelta(seconds=offset)
        key = (seg_start + shift).replace(minute=0, second=0, microsecond=0) - shift
        while key < seg_end:
            if not keys or key > keys[-1]:
                keys.append(key)
            key += timedelta(hours=1)
    return keys


def bucket_label(key, granularity: str, q: ReportQuery, *, style: str = "rfc3339") -> str:
    """The wire label of one bucket (pure). ``style`` is ``rfc3339`` or ``plain`` (events)."""
    if granularity == "day":
        return key.isoformat()
    if granularity == "month":
        return f"{key.year:04d}-{key.month:02d}"
    offset = utc_offset_seconds(q.tzinfo, key)
    local = key + timedelta(seconds=offset)
    if style == "plain":
        return local.strftime("%Y-%m-%d %H:00:00")
    if offset == 0:
        suffix = "Z"
    else:
        sign = "+" if offset > 0 else "-"
        hours, minutes = divmod(abs(offset) // 60, 60)
        suffix = f"{sign}{hours:02d}:{minutes:02d}"
    return local.strftime("%Y-%m-%dT%H:00:00") + suffix


def fill_series(labels: list[str], keys: list, counts: dict) -> list[dict]:
    """Zero-filled ``[{"date", "pageviews", "visitors"}]`` (pure)."""
    series = []
    for label, key in zip(labels, keys, strict=True):
        n, visitors = counts.get(key, (0, 0))
        series.append({"date": label, "pageviews": n, "visitors": visitors})
    return series


def align_compare(labels: list[str], comparison_keys: list, counts: dict) -> list[dict]:
    """``compare_series``: primary labels, comparison values by bucket index (pure)."""
    out = []
    for i, label in enumerate(labels):
        n, visitors = counts.get(comparison_keys[i], (0, 0)) if i < len(comparison_keys) else (0, 0)
        out.append({"date": label, "pageviews": n, "visitors": visitors})
    return out


def pageviews(rows: ReportRows, q: ReportQuery) -> ReportResult:
    """``GET /pageviews``: series + ``compare_series``; top-level ``compare`` when active."""
    meta = compare_meta(q)
    return ReportResult(pageviews_data(rows, q), {"compare": meta} if meta else {})


def pageviews_data(rows: ReportRows, q: ReportQuery) -> dict:
    """``{"series", "granularity", "compare_series"}`` (share and saved reports use it too)."""
    granularity = q.granularity or "day"
    keys = bucket_keys(q, granularity)
    labels = [bucket_label(k, granularity, q) for k in keys]
    series = fill_series(labels, keys, rows.series_counts(q, granularity))
    compare_series = None
    comparison = comparison_query(q)
    if comparison is not None:
        comparison_keys = bucket_keys(comparison, granularity)
        compare_series = align_compare(labels, comparison_keys, rows.series_counts(comparison, granularity))
    return {"series": series, "granularity": granularity, "compare_series": compare_series}


def event_timeseries(rows: ReportRows, q: ReportQuery) -> ReportResult:
    """``GET /events/timeseries``: occurrences of ``q.event_name`` per local bucket."""
    assert q.event_name is not None, "parse with route='event_timeseries'"
    granularity = q.granularity or "day"
    keys = bucket_keys(q, granularity)
    labels = [bucket_label(k, granularity, q, style="plain") for k in keys]
    counts = rows.series_counts(q, granularity, custom_event=q.event_name)
    return ReportResult({"series": fill_series(labels, keys, counts), "granularity": granularity})
