"""Session rules: which session an event belongs to, and what that session becomes.

Backend-free (no SQL): an event store loads the open sessions a batch may continue
(:func:`sessions_to_load` says which, the :class:`SessionCache` holds the recent ones),
calls :func:`resolve_sessions`, and stores the events with the session ids it gives and
the sessions it changed. The DuckDB store does so today; a ClickHouse store reuses them.

Sessions follow §2 of the contract: key (website, visitor); an event within 30 minutes
of the session's last event continues it, otherwise it starts a new one whose id is
derived from visitor, website, entry URL and start time. ``pageview_count`` counts
pageviews only (Decision 2: bounce = exactly one pageview); ``event_count`` counts
every event. The bot flag is sticky, the score is the maximum seen. Sessions also keep
their landing dimensions (``SESSION_DIMENSIONS_FROM_EVENTS`` in the DuckDB schema
states the rule in SQL): the source (referrer domain, channel, UTM tags) and
``entry_page`` of the landing event, and the first known value of each client and
place column; and the distinct paths they viewed. So session-level reports need not
read the events.

The landing event (Decision 21) is the session's first pageview; before it has one, its
first event carrying a referrer or a UTM tag; before that, its first event. So a visit
that begins with ``identify()``, a scroll, a link click or a server-side event takes its
source from the pageview that follows instead of showing ``(direct)`` for its whole
life. The rank of the current landing is read back from the state itself (a pageview
was seen iff ``pageview_count > 0``; a ranked-1 source has a referrer or a tag), so a
session loaded from storage after a restart or a WAL replay continues by the same rule,
and a batch holding both events of the session gives what two batches give.

Midnight (Decision 6): an event whose visitor id (today's salt) has no open session
continues the one of its ``previous_visitor_id`` (yesterday's salt) if that is open,
and takes that visitor id.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sparklytics.enrich.ids import session_id as derive_session_id
from sparklytics.enrich.ids import session_key
from sparklytics.events import EventRow

SESSION_TIMEOUT = timedelta(minutes=30)

# Landing dimensions a session copies from its first event, and ones it fills from the
# first event that knows them.
SOURCE_COLUMNS: tuple[str, ...] = ("referrer_domain", "channel", "utm_source", "utm_medium", "utm_campaign")
CLIENT_COLUMNS: tuple[str, ...] = (
    "country", "region", "city", "browser", "os", "device_type", "screen", "language",
)
_SOURCE = tuple(EventRow._fields.index(name) for name in SOURCE_COLUMNS)
# The source columns that make an event "carry a source" (channel is always set: Direct).
_SOURCE_SIGNALS = tuple(EventRow._fields.index(name) for name in SOURCE_COLUMNS if name != "channel")
_SIGNAL_SLOTS = tuple(SOURCE_COLUMNS.index(name) for name in SOURCE_COLUMNS if name != "channel")
_CLIENT = tuple(EventRow._fields.index(name) for name in CLIENT_COLUMNS)

# A session's stored columns, in the order of :meth:`SessionState.row`.
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
    """A session as the event store knows it. Cached states are never mutated: a batch
    works on copies and puts them in the cache only after its commit."""

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
    def from_row(cls, row: Sequence[Any]) -> SessionState:
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
    a miss falls back to one batched storage lookup per commit.
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


@dataclass(frozen=True, slots=True)
class SessionLookup:
    """The open sessions a batch may continue: those in the cache, and per website the
    visitors to look up in storage, among sessions last seen at or after ``since``."""

    cached: dict[SessionKey, SessionState]
    missing: dict[str, set[str]]
    since: dict[str, datetime]


@dataclass(frozen=True, slots=True)
class Resolution:
    """Where a batch's events go and what it changes.

    ``session_ids`` and ``visitor_ids`` are per event, in batch order (a visitor id
    differs from the event's own when it continued yesterday's session). ``current``
    is each visitor's newest session (for the cache), ``changed`` every session the
    batch changed, including ones that ended inside it (to store), and ``continued``
    the ids of stored sessions it continued, by website (their stored rows are replaced).
    """

    session_ids: list[int]
    visitor_ids: list[str]
    current: dict[SessionKey, SessionState]
    changed: list[SessionState]
    continued: dict[str, set[int]]


def sessions_to_load(cache: SessionCache, events: Sequence[EventRow], times: Sequence[datetime]) -> SessionLookup:
    """What a batch may continue: cache hits, and what the store must look up."""
    cached: dict[SessionKey, SessionState] = {}
    missing: dict[str, set[str]] = {}
    since: dict[str, datetime] = {}
    for event, at in zip(events, times):
        website = event.website_id
        for visitor in (event.visitor_id, event.previous_visitor_id):
            if not visitor or (website, visitor) in cached or visitor in missing.get(website, ()):
                continue
            state = cache.get((website, visitor))
            if state is not None:
                cache.hits += 1
                cached[(website, visitor)] = state
            else:
                missing.setdefault(website, set()).add(visitor)
        earliest = at - SESSION_TIMEOUT
        if website not in since or earliest < since[website]:
            since[website] = earliest
    for visitors in missing.values():
        cache.misses += len(visitors)
    return SessionLookup(cached, missing, since)


def resolve_sessions(
    events: Sequence[EventRow], times: Sequence[datetime], known: Mapping[SessionKey, SessionState]
) -> Resolution:
    """Assign each event (created at ``times``) its session, given the open sessions."""
    current: dict[SessionKey, SessionState] = {}
    ended: dict[int, SessionState] = {}
    continued: dict[str, set[int]] = {}
    session_ids: list[int] = []
    visitor_ids: list[str] = []
    for event, at in zip(events, times):
        website = event.website_id
        key = (website, event.visitor_id)
        state = current.get(key) or known.get(key)
        previous_id = event.previous_visitor_id
        if not _continues(state, at) and previous_id:
            old_key = (website, previous_id)
            old = current.get(old_key) or known.get(old_key)
            if _continues(old, at):
                key, state = old_key, old
        if _continues(state, at):
            if key not in current:
                continued.setdefault(state.website_id, set()).add(state.session_id)
                state = state.copy()
            _advance(state, event, at)
        else:
            if key in current:
                ended[current[key].session_id] = current[key]
            state = _start(event, at)
        session_ids.append(state.session_id)
        visitor_ids.append(key[1])
        current[key] = state
    return Resolution(session_ids, visitor_ids, current, [*ended.values(), *current.values()], continued)


def _continues(state: SessionState | None, at: datetime) -> bool:
    return state is not None and at - state.last_seen <= SESSION_TIMEOUT and at >= state.first_seen


def _start(event: EventRow, at: datetime) -> SessionState:
    path = event.path if event.event_type == "pageview" else None
    return SessionState(
        session_id=session_key(derive_session_id(event.visitor_id, event.website_id, event.url, _epoch_ms(at))),
        website_id=event.website_id,
        visitor_id=event.visitor_id,
        first_seen=at,
        last_seen=at,
        pageview_count=1 if path is not None else 0,
        event_count=1,
        entry_page=event.url,  # the landing event's URL until a better-ranked one comes
        entry_path=path,
        exit_path=path,
        is_bot=bool(event.is_bot),
        bot_score=int(event.bot_score),
        bot_reason=event.bot_reason,
        source=tuple(event[index] for index in _SOURCE),
        client=[event[index] for index in _CLIENT],
        pageview_paths=[path] if path is not None else [],
    )


def _event_rank(event: EventRow) -> int:
    """How well an event tells where a visit came from: 0 pageview, 1 an event carrying a
    referrer or UTM tag, 2 anything else (lower wins; the same CASE as in ``schema``)."""
    if event.event_type == "pageview":
        return 0
    return 1 if any(event[index] is not None for index in _SOURCE_SIGNALS) else 2


def _landing_rank(state: SessionState) -> int:
    """The rank of the event the session's source came from, read back from the state."""
    if state.pageview_count:
        return 0
    return 1 if any(state.source[slot] is not None for slot in _SIGNAL_SLOTS) else 2


def _advance(state: SessionState, event: EventRow, at: datetime) -> None:
    if at > state.last_seen:
        state.last_seen = at
    if _event_rank(event) < _landing_rank(state):
        state.source = tuple(event[index] for index in _SOURCE)
        state.entry_page = event.url
    if event.event_type == "pageview":
        state.pageview_count += 1
        state.entry_path = state.entry_path or event.path
        state.exit_path = event.path
        if event.path not in state.pageview_paths:
            state.pageview_paths.append(event.path)
    state.event_count += 1
    client = state.client
    for slot, index in enumerate(_CLIENT):
        if client[slot] is None:
            client[slot] = event[index]
    score = int(event.bot_score)
    if event.is_bot:
        state.is_bot = True
    if score >= state.bot_score and event.bot_reason:
        state.bot_reason = event.bot_reason
    state.bot_score = max(state.bot_score, score)


def _epoch_ms(naive_utc: datetime) -> int:
    """Whole milliseconds since the epoch, floored in integers (a float product can land a
    hair under a whole millisecond), as ClickHouse's ``toUnixTimestamp64Milli`` does."""
    return (naive_utc - datetime(1970, 1, 1)) // timedelta(milliseconds=1)
