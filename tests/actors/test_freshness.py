"""Fresh data (API.md Decision 22): the Buffer hands events over as soon as the Writer is idle.

The WAL already makes a 202 durable, so nothing is gained by holding events back for
the seed's 5 s timer; under load batches still grow, because everything that arrived
during one commit goes into the next.
"""

from __future__ import annotations

import threading
import time

import pytest
import trio

from tests.api.helpers import create_website, pageview, send, stored_events
from tests.harness import on_duckdb_writer

WALL_CLOCK_GUARD_SECONDS = 20.0


def committed_count(cur) -> int:
    return cur.execute("SELECT count(*) FROM events").fetchone()[0]


async def test_an_acknowledged_event_is_queryable_without_any_timer(mock_clock, client, services) -> None:
    """Trio's clock stands still here (``mock_clock``, rate 0): no timer can ever fire.

    So the event can only reach DuckDB because the Buffer handed it to the idle Writer
    at once; with a flush timer it would never arrive. The wall-clock guard only turns
    that "never" into a failure; passing does not depend on how fast the machine is.
    """
    site = await create_website(client)
    frozen_at = trio.current_time()
    assert (await send(client, pageview(site, "https://example.com/fresh"))).status_code == 202
    give_up_at = time.monotonic() + WALL_CLOCK_GUARD_SECONDS
    while await services.db.read(committed_count) == 0:
        if time.monotonic() > give_up_at:
            pytest.fail("the acknowledged event was not committed while no timer could fire")
    assert trio.current_time() == frozen_at


async def test_events_that_arrive_during_a_commit_go_to_the_writer_as_one_batch(client, services) -> None:
    site = await create_website(client)
    release = threading.Event()
    async with trio.open_nursery() as nursery:
        nursery.start_soon(on_duckdb_writer, services, lambda con: release.wait(30))
        await trio.sleep(0.05)  # the Writer is now busy with the blocking write
        for i in range(4):
            assert (await send(client, [pageview(site, f"https://example.com/{i}")] * 40)).status_code == 202
        release.set()
    assert len(await stored_events(services)) == 160
    # The first request went to the Writer at once (and waited behind the blocking
    # write); the three that arrived meanwhile were handed over together.
    assert services.buffer.statistics().writes == 2
