"""Aggregate stats: ``GET /api/websites/{id}/stats`` (API.md §1.5) and share stats.

Definitions (Decisions 1 and 2 override §1.5):

* ``pageviews`` — matching rows with ``event_type = 'pageview'`` (custom events, link
  clicks and pixel hits are not pageviews).
* ``visitors`` — distinct ``visitor_id`` over all matching rows (any type).
* ``sessions`` — distinct ``session_id`` of matching rows that have a ``sessions`` row
  passing the session bot filter (filters act on events; a session counts when it has
  at least one matching event in the range).
* ``bounce_rate`` — fraction 0–1, 3 decimals: share of those sessions whose
  ``sessions.pageview_count = 1`` (exactly one pageview). Sessions without any
  pageview are in the denominator and are not bounces.
* ``avg_duration_seconds`` — mean of ``last_seen − first_seen`` over those sessions,
  zero-length sessions included, rounded to 1 decimal (0.0 without sessions).
* ``prev_*`` — the same over the comparison range when compare is active, else over the
  equal-length period just before.
* ``timezone`` — the zone the report was computed in (``timezone`` param, else the
  website's zone, else UTC). With no ``timezone`` param this is the website's stored
  zone as API.md says; with the param it is the zone the numbers are bucketed in.

Result: ``ReportResult(data=Stats, extras={"compare": {...}})`` with compare active,
``extras={}`` otherwise.

The DuckDB SQL is in ``stores/duckdb/reports/stats.py``.
"""

from __future__ import annotations

from sparklytics.queries.report_query import ReportQuery, compare_meta, comparison_query, previous_period_query
from sparklytics.queries.result import ReportResult, round_half_up
from sparklytics.queries.rows import PeriodTotals, ReportRows


def stats(rows: ReportRows, q: ReportQuery) -> ReportResult:
    """``GET /stats``: ``{"data": Stats}`` plus ``"compare"`` when compare is active."""
    meta = compare_meta(q)
    return ReportResult(stats_data(rows, q), {"compare": meta} if meta else {})


def stats_data(rows: ReportRows, q: ReportQuery) -> dict:
    """Just the Stats object (share and saved reports use it too)."""
    previous = comparison_query(q) or previous_period_query(q)
    return shape_stats(rows.period_totals(q), rows.period_totals(previous), q.timezone)


def shape_stats(current: PeriodTotals, previous: PeriodTotals, timezone: str) -> dict:
    """The Stats object from the totals of the two periods (pure)."""
    out = {}
    for prefix, (pageviews, visitors, sessions, bounces, avg_duration) in (
        ("", current),
        ("prev_", previous),
    ):
        out[f"{prefix}pageviews"] = pageviews
        out[f"{prefix}visitors"] = visitors
        out[f"{prefix}sessions"] = sessions
        out[f"{prefix}bounce_rate"] = round_half_up(bounces / sessions, 3) if sessions else 0.0
        out[f"{prefix}avg_duration_seconds"] = (
            round_half_up(float(avg_duration), 1) if sessions and avg_duration is not None else 0.0
        )
    ordered = {k: out[k] for k in _STATS_KEYS}
    ordered["timezone"] = timezone
    return ordered


_STATS_KEYS = (
    "pageviews",
    "visitors",
    "sessions",
    "bounce_rate",
    "avg_duration_seconds",
    "prev_pageviews",
    "prev_visitors",
    "prev_sessions",
    "prev_bounce_rate",
    "prev_avg_duration_seconds",
)
