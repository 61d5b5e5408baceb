"""Buffer: makes accepted events durable, acknowledges them, hands them to the Writer.

It owns the write-ahead log and the queue of durable-but-uncommitted records. Two
tasks share that state:

* **intake** takes every ``Append`` waiting in the mailbox, writes one WAL record per
  request, fsyncs once for all of them (group commit: one fsync serves every request
  that arrived meanwhile), and only then replies ``Accepted`` — the 202 is a promise
  that survives ``kill -9`` (Decision 17).
* **flush** hands pending records to the Writer as soon as the Writer is idle
  (Decision 22): the WAL already makes the 202 durable, so holding events back would
  only delay the dashboard. While a commit runs, new records wait, and the next batch
  takes everything buffered, up to the drain limits: batches grow with load by
  themselves. The seed's ``buffer_max_size = 100`` / ``buffer_flush_interval_ms =
  5000`` are therefore upper bounds, never reached while the Writer keeps up. A failed
  write is retried with back-off for ever: nothing acknowledged is dropped.

It never touches DuckDB. Back-pressure: events accepted but not yet committed are
bounded, globally and per website; past a bound ``Append`` is refused with
:class:`IngestOverloaded` (collect answers 503 + Retry-After) instead of growing memory.

Storage faults (a full disk, a read-only data folder): an append or fsync that fails
is cut back off the WAL, so the log holds no half record and nothing of it is
acknowledged, and its requests get :class:`StorageUnavailable` (503 + Retry-After).
Every later group tries again, so ingest resumes by itself once the disk has room;
meanwhile a probe write into the WAL folder every second notices that too, so
:meth:`Buffer.storage_faults` (what ``/health`` reports) clears without traffic.
"""

from __future__ import annotations

import errno
import logging
import os
from collections import Counter, deque
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import trio

from actors.runtime import Actor, ActorStatistics, ActorStopped, Mailbox, Reply, StartupError, ask, backoff_delay
from actors.writer import Committed, GetCursor, WriteEvents
from sparklytics.events import EVENT_ROWS, EventRow
from sparklytics.wal import WalFormatError, WalPosition, WalRecord, WriteAheadLog

log = logging.getLogger("sparklytics.buffer")

MAX_MESSAGES_PER_GROUP = 1024
RETRY_AFTER_SECONDS = 2
STORAGE_RETRY_AFTER_SECONDS = 5
WAL_PROBE_INTERVAL_SECONDS = 1.0
WAL_PROBE_BYTES = 4096


@dataclass(frozen=True, slots=True)
class Append:
    """Make these enriched events durable; ``queue_caps`` = per-website queue bound.

    ``receipt`` is handed back untouched in :class:`Accepted`: what an earlier actor
    worked out for the request's answer (a campaign link's redirect target), so the
    request still costs one round trip.
    """

    events: list[EventRow]
    queue_caps: dict[str, int]
    dropped: int = 0
    drop_reasons: tuple[str, ...] = ()
    reply: Reply = field(default_factory=Reply)
    receipt: Any = None


@dataclass(frozen=True, slots=True)
class Accepted:
    accepted: int
    dropped: int
    drop_reasons: tuple[str, ...]
    queued: int
    capacity: int
    receipt: Any = None


class IngestOverloaded(Exception):
    """Given to an ``Append`` that would exceed a queue bound: retry after a pause."""

    def __init__(self, reason: str, retry_after: int = RETRY_AFTER_SECONDS) -> None:
        super().__init__(reason)
        self.retry_after = retry_after


class StorageUnavailable(Exception):
    """Given to an ``Append`` whose WAL write or fsync failed: nothing of it was kept."""

    def __init__(self, reason: str, retry_after: int = STORAGE_RETRY_AFTER_SECONDS) -> None:
        super().__init__(reason)
        self.retry_after = retry_after


@dataclass(frozen=True, slots=True)
class Flush:
    """Reply ``Flushed`` once every event acknowledged before this message is committed."""

    reply: Reply = field(default_factory=Reply)


@dataclass(frozen=True, slots=True)
class Flushed:
    cursor: WalPosition


@dataclass(frozen=True, slots=True)
class Compact:
    """Start a new WAL segment if everything is committed, and delete old segments."""


@dataclass(frozen=True, slots=True)
class BufferStatistics(ActorStatistics):
    pending_events: int
    unpersisted_events: int
    capacity: int
    accepted_events: int
    committed_events: int
    fsyncs: int
    writes: int
    write_failures: int
    wal_failures: int


@dataclass(frozen=True, slots=True)
class BufferLimits:
    queue_max_events: int
    drain_max_events: int
    drain_max_batches: int
    retry_base_ms: int
    retry_max_ms: int
    retry_max_attempts: int


class Buffer(Actor):
    def __init__(self, wal_dir: Any, writer: Mailbox[Any], limits: BufferLimits) -> None:
        super().__init__("buffer", capacity=4096)
        self._wal_dir = wal_dir
        self._writer = writer
        self._limits = limits
        self._accepted_total = 0
        self._committed_total = 0
        self._fsyncs = 0
        self._writes = 0
        self._write_failures = 0
        self._wal_failures = 0
        self._wal_fault: str | None = None
        self._write_fault: str | None = None

    async def run(self, *, task_status: trio.TaskStatus[None] = trio.TASK_STATUS_IGNORED) -> None:
        self._reset_state()
        self._wal = WriteAheadLog(self._wal_dir, EVENT_ROWS)
        try:
            self._committed = await ask(self._writer, GetCursor(), timeout=60)
            self._wal.continue_after(self._committed)
            try:
                replayed = await trio.to_thread.run_sync(self._wal.replay, self._committed)
            except WalFormatError as error:
                raise StartupError(f"{self._wal_dir}: {error}") from None
            for record in replayed:
                self._queue(record)
            if self._pending:
                log.info("replaying %d events from the ingest WAL", self._pending_events)
            async with trio.open_nursery() as nursery:
                nursery.start_soon(self._flush_loop)
                nursery.start_soon(self._probe_while_faulted)
                task_status.started()
                await self._intake()
                self._closing = True
                self._wake()
                self._probe_scope.cancel()
        finally:
            self._wal.close()

    def statistics(self) -> BufferStatistics:
        return BufferStatistics(
            *self._actor_statistics(),
            pending_events=self._pending_events,
            unpersisted_events=self._unpersisted,
            capacity=self._limits.queue_max_events,
            accepted_events=self._accepted_total,
            committed_events=self._committed_total,
            fsyncs=self._fsyncs,
            writes=self._writes,
            write_failures=self._write_failures,
            wal_failures=self._wal_failures,
        )

    def storage_faults(self) -> list[str]:
        """What keeps ingest from storing events right now (empty when all is well).

        A WAL fault clears with the next append or probe write that succeeds; a write
        fault with the next commit, which the flush loop keeps retrying.
        """
        return [fault for fault in (self._wal_fault, self._write_fault) if fault is not None]

    def _reset_state(self) -> None:
        self._pending: deque[WalRecord] = deque()
        self._pending_events = 0
        self._unpersisted = 0
        self._unpersisted_by_website: Counter[str] = Counter()
        self._queued_seq = 0
        self._committed_seq = 0
        self._flush_waiters: list[tuple[int, Reply]] = []
        self._closing = False
        self._wakeup = trio.Event()
        self._wal_faulted = trio.Event()
        if self._wal_fault is not None:
            self._wal_faulted.set()
        self._probe_scope = trio.CancelScope()

    # intake ---------------------------------------------------------------------------

    async def _intake(self) -> None:
        async for first in self.inbox:
            group = [first]
            while len(group) < MAX_MESSAGES_PER_GROUP:
                try:
                    group.append(self.inbox.receive_nowait())
                except trio.WouldBlock:
                    break
            await self._handle_group(group)

    async def _handle_group(self, group: list[Any]) -> None:
        appends: list[Append] = []
        flushes: list[Flush] = []
        reserved = Counter[str]()
        for msg in group:
            match msg:
                case Append():
                    if self._admit(msg, reserved):
                        appends.append(msg)
                case Flush():
                    flushes.append(msg)
                case Compact():
                    self._compact()
                case _:
                    raise TypeError(f"buffer got an unknown message: {msg!r}")
        if appends:
            try:
                records = await self._append_durably([msg.events for msg in appends])
            except StorageUnavailable as exc:
                for msg in appends:
                    msg.reply.fail(exc)
            else:
                for msg, record in zip(appends, records):
                    self._queue(record)
                    self._accepted_total += len(msg.events)
                    msg.reply.send(
                        Accepted(
                            len(msg.events), msg.dropped, msg.drop_reasons, self._unpersisted,
                            self._limits.queue_max_events, msg.receipt,
                        )
                    )
                self._wake()
        for msg in flushes:
            if self._unpersisted == 0:
                msg.reply.send(Flushed(self._committed))
            else:
                self._flush_waiters.append((self._queued_seq, msg.reply))

    async def _append_durably(self, batches: list[list[EventRow]]) -> list[WalRecord]:
        """Append one WAL record per batch and fsync them, or leave the WAL as it was.

        On an ``OSError`` (ENOSPC, EROFS, EIO…) whatever reached the file is cut off
        again and :class:`StorageUnavailable` is raised. If even the cut fails, that
        error propagates: the Buffer restarts and replay trims the torn tail.
        """
        before = self._wal.end
        try:
            records = self._wal.append(batches)
            await trio.to_thread.run_sync(self._wal.sync)
        except OSError as exc:
            self._wal.truncate_to(before)
            self._wal_failures += 1
            self._wal_fault = f"the ingest WAL cannot be written: {exc}"
            self._wal_faulted.set()
            log.error("%s; %d requests refused", self._wal_fault, len(batches))
            raise StorageUnavailable(self._wal_fault) from exc
        self._fsyncs += 1
        self._clear_wal_fault()
        return records

    def _clear_wal_fault(self) -> None:
        if self._wal_fault is not None:
            log.info("the ingest WAL is writable again")
            self._wal_fault = None
            self._wal_faulted = trio.Event()

    async def _probe_while_faulted(self) -> None:
        """While WAL appends fail, try a probe write every second until one succeeds.

        Without it ``/health`` would stay degraded after the disk got room again
        until the next event happened to arrive and succeed.
        """
        with self._probe_scope:
            while True:
                await self._wal_faulted.wait()
                await trio.sleep(WAL_PROBE_INTERVAL_SECONDS)
                if self._wal_fault is None:
                    continue
                try:
                    await trio.to_thread.run_sync(_probe_directory, self._wal.directory)
                except OSError as exc:
                    self._wal_fault = f"the ingest WAL cannot be written: {exc}"
                else:
                    self._clear_wal_fault()

    def _admit(self, msg: Append, reserved: Counter[str]) -> bool:
        """Check the queue bounds for ``msg``; reserve its room, or refuse it."""
        counts = Counter(event.website_id for event in msg.events)
        total = self._unpersisted + sum(reserved.values()) + len(msg.events)
        if total > self._limits.queue_max_events:
            msg.reply.fail(IngestOverloaded("ingest queue is full"))
            return False
        for website, count in counts.items():
            cap = msg.queue_caps.get(website)
            if cap is not None and self._unpersisted_by_website[website] + reserved[website] + count > cap:
                msg.reply.fail(IngestOverloaded(f"ingest queue of {website} is full"))
                return False
        reserved.update(counts)
        return True

    def _queue(self, record: WalRecord) -> None:
        self._pending.append(record)
        self._pending_events += len(record.events)
        self._queued_seq += len(record.events)
        self._unpersisted += len(record.events)
        self._unpersisted_by_website.update(event.website_id for event in record.events)

    def _compact(self) -> None:
        if not self._pending and self._committed >= self._wal.end:
            self._wal.rotate_if_committed(self._committed)

    # flush ----------------------------------------------------------------------------

    def _wake(self) -> None:
        self._wakeup.set()

    async def _flush_loop(self) -> None:
        while True:
            await self._wait_for_work()
            if not self._pending:
                if self._closing:
                    return
                continue
            batch = self._take_batch()
            if not await self._write_with_retry(batch):
                return
            self._after_commit(batch)

    async def _wait_for_work(self) -> None:
        """Return once a record is pending or the Buffer is closing.

        This loop is the Writer's only source of batches, so when it gets here the
        Writer has no batch of ours in hand: the hand-over is immediate.
        """
        while not (self._closing or self._pending):
            await self._wakeup.wait()
            self._wakeup = trio.Event()

    def _take_batch(self) -> list[WalRecord]:
        batch: list[WalRecord] = []
        events = 0
        while self._pending and len(batch) < self._limits.drain_max_batches:
            size = len(self._pending[0].events)
            if batch and events + size > self._limits.drain_max_events:
                break
            batch.append(self._pending.popleft())
            events += size
        self._pending_events -= events
        return batch

    async def _write_with_retry(self, batch: list[WalRecord]) -> bool:
        """Write ``batch``; retry failures for ever. False if the Writer has stopped."""
        attempt = 0
        while True:
            try:
                committed: Committed = await ask(self._writer, WriteEvents(batch), timeout=300)
            except ActorStopped:
                log.warning("writer stopped with %d events uncommitted; the WAL keeps them", self._unpersisted)
                return False
            except Exception as exc:
                self._write_failures += 1
                self._write_fault = f"committing ingested events fails: {exc}"
                delay = backoff_delay(
                    attempt,
                    base=self._limits.retry_base_ms / 1000,
                    cap=self._limits.retry_max_ms / 1000,
                    max_attempts=self._limits.retry_max_attempts,
                )
                log.error("writing %d WAL records failed (%s); retry in %.2f s", len(batch), exc, delay)
                attempt += 1
                await trio.sleep(delay)
                continue
            self._writes += 1
            self._write_fault = None
            self._committed = max(self._committed, committed.cursor)
            return True

    def _after_commit(self, batch: list[WalRecord]) -> None:
        for record in batch:
            self._unpersisted -= len(record.events)
            self._committed_seq += len(record.events)
            self._committed_total += len(record.events)
            self._unpersisted_by_website.subtract(event.website_id for event in record.events)
        self._unpersisted_by_website += Counter()
        still_waiting = []
        for target, reply in self._flush_waiters:
            if self._committed_seq >= target:
                reply.send(Flushed(self._committed))
            else:
                still_waiting.append((target, reply))
        self._flush_waiters = still_waiting


def _probe_directory(directory: Path) -> None:
    """Write, fsync and delete a small file in ``directory``; raise OSError if the disk refuses."""
    probe = directory / "probe.tmp"
    fd = os.open(probe, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        if os.write(fd, b"\0" * WAL_PROBE_BYTES) < WAL_PROBE_BYTES:
            raise OSError(errno.ENOSPC, "short write")
        os.fsync(fd)
    finally:
        os.close(fd)
        probe.unlink(missing_ok=True)
