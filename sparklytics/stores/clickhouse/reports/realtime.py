"""Realtime (``/realtime``) in ClickHouse SQL.

What the report counts and how it is shaped: :mod:`sparklytics.queries.realtime`.
Active visitors are the distinct session visitors with an event in the window (a
session last seen in the window has one there); the events are sessionized over the
window and a margin before it, so a visitor continuing yesterday's session across
midnight counts once. The recent events are the window's newest rows.
"""

from __future__ import annotations

from datetime import datetime, timezone

from sparklytics.queries.realtime import _RECENT_KEYS, REALTIME_LIMIT, REALTIME_WINDOW
from sparklytics.queries.report_query import ReportQuery
from sparklytics.queries.result import ReportResult
from sparklytics.stores.clickhouse.scope import MARGIN
from sparklytics.stores.clickhouse.sessionize import sessionized_events

from . import Fetch

_AROUND = (
    "SELECT * FROM events WHERE website_id = {website_id:String}"
    " AND created_at >= {scan_start:DateTime64(6)} AND created_at <= {now:DateTime64(6)}"
)
_WINDOW = "created_at >= {since:DateTime64(6)} AND created_at <= {now:DateTime64(6)}"


_ACTIVE = f"SELECT uniqExact(session_visitor) FROM ({sessionized_events(_AROUND)}) WHERE {_WINDOW} "


def _recent(bots: str) -> str:
    return f"""
SELECT event_type, event_name, url, referrer_domain, country, browser, device_type,
       formatDateTime(created_at, '%Y-%m-%d %H:%i:%S') AS ts, count() OVER () AS total
FROM events
WHERE website_id = {{website_id:String}} AND {_WINDOW} {bots}
ORDER BY created_at DESC, id DESC
LIMIT {REALTIME_LIMIT}
"""


async def realtime(fetch: Fetch, q: ReportQuery, *, now: datetime | None = None) -> ReportResult:
    """Active visitors and recent events of the 30 minutes before ``now``."""
    if now is None:
        now = datetime.now(timezone.utc)
    if now.tzinfo is not None:
        now = now.astimezone(timezone.utc).replace(tzinfo=None)
    since = now - REALTIME_WINDOW
    params = {"website_id": q.website_id, "since": since, "now": now, "scan_start": since - MARGIN}
    bots = "" if q.include_bots else "AND NOT is_bot"
    [[active]] = await fetch(_ACTIVE + bots, params)
    rows = await fetch(_recent(bots), params)
    return ReportResult(
        {
            "active_visitors": int(active),
            "recent_events": [dict(zip(_RECENT_KEYS, row[:-1], strict=True)) for row in rows],
            "pagination": {"limit": REALTIME_LIMIT, "total_in_window": int(rows[0][-1]) if rows else 0},
        }
    )
