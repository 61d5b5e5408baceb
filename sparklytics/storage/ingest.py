"""Writing enriched events: session resolution, the bulk insert and the WAL cursor.

Only the Writer actor calls :func:`commit_batch`, in a worker thread, on the single
writer connection. One call is one transaction: the events (DuckDB appender, the fast
bulk path), the new and continued sessions (appender upsert) and the WAL cursor all
commit together (see ``wal.py`` for why that makes replay exact).

Sessions follow §2 of the contract: key (website, visitor); an event within 30 minutes
of the session's last event continues it, otherwise it starts a new one whose id is
derived from visitor, website, entry URL and start time. ``pageview_count`` counts
pageviews only (Decision 2: bounce = exactly one pageview); ``event_count`` counts
every event. The bot flag is sticky, the score is the maximum seen.
"""

from __future__ import annotations

import uuid
from collections import OrderedDict
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

import duckdb

from sparklytics.enrich.ids import session_id as derive_session_id
from sparklytics.storage.schema import transaction
from sparklytics.storage.wal import WalPosition, WalRecord

SESSION_TIMEOUT = timedelta(minutes=30)

# Columns the Enricher fills in, in table order (``session_id`` comes from here).
EVENT_COLUMNS: tuple[str, ...] = (
    "id", "website_id", "tenant_id", "session_id", "visitor_id", "event_type", "url", "path",
    "hostname", "referrer_url", "referrer_domain", "channel", "event_name", "event_data",
    "country", "region", "city", "browser", "browser_version", "os", "os_version",
    "device_type", "screen", "language", "utm_source", "utm_medium", "utm_campaign",
    "utm_term", "utm_content", "link_id", "pixel_id", "user_agent", "is_bot", "bot_score",
    "bot_reason", "created_at",
)

SESSION_COLUMNS: tuple[str, ...] = (
    "session_id", "website_id", "tenant_id", "visitor_id", "first_seen", "last_seen",
    "pageview_count", "event_count", "entry_page", "entry_path", "exit_path", "is_bot",
    "bot_score", "bot_reason",
)


@dataclass(frozen=True, slots=True)
class SessionState:
    session_id: str
    website_id: str
    visitor_id: str
    first_seen: datetime
    last_seen: datetime
    pageview_count: int
    event_count: int
    entry_page: str
    entry_path: str | None
    exit_path: str | None
    is_bot: bool
    bot_score: int
    bot_reason: str | None

    def row(self) -> tuple[Any, ...]:
        return (
            self.session_id, self.website_id, None, self.visitor_id, self.first_seen,
            self.last_seen, self.pageview_count, self.event_count, self.entry_page,
            self.entry_path, self.exit_path, self.is_bot, self.bot_score, self.bot_reason,
        )


SessionKey = tuple[str, str]


class SessionCache:
    """Recently active sessions by (website, visitor), bounded, least recent evicted.

    Only the Writer changes sessions, so the cache is authoritative for what it holds;
    a miss falls back to one batched DuckDB lookup per commit.
    """

    def __init__(self, max_entries: int) -> None:
        self.max_entries = max_entries
        self._entries: OrderedDict[SessionKey, SessionState] = OrderedDict()
        self.hits = 0
        self.misses = 0

    def get(self, key: SessionKey) -> SessionState | None:
        state = self._entries.get(key)
        if state is not None:
            self._entries.move_to_end(key)
        return state

    def put(self, key: SessionKey, state: SessionState) -> None:
        self._entries[key] = state
        self._entries.move_to_end(key)
        while len(self._entries) > self.max_entries:
            self._entries.popitem(last=False)

    def forget_website(self, website_id: str) -> None:
        for key in [k for k in self._entries if k[0] == website_id]:
            del self._entries[key]

    def __len__(self) -> int:
        return len(self._entries)


_LOOKUP_SESSIONS = f"""
SELECT {", ".join(SESSION_COLUMNS)}
FROM sessions
WHERE website_id = $website_id
  AND list_contains($visitors, visitor_id)
  AND last_seen >= $since
QUALIFY row_number() OVER (PARTITION BY visitor_id ORDER BY last_seen DESC) = 1
"""


def read_cursor(con: duckdb.DuckDBPyConnection) -> WalPosition:
    segment, offset = con.execute('SELECT segment, "offset" FROM ingest_cursor WHERE id = 1').fetchone()
    return WalPosition(segment, offset)


def commit_batch(
    con: duckdb.DuckDBPyConnection, cache: SessionCache, records: list[WalRecord], cursor: WalPosition
) -> tuple[WalPosition, int]:
    """Insert the events of ``records`` not yet committed; return (new cursor, rows).

    Records that start before ``cursor`` were committed already (a retry after a reply
    was lost) and are skipped, which keeps replay exactly-once.
    """
    fresh = [r for r in records if r.start >= cursor]
    if not fresh:
        return cursor, 0
    events = [event for record in fresh for event in record.events]
    for event in events:
        event["created_at"] = _as_datetime(event["created_at"])
    sessions = _resolve_sessions(con, cache, events)
    new_cursor = fresh[-1].end
    with transaction(con):
        appender = con.appender("events", columns=list(EVENT_COLUMNS))
        appender.append_rows([_event_row(event) for event in events])
        appender.flush()
        upsert = con.appender("sessions", columns=list(SESSION_COLUMNS), action="upsert")
        upsert.append_rows([state.row() for state in sessions.values()])
        upsert.flush()
        con.execute(
            'UPDATE ingest_cursor SET segment = $segment, "offset" = $offset WHERE id = 1',
            {"segment": new_cursor.segment, "offset": new_cursor.offset},
        )
    for key, state in sessions.items():
        cache.put(key, state)
    return new_cursor, len(events)


def _resolve_sessions(
    con: duckdb.DuckDBPyConnection, cache: SessionCache, events: list[dict[str, Any]]
) -> dict[SessionKey, SessionState]:
    """Assign ``session_id`` to each event; return the sessions the batch touched."""
    known = _load_open_sessions(con, cache, events)
    touched: dict[SessionKey, SessionState] = {}
    for event in events:
        key = (event["website_id"], event["visitor_id"])
        at = event["created_at"]
        state = touched.get(key) or known.get(key)
        previous_id = event.get("previous_visitor_id")
        if not _continues(state, at) and previous_id:
            old_key = (event["website_id"], previous_id)
            old = touched.get(old_key) or known.get(old_key)
            if _continues(old, at):
                key, state = old_key, old
                event["visitor_id"] = previous_id
        state = _advance(state, event) if _continues(state, at) else _start(event)
        event["session_id"] = state.session_id
        touched[key] = state
    return touched


def _load_open_sessions(
    con: duckdb.DuckDBPyConnection, cache: SessionCache, events: list[dict[str, Any]]
) -> dict[SessionKey, SessionState]:
    known: dict[SessionKey, SessionState] = {}
    missing: dict[str, set[str]] = {}
    since: dict[str, datetime] = {}
    for event in events:
        website = event["website_id"]
        for visitor in (event["visitor_id"], event.get("previous_visitor_id")):
            if not visitor or (website, visitor) in known:
                continue
            state = cache.get((website, visitor))
            if state is not None:
                cache.hits += 1
                known[(website, visitor)] = state
            else:
                missing.setdefault(website, set()).add(visitor)
        earliest = event["created_at"] - SESSION_TIMEOUT
        since[website] = min(since.get(website, earliest), earliest)
    for website, visitors in missing.items():
        cache.misses += len(visitors)
        rows = con.execute(
            _LOOKUP_SESSIONS, {"website_id": website, "visitors": sorted(visitors), "since": since[website]}
        ).fetchall()
        for row in rows:
            state = SessionState(*row[:2], *row[3:])
            known[(state.website_id, state.visitor_id)] = state
    return known


def _continues(state: SessionState | None, at: datetime) -> bool:
    return state is not None and at - state.last_seen <= SESSION_TIMEOUT and at >= state.first_seen


def _start(event: dict[str, Any]) -> SessionState:
    at: datetime = event["created_at"]
    is_pageview = event["event_type"] == "pageview"
    return SessionState(
        session_id=derive_session_id(event["visitor_id"], event["website_id"], event["url"], _epoch_ms(at)),
        website_id=event["website_id"],
        visitor_id=event["visitor_id"],
        first_seen=at,
        last_seen=at,
        pageview_count=1 if is_pageview else 0,
        event_count=1,
        entry_page=event["url"],
        entry_path=event["path"] if is_pageview else None,
        exit_path=event["path"] if is_pageview else None,
        is_bot=bool(event["is_bot"]),
        bot_score=int(event["bot_score"]),
        bot_reason=event["bot_reason"],
    )


def _advance(state: SessionState, event: dict[str, Any]) -> SessionState:
    is_pageview = event["event_type"] == "pageview"
    score = int(event["bot_score"])
    return replace(
        state,
        last_seen=max(state.last_seen, event["created_at"]),
        pageview_count=state.pageview_count + (1 if is_pageview else 0),
        event_count=state.event_count + 1,
        entry_path=state.entry_path or (event["path"] if is_pageview else None),
        exit_path=event["path"] if is_pageview else state.exit_path,
        is_bot=state.is_bot or bool(event["is_bot"]),
        bot_score=max(state.bot_score, score),
        bot_reason=event["bot_reason"] if score >= state.bot_score and event["bot_reason"] else state.bot_reason,
    )


def _event_row(event: dict[str, Any]) -> tuple[Any, ...]:
    row = [event.get(column) for column in EVENT_COLUMNS]
    row[0] = uuid.UUID(event["id"])
    return tuple(row)


def _as_datetime(value: Any) -> datetime:
    if isinstance(value, datetime):
        return value
    return datetime.fromisoformat(value)


def _epoch_ms(naive_utc: datetime) -> int:
    return int((naive_utc - datetime(1970, 1, 1)).total_seconds() * 1000)
