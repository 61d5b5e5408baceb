"""Sessions (``/sessions``, ``/sessions/{id}``): the DuckDB SQL.

What the report counts and how it is shaped: :mod:`sparklytics.queries.sessions`.

Speed: without filters the page is a top-N over ``sessions`` alone: a session has an
event in a whole-day range exactly when it overlaps it (``stats._UNFILTERED_SESSIONS``
explains why), so no events are read (route at 1M events: 99 → 32 ms). With filters, the top-N
over ``sessions`` is semi-joined to the distinct matching session ids (one events scan).
The detail lookup scans ``sessions.session_id`` (the table has no index, see
``ingest.py``), then reads the session's events bounded by its first/last seen.
"""

from __future__ import annotations

from sparklytics.enrich.ids import public_session_id, session_key
from sparklytics.queries.report_query import ReportQuery, encode_cursor
from sparklytics.queries.result import ReportResult
from sparklytics.queries.sessions import _DETAIL_EVENT_KEYS, DETAIL_EVENTS_LIMIT, shape_session
from sparklytics.stores.duckdb.sql import Cursor, fetch_all, public_event_id
from sparklytics.stores.duckdb.where import compile_where, session_where

_SESSION_COLUMNS = """
    s.session_id, s.visitor_id,
    CAST(s.first_seen AS VARCHAR) AS first_seen, CAST(s.last_seen AS VARCHAR) AS last_seen,
    CAST(floor(epoch(s.last_seen - s.first_seen)) AS BIGINT) AS duration_seconds,
    s.pageview_count, s.event_count, s.entry_path, s.exit_path,
    s.country, s.browser, s.os, s.device_type,
    s.first_seen AS first_seen_ts, s.last_seen AS last_seen_ts
"""

_PAGE_SQL = f"""
SELECT {_SESSION_COLUMNS}
FROM sessions s
WHERE {{session_where}}
  AND s.last_seen >= $utc_start AND s.first_seen < $utc_end
  {{matching}}
  {{after}}
ORDER BY s.last_seen DESC, s.session_id DESC
LIMIT $fetch
"""

_MATCHING = "AND s.session_id IN (SELECT DISTINCT e.session_id FROM events e WHERE {where})"

_AFTER = (
    "AND (s.last_seen < $cursor_ls OR (s.last_seen = $cursor_ls AND s.session_id < $cursor_sid))"
)

_ONE_SQL = f"""
SELECT {_SESSION_COLUMNS}
FROM sessions s
WHERE s.session_id = $session_id AND s.website_id = $website_id
"""

_DETAIL_EVENTS_SQL = f"""
SELECT {public_event_id("e.id")}, e.event_type, e.url, e.event_name, e.event_data,
       CAST(e.created_at AS VARCHAR)
FROM events e
WHERE e.website_id = $website_id AND e.session_id = $session_id
  AND e.created_at >= $lo AND e.created_at <= $hi
ORDER BY e.created_at ASC, e.id ASC
LIMIT {DETAIL_EVENTS_LIMIT + 1}
"""


def sessions_list(cur: Cursor, q: ReportQuery) -> ReportResult:
    """``GET /sessions``: one page of sessions, newest activity first."""
    limit = q.limit or 50
    where, params = compile_where(q, "e")
    s_where, s_params = session_where(q, "s")
    params = {**params, **s_params, "fetch": limit + 1}
    after = ""
    if q.cursor is not None:
        after = _AFTER
        params["cursor_ls"] = q.cursor.last_seen_at
        params["cursor_sid"] = session_key(q.cursor.session_id)
    matching = _MATCHING.format(where=where) if q.has_filters else ""
    sql = _PAGE_SQL.format(session_where=s_where, matching=matching, after=after)
    rows = fetch_all(cur, sql, params)
    has_more = len(rows) > limit
    rows = rows[:limit]
    data = [shape_session(r) for r in rows]
    next_cursor = encode_cursor(rows[-1][3], public_session_id(rows[-1][0])) if has_more else None
    return ReportResult(
        data, {"pagination": {"limit": limit, "next_cursor": next_cursor, "has_more": has_more}}
    )


def session_detail(cur: Cursor, website_id: str, session_id: str) -> ReportResult | None:
    """``GET /sessions/{session_id}``: the session and its first 2 000 events, or ``None``."""
    key = session_key(session_id)
    if key is None:
        return None
    found = fetch_all(cur, _ONE_SQL, {"session_id": key, "website_id": website_id})
    if not found:
        return None
    row = found[0]
    params = {"website_id": website_id, "session_id": key, "lo": row[13], "hi": row[14]}
    events = fetch_all(cur, _DETAIL_EVENTS_SQL, params)
    truncated = len(events) > DETAIL_EVENTS_LIMIT
    return ReportResult(
        {
            "session": shape_session(row),
            "events": [dict(zip(_DETAIL_EVENT_KEYS, e, strict=True)) for e in events[:DETAIL_EVENTS_LIMIT]],
            "truncated": truncated,
        }
    )
