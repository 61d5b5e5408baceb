"""The Writer's memory of each visitor's earlier visits, so session rows are written settled.

``visits.py`` says what the ``prev_*`` columns hold and why the overview counts visitors
from them. Recomputing them with window functions over the table inside the commit
transaction (the first design) cost 0.9–1.7 s per settle at 10M events: durable acks
would have stalled every few seconds. So the Writer computes a row's columns as it
writes it, from a :class:`VisitorHistory` per (website, visitor): the visitor's newest
session, and, over its earlier non-bot sessions, when each value was last seen. A
session of a visitor ends only when a later one starts (``sessions.py``), so every
session before the newest is final, and a row's columns are a lookup in that fold.

A visitor not in memory is either new or has stored sessions the Writer no longer
holds (evicted, or before a restart or a WAL replay); nothing in the id tells which
(client-supplied and imported ids come back days later). Reading storage for every one
costs 60–120 ms of CPU per commit at 10M events (a scan of ``visitor_key`` plus the
scattered rows it selects), so :class:`KnownVisitors`, a Bloom filter of every visitor
with a stored session (built at start, ≈ 3 bytes per visitor), says which are new: only
the others (and its rare false positives, ≈ 0.05 %) are read, in one query per commit
(95–220 ms at 10M: the cost of a returning visitor the Writer does not hold). At start
the most recent visitors of the last day of stored traffic are loaded (salted ids live
one day), so a restart or a WAL replay does not send the day's returning visitors to
storage one commit at a time. A held visitor costs ≈ 1.5 KB of memory.

A session that starts before its visitor's newest one (an import out of time order, or
an event older than the visitor's newest visit) does not fit the fold: the batch
writes that visitor's rows unsettled and settles the visitor in the same transaction
(``visits.settle_visitors``: the same key lookup plus window functions over its few
sessions); its history is then read from storage again on its next visit.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import duckdb

from sparklytics.sessions import CLIENT_COLUMNS, SOURCE_COLUMNS, SessionState
from sparklytics.stores.duckdb import visits

# What a session contributes to its visitor's later sessions: its value of each counted
# dimension, in the order of ``visits.PREVIOUS_VISIT_COLUMNS``.
_REFERRER = SOURCE_COLUMNS.index("referrer_domain")
_COUNTRY, _BROWSER, _DEVICE = (CLIENT_COLUMNS.index(name) for name in ("country", "browser", "device_type"))
assert tuple(visits.PREVIOUS_VISIT_COLUMNS) == ("referrer", "country", "browser", "device")

# The columns the Writer appends after ``SESSION_COLUMNS``.
COLUMNS: tuple[str, ...] = (*visits.SETTLED_COLUMNS, "prev_paths_seen", "prev_known", "visitor_key")

VisitorKey = tuple[str, str]


@dataclass(frozen=True, slots=True)
class Visit:
    """The part of a session its visitor's later sessions depend on."""

    first_seen: datetime
    session_id: int
    last_seen: datetime
    is_bot: bool
    values: tuple[Any, ...]  # referrer ('(direct)' for none), country, browser, device
    paths: tuple[str, ...]

    @classmethod
    def of(cls, state: SessionState) -> Visit:
        referrer = state.source[_REFERRER]
        values = (
            "(direct)" if referrer is None else referrer,
            state.client[_COUNTRY], state.client[_BROWSER], state.client[_DEVICE],
        )
        return cls(state.first_seen, state.session_id, state.last_seen, state.is_bot, values, tuple(state.pageview_paths))

    @property
    def order(self) -> tuple[datetime, int]:
        """The order ``visits.py`` defines "previous" by."""
        return (self.first_seen, self.session_id)


@dataclass(slots=True)
class VisitorHistory:
    """A visitor's newest session, and when each value was last seen before it."""

    newest: Visit | None = None
    any_seen: datetime | None = None
    seen: dict[tuple[int, Any], datetime] = field(default_factory=dict)  # (dimension, value)
    paths_seen: dict[str, datetime] = field(default_factory=dict)

    def copy(self) -> VisitorHistory:
        return VisitorHistory(self.newest, self.any_seen, dict(self.seen), dict(self.paths_seen))

    def advance(self, visit: Visit) -> bool:
        """Make ``visit`` (a new or continued session) the newest; False when it starts
        before the newest one, which the fold cannot place."""
        newest = self.newest
        if newest is not None and visit.session_id != newest.session_id:
            if visit.order < newest.order:
                return False
            self._fold(newest)
        self.newest = visit
        return True

    def previous(self, visit: Visit) -> tuple[Any, ...]:
        """The ``COLUMNS`` values of the newest session, ``visit``."""
        paths = [self.paths_seen.get(path) for path in visit.paths] if visit.paths else None
        return (
            self.any_seen,
            *(self.seen.get((dimension, value)) for dimension, value in enumerate(visit.values)),
            paths,
            True,
        )

    def _fold(self, visit: Visit) -> None:
        if visit.is_bot:
            return
        at = visit.last_seen
        if self.any_seen is None or at > self.any_seen:
            self.any_seen = at
        for key in enumerate(visit.values):
            if key not in self.seen or at > self.seen[key]:
                self.seen[key] = at
        for path in visit.paths:
            if path not in self.paths_seen or at > self.paths_seen[path]:
                self.paths_seen[path] = at


# The sessions of the visitors being looked up: their keys first (a narrow column), then
# the ids of the few rows those select.
_VISIT_COLUMNS = """website_id, visitor_id, first_seen, session_id, last_seen, is_bot,
       coalesce(referrer_domain, '(direct)'), country, browser, device_type, pageview_paths"""
_LOOKUP_SQL = f"""
SELECT {_VISIT_COLUMNS}
FROM sessions
SEMI JOIN (SELECT unnest($websites) AS website_id, unnest($visitors) AS visitor_id) v
    USING (website_id, visitor_id)
WHERE visitor_key IN (SELECT unnest($keys))
"""


# A Bloom filter of ``_HASHES`` bits per visitor, ``_BITS_PER_VISITOR`` bits per stored
# session (at least one per visitor): false positives ≈ (1 - e^(-4/24))^4 ≈ 0.05 %
# while the visitors stored since the start are few against the sessions it was built
# from. It lives in memory only, rebuilt at each start, so DuckDB's ``hash`` (fast, but
# not promised stable across releases) serves both for building and for testing it.
_HASHES = 4
_BITS_PER_VISITOR = 24
_MIN_BITS = 1 << 20
# One BIT string of ``$bits`` bits (position 0 the high bit of the first byte), made in
# one pass and fetched as one value.
_BLOOM_SQL = f"""
SELECT CAST(bitstring_agg(pos, 0, $bits - 1) AS BLOB)
FROM (
    SELECT ((h & 4294967295) + i * (h >> 32)) % $bits AS pos
    FROM (SELECT hash(website_id, visitor_id) AS h FROM sessions), range({_HASHES}) t(i)
)
"""
_HASH_SQL = "SELECT hash(unnest($websites), unnest($visitors))"


class KnownVisitors:
    """Which (website, visitor) pairs may have stored sessions: a Bloom filter, so a
    new visitor is told apart without reading storage (no false negatives)."""

    def __init__(self, bits: int, filter_bytes: bytes | None = None) -> None:
        self._bits = bits
        self._bytes = bytearray(filter_bytes or bits // 8)

    @classmethod
    def load(cls, con: duckdb.DuckDBPyConnection) -> KnownVisitors:
        """Built from every stored session (one scan of the ids, at start)."""
        [(sessions,)] = con.execute("SELECT count(*) FROM sessions").fetchall()
        bits = max(_MIN_BITS, -(-sessions * _BITS_PER_VISITOR // 64) * 64)
        if not sessions:
            return cls(bits)
        [(filter_bytes,)] = con.execute(_BLOOM_SQL, {"bits": bits}).fetchall()
        return cls(bits, filter_bytes)

    @staticmethod
    def hashes(con: duckdb.DuckDBPyConnection, keys: Sequence[VisitorKey]) -> list[int]:
        """The hash of each key, as the filter takes it."""
        params = {"websites": [website for website, _ in keys], "visitors": [visitor for _, visitor in keys]}
        return [h for (h,) in con.execute(_HASH_SQL, params).fetchall()]

    def add(self, h: int) -> None:
        for position in self._positions(h):
            self._bytes[position >> 3] |= 0x80 >> (position & 7)

    def __contains__(self, h: int) -> bool:
        return all(self._bytes[position >> 3] & (0x80 >> (position & 7)) for position in self._positions(h))

    def _positions(self, h: int) -> list[int]:
        low, high = h & 0xFFFFFFFF, h >> 32
        return [(low + i * high) % self._bits for i in range(_HASHES)]


@dataclass(frozen=True, slots=True)
class SettledRows:
    """A batch's session rows with their columns, and what the commit must do after."""

    rows: list[tuple[Any, ...]]
    histories: dict[VisitorKey, VisitorHistory]  # to keep once the batch commits
    unplaced: list[VisitorKey]  # visitors whose rows went unsettled: settle them
    stored_now: list[int]  # hashes of the visitors not held before: now they are stored


# The visitors held after a start: the most recently seen, among those of the last day
# of stored traffic (salted visitor ids live one day, Decision 6), with all their
# sessions, so a restart or a WAL replay does not send the day's returning visitors to
# storage one commit at a time.
_RECENT_SQL = f"""
SELECT {_VISIT_COLUMNS}
FROM sessions
SEMI JOIN (
    SELECT website_id, visitor_id FROM sessions
    WHERE last_seen >= (SELECT max(last_seen) FROM sessions) - INTERVAL 25 HOURS
    GROUP BY website_id, visitor_id
    ORDER BY max(last_seen) DESC
    LIMIT $n
) USING (website_id, visitor_id)
"""


class VisitorHistories:
    """The histories of recently active visitors, bounded, least recent evicted. Only the
    Writer changes sessions, so what it holds is authoritative; a miss reads storage
    when :class:`KnownVisitors` says the visitor may have stored sessions."""

    def __init__(self, max_entries: int) -> None:
        self.max_entries = max_entries
        self._entries: OrderedDict[VisitorKey, VisitorHistory] = OrderedDict()
        self._known: KnownVisitors | None = None  # until loaded, every miss reads storage

    def load(self, con: duckdb.DuckDBPyConnection) -> None:
        """At start (and after a reopen): which visitors have stored sessions, and the
        histories of the most recent ones."""
        self._known = KnownVisitors.load(con)
        recent = _histories(con.execute(_RECENT_SQL, {"n": self.max_entries}).fetchall())
        for key, history in sorted(recent.items(), key=lambda item: item[1].newest.last_seen):
            self._entries[key] = history

    def settled_rows(self, con: duckdb.DuckDBPyConnection, changed: Sequence[SessionState]) -> SettledRows:
        """Each changed session's row (``SESSION_COLUMNS`` then :data:`COLUMNS`)."""
        by_visitor: dict[VisitorKey, list[SessionState]] = {}
        for state in changed:
            by_visitor.setdefault((state.website_id, state.visitor_id), []).append(state)
        histories, stored_now = self._current(con, by_visitor)
        rows: list[tuple[Any, ...]] = []
        unplaced: list[VisitorKey] = []
        for key, states in by_visitor.items():
            history = histories[key]
            visits_in_order = sorted(((Visit.of(state), state) for state in states), key=lambda pair: pair[0].order)
            placed = []
            for visit, state in visits_in_order:
                if not history.advance(visit):
                    break
                placed.append((*state.row(), *history.previous(visit), visits.visitor_key(state.visitor_id)))
            else:
                rows.extend(placed)
                continue
            unplaced.append(key)
            del histories[key]
            rows.extend(_unsettled(state) for state in states)
        return SettledRows(rows, histories, unplaced, stored_now)

    def keep(self, settled: SettledRows) -> None:
        """After the batch committed: its visitors' histories become current."""
        for key, history in settled.histories.items():
            self._entries[key] = history
            self._entries.move_to_end(key)
        for key in settled.unplaced:
            self._entries.pop(key, None)
        if self._known is not None:
            for h in settled.stored_now:
                self._known.add(h)
        while len(self._entries) > self.max_entries:
            self._entries.popitem(last=False)

    def forget(self, website_id: str) -> None:
        """Drop the histories of ``website_id``: its sessions changed outside the
        Writer's commits (a bot recompute, a website delete)."""
        for key in [key for key in self._entries if key[0] == website_id]:
            del self._entries[key]

    def forget_visitors(self, visitors: Iterable[VisitorKey]) -> None:
        """Drop the histories of ``visitors``: some of their sessions were purged."""
        for key in visitors:
            self._entries.pop(key, None)

    def __len__(self) -> int:
        return len(self._entries)

    def _current(
        self, con: duckdb.DuckDBPyConnection, visitors: Iterable[VisitorKey]
    ) -> tuple[dict[VisitorKey, VisitorHistory], list[int]]:
        """Working copies of the histories of ``visitors``, storage read for those not
        held that may have stored sessions; and the hashes of those not held."""
        histories = {}
        not_held = []
        for key in visitors:
            held = self._entries.get(key)
            if held is None:
                not_held.append(key)
            else:
                histories[key] = held.copy()
        if not not_held:
            return histories, []
        hashes = KnownVisitors.hashes(con, not_held)
        missing = []
        for key, h in zip(not_held, hashes):
            if self._known is None or h in self._known:
                missing.append(key)
            else:
                histories[key] = VisitorHistory()
        if missing:
            stored = _histories(con.execute(_LOOKUP_SQL, _lookup_params(missing)).fetchall())
            histories.update({key: stored.get(key) or VisitorHistory() for key in missing})
        return histories, hashes


def _lookup_params(missing: list[VisitorKey]) -> dict[str, list]:
    return {
        "keys": sorted({visits.visitor_key(visitor) for _, visitor in missing}),
        "websites": [website for website, _ in missing],
        "visitors": [visitor for _, visitor in missing],
    }


def _histories(rows: Iterable[Sequence[Any]]) -> dict[VisitorKey, VisitorHistory]:
    """The histories of the visitors of ``rows`` (:data:`_VISIT_COLUMNS`), all their sessions."""
    stored: dict[VisitorKey, list[Visit]] = {}
    for website, visitor, first_seen, session_id, last_seen, is_bot, *values, paths in rows:
        stored.setdefault((website, visitor), []).append(
            Visit(first_seen, session_id, last_seen, is_bot, tuple(values), tuple(paths))
        )
    histories = {}
    for key, visits_of_visitor in stored.items():
        history = VisitorHistory()
        for visit in sorted(visits_of_visitor, key=lambda visit: visit.order):
            history.advance(visit)
        histories[key] = history
    return histories


def _unsettled(state: SessionState) -> tuple[Any, ...]:
    return (*state.row(), *(None,) * len(visits.SETTLED_COLUMNS), None, False, visits.visitor_key(state.visitor_id))
