"""Cloud mode's closed days' sessions are built by the Scheduler beside the Writer
(``SessionBuilder`` in ``stores/clickhouse/closed_sessions.py``): the services over the
test ClickHouse shards and PostgreSQL, a build held at ClickHouse's door while the
Writer commits, and a cluster that is down failing the job, not the Scheduler."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import replace
from datetime import datetime, timedelta

import pytest
import trio

from actors.buffer import Flush
from actors.enricher import ClientInfo, Import
from actors.runtime import ask
from actors.scheduler import RunJob, Scheduler
from sparklytics.api.collect import parse_events
from sparklytics.clock import utc_now
from sparklytics.services import Services, open_services
from sparklytics.stores.clickhouse import closed_sessions
from sparklytics.stores.clickhouse.closed_sessions import SessionBuilder
from sparklytics.stores.clickhouse.connection import ClickHouseClient, ClickHouseSettings
from sparklytics.stores.errors import StorageFault
from tests.api.helpers import pageview
from tests.clickhouse import CLUSTER
from tests.harness import free_port, test_config

SITE = "site_builds"
CLIENT = ClientInfo("203.0.113.4", "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0", True, True)
FIRST = utc_now().date() - timedelta(days=3)
SECOND = FIRST + timedelta(days=1)


@pytest.fixture
async def cloud(clickhouse_cluster, postgres, data_dir) -> AsyncIterator[Services]:
    """A cloud-mode node's services on a fresh ClickHouse database and PostgreSQL one."""
    config = test_config(
        data_dir,
        SPARKLYTICS_MODE="cloud",
        SPARKLYTICS_NODE_ID="node-a",
        SPARKLYTICS_CLICKHOUSE_URL=",".join(clickhouse_cluster.urls),
        SPARKLYTICS_CLICKHOUSE_CLUSTER=CLUSTER,
        SPARKLYTICS_CLICKHOUSE_DATABASE=clickhouse_cluster.new_database(),
        SPARKLYTICS_DATABASE_URL=postgres.fresh_database(),
        SPARKLYTICS_LOCKOUT_SECRET="tests-session-builds-0123456789abcdef",
    )
    async with open_services(config) as services:
        await services.metadata.insert_website(website_id=SITE, name="Builds", domain="example.com", timezone="UTC")
        yield services


def clickhouse_settings(services: Services) -> ClickHouseSettings:
    cloud = services.config.cloud
    return ClickHouseSettings(cloud.clickhouse_urls, cloud.clickhouse_cluster, cloud.clickhouse_database)


async def commit(services: Services, *times: datetime) -> None:
    """A pageview at each time, through the Enricher, Buffer and Writer, committed."""
    items = [(parse_events([pageview(SITE, f"https://example.com/{n}")])[0], CLIENT, at) for n, at in enumerate(times)]
    await ask(services.enricher.inbox, Import(items), timeout=30)
    await ask(services.buffer.inbox, Flush(), timeout=60)


async def commit_closed_days(services: Services) -> None:
    await commit(services, *(datetime.combine(day, datetime.min.time()) + timedelta(hours=hour)
                             for day in (FIRST, SECOND) for hour in (9, 15)))


def current_builds(services: Services) -> dict:
    client = ClickHouseClient(clickhouse_settings(services))
    try:
        return closed_sessions.current_builds(client.rows, SITE, FIRST, SECOND)
    finally:
        client.close()


def assert_built(builds: dict) -> None:
    """The days of the events are built, and no day is left stale."""
    assert {FIRST, SECOND} <= set(builds)
    assert closed_sessions.STALE not in builds.values()


class HeldDoor:
    """A TCP forwarder to one ClickHouse shard that holds every connection until it is
    opened: whoever talks to the cluster through it waits there, mid-call, while the
    rest of the process reaches ClickHouse directly."""

    def __init__(self, target_url: str) -> None:
        self._target_port = int(target_url.rsplit(":", 1)[1])
        self.port = 0
        self.knocked = trio.Event()
        self.opened = trio.Event()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def serve(self, *, task_status: trio.TaskStatus[None] = trio.TASK_STATUS_IGNORED) -> None:
        listeners = await trio.open_tcp_listeners(0, host="127.0.0.1")
        self.port = listeners[0].socket.getsockname()[1]
        task_status.started()
        await trio.serve_listeners(self._forward, listeners)

    async def _forward(self, client: trio.SocketStream) -> None:
        self.knocked.set()
        await self.opened.wait()
        async with client, await trio.open_tcp_stream("127.0.0.1", self._target_port) as shard:
            async with trio.open_nursery() as pipes:
                pipes.start_soon(_pipe, client, shard)
                pipes.start_soon(_pipe, shard, client)


async def _pipe(source: trio.SocketStream, sink: trio.SocketStream) -> None:
    async for chunk in source:
        await sink.send_all(chunk)
    await sink.send_eof()


@asynccontextmanager
async def scheduler_with(services: Services, builder: SessionBuilder) -> AsyncIterator[Scheduler]:
    """A Scheduler of the node's actors whose closed days go to ``builder``."""
    scheduler = Scheduler(metadata=services.metadata, writer=services.writer.inbox, buffer=services.buffer.inbox,
                          enricher=services.enricher.inbox, retention_days=30, session_builder=builder)
    try:
        async with trio.open_nursery() as nursery:
            await nursery.start(scheduler.run)
            yield scheduler
            scheduler.inbox.close()
    finally:
        builder.close()


async def test_the_settle_job_builds_each_closed_day_once_on_clickhouse(cloud) -> None:
    await commit_closed_days(cloud)
    assert set(current_builds(cloud).values()) == {closed_sessions.STALE}  # late events mark their days
    built = await ask(cloud.scheduler.inbox, RunJob("settle_sessions"), timeout=300)
    # The days of the events, the day before (marked with them) and those up to yesterday.
    assert built >= 3
    assert_built(current_builds(cloud))
    assert await ask(cloud.scheduler.inbox, RunJob("settle_sessions"), timeout=300) == 0
    assert "settle_sessions" in cloud.scheduler.statistics().last_runs


async def test_the_writer_commits_while_a_closed_day_is_being_built(cloud) -> None:
    await commit_closed_days(cloud)
    settings = clickhouse_settings(cloud)
    door = HeldDoor(settings.shard_urls[0])
    async with trio.open_nursery() as nursery:
        await nursery.start(door.serve)
        held = replace(settings, shard_urls=(door.url, *settings.shard_urls[1:]))
        async with scheduler_with(cloud, SessionBuilder(held)) as scheduler:
            built: list[int] = []

            async def settle() -> None:
                built.append(await ask(scheduler.inbox, RunJob("settle_sessions"), timeout=300))

            async with trio.open_nursery() as job:
                job.start_soon(settle)
                await door.knocked.wait()  # the build is in its worker thread, at ClickHouse's door
                committed = cloud.writer.statistics().committed_rows
                await commit(cloud, utc_now())
                assert cloud.writer.statistics().committed_rows == committed + 1
                assert built == []  # the job is still in its first build
                door.opened.set()
            assert built[0] >= 3
        nursery.cancel_scope.cancel()
    assert_built(current_builds(cloud))


async def test_clickhouse_down_fails_the_job_and_the_scheduler_goes_on(cloud) -> None:
    await commit_closed_days(cloud)
    nowhere = replace(clickhouse_settings(cloud), shard_urls=(f"http://127.0.0.1:{free_port()}",))
    async with scheduler_with(cloud, SessionBuilder(nowhere)) as scheduler:
        for _ in range(2):
            with pytest.raises(StorageFault, match="unreachable"):
                await ask(scheduler.inbox, RunJob("settle_sessions"), timeout=60)
        assert "settle_sessions" not in scheduler.statistics().last_runs
        await ask(scheduler.inbox, RunJob("compact"), timeout=30)
        assert "compact" in scheduler.statistics().last_runs
    assert set(current_builds(cloud).values()) == {closed_sessions.STALE}
