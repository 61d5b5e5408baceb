"""The hourly overview rollup on ClickHouse (``stores/clickhouse/rollup.py``): series
read it when the query allows it exactly, give what the read-time path gives (and so
what DuckDB gives), and every change to the stored events reaches it."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from dataclasses import replace

import duckdb
import pytest

from sparklytics.enrich.bots import BotVerdict
from sparklytics.events import EVENT_COLUMNS
from sparklytics.stores.clickhouse.analytics import ClickHouseAnalyticsStore
from sparklytics.stores.clickhouse.connection import ClickHouseClient, ClickHouseSettings
from sparklytics.stores.clickhouse.events import ClickHouseEventStore
from sparklytics.stores.clickhouse.loader import load_events
from sparklytics.stores.errors import StorageFault
from sparklytics.stores.postgres.database import PostgresDatabase
from sparklytics.stores.postgres.imported_reports import PostgresImportedRows
from sparklytics.wal import WalPosition
from tests.clickhouse import CLUSTER, ShardCluster
from tests.queries.conftest import make_query
from tests.stores.test_events import SITE, event, t

from .conftest import BUDGETS, analytics_on, clickhouse_copy

WEEK = {"start_date": "2026-03-02", "end_date": "2026-03-08"}
DAYS = {"start_date": "2026-03-01", "end_date": "2026-03-02", "granularity": "day"}

SERIES_QUERIES = [
    ("pageviews", make_query("pageviews", **WEEK)),
    ("pageviews", make_query("pageviews", **WEEK, include_bots="true")),
    ("pageviews", make_query("pageviews", **WEEK, compare="previous_period")),
    ("pageviews", make_query("pageviews", start_date="2026-03-03", end_date="2026-03-03", granularity="hour")),
    ("pageviews", make_query("pageviews", start_date="2026-02-01", end_date="2026-03-31", granularity="month")),
    ("pageviews", make_query("pageviews", "site_la", start_date="2026-03-08", end_date="2026-03-08",
                             granularity="hour")),
    ("pageviews", make_query("pageviews", "site_la", **WEEK)),
    ("event_timeseries", make_query("event_timeseries", event_name="signup_click", **WEEK)),
]


@asynccontextmanager
async def rollup_and_read_time(settings: ClickHouseSettings, dsn: str, key: str = "k"):
    """The ClickHouse AnalyticsStore with its rollup, and with read-time series only."""
    metadata = await PostgresDatabase.open(dsn, max_connections=2)
    imported = PostgresImportedRows(metadata)
    rollup = ClickHouseAnalyticsStore(settings, BUDGETS, event_id_key=key, imported=imported)
    raw = ClickHouseAnalyticsStore(settings, BUDGETS, event_id_key=key, imported=imported, rollups=False)
    yield rollup, raw
    await rollup.aclose()
    await raw.aclose()
    await metadata.close()


@pytest.fixture
async def three(request, main_dataset):
    """DuckDB, ClickHouse with its rollup, and ClickHouse with read-time series only."""
    async with analytics_on("clickhouse", main_dataset, request):
        pass  # makes the ClickHouse copy before the DuckDB store opens the file
    settings, key, dsn = request.getfixturevalue("clickhouse_copies")[main_dataset]
    async with rollup_and_read_time(settings, dsn, key) as (click, raw):
        async with analytics_on("duckdb", main_dataset, request) as duck:
            yield duck, click, raw


@pytest.mark.parametrize(("report", "query"), SERIES_QUERIES)
async def test_series_from_the_rollup_equal_the_read_time_path_and_duckdb(three, report, query):
    duck, click, raw = three
    expected = await getattr(duck, report)(query)
    assert await getattr(raw, report)(query) == expected
    assert await getattr(click, report)(query) == expected


@pytest.fixture
def settings(clickhouse_cluster: ShardCluster) -> ClickHouseSettings:
    return ClickHouseSettings(clickhouse_cluster.urls, CLUSTER, database=clickhouse_cluster.new_database(),
                              node_id="node-a")


@pytest.fixture
def writer(settings) -> Iterator[ClickHouseEventStore]:
    store = ClickHouseEventStore(settings)
    store.prepare()
    yield store
    store.close()


@pytest.fixture
def reader(settings) -> Iterator[ClickHouseClient]:
    client = ClickHouseClient(settings)
    yield client
    client.close()


@pytest.fixture
async def paths(settings, postgres) -> AsyncIterator[tuple[ClickHouseAnalyticsStore, ClickHouseAnalyticsStore]]:
    """(rollup, read-time) analytics over ``settings``' database."""
    async with rollup_and_read_time(settings, postgres.fresh_database()) as both:
        yield both


def daily(result) -> list[tuple[str, int, int]]:
    return [(row["date"], row["pageviews"], row["visitors"]) for row in result.data["series"]]


async def both_paths(paths, query) -> list[tuple[str, int, int]]:
    rollup, raw = paths
    found = daily(await rollup.pageviews(query))
    assert found == daily(await raw.pageviews(query))
    return found


VISITORS = [f"v{n}" for n in range(12)]  # enough to land on both shards


def commit_day_one(writer) -> None:
    writer.commit([event(v, "2026-03-01T10:00:00", "/a") for v in VISITORS]
                  + [event(v, "2026-03-01T10:40:00", "/b") for v in VISITORS[:4]]
                  + [event(v, "2026-03-02T09:00:00") for v in VISITORS[:3]], WalPosition(1, 100))


async def test_the_series_is_read_from_the_rollup_only_where_it_is_exact(paths, writer, reader):
    commit_day_one(writer)
    rollup, raw = paths
    query = make_query("pageviews", SITE, **DAYS)
    assert await both_paths(paths, query) == [("2026-03-01", 16, 12), ("2026-03-02", 3, 3)]
    # Remove the events behind the rollup's back: what still answers is the rollup.
    reader.on_every_shard("DELETE FROM events_local WHERE 1")
    assert daily(await rollup.pageviews(query)) == [("2026-03-01", 16, 12), ("2026-03-02", 3, 3)]
    assert daily(await raw.pageviews(query)) == [("2026-03-01", 0, 0), ("2026-03-02", 0, 0)]
    # A filter, or a zone half an hour off UTC, needs the events: the read-time path.
    for fallback in (make_query("pageviews", SITE, **DAYS, filter_page="/a"),
                     make_query("pageviews", SITE, **DAYS, timezone="Asia/Kolkata")):
        assert [row["pageviews"] for row in (await rollup.pageviews(fallback)).data["series"]] == [0, 0]


async def test_a_midnight_continuation_counts_the_visitor_it_keeps(paths, writer):
    # old-id's session goes on past midnight under new-id (Decision 6); new-id's later
    # visit is a session of its own, kept under new-id: two visitors on the 2nd.
    writer.commit([event("old-id", "2026-03-01T23:50:00"),
                   event("new-id", "2026-03-02T00:10:00", "/x", previous="old-id"),
                   event("new-id", "2026-03-02T00:20:00", "/y", previous="old-id"),
                   event("new-id", "2026-03-02T03:00:00", "/z"),
                   event("other", "2026-03-02T00:05:00", "/o", previous="other-old")], WalPosition(1, 100))
    assert await both_paths(paths, make_query("pageviews", SITE, **DAYS)) == [("2026-03-01", 1, 1), ("2026-03-02", 4, 3)]
    hours = make_query("pageviews", SITE, start_date="2026-03-02", end_date="2026-03-02", granularity="hour")
    found = await both_paths(paths, hours)
    assert [row for row in found if row[1]] == [
        ("2026-03-02T00:00:00Z", 3, 2), ("2026-03-02T03:00:00Z", 1, 1),
    ]


async def test_a_deleted_websites_events_leave_the_rollup(paths, writer, reader):
    commit_day_one(writer)
    writer.commit([event(v, "2026-03-01T11:00:00", website="site_other") for v in VISITORS], WalPosition(1, 200))
    writer.delete_website_events(SITE)
    assert await both_paths(paths, make_query("pageviews", SITE, **DAYS)) == [("2026-03-01", 0, 0), ("2026-03-02", 0, 0)]
    assert reader.rows("SELECT DISTINCT website_id FROM hourly_overview") == [["site_other"]]


async def test_a_purge_rebuilds_the_hour_it_cut_through(paths, writer):
    commit_day_one(writer)
    # The purge stops inside 10:00–11:00 of the 1st: that hour keeps its 10:40 events.
    assert writer.purge(t("2026-03-01T10:30:00"), limit=1000) == 12
    assert await both_paths(paths, make_query("pageviews", SITE, **DAYS)) == [("2026-03-01", 4, 4), ("2026-03-02", 3, 3)]


async def test_a_bot_recompute_moves_the_events_it_flags_out_of_the_human_series(paths, writer):
    commit_day_one(writer)

    def flag_b_pages(sample) -> BotVerdict:
        return BotVerdict(True, 90, "test") if sample.path == "/b" else BotVerdict(False, 0, None)

    after = None
    while True:  # one page (at most a 6-hour slice) per call, as the recompute job goes
        _, after = writer.reclassify_bots(SITE, t("2026-03-01T00:00:00"), t("2026-03-03T00:00:00"), after=after,
                                          limit=1000, classify=flag_b_pages)
        if after is None:
            break
    assert await both_paths(paths, make_query("pageviews", SITE, **DAYS)) == [("2026-03-01", 12, 12), ("2026-03-02", 3, 3)]
    with_bots = make_query("pageviews", SITE, **DAYS, include_bots="true")
    assert await both_paths(paths, with_bots) == [("2026-03-01", 16, 12), ("2026-03-02", 3, 3)]


async def test_a_replayed_batch_is_counted_once_in_the_rollup(paths, writer, settings, reader):
    batch = [event(v, "2026-03-01T10:00:00") for v in VISITORS]
    # The cursor insert fails after the events (and the view's rows) landed.
    reader.on_every_shard("RENAME TABLE ingest_cursor_local TO cursor_away")
    with pytest.raises(StorageFault):
        writer.commit(batch, WalPosition(1, 100))
    reader.on_every_shard("RENAME TABLE cursor_away TO ingest_cursor_local")
    restarted = ClickHouseEventStore(replace(settings))
    restarted.prepare()
    assert restarted.commit(batch, WalPosition(1, 100)) == 12
    restarted.close()
    query = make_query("pageviews", SITE, start_date="2026-03-01", end_date="2026-03-01", granularity="day")
    assert await both_paths(paths, query) == [("2026-03-01", 12, 12)]


async def test_resent_chunks_never_reach_the_rollup_and_an_older_install_is_aggregated_once(
    clickhouse_cluster, postgres, main_dataset, request
):
    settings, key, dsn = clickhouse_copy(clickhouse_cluster, postgres, main_dataset)
    con = duckdb.connect(str(main_dataset), read_only=True)
    copied = con.execute(f"SELECT {', '.join(EVENT_COLUMNS)} FROM events ORDER BY id").fetchall()
    con.close()
    client = ClickHouseClient(settings)
    query = make_query("pageviews", **WEEK)
    async with (rollup_and_read_time(settings, dsn, key) as (rollup, _),
                analytics_on("duckdb", main_dataset, request) as duck):
        expected = await duck.pageviews(query)
        load_events(client, copied)  # a resumed migration resends chunks: the shards drop them, the view too
        assert await rollup.pageviews(query) == expected
        # An install from before the rollup: no view, nothing aggregated.
        client.on_every_shard("DROP VIEW hourly_overview_mv")
        client.on_every_shard("TRUNCATE TABLE hourly_overview_local")
        ClickHouseEventStore(settings).prepare()  # a node of the new version starts
        assert await rollup.pageviews(query) == expected
        ClickHouseEventStore(settings).prepare()  # another node: nothing aggregated twice
        assert await rollup.pageviews(query) == expected
    client.close()
