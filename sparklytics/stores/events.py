"""EventStore: what the Writer needs from wherever events are kept.

The Writer is the only caller, one call at a time, in a worker thread (every method
may block). The store owns the event storage and its session rules' working set (the
open sessions, ``sparklytics.sessions``); it knows nothing of actors or HTTP.

Exactly-once ingest rests on :meth:`EventStore.commit`: a batch and the WAL position
after it become durable together, and a position already committed is a no-op. A
backend with transactions writes both in one; one without them (ClickHouse) can use the
position as the insert's deduplication token. After a crash the Buffer replays the WAL
from :meth:`EventStore.prepare`'s recovery point, so nothing is lost or doubled.

Faults: every method but :meth:`EventStore.prepare` raises
:class:`~sparklytics.stores.errors.StorageFault` for what the storage refuses (a full
disk, a missing table). When ``needs_reopen`` is set the backend invalidated itself and
the Writer calls :meth:`EventStore.reopen` before anything else.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol, TypeVar

from sparklytics.bot_controls import BotSample
from sparklytics.enrich.bots import BotVerdict
from sparklytics.events import EventRow
from sparklytics.wal import WalPosition

T = TypeVar("T")


# Where a recompute's next page begins: after this (created_at, event id).
PageAfter = tuple[datetime, int]


@dataclass(frozen=True, slots=True)
class EventStoreStatistics:
    sessions_cached: int
    session_cache_hits: int
    session_cache_misses: int


class EventStore(Protocol):
    def prepare(self) -> WalPosition:
        """Bring the storage up to date (migrations) and return the recovery point: the
        WAL position of the first record not yet committed.

        Raises:
            StartupError: the storage cannot be used at all (damaged, locked); retrying
                will not help, so the server stops with one line saying what to do.
        """

    def commit(self, events: Sequence[EventRow], wal_position: WalPosition) -> int:
        """Store ``events`` and make ``wal_position`` the recovery point, both or neither.

        ``wal_position`` is the WAL position just after the batch. If it is at or before
        the recovery point, the batch was committed already: nothing changes and 0 is
        returned. Otherwise the events get their ids and sessions and the number stored
        is returned.
        """

    def purge(self, older_than: datetime, *, limit: int) -> int:
        """Delete at most ``limit`` events and ``limit`` sessions older than
        ``older_than`` (retention); return how many rows went. 0 means nothing is left."""

    def reclassify_bots(
        self,
        website_id: str,
        start: datetime,
        end: datetime,
        *,
        after: PageAfter | None,
        limit: int,
        classify: Callable[[BotSample], BotVerdict],
    ) -> tuple[int, PageAfter | None]:
        """Re-classify the next at most ``limit`` events of ``[start, end)`` in time order
        with ``classify``; return how many and where the next call begins (None: done).

        One call is one read and one write of the verdicts that changed, so ingest
        commits interleave with a recompute between calls."""

    def roll_up_bot_sessions(self, website_id: str, start: datetime, end: datetime) -> int:
        """Give every session with an event in the window its events' verdicts (bot if
        any is, the highest score) and forget the cached ones; return how many."""

    def reopen(self) -> WalPosition:
        """Replace storage that a fault invalidated; return the recovery point again.

        What the store kept in memory (open sessions) may be ahead of what committed, so
        it is dropped too.
        """

    def run_write(self, write: Callable[[], T]) -> T:
        """Run ``write()`` (another store's write sharing this storage, e.g. DuckDB
        metadata on the one write connection) and return its result.

        Its own errors pass through unchanged; one that invalidated the storage is
        raised as a ``StorageFault`` that ``needs_reopen``.
        """

    def forget_website(self, website_id: str) -> None:
        """Forget what is kept in memory about a deleted website (its open sessions)."""

    def statistics(self) -> EventStoreStatistics:
        """Sizes and hit rates of what the store keeps in memory."""
