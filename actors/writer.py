"""Writer: the one actor that writes DuckDB.

It owns the writer connection and the session cache. Every write — event batches from
the Buffer and metadata changes from the API (websites, settings, …) — arrives as a
message and runs, one at a time, in a worker thread, so the Trio loop never blocks and
no two writes interleave (Datasette's ``_execute_writes`` loop, as an actor).

It never reads the WAL and never answers HTTP. Back-pressure: its mailbox is small;
the Buffer waits for room, and the Buffer's own bounds turn that into 503s upstream.

Storage faults do not stop it: a batch whose commit fails (a full disk) is answered
with the error, and the Buffer retries it with back-off. When DuckDB reports a fatal
error it has invalidated the whole instance, so the Writer reopens the database before
its next write, re-reads the cursor (a retried batch skips what did commit, so replay
stays exactly-once) and drops its session cache, which may be ahead of what committed.
A reopen that fails is tried again by the next message.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import duckdb
import trio

from actors.runtime import Actor, Reply

log = logging.getLogger("sparklytics.writer")
from sparklytics.startup import database_error
from sparklytics.stores.duckdb import ingest, schema
from sparklytics.stores.duckdb.database import Database
from sparklytics.wal import WalPosition, WalRecord


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
class RunWrite:
    """Run ``fn(connection)`` as the writer and reply with its result (metadata writes)."""

    fn: Callable[[Any], Any]
    reply: Reply = field(default_factory=Reply)


@dataclass(frozen=True, slots=True)
class ForgetWebsite:
    """Drop cached sessions of a deleted website."""

    website_id: str


@dataclass(frozen=True, slots=True)
class WriterStatistics:
    committed_rows: int
    commits: int
    cursor: WalPosition | None
    session_cache_size: int
    session_cache_hits: int
    session_cache_misses: int
    reopens: int


class Writer(Actor):
    def __init__(self, db: Database, *, session_cache_max_entries: int) -> None:
        super().__init__("writer", capacity=16)
        self._db = db
        self._cache = ingest.SessionCache(session_cache_max_entries)
        self._limiter = trio.CapacityLimiter(1)
        self._cursor: WalPosition | None = None
        self._committed_rows = 0
        self._commits = 0
        self._reopens = 0
        self._invalidated: str | None = None

    async def run(self, *, task_status: trio.TaskStatus[None] = trio.TASK_STATUS_IGNORED) -> None:
        self._cursor = await self._in_thread(self._prepare)
        task_status.started()
        async for msg in self.inbox:
            match msg:
                case WriteEvents(records, reply):
                    await self._write_events(records, reply)
                case GetCursor(reply):
                    reply.send(self._cursor)
                case RunWrite(fn, reply):
                    await self._run_write(fn, reply)
                case ForgetWebsite(website_id):
                    self._cache.forget_website(website_id)
                case _:
                    raise TypeError(f"writer got an unknown message: {msg!r}")

    def writer_statistics(self) -> WriterStatistics:
        return WriterStatistics(
            committed_rows=self._committed_rows,
            commits=self._commits,
            cursor=self._cursor,
            session_cache_size=len(self._cache),
            session_cache_hits=self._cache.hits,
            session_cache_misses=self._cache.misses,
            reopens=self._reopens,
        )

    @property
    def storage_fault(self) -> str | None:
        """Why the database is unusable until the Writer reopens it, or None."""
        return self._invalidated

    def _prepare(self) -> WalPosition:
        con = self._db.writer
        try:
            schema.apply_migrations(con)
            schema.purge_tombstones(con)
            return ingest.read_cursor(con)
        except duckdb.Error as error:  # damaged blocks show up once the tables are read
            raise database_error(self._db.path, error) from None

    async def _write_events(self, records: list[WalRecord], reply: Reply) -> None:
        try:
            await self._reopen_if_invalidated()
            assert self._cursor is not None
            cursor, rows = await self._in_thread(ingest.commit_batch, self._db.writer, self._cache, records, self._cursor)
        except duckdb.Error as exc:  # the disk, not the batch: the Buffer retries it
            reply.fail(exc)
            await self._recover_from(exc)
            return
        self._cursor = cursor
        if rows:
            self._committed_rows += rows
            self._commits += 1
        reply.send(Committed(cursor, rows))

    async def _run_write(self, fn: Callable[[Any], Any], reply: Reply) -> None:
        try:
            await self._reopen_if_invalidated()
            result = await self._in_thread(fn, self._db.writer)
        except Exception as exc:  # the caller's error, not the writer's: hand it back
            reply.fail(exc)
            await self._recover_from(exc)
        else:
            reply.send(result)

    async def _recover_from(self, exc: Exception) -> None:
        """Reopen the database at once if ``exc`` says DuckDB invalidated it.

        At once, so that readers (the dashboard, ``/health``) do not wait for the next
        write; if the reopen fails (the disk is still full), the next write tries again.
        """
        if not isinstance(exc, duckdb.FatalException):
            return
        if self._invalidated is None:
            self._invalidated = f"the database was invalidated: {str(exc).splitlines()[0]}"
            log.error("%s; reopening it", self._invalidated)
        try:
            await self._reopen_if_invalidated()
        except duckdb.Error as reopen_error:
            log.error("reopening the database failed (%s); the next write tries again", reopen_error)

    async def _reopen_if_invalidated(self) -> None:
        """Open a fresh DuckDB instance after a fatal error; raise if that fails too."""
        if self._invalidated is None:
            return
        await self._in_thread(self._db.reopen)
        self._cursor = await self._in_thread(ingest.read_cursor, self._db.writer)
        self._cache = ingest.SessionCache(self._cache.max_entries)
        self._reopens += 1
        self._invalidated = None
        log.info("the database is reopened; ingest continues from %s", self._cursor)

    async def _in_thread(self, fn: Callable[..., Any], *args: Any) -> Any:
        return await trio.to_thread.run_sync(fn, *args, limiter=self._limiter)
