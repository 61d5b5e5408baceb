"""Scheduler: time-driven upkeep and background jobs, one at a time each.

It owns the clock-driven jobs and the bot recomputes: salt rotation at 00:00 UTC (and the
deletion of yesterday's salt 30 minutes later, Decision 6), the daily retention purge
of events and sessions older than ``SPARKLYTICS_RETENTION_DAYS`` (Decision 5, in
bounded batches through the Writer), the pruning of revoked sessions that have expired
(at start, then daily), the login lockout's attempts that left their window (every
15 minutes, when given the app's ``login_attempts``), and WAL compaction (asks the
Buffer to start a new segment once everything is committed), and the bot recomputes the API queues
(``StartRecompute``: pages of 500 events re-classified through the Writer, then the
sessions rolled up; a job the process stopped in the middle of is marked failed at
the next start), and, each in a task of its own so that neither delays salt rotation or
a purge, the closed days' sessions (every ``SETTLE_EVERY``, a day per call of its
``SessionBuilder`` until none is due: after an upgrade that is minutes of builds; no
builder on DuckDB, which stores sessions as it writes) and the notifications tick
(every ``SPARKLYTICS_SCHEDULER_TICK_SECONDS``: due report subscriptions and a turn of
alerts, ``sparklytics.notifications.notifier``: a slow mail server). It never
writes events itself: the purge and recompute pages go to the Writer as messages,
metadata changes through the MetadataStore. The closed days' sessions it builds in a
worker thread of its own, not through the Writer: they are derived data any node may
build at any time (``stores/clickhouse/closed_sessions.py``), and a day's build
(≈ 18 s at 10M events) would hold the Writer's commits that long.

``RunJob`` runs a job now (operators and tests) and answers a job that failed with its
error; the clock is injectable so tests need not wait for midnight.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

import trio

from actors.buffer import Compact
from actors.enricher import SetSalts
from actors.runtime import Actor, ActorStatistics, Mailbox, Reply, ask
from actors.writer import PurgeEvents, ReclassifyBots, RollUpBotSessions
from sparklytics.auth.attempts import LOCKOUT_WINDOW, AttemptLog
from sparklytics.bot_controls import RECOMPUTE_EVENTS_PER_WRITE, recompute_classifier
from sparklytics.enrich.bots import BotPolicy
from sparklytics.clock import utc_now
from sparklytics.notifications.notifier import Notifier, TickResult
from sparklytics.stores.metadata import SALT_GRACE, MetadataStore, Salts

if TYPE_CHECKING:  # cloud mode's; a self-hosted server never loads the ClickHouse client
    from sparklytics.stores.clickhouse.closed_sessions import SessionBuilder

log = logging.getLogger("sparklytics.scheduler")

COMPACT_EVERY = timedelta(minutes=1)
SETTLE_EVERY = timedelta(minutes=10)
RETRY_FAILED_JOB_AFTER = timedelta(minutes=1)
FIRST_PURGE_AFTER = timedelta(minutes=5)  # not during start-up, but soon after it
PURGE_BATCH_ROWS = 50_000
WRITE_TIMEOUT = 600.0
RECOMPUTE_QUEUE = 64
PROGRESS_EVERY_WRITES = 10
INTERRUPTED = "interrupted: the server stopped before the recompute finished; start it again"


@dataclass(frozen=True, slots=True)
class RunJob:
    """Run the job called ``name`` (``rotate_salts``, ``purge``, ``compact``,
    ``settle_sessions``, ``prune_revoked_sessions``, ``notify``) now."""

    name: str
    reply: Reply = field(default_factory=Reply)


@dataclass(frozen=True, slots=True)
class StartRecompute:
    """Run the queued bot recompute ``job_id`` of ``[start, end)`` (naive UTC). Jobs run
    one at a time, in the order they arrive."""

    job_id: str
    website_id: str
    start: datetime
    end: datetime


@dataclass(frozen=True, slots=True)
class SchedulerStatistics(ActorStatistics):
    last_runs: dict[str, str]
    purged_rows: int


class Scheduler(Actor):
    def __init__(
        self,
        *,
        metadata: MetadataStore,
        writer: Mailbox[Any],
        buffer: Mailbox[Any],
        enricher: Mailbox[Any],
        retention_days: int,
        notifier: Notifier | None = None,
        notify_every: float = 60.0,
        clock: Callable[[], datetime] = utc_now,
        login_attempts: AttemptLog | None = None,
        session_builder: SessionBuilder | None = None,
    ) -> None:
        super().__init__("scheduler", capacity=16)
        self._metadata = metadata
        self._writer = writer
        self._buffer = buffer
        self._enricher = enricher
        self._retention = timedelta(days=retention_days)
        self._clock = clock
        self._notifier = notifier
        self._notify_every = notify_every
        self._last_runs: dict[str, datetime] = {}
        self._retries: dict[str, datetime] = {}
        self._first_purge_at = clock() + FIRST_PURGE_AFTER
        self._purged_rows = 0
        self._session_builder = session_builder
        self._builds = trio.CapacityLimiter(1)
        self._jobs: dict[str, Callable[[], Any]] = {
            "rotate_salts": self._rotate_salts,
            "purge": self._purge,
            "compact": self._compact,
            "settle_sessions": self._settle_sessions,
            "prune_revoked_sessions": self._prune_revoked_sessions,
            "notify": self._notify,
        }
        self._login_attempts = login_attempts
        if login_attempts is not None:
            self._jobs["forget_login_attempts"] = self._forget_login_attempts

    async def run(self, *, task_status: trio.TaskStatus[None] = trio.TASK_STATUS_IGNORED) -> None:
        # A job that was queued or running when the process (or this actor) stopped has
        # nobody to run it: say so instead of showing it running forever.
        await self._metadata.fail_unfinished_recomputes(INTERRUPTED)
        task_status.started()
        recomputes_in, recomputes_out = trio.open_memory_channel[StartRecompute](RECOMPUTE_QUEUE)
        async with trio.open_nursery() as nursery:
            nursery.start_soon(self._timer)
            nursery.start_soon(self._run_recomputes, recomputes_out)
            if self._notifier is not None:
                nursery.start_soon(self._run_notifications)
            if self._session_builder is not None:
                nursery.start_soon(self._run_session_builds)
            async for msg in self.inbox:
                match msg:
                    case RunJob(name, reply):
                        await self._run_job_now(name, reply)
                    case StartRecompute():
                        await recomputes_in.send(msg)
                    case _:
                        raise TypeError(f"scheduler got an unknown message: {msg!r}")
            nursery.cancel_scope.cancel()

    async def _run_job_now(self, name: str, reply: Reply) -> None:
        """A failing job is its caller's to see, as on the timer it is the log's: the
        Scheduler goes on either way."""
        try:
            result = await self._jobs[name]()
        except Exception as error:
            log.exception("job %s failed", name)
            reply.fail(error)
        else:
            reply.send(result)

    def statistics(self) -> SchedulerStatistics:
        return SchedulerStatistics(*self._actor_statistics(), {k: v.isoformat() for k, v in self._last_runs.items()}, self._purged_rows)

    async def _timer(self) -> None:
        """Sleep until the next job is due, run it, repeat.

        A failing job is a job's problem, not the Scheduler's: it is logged and tried
        again a minute later instead of crashing the actor (which would escalate).
        """
        self._first_purge_at = self._clock() + FIRST_PURGE_AFTER
        while True:
            now = self._clock()
            due = self._next_due(now)
            for name, retry_at in self._retries.items():
                due[name] = retry_at
            name, at = min(due.items(), key=lambda item: item[1])
            await trio.sleep(max(0.0, (at - now).total_seconds()))
            try:
                await self._jobs[name]()
            except Exception:
                log.exception("scheduled job %s failed; retrying in %s", name, RETRY_FAILED_JOB_AFTER)
                self._retries[name] = self._clock() + RETRY_FAILED_JOB_AFTER
            else:
                self._retries.pop(name, None)

    async def _run_notifications(self) -> None:
        """Tick the notifier every ``notify_every`` seconds (trio's clock, so tests can
        jump it). A failing tick is logged; the next one tries again."""
        while True:
            await trio.sleep(self._notify_every)
            try:
                await self._notify()
            except Exception:
                log.exception("notifications tick failed; the next tick tries again")

    async def _run_session_builds(self) -> None:
        """Build the due days every ``SETTLE_EVERY`` (trio's clock). A failing turn
        (ClickHouse down) is logged; the next one tries again."""
        while True:
            await trio.sleep(SETTLE_EVERY.total_seconds())
            try:
                await self._settle_sessions()
            except Exception:
                log.exception("closed days' sessions: a build failed; the next turn tries again")

    async def _notify(self) -> TickResult | None:
        if self._notifier is None:
            return None
        result = await self._notifier.tick()
        self._last_runs["notify"] = self._clock()
        if result.subscriptions or result.alerts:
            log.info("notifications: %d report(s), %d alert(s) delivered or failed", len(result.subscriptions), len(result.alerts))
        return result

    def _next_due(self, now: datetime) -> dict[str, datetime]:
        """When each job runs next. Salts rotate at midnight and are checked again at
        00:30, when yesterday's salt must be deleted (``rotate_salts`` is idempotent)."""
        day = datetime(now.year, now.month, now.day)
        rotate_points = (day + SALT_GRACE, day + timedelta(days=1), day + timedelta(days=1) + SALT_GRACE)
        last = self._last_runs
        due = {
            "rotate_salts": min(t for t in rotate_points if t > now),
            "purge": last["purge"] + timedelta(days=1) if "purge" in last else self._first_purge_at,
            "compact": last.get("compact", now) + COMPACT_EVERY,
            # At start, then daily (API.md §6).
            "prune_revoked_sessions": last["prune_revoked_sessions"] + timedelta(days=1) if "prune_revoked_sessions" in last else now,
        }
        if "forget_login_attempts" in self._jobs:
            due["forget_login_attempts"] = last.get("forget_login_attempts", now) + LOCKOUT_WINDOW
        return due

    async def _rotate_salts(self) -> Salts:
        now = self._clock()
        salts = await self._metadata.rotate_salts(now)
        await self._enricher.send(SetSalts(salts))
        self._last_runs["rotate_salts"] = now
        return salts

    async def _purge(self) -> int:
        now = self._clock()
        cutoff = now - self._retention
        total = 0
        while True:
            deleted = await ask(self._writer, PurgeEvents(cutoff, PURGE_BATCH_ROWS), timeout=WRITE_TIMEOUT)
            total += deleted
            if deleted == 0:
                break
            await trio.sleep(0)
        if total:
            log.info("retention purge removed %d rows older than %s", total, cutoff.isoformat())
        self._purged_rows += total
        self._last_runs["purge"] = now
        return total

    async def _prune_revoked_sessions(self) -> int:
        """Forget logged-out sessions that have expired anyway (their cookies fail on ``exp``)."""
        now = self._clock()
        deleted = await self._metadata.prune_revoked_sessions(now)
        self._last_runs["prune_revoked_sessions"] = now
        return deleted

    async def _forget_login_attempts(self) -> int:
        """Delete the lockout's attempts that left the window (in cloud mode the rows in
        PostgreSQL, which every node's Scheduler deletes; Decision 7)."""
        assert self._login_attempts is not None
        now = self._clock()
        forgotten = await self._login_attempts.forget(now)
        self._last_runs["forget_login_attempts"] = now
        return forgotten

    async def _run_recomputes(self, jobs: trio.MemoryReceiveChannel[StartRecompute]) -> None:
        async for job in jobs:
            try:
                await self._recompute(job)
            except Exception as error:  # the job failed, not the Scheduler: record why
                log.exception("bot recompute %s failed", job.job_id)
                await self._metadata.set_recompute_status(job.job_id, "failed", f"{type(error).__name__}: {error}")

    async def _recompute(self, job: StartRecompute) -> None:
        """Re-classify the window in pages through the Writer, then roll up its sessions."""
        await self._metadata.set_recompute_status(job.job_id, "running")
        info = await self._metadata.website_ingest_info(job.website_id)
        if info is None:
            raise LookupError("the website was deleted")
        classify = recompute_classifier(job.website_id, BotPolicy(info.bot_mode, info.bot_threshold), info.allow, info.block)
        done, after, writes = 0, None, 0
        while True:
            write = ReclassifyBots(job.website_id, job.start, job.end, after, RECOMPUTE_EVENTS_PER_WRITE, classify)
            count, after = await ask(self._writer, write, timeout=WRITE_TIMEOUT)
            done, writes = done + count, writes + 1
            if after is None:
                break
            if writes % PROGRESS_EVERY_WRITES == 0:
                await self._metadata.note_recompute_progress(job.job_id, done)
        await ask(self._writer, RollUpBotSessions(job.website_id, job.start, job.end), timeout=WRITE_TIMEOUT)
        await self._metadata.note_recompute_progress(job.job_id, done)
        await self._metadata.set_recompute_status(job.job_id, "success")
        log.info("bot recompute %s re-classified %d events of %s", job.job_id, done, job.website_id)

    async def _settle_sessions(self) -> int:
        """Build the closed days' sessions, one day per call in a worker thread, until
        none is due; return how many days were stored (0 on DuckDB, which has no builder).
        A ``StorageFault`` (ClickHouse down) fails the turn: the next one tries again."""
        settled = 0
        if self._session_builder is not None:
            build = self._session_builder.build_next_day
            while await trio.to_thread.run_sync(build, limiter=self._builds):
                settled += 1
        if settled:
            log.info("stored the sessions of %d closed day(s)", settled)
        self._last_runs["settle_sessions"] = self._clock()
        return settled

    async def _compact(self) -> None:
        await self._buffer.send(Compact())
        self._last_runs["compact"] = self._clock()
