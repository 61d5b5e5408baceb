"""Realtime (``/realtime``): the DuckDB SQL.

What the report counts and how it is shaped: :mod:`sparklytics.queries.realtime`.

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
