"""ClickHouse stores against DuckDB's on the same synthetic events, in the same run.

Two real shards (``tests/clickhouse.py``, chdb from ``.venv-clickhouse``; from an export
set ``SPARKLYTICS_CHDB_PYTHON`` to the checkout's ``.venv-clickhouse/bin/python``). The
events are committed through each backend's EventStore in 10k batches (the Writer's
path: ids, sessions, the WAL cursor), then the overview reports run ``--repeat`` times
on each backend over the last 7 days; medians are printed with the load average.

    python bench/clickhouse.py --events 200000 --repeat 5
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path

import trio

from _common import load_average, machine, write_json  # first: puts the checkout on sys.path
from sparklytics.events import EventRow
from sparklytics.stores.analytics import QueryBudgets
from sparklytics.stores.clickhouse.analytics import ClickHouseAnalyticsStore
from sparklytics.stores.clickhouse.connection import ClickHouseSettings
from sparklytics.stores.clickhouse.events import ClickHouseEventStore
from sparklytics.stores.duckdb.analytics import DuckDBAnalyticsStore
from sparklytics.stores.duckdb.database import Database
from sparklytics.stores.duckdb.events import DuckDBEventStore
from sparklytics.wal import WalPosition
from sparklytics.stores.postgres.database import PostgresDatabase
from sparklytics.stores.postgres.imported_reports import PostgresImportedRows
from tests.clickhouse import CLUSTER, ShardCluster
from tests.postgres import PostgresServer
from tests.queries.conftest import make_query

SITE = "site_bench00001"
BATCH = 10_000
END = datetime(2026, 3, 31)
PATHS = [f"/p{n}" for n in range(60)]
BROWSERS = ["Chrome", "Firefox", "Safari", "Edge"]
COUNTRIES = ["US", "DE", "FR", "GB", "IN", "BR"]
BUDGETS = QueryBudgets(default=60_000, retention=60_000)
REPORTS = {
    "stats": lambda: make_query("stats", SITE, start_date="2026-03-24", end_date="2026-03-30"),
    "pageviews (day)": lambda: make_query("pageviews", SITE, start_date="2026-03-24", end_date="2026-03-30"),
    "metrics page": lambda: make_query("metrics", SITE, type="page", start_date="2026-03-24", end_date="2026-03-30"),
    "metrics browser": lambda: make_query("metrics", SITE, type="browser", start_date="2026-03-24",
                                          end_date="2026-03-30"),
}


def synthetic_events(count: int, days: int, seed: int = 7) -> list[EventRow]:
    """Sessions of 1–6 pageviews a minute apart, visitors spread over ``days`` days."""
    rng = random.Random(seed)
    base = dict.fromkeys(EventRow._fields)
    rows: list[EventRow] = []
    while len(rows) < count:
        visitor = f"v{rng.randrange(count // 4)}"
        start = END - timedelta(seconds=rng.randrange(days * 86_400))
        browser, country = rng.choice(BROWSERS), rng.choice(COUNTRIES)
        for k in range(rng.randint(1, 6)):
            path = rng.choice(PATHS)
            at = start + timedelta(minutes=k)
            rows.append(EventRow(**{**base, "website_id": SITE, "visitor_id": visitor, "event_type": "pageview",
                                    "url": f"https://www.example.com{path}", "path": path, "channel": "Direct",
                                    "browser": browser, "country": country, "is_bot": False, "bot_score": 0,
                                    "created_at": at.isoformat()}))
    rows = rows[:count]
    rows.sort(key=lambda row: row.created_at)
    return rows


def commit_all(store, events: list[EventRow]) -> float:
    """Seconds to commit ``events`` in BATCH-sized WAL records."""
    started = time.perf_counter()
    for n in range(0, len(events), BATCH):
        store.commit(events[n:n + BATCH], WalPosition(1, n + BATCH))
    return time.perf_counter() - started


async def time_reports(store, repeat: int) -> dict[str, float]:
    medians = {}
    for name, query in REPORTS.items():
        runs = []
        for _ in range(repeat):
            started = time.perf_counter()
            method = name.split()[0]
            await getattr(store, method)(query())
            runs.append((time.perf_counter() - started) * 1000)
        medians[name] = round(statistics.median(runs), 1)
    return medians


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=200_000)
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args(argv)
    events = synthetic_events(args.events, args.days)
    folder = Path(tempfile.mkdtemp(prefix="bench-clickhouse-"))
    cluster = ShardCluster(folder / "shards").start()
    postgres = PostgresServer().start()  # cloud mode's metadata: the imported aggregates
    result: dict = {"machine": machine(), "events": args.events, "load_before": load_average()}
    try:
        settings = ClickHouseSettings(cluster.urls, CLUSTER, database="bench", node_id="bench")
        click_events = ClickHouseEventStore(settings)
        click_events.prepare()
        db = Database(folder / "duck.db", memory_limit="1GB")
        duck_events = DuckDBEventStore(db, session_cache_max_entries=100_000)
        duck_events.prepare()
        result["ingest_s"] = {"clickhouse": round(commit_all(click_events, events), 2),
                              "duckdb": round(commit_all(duck_events, events), 2)}
        result["load_after_ingest"] = load_average()
        duck = DuckDBAnalyticsStore(db, BUDGETS)

        async def reports() -> None:
            metadata = await PostgresDatabase.open(postgres.fresh_database())
            click = ClickHouseAnalyticsStore(settings, BUDGETS, event_id_key="bench",
                                             imported=PostgresImportedRows(metadata))
            result["reports_ms"] = {"clickhouse": await time_reports(click, args.repeat),
                                    "duckdb": await time_reports(duck, args.repeat)}
            await click.aclose()
            await metadata.close()

        trio.run(reports)
        result["load_after"] = load_average()
        click_events.close()
        db.close()
    finally:
        cluster.stop()
        postgres.stop()
    print(result)
    write_json("clickhouse.json", result)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
