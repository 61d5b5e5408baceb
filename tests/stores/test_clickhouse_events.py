"""What the ClickHouse EventStore promises beyond the shared contract (test_events.py):
exactly once across a crash between its two inserts and across shard restarts, per-shard
deletes, and sessions that hold when app nodes take turns with a visitor's events."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import datetime

import pytest

from sparklytics.stores.clickhouse.connection import ClickHouseClient, ClickHouseSettings
from sparklytics.stores.clickhouse.events import ClickHouseEventStore
from sparklytics.stores.clickhouse.sessionize import session_rows, sessionized_events
from sparklytics.stores.errors import StorageFault
from sparklytics.wal import WalPosition
from tests.clickhouse import CLUSTER, ShardCluster
from tests.stores.test_events import SITE, event, sid

EVENTS = sessionized_events("SELECT * FROM events")


@pytest.fixture
def settings(clickhouse_cluster: ShardCluster) -> ClickHouseSettings:
    return ClickHouseSettings(clickhouse_cluster.urls, CLUSTER, database=clickhouse_cluster.new_database(),
                              node_id="node-a")


@pytest.fixture
def reader(settings: ClickHouseSettings) -> Iterator[ClickHouseClient]:
    client = ClickHouseClient(settings)
    yield client
    client.close()


def open_store(settings: ClickHouseSettings, node_id: str = "node-a") -> ClickHouseEventStore:
    store = ClickHouseEventStore(replace(settings, node_id=node_id))
    store.prepare()
    return store


def stored(reader: ClickHouseClient) -> list[tuple]:
    return [tuple(row) for row in reader.rows("SELECT node_id, id, visitor_id, path FROM events ORDER BY created_at, node_id")]


def per_shard_counts(reader: ClickHouseClient) -> list[int]:
    return [int(reader.execute("SELECT count() FROM events_local", url=url)) for url in reader.settings.shard_urls]


def test_a_replay_after_a_crash_between_the_two_inserts_stores_each_event_once(settings, reader) -> None:
    store = open_store(settings)
    batch = [event("a", "2026-03-01T10:00:00"), event("b", "2026-03-01T10:01:00", "/b")]
    # The cursor insert fails after the events landed (as if the node died between them).
    reader.on_every_shard("RENAME TABLE ingest_cursor_local TO cursor_away")
    with pytest.raises(StorageFault, match="ingest_cursor_local"):
        store.commit(batch, WalPosition(1, 200))
    reader.on_every_shard("RENAME TABLE cursor_away TO ingest_cursor_local")
    assert len(stored(reader)) == 2
    restarted = open_store(settings)
    assert restarted.prepare() == WalPosition(0, 0)
    assert restarted.commit(batch, WalPosition(1, 200)) == 2  # the WAL replays the batch
    assert stored(reader) == [("node-a", 1, "a", "/"), ("node-a", 2, "b", "/b")]
    assert restarted.prepare() == WalPosition(1, 200)
    store.close()
    restarted.close()


def test_the_recovery_point_and_the_events_survive_a_restart_of_the_shards(
    settings, reader, clickhouse_cluster: ShardCluster
) -> None:
    store = open_store(settings)
    store.commit([event("a", "2026-03-01T10:00:00")], WalPosition(3, 40))
    clickhouse_cluster.restart()
    again = open_store(settings)
    assert again.prepare() == WalPosition(3, 40)
    assert again.commit([event("a", "2026-03-01T10:05:00", "/next")], WalPosition(3, 80)) == 1
    assert stored(reader) == [("node-a", 1, "a", "/"), ("node-a", 2, "a", "/next")]
    store.close()
    again.close()


def test_events_spread_over_both_shards_and_purge_and_website_deletes_reach_each(settings, reader) -> None:
    store = open_store(settings)
    visitors = [f"v{n}" for n in range(20)]
    store.commit([event(v, "2026-03-01T10:00:00") for v in visitors]
                 + [event(v, "2026-03-05T10:00:00", website="site_gone") for v in visitors], WalPosition(1, 100))
    assert all(count > 0 for count in per_shard_counts(reader)) and sum(per_shard_counts(reader)) == 40
    assert store.purge(datetime(2026, 3, 2), limit=1000) == 20
    assert store.purge(datetime(2026, 3, 2), limit=1000) == 0
    assert sum(per_shard_counts(reader)) == 20
    store.delete_website_events("site_gone")
    assert per_shard_counts(reader) == [0, 0]
    store.close()


def test_two_nodes_taking_turns_with_a_visitor_make_one_session(settings, reader) -> None:
    node_a, node_b = open_store(settings, "node-a"), open_store(settings, "node-b")
    times = ["2026-03-01T10:00:00", "2026-03-01T10:05:00", "2026-03-01T10:10:00", "2026-03-01T10:20:00"]
    for n, at in enumerate(times):
        node = node_a if n % 2 == 0 else node_b
        node.commit([event("v", at, f"/p{n}")], WalPosition(1, 100 * (n + 1)))
    sessions = reader.rows(
        "SELECT session_id, visitor_id, pageview_count, entry_path, exit_path,"
        " dateDiff('second', first_seen, last_seen) FROM (" + session_rows(EVENTS) + ")"
    )
    assert sessions == [[sid("v", times[0], "/p0"), "v", 4, "/p0", "/p3", 1200]]
    assert node_a.prepare() == WalPosition(1, 300) and node_b.prepare() == WalPosition(1, 400)
    node_a.close()
    node_b.close()


def test_a_late_event_on_another_node_after_midnight_continues_yesterdays_session(settings, reader) -> None:
    node_a, node_b = open_store(settings, "node-a"), open_store(settings, "node-b")
    node_a.commit([event("old-id", "2026-03-01T23:50:00")], WalPosition(1, 100))
    node_b.commit([event("new-id", "2026-03-02T00:15:00", "/x", previous="old-id"),
                   event("new-id", "2026-03-02T00:30:00", "/y", previous="old-id")], WalPosition(1, 100))
    sessions = reader.rows("SELECT visitor_id, pageview_count, exit_path FROM (" + session_rows(EVENTS) + ")")
    assert sessions == [["old-id", 3, "/y"]]
    node_a.close()
    node_b.close()


def test_the_session_id_is_the_contracts_whoever_wrote_the_first_event(settings, reader) -> None:
    store = open_store(settings, "node-b")
    store.commit([event("z", "2026-03-01T08:00:00", "/start", website=SITE)], WalPosition(1, 1))
    [[session_id]] = reader.rows(f"SELECT session_id FROM ({EVENTS})")
    assert session_id == sid("z", "2026-03-01T08:00:00", "/start")
    store.close()
