"""The Scheduler's jobs: retention purge, salt rotation, WAL compaction, the notifications tick."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
import trio

from actors.buffer import Flush
from actors.enricher import ClientInfo, Import
from actors.runtime import ask
from actors.scheduler import INTERRUPTED, RunJob, Scheduler
from sparklytics.auth.attempts import LoginAttempts
from sparklytics.notifications.notifier import TickResult
from sparklytics.services import open_services
from tests.api.helpers import create_website, pageview, send, stored_events
from tests.harness import test_config

CLIENT = ClientInfo("203.0.113.4", "Mozilla/5.0 Firefox/128.0", True, True)


@pytest.fixture
def config(data_dir):
    """Keep 30 days of data."""
    return test_config(data_dir, SPARKLYTICS_RETENTION_DAYS="30")


async def test_the_purge_removes_events_and_sessions_past_the_retention_horizon(client, services) -> None:
    site = await create_website(client)
    now = datetime.now(timezone.utc).replace(tzinfo=None)
    items = [
        ({**pageview(site, f"https://example.com/{age}"), **_absent_fields()}, CLIENT, now - timedelta(days=age))
        for age in (45, 31, 29, 1)
    ]
    await ask(services.enricher.inbox, Import(items), timeout=30)
    await ask(services.buffer.inbox, Flush(), timeout=30)
    removed = await ask(services.scheduler.inbox, RunJob("purge"), timeout=30)
    assert removed == 4  # two events and their two sessions
    assert [e["path"] for e in await stored_events(services, "path")] == ["/29", "/1"]

    def count_sessions(cur):
        return cur.execute("SELECT count(*) FROM sessions").fetchone()[0]

    assert await services.db.read(count_sessions) == 2


async def test_salt_rotation_reaches_the_enricher(client, services) -> None:
    site = await create_website(client)
    await send(client, pageview(site), ip="203.0.113.9")
    salts = await ask(services.scheduler.inbox, RunJob("rotate_salts"), timeout=30)
    assert salts.current == services.enricher._salts.current


async def test_settling_sessions_does_nothing_on_duckdb(client, services) -> None:
    # DuckDB stores sessions as it writes; ClickHouse's days: tests/stores/test_clickhouse_session_builds.py.
    site = await create_website(client)
    await send(client, pageview(site))
    assert await ask(services.scheduler.inbox, RunJob("settle_sessions"), timeout=30) == 0
    assert "settle_sessions" in services.scheduler.statistics().last_runs


async def test_compaction_starts_a_new_segment_once_everything_is_committed(client, services) -> None:
    site = await create_website(client)
    await send(client, pageview(site))
    await ask(services.buffer.inbox, Flush(), timeout=30)
    await ask(services.scheduler.inbox, RunJob("compact"), timeout=30)
    await ask(services.buffer.inbox, Flush(), timeout=30)
    segments = sorted(p.name for p in services.config.wal_dir.iterdir())
    assert segments == ["segment-000000000002.log"]
    await send(client, pageview(site, "https://example.com/after"))
    assert [e["path"] for e in await stored_events(services, "path")] == ["/", "/after"]


def test_jobs_are_due_at_midnight_and_half_past_for_the_salts() -> None:
    scheduler = Scheduler(metadata=None, writer=None, buffer=None, enricher=None, retention_days=30, clock=lambda: datetime(2026, 3, 1, 23, 10))
    due = scheduler._next_due(datetime(2026, 3, 1, 23, 10))
    assert due["rotate_salts"] == datetime(2026, 3, 2, 0, 0)
    assert scheduler._next_due(datetime(2026, 3, 2, 0, 0, 1))["rotate_salts"] == datetime(2026, 3, 2, 0, 30)
    assert due["purge"] == datetime(2026, 3, 1, 23, 15)


async def test_the_lockout_forgets_attempts_that_left_the_window_every_window() -> None:
    now = datetime(2026, 3, 1, 12, 0)
    attempts = LoginAttempts()
    scheduler = Scheduler(metadata=None, writer=None, buffer=None, enricher=None, retention_days=30,
                          clock=lambda: now, login_attempts=attempts)
    assert scheduler._next_due(now)["forget_login_attempts"] == now + timedelta(minutes=15)
    await attempts.begin("198.51.100.1", now - timedelta(minutes=16))
    await attempts.begin("198.51.100.2", now - timedelta(minutes=1))
    assert await scheduler._jobs["forget_login_attempts"]() == 1
    assert len(attempts) == 1
    assert scheduler._next_due(now)["forget_login_attempts"] == now + timedelta(minutes=15)
    without = Scheduler(metadata=None, writer=None, buffer=None, enricher=None, retention_days=30, clock=lambda: now)
    assert "forget_login_attempts" not in without._next_due(now)


def _absent_fields() -> dict:
    fields = ("referrer", "screen", "screen_width", "screen_height", "language", "event_name", "event_data",
              "utm_source", "utm_medium", "utm_campaign", "utm_term", "utm_content", "visitor_id")
    return dict.fromkeys(fields)


async def test_a_failing_job_is_retried_a_minute_later_and_the_timer_goes_on(autojump_clock) -> None:
    start = datetime(2026, 3, 1, 12, 0)
    scheduler = Scheduler(
        metadata=None, writer=None, buffer=None, enricher=None, retention_days=30,
        clock=lambda: start + timedelta(seconds=trio.current_time()),
    )
    runs: dict[str, list[float]] = {"purge": [], "compact": []}

    async def broken_purge() -> None:
        runs["purge"].append(trio.current_time())
        raise RuntimeError("disk on fire")

    async def compact() -> None:
        runs["compact"].append(trio.current_time())
        scheduler._last_runs["compact"] = scheduler._clock()

    async def nothing() -> None:
        scheduler._last_runs["prune_revoked_sessions"] = scheduler._clock()

    scheduler._jobs = {"purge": broken_purge, "compact": compact, "rotate_salts": nothing, "prune_revoked_sessions": nothing}
    async with trio.open_nursery() as nursery:
        nursery.start_soon(scheduler._timer)
        await trio.sleep(8 * 60 + 1)
        nursery.cancel_scope.cancel()
    assert runs["purge"] == pytest.approx([300, 360, 420, 480])
    assert len(runs["compact"]) == 8


async def test_a_recompute_the_server_stopped_in_the_middle_of_is_failed_at_the_next_start(config) -> None:
    async with open_services(config) as services:
        await services.metadata.insert_website(website_id="site_r", name="R", domain="r.example", timezone="UTC")
        job_id = await services.metadata.start_recompute("site_r", datetime(2026, 3, 1), datetime(2026, 3, 2), 10)
        await services.metadata.set_recompute_status(job_id, "running")
    async with open_services(config) as services:
        job = await services.metadata.get_recompute("site_r", job_id)
    assert (job["status"], job["error_message"]) == ("failed", INTERRUPTED)
    assert job["completed_at"] is not None


async def test_the_notifications_tick_runs_every_tick_seconds_and_survives_a_failing_tick(autojump_clock) -> None:
    ticks: list[float] = []

    class Notifier:
        async def tick(self):
            ticks.append(trio.current_time())
            if len(ticks) == 2:
                raise RuntimeError("mail server on fire")
            return TickResult((), (), 0)

    scheduler = Scheduler(
        metadata=None, writer=None, buffer=None, enricher=None, retention_days=30, notifier=Notifier(), notify_every=60,
        clock=lambda: datetime(2026, 3, 1) + timedelta(seconds=trio.current_time()),
    )
    async with trio.open_nursery() as nursery:
        nursery.start_soon(scheduler._run_notifications)
        await trio.sleep(4 * 60 + 1)
        nursery.cancel_scope.cancel()
    assert ticks == pytest.approx([60, 120, 180, 240])
    assert scheduler.statistics().last_runs["notify"] == "2026-03-01T00:04:00"


async def test_run_job_notify_ticks_now(client, services) -> None:
    result = await ask(services.scheduler.inbox, RunJob("notify"), timeout=30)
    assert (result.subscriptions, result.alerts, result.alerts_checked) == ((), (), 0)
