"""Sessions (``/sessions``, ``/sessions/{id}``) in ClickHouse SQL.

What the reports show and how they are shaped: :mod:`sparklytics.queries.sessions`.

The list is the sessions with a matching event in the range, newest activity first,
with the same keyset cursor as DuckDB's (last seen, then session id). Where the stored
sessions answer the query's filters (:mod:`..session_reports`), each part of the range
(the stored days, the rest derived) gives its newest page and the pages merge; else the
sessions are derived from the range's events (``m``).

A session id is a hash, so the detail cannot seek to it in the events. It looks the id
up among the website's sessions (the stored days', then those derived from the days not
stored), which gives the session's visitor and span; its events are then that visitor's
(and those of the ids a midnight continuation kept under it, Decision 6) inside the span,
sessionized again to keep the session's own. ``stored=False`` (the read-time store the
tests compare with) sessionizes the whole website instead.

Both run in a worker thread over a blocking ``fetch`` (the store's ``_in_thread``).
"""

from __future__ import annotations

from sparklytics.clock import utc_now
from sparklytics.enrich.ids import public_session_id, session_key
from sparklytics.queries.report_query import ReportQuery, encode_cursor
from sparklytics.queries.result import ReportResult
from sparklytics.queries.sessions import _DETAIL_EVENT_KEYS, DETAIL_EVENTS_LIMIT, shape_session
from sparklytics.stores.clickhouse import session_reports
from sparklytics.stores.clickhouse.rows import Fetch
from sparklytics.stores.clickhouse.event_sessions import scope_of
from sparklytics.stores.clickhouse.scope import session_filter
from sparklytics.stores.clickhouse.sessionize import session_rows, sessionized_events


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


# A Session object's columns (``shape_session``), each aliased apart from the session's
# own columns (an alias named like a column would shadow it in WHERE).
_SHOWN_COLUMNS = (
    ("s.session_id", "shown_id"), ("s.visitor_id", "shown_visitor"),
    (timestamp_text("s.first_seen"), "shown_first"), (timestamp_text("s.last_seen"), "shown_last"),
    ("intDiv(dateDiff('microsecond', s.first_seen, s.last_seen), 1000000)", "shown_duration"),
    ("s.pageview_count", "shown_pageviews"), ("s.event_count", "shown_events"), ("s.entry_path", "shown_entry"),
    ("s.exit_path", "shown_exit"), ("s.country", "shown_country"), ("s.browser", "shown_browser"),
    ("s.os", "shown_os"), ("s.device_type", "shown_device"),
)
_SESSION_COLUMNS = ", ".join(f"{expression} AS {alias}" for expression, alias in _SHOWN_COLUMNS)
_SHOWN = ", ".join(alias for _, alias in _SHOWN_COLUMNS)

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


def _detail_events(sessionized: str) -> str:
    """The first events (one more than shown) of the session ``session_id`` among the
    rows of ``sessionized``."""
    return f"""
SELECT {public_event_id("event_id_key")}, event_type, url, event_name, event_data, {timestamp_text("created_at")}
FROM ({sessionized})
WHERE session_id = {{session_id:UInt64}}
ORDER BY created_at ASC, node_id ASC, id ASC
LIMIT {DETAIL_EVENTS_LIMIT + 1}
"""


_ALL_DETAIL_EVENTS = _detail_events(_ALL)


# Per part of the range, its newest page of the sessions with a (counted) event in the
# range that pass the filters; then the parts' pages merged.
_STORED_PART = """({ranged}
SELECT {columns}, s.last_seen AS seen, s.session_id AS sid
FROM {source} AS s
WHERE {where} AND re > 0 AND {sessions} {after}
ORDER BY seen DESC, sid DESC
LIMIT {{fetch:UInt64}})"""
_STORED_PAGE = "SELECT {shown} FROM ({parts}) ORDER BY seen DESC, sid DESC LIMIT {{fetch:UInt64}}"


def sessions_list(fetch: Fetch, q: ReportQuery, *, stored: bool) -> ReportResult:
    """One page of sessions, newest activity first."""
    limit = q.limit or 50
    after = ""
    cursor: dict = {}
    if q.cursor is not None:
        after = _AFTER
        cursor = {"cursor_ls": q.cursor.last_seen_at, "cursor_sid": session_key(q.cursor.session_id)}
    if stored and session_reports.applies(q) and not session_reports.mixed_in_range(fetch, q):
        parts, params = session_reports.parts(fetch, q)
        branches = " UNION ALL ".join(
            _STORED_PART.format(ranged=session_reports.ranged(q), columns=_SESSION_COLUMNS, source=source,
                                where=where, sessions=session_filter(q), after=after)
            for source, where in parts
        )
        sql = _STORED_PAGE.format(shown=_SHOWN, parts=branches)
    else:
        scope, params = scope_of(fetch, q, stored=stored)
        sql = scope + _PAGE.format(sessions=session_filter(q), after=after)
    rows = fetch(sql, {**params, **cursor, "fetch": limit + 1})
    has_more = len(rows) > limit
    rows = rows[:limit]
    next_cursor = encode_cursor(rows[-1][3], public_session_id(rows[-1][0])) if has_more else None
    return ReportResult(
        [shape_session(row) for row in rows],
        {"pagination": {"limit": limit, "next_cursor": next_cursor, "has_more": has_more}},
    )


_FOUND_IN_PART = """
SELECT {columns}, s.visitor_id AS found_visitor, s.first_seen AS found_first, s.last_seen AS found_last
FROM {source} AS s
WHERE {where} AND s.session_id = {{session_id:UInt64}}"""

# The ids a midnight continuation kept under the session's visitor inside its span.
_CONTINUED_IDS = (
    "SELECT groupUniqArray(visitor_id) FROM events WHERE website_id = {website_id:String}"
    " AND created_at >= {first_seen:DateTime64(6)} AND created_at <= {last_seen:DateTime64(6)}"
    " AND previous_visitor_id = {visitor_id:String}"
)
_SPAN_DETAIL_EVENTS = _detail_events(sessionized_events(
    "SELECT * FROM events WHERE website_id = {website_id:String}"
    " AND created_at >= {first_seen:DateTime64(6)} AND created_at <= {last_seen:DateTime64(6)}"
    " AND has({visitors:Array(String)}, visitor_id)"
))


def session_detail(fetch: Fetch, website_id: str, session_id: str, event_id_key: str, *,
                   stored: bool) -> ReportResult | None:
    """The session and its first 2 000 events, or ``None``."""
    key = session_key(session_id)
    if key is None:
        return None
    params = {"website_id": website_id, "session_id": key, "event_id_key": event_id_key}
    if not stored:
        found = fetch(_ONE, params)
        if not found:
            return None
        events = fetch(_ALL_DETAIL_EVENTS, params)
    else:
        parts, part_params = session_reports.history_parts(fetch, website_id, utc_now())
        branches = " UNION ALL ".join(_FOUND_IN_PART.format(columns=_SESSION_COLUMNS, source=source, where=where)
                                      for source, where in parts)
        found = fetch(f"SELECT * FROM ({branches}) LIMIT 1", {**part_params, **params})
        if not found:
            return None
        *shown, visitor, first_seen, last_seen = found[0]
        found = [shown]
        span = {"visitor_id": visitor, "first_seen": first_seen, "last_seen": last_seen}
        [[continued]] = fetch(_CONTINUED_IDS, {**params, **span})
        events = fetch(_SPAN_DETAIL_EVENTS, {**params, **span, "visitors": [visitor, *continued]})
    return ReportResult(
        {
            "session": shape_session(found[0]),
            "events": [dict(zip(_DETAIL_EVENT_KEYS, event, strict=True)) for event in events[:DETAIL_EVENTS_LIMIT]],
            "truncated": len(events) > DETAIL_EVENTS_LIMIT,
        }
    )
