"""Realtime: ``GET /api/websites/{id}/realtime`` (API.md §1.5).

Window = ``[now − 30 min, now]`` in UTC (``now`` is a parameter so tests need no clock).

* ``active_visitors`` — distinct ``visitor_id`` of ``sessions`` rows of the website whose
  ``last_seen`` lies in the window (bot sessions excluded unless ``include_bots``).
* ``recent_events`` — the newest 100 events in the window (bots excluded unless
  ``include_bots``), newest first, each ``{"event_type", "event_name", "url",
  "referrer_domain", "country", "browser", "device_type", "ts"}`` (``event_name`` is
  NULL for pageviews, the custom event's name otherwise) with ``ts`` = ``CAST(created_at AS
  VARCHAR)`` (UTC, API.md §0.3).
* ``pagination`` — ``{"limit": 100, "total_in_window"}`` = every event in the window.

Filters, dates and time zone do not apply (route ``realtime`` parses none of them).

Result: ``ReportResult({"active_visitors", "recent_events", "pagination"})``.

Speed: both statements compare raw timestamps with bound instants, so only the newest
row groups are read; the total comes from ``count(*) OVER ()`` in the same statement
as the top 100.
"""

from __future__ import annotations

from datetime import datetime, timezone

from sparklytics.queries.realtime import _RECENT_KEYS, REALTIME_LIMIT, REALTIME_WINDOW
from sparklytics.queries.report_query import ReportQuery
from sparklytics.queries.result import ReportResult
from sparklytics.stores.duckdb.sql import Cursor, fetch_all, fetch_one

_ACTIVE_SQL = """
SELECT count(DISTINCT s.visitor_id)
FROM sessions s
WHERE s.website_id = $website_id {bots}
  AND s.last_seen >= $since AND s.last_seen <= $now
"""

_RECENT_SQL = """
SELECT e.event_type, e.event_name, e.url, e.referrer_domain, e.country, e.browser, e.device_type,
       CAST(e.created_at AS VARCHAR) AS ts,
       count(*) OVER () AS total
FROM events e
WHERE e.website_id = $website_id {bots}
  AND e.created_at >= $since AND e.created_at <= $now
ORDER BY e.created_at DESC, e.id DESC
LIMIT $limit
"""


def realtime(cur: Cursor, q: ReportQuery, *, now: datetime | None = None) -> ReportResult:
    """Active visitors and recent events of the last 30 minutes before ``now``."""
    if now is None:
        now = datetime.now(timezone.utc)
    if now.tzinfo is not None:
        now = now.astimezone(timezone.utc).replace(tzinfo=None)
    params = {
        "website_id": q.website_id,
        "since": now - REALTIME_WINDOW,
        "now": now,
        "limit": REALTIME_LIMIT,
    }
    s_bots = "" if q.include_bots else "AND s.is_bot = FALSE"
    e_bots = "" if q.include_bots else "AND e.is_bot = FALSE"
    active = int(fetch_one(cur, _ACTIVE_SQL.format(bots=s_bots), params)[0])
    rows = fetch_all(cur, _RECENT_SQL.format(bots=e_bots), params)
    total = int(rows[0][-1]) if rows else 0
    return ReportResult(
        {
            "active_visitors": active,
            "recent_events": [dict(zip(_RECENT_KEYS, r[:-1], strict=True)) for r in rows],
            "pagination": {"limit": REALTIME_LIMIT, "total_in_window": total},
        }
    )
