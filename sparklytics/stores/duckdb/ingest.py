"""Writing enriched events: session resolution, the bulk insert and the WAL cursor.

Only the Writer actor calls :func:`commit_batch`, in a worker thread, on the single
writer connection. One call is one transaction: the events (DuckDB appender, the fast
bulk path) with their ids, the new and continued sessions and the WAL cursor all commit
together (see ``wal.py`` for why that makes replay exact).

Event ids come from a counter kept beside the WAL cursor (``ingest_cursor.next_event_id``),
assigned here at commit, so a replayed record gets its ids once, when it is committed.

``sessions`` has no key (it cost 16 MB per 1M events as an ART index): a continued
session's old row is deleted and its new row appended in the same transaction. The
delete is cut to rows whose ``last_seen`` is within 30 minutes of the batch's first
event, which is all a continued session can have, so zonemaps skip the older rows.

Sessions follow §2 of the contract: key (website, visitor); an event within 30 minutes
of the session's last event continues it, otherwise it starts a new one whose id is
derived from visitor, website, entry URL and start time. ``pageview_count`` counts
pageviews only (Decision 2: bounce = exactly one pageview); ``event_count`` counts
every event. The bot flag is sticky, the score is the maximum seen. Sessions also keep
their landing dimensions (``schema.SESSION_DIMENSIONS_FROM_EVENTS`` states the rule):
the source (referrer domain, channel, UTM tags) and ``entry_page`` of the landing
event, and the first known value of each client and place column; and the distinct
paths they viewed (``schema.SESSION_PATHS_FROM_EVENTS``). So session-level reports
need not read the events.

The landing event (Decision 21) is the session's first pageview; before it has one, its
first event carrying a referrer or a UTM tag; before that, its first event. So a visit
that begins with ``identify()``, a scroll, a link click or a server-side event takes its
source from the pageview that follows instead of showing ``(direct)`` for its whole
life. The rank of the current landing is read back from the state itself (a pageview
was seen iff ``pageview_count > 0``; a ranked-1 source has a referrer or a tag), so a
session loaded from DuckDB after a restart or a WAL replay continues by the same rule,
and a batch holding both events of the session gives what two batches give.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import duckdb

from sparklytics.enrich.ids import session_id as derive_session_id
from sparklytics.enrich.ids import session_key
from sparklytics.stores.duckdb.schema import transaction
from sparklytics.wal import WalPosition, WalRecord

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

# A WAL event is a list in EVENT_COLUMNS order plus one transient trailing element, the
# visitor id under yesterday's salt (or None), used only to continue a session across
# midnight. Lists, not dicts: they serialise, replay and append ~2x faster.
_I = {name: index for index, name in enumerate(EVENT_COLUMNS)}
ID, WEBSITE_ID, SESSION_ID, VISITOR_ID = _I["id"], _I["website_id"], _I["session_id"], _I["visitor_id"]
EVENT_TYPE, URL, PATH, CREATED_AT = _I["event_type"], _I["url"], _I["path"], _I["created_at"]
IS_BOT, BOT_SCORE, BOT_REASON = _I["is_bot"], _I["bot_score"], _I["bot_reason"]
PREVIOUS_VISITOR_ID = len(EVENT_COLUMNS)

# Landing dimensions a session copies from its first event, and ones it fills from the
# first event that knows them.
SOURCE_COLUMNS: tuple[str, ...] = ("referrer_domain", "channel", "utm_source", "utm_medium", "utm_campaign")
CLIENT_COLUMNS: tuple[str, ...] = (
    "country", "region", "city", "browser", "os", "device_type", "screen", "language",
)
_SOURCE = tuple(_I[name] for name in SOURCE_COLUMNS)
# The source columns that make an event "carry a source" (channel is always set: Direct).
_SOURCE_SIGNALS = tuple(_I[name] for name in SOURCE_COLUMNS if name != "channel")
_SIGNAL_SLOTS = tuple(SOURCE_COLUMNS.index(name) for name in SOURCE_COLUMNS if name != "channel")
_CLIENT = tuple(_I[name] for name in CLIENT_COLUMNS)

SESSION_COLUMNS: tuple[str, ...] = (
    "session_id", "website_id", "tenant_id", "visitor_id", "first_seen", "last_seen",
    "pageview_count", "event_count", "entry_page", "entry_path", "exit_path", "is_bot",
    "bot_score", "bot_reason", *SOURCE_COLUMNS, *CLIENT_COLUMNS, "pageview_paths",
)
_SOURCE_AT = SESSION_COLUMNS.index(SOURCE_COLUMNS[0])
_CLIENT_AT = SESSION_COLUMNS.index(CLIENT_COLUMNS[0])
_PATHS_AT = SESSION_COLUMNS.index("pageview_paths")


@dataclass(slots=True)
class SessionState:
    """A session as the Writer knows it. Cached states are never mutated: a batch works
    on copies and puts them in the cache only after its commit."""

    session_id: int  # the UBIGINT the 16 hex characters of the public id spell
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
    source: tuple[Any, ...]
    client: list[Any]
    pageview_paths: list[str]  # distinct, in first-view order

    @classmethod
    def from_row(cls, row: tuple[Any, ...]) -> SessionState:
        """From a row of ``SESSION_COLUMNS`` (``tenant_id`` is not kept)."""
        return cls(
            *row[:2], *row[3:_SOURCE_AT], tuple(row[_SOURCE_AT:_CLIENT_AT]), list(row[_CLIENT_AT:_PATHS_AT]),
            list(row[_PATHS_AT]),
        )

    def row(self) -> tuple[Any, ...]:
        return (
            self.session_id, self.website_id, None, self.visitor_id, self.first_seen,
            self.last_seen, self.pageview_count, self.event_count, self.entry_page,
            self.entry_path, self.exit_path, self.is_bot, self.bot_score, self.bot_reason,
            *self.source, *self.client, self.pageview_paths,
        )

    def copy(self) -> SessionState:
        copied = SessionState(*(getattr(self, name) for name in self.__slots__))
        copied.client = list(self.client)
        copied.pageview_paths = list(self.pageview_paths)
        return copied


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


_DELETE_CONTINUED = """
DELETE FROM sessions
WHERE website_id = $website_id AND last_seen >= $since AND list_contains($ids, session_id)
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
        if isinstance(event[CREATED_AT], str):
            event[CREATED_AT] = datetime.fromisoformat(event[CREATED_AT])
    current, changed, continued = _resolve_sessions(con, cache, events)
    new_cursor = fresh[-1].end
    with transaction(con):
        [(next_id,)] = con.execute("SELECT next_event_id FROM ingest_cursor WHERE id = 1").fetchall()
        for offset, event in enumerate(events):
            event[ID] = next_id + offset
        appender = con.appender("events", columns=list(EVENT_COLUMNS))
        appender.append_rows([event[:PREVIOUS_VISITOR_ID] for event in events])
        appender.flush()
        _delete_continued(con, continued, events)
        sessions = con.appender("sessions", columns=list(SESSION_COLUMNS))
        sessions.append_rows([state.row() for state in changed])
        sessions.flush()
        con.execute(
            'UPDATE ingest_cursor SET segment = $segment, "offset" = $offset, next_event_id = $next_id WHERE id = 1',
            {"segment": new_cursor.segment, "offset": new_cursor.offset, "next_id": next_id + len(events)},
        )
    for key, state in current.items():
        cache.put(key, state)
    return new_cursor, len(events)


def _delete_continued(con: duckdb.DuckDBPyConnection, continued: dict[str, set[int]], events: list[list[Any]]) -> None:
    """Delete the stored rows of the sessions this batch continued (rewritten after)."""
    since = min(event[CREATED_AT] for event in events) - SESSION_TIMEOUT
    for website_id, ids in continued.items():
        con.execute(_DELETE_CONTINUED, {"website_id": website_id, "since": since, "ids": sorted(ids)})


def _resolve_sessions(
    con: duckdb.DuckDBPyConnection, cache: SessionCache, events: list[list[Any]]
) -> tuple[dict[SessionKey, SessionState], list[SessionState], dict[str, set[int]]]:
    """Assign the session id of each event.

    Returns each visitor's newest session (for the cache), every session the batch
    changed (to write), including ones that ended inside the batch, and the ids of the
    stored sessions it continued, by website (their rows are replaced).
    """
    known = _load_open_sessions(con, cache, events)
    current: dict[SessionKey, SessionState] = {}
    ended: dict[int, SessionState] = {}
    continued: dict[str, set[int]] = {}
    for event in events:
        key = (event[WEBSITE_ID], event[VISITOR_ID])
        at = event[CREATED_AT]
        state = current.get(key) or known.get(key)
        previous_id = event[PREVIOUS_VISITOR_ID]
        if not _continues(state, at) and previous_id:
            old_key = (event[WEBSITE_ID], previous_id)
            old = current.get(old_key) or known.get(old_key)
            if _continues(old, at):
                key, state = old_key, old
                event[VISITOR_ID] = previous_id
        if _continues(state, at):
            if key not in current:
                continued.setdefault(state.website_id, set()).add(state.session_id)
                state = state.copy()
            _advance(state, event)
        else:
            if key in current:
                ended[current[key].session_id] = current[key]
            state = _start(event)
        event[SESSION_ID] = state.session_id
        current[key] = state
    return current, [*ended.values(), *current.values()], continued


def _load_open_sessions(
    con: duckdb.DuckDBPyConnection, cache: SessionCache, events: list[list[Any]]
) -> dict[SessionKey, SessionState]:
    known: dict[SessionKey, SessionState] = {}
    missing: dict[str, set[str]] = {}
    since: dict[str, datetime] = {}
    for event in events:
        website = event[WEBSITE_ID]
        for visitor in (event[VISITOR_ID], event[PREVIOUS_VISITOR_ID]):
            if not visitor or (website, visitor) in known or visitor in missing.get(website, ()):
                continue
            state = cache.get((website, visitor))
            if state is not None:
                cache.hits += 1
                known[(website, visitor)] = state
            else:
                missing.setdefault(website, set()).add(visitor)
        earliest = event[CREATED_AT] - SESSION_TIMEOUT
        if website not in since or earliest < since[website]:
            since[website] = earliest
    for website, visitors in missing.items():
        cache.misses += len(visitors)
        rows = con.execute(
            _LOOKUP_SESSIONS, {"website_id": website, "visitors": sorted(visitors), "since": since[website]}
        ).fetchall()
        for row in rows:
            state = SessionState.from_row(row)
            known[(state.website_id, state.visitor_id)] = state
    return known


def _continues(state: SessionState | None, at: datetime) -> bool:
    return state is not None and at - state.last_seen <= SESSION_TIMEOUT and at >= state.first_seen


def _start(event: list[Any]) -> SessionState:
    at: datetime = event[CREATED_AT]
    path = event[PATH] if event[EVENT_TYPE] == "pageview" else None
    return SessionState(
        session_id=session_key(derive_session_id(event[VISITOR_ID], event[WEBSITE_ID], event[URL], _epoch_ms(at))),
        website_id=event[WEBSITE_ID],
        visitor_id=event[VISITOR_ID],
        first_seen=at,
        last_seen=at,
        pageview_count=1 if path is not None else 0,
        event_count=1,
        entry_page=event[URL],  # the landing event's URL until a better-ranked one comes
        entry_path=path,
        exit_path=path,
        is_bot=bool(event[IS_BOT]),
        bot_score=int(event[BOT_SCORE]),
        bot_reason=event[BOT_REASON],
        source=tuple(event[index] for index in _SOURCE),
        client=[event[index] for index in _CLIENT],
        pageview_paths=[path] if path is not None else [],
    )


def _event_rank(event: list[Any]) -> int:
    """How well an event tells where a visit came from: 0 pageview, 1 an event carrying a
    referrer or UTM tag, 2 anything else (lower wins; the same CASE as in ``schema``)."""
    if event[EVENT_TYPE] == "pageview":
        return 0
    return 1 if any(event[index] is not None for index in _SOURCE_SIGNALS) else 2


def _landing_rank(state: SessionState) -> int:
    """The rank of the event the session's source came from, read back from the state."""
    if state.pageview_count:
        return 0
    return 1 if any(state.source[slot] is not None for slot in _SIGNAL_SLOTS) else 2


def _advance(state: SessionState, event: list[Any]) -> None:
    if event[CREATED_AT] > state.last_seen:
        state.last_seen = event[CREATED_AT]
    if _event_rank(event) < _landing_rank(state):
        state.source = tuple(event[index] for index in _SOURCE)
        state.entry_page = event[URL]
    if event[EVENT_TYPE] == "pageview":
        state.pageview_count += 1
        state.entry_path = state.entry_path or event[PATH]
        state.exit_path = event[PATH]
        if event[PATH] not in state.pageview_paths:
            state.pageview_paths.append(event[PATH])
    state.event_count += 1
    client = state.client
    for slot, index in enumerate(_CLIENT):
        if client[slot] is None:
            client[slot] = event[index]
    score = int(event[BOT_SCORE])
    if event[IS_BOT]:
        state.is_bot = True
    if score >= state.bot_score and event[BOT_REASON]:
        state.bot_reason = event[BOT_REASON]
    state.bot_score = max(state.bot_score, score)


def _epoch_ms(naive_utc: datetime) -> int:
    return int((naive_utc - datetime(1970, 1, 1)).total_seconds() * 1000)
