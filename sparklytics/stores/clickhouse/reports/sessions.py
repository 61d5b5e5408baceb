"""Sessions (``/sessions``, ``/sessions/{id}``) in ClickHouse SQL, over read-time sessions.

What the reports show and how they are shaped: :mod:`sparklytics.queries.sessions`.

The list is the sessions with a matching event in the range (``m``), newest activity
first, with the same keyset cursor as DuckDB's (last seen, then session id).

A session id is a hash, so the detail cannot seek to it: it sessionizes the website's
events (every event still kept) and picks the one session. That is a full scan of the
website: fine for one click in the dashboard, not for a loop (the list has the facts).
"""

from __future__ import annotations

from sparklytics.enrich.ids import public_session_id, session_key
from sparklytics.queries.report_query import ReportQuery, encode_cursor
from sparklytics.queries.result import ReportResult
from sparklytics.queries.sessions import _DETAIL_EVENT_KEYS, DETAIL_EVENTS_LIMIT, shape_session
from sparklytics.stores.clickhouse.scope import report_scope, session_filter
from sparklytics.stores.clickhouse.sessionize import session_rows, sessionized_events

from . import Fetch


def timestamp_text(column: str) -> str:
    """A DateTime64 as DuckDB casts a TIMESTAMP to text: seconds, then the fraction if any,
    up to microseconds without trailing zeros (``.5``, ``.1234``, ``.000001``)."""
    micros = f"toUnixTimestamp64Micro({column}) % 1000000"
    return (
        f"concat(formatDateTime({column}, '%Y-%m-%d %H:%i:%S'),"
        f" if({micros} = 0, '', concat('.', trim(TRAILING '0' FROM leftPad(toString({micros}), 6, '0')))))"
    )


def public_event_id(key_param: str) -> str:
    """SQL for the UUID the API shows for an event, the install's key bound as
    ``key_param`` (``stores/duckdb/sql.py`` explains the form). Events copied from DuckDB
    (node ``import``) keep their UUID; others also hash the node, as ids count per node."""
    material = (
        f"if(node_id = 'import', concat({{{key_param}:String}}, toString(id)),"
        f" concat({{{key_param}:String}}, node_id, ':', toString(id)))"
    )
    return (
        f"replaceRegexpOne(lower(hex(MD5({material}))),"
        " '^(........)(....).(...).(...)(............)$', '\\\\1-\\\\2-4\\\\3-8\\\\4-\\\\5')"
    )


_SESSION_COLUMNS = f"""
    s.session_id, s.visitor_id, {timestamp_text("s.first_seen")}, {timestamp_text("s.last_seen")},
    intDiv(dateDiff('microsecond', s.first_seen, s.last_seen), 1000000),
    s.pageview_count, s.event_count, s.entry_path, s.exit_path,
    s.country, s.browser, s.os, s.device_type
"""

_PAGE = f"""
SELECT {_SESSION_COLUMNS}
FROM sess AS s
WHERE s.session_id IN (SELECT session_id FROM m) AND {{sessions}} {{after}}
ORDER BY s.last_seen DESC, s.session_id DESC
LIMIT {{{{fetch:UInt64}}}}
"""

_AFTER = (
    "AND (s.last_seen < {cursor_ls:DateTime64(6)}"
    " OR (s.last_seen = {cursor_ls:DateTime64(6)} AND s.session_id < {cursor_sid:UInt64}))"
)

_WEBSITE_EVENTS = "SELECT * FROM events WHERE website_id = {website_id:String}"
_ALL = sessionized_events(_WEBSITE_EVENTS)

_ONE = f"""
SELECT {_SESSION_COLUMNS}
FROM ({session_rows(_ALL)}) AS s
WHERE s.session_id = {{session_id:UInt64}}
"""


_DETAIL_EVENTS = f"""
SELECT {public_event_id("event_id_key")}, event_type, url, event_name, event_data, {timestamp_text("created_at")}
FROM ({_ALL})
WHERE session_id = {{session_id:UInt64}}
ORDER BY created_at ASC, node_id ASC, id ASC
LIMIT {DETAIL_EVENTS_LIMIT + 1}
"""


async def sessions_list(fetch: Fetch, q: ReportQuery) -> ReportResult:
    """One page of sessions, newest activity first."""
    limit = q.limit or 50
    scope, params = report_scope(q)
    params["fetch"] = limit + 1
    after = ""
    if q.cursor is not None:
        after = _AFTER
        params["cursor_ls"] = q.cursor.last_seen_at
        params["cursor_sid"] = session_key(q.cursor.session_id)
    rows = await fetch(scope + _PAGE.format(sessions=session_filter(q), after=after), params)
    has_more = len(rows) > limit
    rows = rows[:limit]
    next_cursor = encode_cursor(rows[-1][3], public_session_id(rows[-1][0])) if has_more else None
    return ReportResult(
        [shape_session(row) for row in rows],
        {"pagination": {"limit": limit, "next_cursor": next_cursor, "has_more": has_more}},
    )


async def session_detail(fetch: Fetch, website_id: str, session_id: str, event_id_key: str) -> ReportResult | None:
    """The session and its first 2 000 events, or ``None``."""
    key = session_key(session_id)
    if key is None:
        return None
    params = {"website_id": website_id, "session_id": key, "event_id_key": event_id_key}
    found = await fetch(_ONE, params)
    if not found:
        return None
    events = await fetch(_DETAIL_EVENTS, params)
    return ReportResult(
        {
            "session": shape_session(found[0]),
            "events": [dict(zip(_DETAIL_EVENT_KEYS, event, strict=True)) for event in events[:DETAIL_EVENTS_LIMIT]],
            "truncated": len(events) > DETAIL_EVENTS_LIMIT,
        }
    )
