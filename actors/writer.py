"""Writer: the one actor that writes event storage.

It owns the :class:`~sparklytics.stores.EventStore` and every write to it. Every write —
event batches from the Buffer, retention purges from the Scheduler and metadata
changes from the API (websites, settings, …, which on DuckDB share the one write
connection) — arrives as a message and runs, one at a time, in a worker thread, so the
Trio loop never blocks and no two writes interleave (Datasette's ``_execute_writes``
loop, as an actor). It knows no storage engine. Derived data that needs no ordering
with the writes is not its job: cloud mode's closed days' sessions, which any node may
build at any time, are built by the Scheduler beside it, so a build (≈ 18 s a day at
10M events) never holds up a commit.

It never reads the WAL and never answers HTTP. Back-pressure: its mailbox is small;
the Buffer waits for room, and the Buffer's own bounds turn that into 503s upstream.

Storage faults do not stop it: a batch whose commit fails (a full disk) is answered
with the :class:`~sparklytics.stores.errors.StorageFault`, and the Buffer retries it
with back-off. When a fault ``needs_reopen`` (DuckDB invalidated the whole instance),
the Writer reopens the store before its next write and takes the recovery point again
(a retried batch skips what did commit, so replay stays exactly-once); the store drops
its session cache, which may be ahead of what committed. A reopen that fails is tried
again by the next message.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import trio

from actors.runtime import Actor, ActorStatistics, Reply
from sparklytics.bot_controls import BotSample
from sparklytics.enrich.bots import BotVerdict
from sparklytics.stores import EventStore
from sparklytics.stores.events import PageAfter
from sparklytics.stores.errors import StorageFault
from sparklytics.wal import WalPosition, WalRecord

log = logging.getLogger("sparklytics.writer")

@dataclass(frozen=True, slots=True)
class WriteEvents:
    """Commit these WAL records (skipping any already committed)."""

    records: list[WalRecord]
    reply: Reply = field(default_factory=Reply)


@dataclass(frozen=True, slots=True)
class Committed:
    cursor: WalPosition
    rows: int


@dataclass(frozen=True, slots=True)
class GetCursor:
    """Ask for the position of the first WAL record not yet committed."""

    reply: Reply = field(default_factory=Reply)


@dataclass(frozen=True, slots=True)
class PurgeEvents:
    """Delete at most ``limit`` events and sessions older than ``older_than``; reply
    with the rows deleted (0: nothing left)."""

    older_than: datetime
    limit: int
    reply: Reply = field(default_factory=Reply)


@dataclass(frozen=True, slots=True)
class ReclassifyBots:
    """Re-classify the next ``limit`` events of a bot recompute in one transaction; reply
    with (events done, next cursor or None)."""

    website_id: str
    start: datetime
    end: datetime
    after: PageAfter | None
    limit: int
    classify: Callable[[BotSample], BotVerdict]
    reply: Reply = field(default_factory=Reply)


@dataclass(frozen=True, slots=True)
class RollUpBotSessions:
    """Give the sessions of a recomputed window their events' verdicts; reply with how many."""

    website_id: str
    start: datetime
    end: datetime
    reply: Reply = field(default_factory=Reply)


@dataclass(frozen=True, slots=True)
class RunWrite:
    """Run ``fn()`` as the writer and reply with its result (metadata writes, which
    reach their storage themselves)."""

    fn: Callable[[], Any]
    reply: Reply = field(default_factory=Reply)


@dataclass(frozen=True, slots=True)
class ForgetWebsite:
    """Drop cached sessions of a deleted website."""

    website_id: str


@dataclass(frozen=True, slots=True)
class WriterStatistics(ActorStatistics):
    committed_rows: int
    commits: int
    cursor: WalPosition | None
    session_cache_size: int
    session_cache_hits: int
    session_cache_misses: int
    reopens: int


class Writer(Actor):
    def __init__(self, store: EventStore) -> None:
        super().__init__("writer", capacity=16)
        self._store = store
        self._limiter = trio.CapacityLimiter(1)
        self._cursor: WalPosition | None = None
        self._committed_rows = 0
        self._commits = 0
        self._reopens = 0
        self._invalidated: str | None = None

    async def run(self, *, task_status: trio.TaskStatus[None] = trio.TASK_STATUS_IGNORED) -> None:
        self._cursor = await self._in_thread(self._store.prepare)
        task_status.started()
        async for msg in self.inbox:
            match msg:
                case WriteEvents(records, reply):
                    await self._write_events(records, reply)
                case GetCursor(reply):
                    reply.send(self._cursor)
                case PurgeEvents(older_than, limit, reply):
                    await self._on_store(lambda: self._store.purge(older_than, limit=limit), reply)
                case ReclassifyBots(website_id, start, end, after, limit, classify, reply):
                    await self._on_store(
                        lambda: self._store.reclassify_bots(website_id, start, end, after=after, limit=limit, classify=classify),
                        reply,
                    )
                case RollUpBotSessions(website_id, start, end, reply):
                    await self._on_store(lambda: self._store.roll_up_bot_sessions(website_id, start, end), reply)
                case RunWrite(fn, reply):
                    await self._run_write(fn, reply)
                case ForgetWebsite(website_id):
                    self._store.forget_website(website_id)
                case _:
                    raise TypeError(f"writer got an unknown message: {msg!r}")

    def statistics(self) -> WriterStatistics:
        store = self._store.statistics()
        return WriterStatistics(
            *self._actor_statistics(),
            committed_rows=self._committed_rows,
            commits=self._commits,
            cursor=self._cursor,
            session_cache_size=store.sessions_cached,
            session_cache_hits=store.session_cache_hits,
            session_cache_misses=store.session_cache_misses,
            reopens=self._reopens,
        )

    @property
    def storage_fault(self) -> str | None:
        """Why the database is unusable until the Writer reopens it, or None."""
        return self._invalidated

    async def _write_events(self, records: list[WalRecord], reply: Reply) -> None:
        """Commit the records not yet committed.

        Records that start before the cursor were committed already (a retry after a
        reply was lost) and are skipped, which keeps replay exactly-once.
        """
        try:
            await self._reopen_if_invalidated()
            assert self._cursor is not None
            fresh = [record for record in records if record.start >= self._cursor]
            rows = 0
            if fresh:
                events = [event for record in fresh for event in record.events]
                rows = await self._in_thread(self._store.commit, events, fresh[-1].end)
                self._cursor = fresh[-1].end
        except StorageFault as exc:  # the disk, not the batch: the Buffer retries it
            reply.fail(exc)
            await self._recover_from(exc)
            return
        if rows:
            self._committed_rows += rows
            self._commits += 1
        reply.send(Committed(self._cursor, rows))

    async def _on_store(self, write: Callable[[], Any], reply: Reply) -> None:
        """Run one of the store's own writes (purge, recompute) and reply with its result."""
        try:
            await self._reopen_if_invalidated()
            result = await self._in_thread(write)
        except StorageFault as exc:
            reply.fail(exc)
            await self._recover_from(exc)
        else:
            reply.send(result)

    async def _run_write(self, fn: Callable[[], Any], reply: Reply) -> None:
        try:
            await self._reopen_if_invalidated()
            result = await self._in_thread(self._store.run_write, fn)
        except Exception as exc:  # the caller's error, not the writer's: hand it back
            reply.fail(exc)
            await self._recover_from(exc)
        else:
            reply.send(result)

    async def _recover_from(self, exc: Exception) -> None:
        """Reopen the store at once if ``exc`` says the storage invalidated itself.

        At once, so that readers (the dashboard, ``/health``) do not wait for the next
        write; if the reopen fails (the disk is still full), the next write tries again.
        """
        if not (isinstance(exc, StorageFault) and exc.needs_reopen):
            return
        if self._invalidated is None:
            self._invalidated = f"the database was invalidated: {str(exc).splitlines()[0]}"
            log.error("%s; reopening it", self._invalidated)
        try:
            await self._reopen_if_invalidated()
        except StorageFault as reopen_error:
            log.error("reopening the database failed (%s); the next write tries again", reopen_error)

    async def _reopen_if_invalidated(self) -> None:
        """Reopen the store after a fault that invalidated it; raise if that fails too."""
        if self._invalidated is None:
            return
        self._cursor = await self._in_thread(self._store.reopen)
        self._reopens += 1
        self._invalidated = None
        log.info("the database is reopened; ingest continues from %s", self._cursor)

    async def _in_thread(self, fn: Callable[..., Any], *args: Any) -> Any:
        return await trio.to_thread.run_sync(fn, *args, limiter=self._limiter)
