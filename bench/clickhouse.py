"""ClickHouse stores against DuckDB's on the same events, in the same run.

Two real shards (``tests/clickhouse.py``, chdb from ``.venv-clickhouse``; from an export
set ``SPARKLYTICS_CHDB_PYTHON`` to the checkout's ``.venv-clickhouse/bin/python``).

* Synthetic (default): the events are committed through each backend's EventStore in
  10k batches (the Writer's path: ids, sessions, the WAL cursor), then the overview
  reports run over the last 7 days.
* ``--source DIR`` (a ``bench/load.py`` data dir such as ``bench/data/db-1M``): the
  DuckDB file is copied, its events are loaded into ClickHouse as ``sparklytics migrate
  --to cloud`` does (10k-row chunks through the ``Distributed`` table, the rollup's view
  fed on the way), and the overview reports run over the dataset's last ``--days``
  days: unfiltered, six of them filtered (a click on a row), the goal panel (bench/
  queries.py's ten goals, and the nine not valued by a property) and one goal's stats,
  the custom events list and one event's properties, the sessions list, and one session's
  detail (a session of the range's 11th day, a closed day); then the rest of bench/
  queries.py's set: the comparison, the hourly series, the other breakdowns, realtime (the
  dataset's last half hour), a custom event's series, the funnel, both journeys, the three
  retention reports, the purchase goal's stats, attribution and revenue, ``filter_goal``. Also printed: the load's events/s and ClickHouse's bytes on disk per 1M events
  (events and rollup, both shards). ``--scale K`` first makes the copy K times as big:
  each copy of the events and sessions gets visitor ids, event ids and session ids of
  its own (same times, pages, sources), so K × the events and visitors in the same
  range — a stand-in while a larger dataset is not built.
* Before the reports, the closed days' sessions are stored as the Scheduler would
  (``SessionBuilder``, a day per call; the time is printed), so the reports read them
  for the closed days and derive only the rest; ``clickhouse read-time`` is the store
  with ``rollups=False`` (every session derived from the events).
* ``--keep DIR`` keeps the shards' data and the DuckDB copy in ``DIR`` (e.g.
  ``/work/bench-ch/10M``): the first run loads, later runs start the shards over the
  same data and go straight to the reports (a 10M load takes ~10 minutes here).
  ``--load-only`` stops after the load; ``--only NAME`` (repeatable) runs just the
  reports whose name starts with NAME.

Each report runs ``--repeat`` times per backend, the backends alternating; the series
also on ClickHouse's read-time path (rollups off), so old and new are measured in the
same minutes. A report over its budget (``--budget-s``) is recorded as ``timeout``.
Medians are printed with the load average.

    python bench/clickhouse.py --events 200000 --repeat 5
    python bench/clickhouse.py --source bench/data/db-1M --days 30 --repeat 3
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import statistics
import sys
import tempfile
import time
from datetime import date, datetime, timedelta
from pathlib import Path

import duckdb
import trio

from _common import load_average, machine, write_json  # first: puts the checkout on sys.path
from queries import FUNNEL, GOALS, METRIC_TYPES
from sparklytics.events import EVENT_COLUMNS, EventRow
from sparklytics.goals import Goal
from sparklytics.queries.goals import AttributionOptions
from sparklytics.queries.journey import parse_journey_options
from sparklytics.queries.retention import parse_retention_options
from sparklytics.stores.analytics import QueryBudgets
from sparklytics.stores.clickhouse import schema
from sparklytics.stores.clickhouse.analytics import ClickHouseAnalyticsStore
from sparklytics.stores.clickhouse.closed_sessions import SessionBuilder
from sparklytics.stores.clickhouse.connection import ClickHouseClient, ClickHouseSettings
from sparklytics.stores.clickhouse.events import ClickHouseEventStore
from sparklytics.stores.clickhouse.loader import load_events
from sparklytics.stores.errors import QueryTimeout, StorageFault
from sparklytics.stores.duckdb.analytics import DuckDBAnalyticsStore
from sparklytics.stores.duckdb import schema as duckdb_schema
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
OVERVIEW_METRICS = ("page", "entry_page", "referrer", "channel", "country", "browser", "device", "event_name")


def overview_queries(start: date, end: date) -> dict[str, tuple[str, object]]:
    """What the dashboard's overview asks for over ``[start, end]``: report → (method, query)."""
    span = {"start_date": start.isoformat(), "end_date": end.isoformat()}
    queries = {
        "stats": ("stats", make_query("stats", SITE, **span)),
        "pageviews (day)": ("pageviews", make_query("pageviews", SITE, granularity="day", **span)),
    }
    for metric in OVERVIEW_METRICS:
        queries[f"metrics {metric}"] = ("metrics", make_query("metrics", SITE, type=metric, **span))
    # A click on a row of the overview: the same reports filtered (bench/queries.py's pair).
    us, chrome = {"filter_country": "US"}, {"filter_browser": "Chrome"}
    queries["stats filter country=US"] = ("stats", make_query("stats", SITE, **span, **us))
    queries["pageviews (day) filter country=US"] = ("pageviews", make_query("pageviews", SITE, granularity="day", **span, **us))
    queries["metrics page filter browser"] = ("metrics", make_query("metrics", SITE, type="page", **span, **chrome))
    queries["metrics referrer filter country=US"] = ("metrics", make_query("metrics", SITE, type="referrer", **span, **us))
    pricing = {"filter_page": "/pricing"}
    queries["stats filter page=/pricing"] = ("stats", make_query("stats", SITE, **span, **pricing))
    queries["metrics referrer filter page=/pricing"] = ("metrics", make_query("metrics", SITE, type="referrer", **span, **pricing))
    goals = [Goal(id=f"goal{n}", website_id=SITE, **fields) for n, fields in enumerate(GOALS)]
    counted = [g for g in goals if g.value_mode != "event_property"]  # the stored sessions' goals
    queries["goal conversions (9 goals)"] = ("goal_conversions", (make_query("goal_conversions", SITE, **span), counted))
    queries["goal conversions (10, one valued by a property)"] = (
        "goal_conversions", (make_query("goal_conversions", SITE, **span), goals))
    queries["goal stats (pricing page)"] = ("goal_stats", (make_query("goal_stats", SITE, **span), counted[4]))
    queries["events list"] = ("events", make_query("events", SITE, **span))
    queries["event properties (cta_click)"] = (
        "event_properties", make_query("event_properties", SITE, event_name="cta_click", **span))
    queries["sessions list"] = ("sessions", make_query("sessions", SITE, **span))
    queries["sessions list filter country=US"] = ("sessions", make_query("sessions", SITE, **span, **us))
    return queries


def explore_queries(start: date, end: date) -> dict[str, tuple[str, object]]:
    """The rest of bench/queries.py's set over ``[start, end]``: comparison, the hourly
    series, the other breakdowns, realtime, a custom event's series, the funnel, the
    journeys, retention, attribution, revenue and ``filter_goal``."""
    span = {"start_date": start.isoformat(), "end_date": end.isoformat()}
    queries = {
        "stats compare": ("stats", make_query("stats", SITE, compare_mode="previous_period", **span)),
        "pageviews (hour)": ("pageviews", make_query("pageviews", SITE, granularity="hour", **span)),
    }
    for metric in METRIC_TYPES:
        if metric not in OVERVIEW_METRICS:
            queries[f"metrics {metric}"] = ("metrics", make_query("metrics", SITE, type=metric, **span))
    last_half_hour = datetime(end.year, end.month, end.day, 23, 59)  # the dataset's, not the clock's
    queries["realtime"] = ("realtime", (make_query("realtime", SITE), Keywords(now=last_half_hour)))
    queries["event series (cta_click)"] = (
        "event_timeseries", make_query("event_timeseries", SITE, event_name="cta_click", **span))
    queries["funnel results"] = ("funnel", (make_query("funnel_results", SITE, **span), bench_funnel()))
    queries["journey next /pricing"] = ("journey", (make_query("journey", SITE, **span), parse_journey_options(
        {"anchor_type": "page", "anchor_value": "/pricing", "direction": "next", "max_depth": "3"})))
    queries["journey previous signup"] = ("journey", (make_query("journey", SITE, **span), parse_journey_options(
        {"anchor_type": "event", "anchor_value": "signup", "direction": "previous", "max_depth": "3"})))
    for label, params in (("retention week", {"cohort_granularity": "week"}),
                          ("retention day", {"cohort_granularity": "day"}),
                          ("retention filter country=US", {"cohort_granularity": "week", "filter_country": "US"})):
        queries[label] = ("retention", (make_query("retention", SITE, **span, **params),
                                        parse_retention_options(params)))
    purchase = Goal(id="goal0", website_id=SITE, **GOALS[0])
    queries["goal stats purchase"] = ("goal_stats", (make_query("goal_stats", SITE, **span), purchase))
    for model in ("last_touch", "first_touch"):
        queries[f"attribution purchase {model}"] = ("attribution", (
            make_query("attribution", SITE, **span), purchase, AttributionOptions("goal0", model)))
    queries["revenue summary purchase"] = ("revenue_summary", (
        make_query("revenue_summary", SITE, **span), purchase, AttributionOptions("goal0")))
    queries["stats filter_goal purchase"] = (
        "stats", make_query("stats", SITE, filter_goal="goal0", goal=purchase, **span))
    return queries


def bench_funnel() -> dict:
    """bench/queries.py's funnel as the metadata store hands it to a report."""
    steps = [{**step, "step_order": n, "match_operator": "equals"} for n, step in enumerate(FUNNEL["steps"], start=1)]
    return {"id": "funnel0", "name": FUNNEL["name"], "steps": steps}


async def a_stored_session(duckdb_store, day: date) -> tuple[str, str]:
    """(website, id) of the newest session of ``day``, a closed day: the detail's lookup."""
    query = make_query("sessions", SITE, start_date=day.isoformat(), end_date=day.isoformat(), limit="1")
    [row] = (await duckdb_store.sessions(query)).body()["data"]
    return SITE, row["session_id"]


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


class Keywords(dict):
    """Keyword arguments, last in a report's arguments (realtime's ``now``)."""


async def timed(store, method: str, query, budget_s: float) -> float | None:
    """Milliseconds for one report, or None past the budget (the server stops it, or
    the HTTP client's own timeout does when the server overruns its budget)."""
    args = query if isinstance(query, tuple) else (query,)
    keywords = Keywords()
    if isinstance(args[-1], Keywords):
        args, keywords = args[:-1], args[-1]
    started = time.perf_counter()
    try:
        await getattr(store, method)(*args, **keywords)
    except QueryTimeout:
        return None
    except StorageFault:
        if time.perf_counter() - started < budget_s:
            raise
        return None
    seconds = time.perf_counter() - started
    return None if seconds > budget_s else seconds * 1000


def median_or_timeout(runs: list[float | None]) -> float | str:
    done = [run for run in runs if run is not None]
    return round(statistics.median(done), 1) if len(done) == len(runs) else "timeout"


async def time_reports(stores: dict, queries: dict, repeat: int, budget_s: float,
                       read_time_all: bool) -> dict[str, dict]:
    """Medians per report and store, the stores taking turns within each repeat; the
    read-time ClickHouse path for the series only unless ``read_time_all``."""
    medians: dict[str, dict] = {}
    for name, (method, query) in queries.items():
        targets = [label for label in stores
                   if label != "clickhouse read-time" or method == "pageviews" or read_time_all]
        runs: dict[str, list] = {label: [] for label in targets}
        for _ in range(repeat):
            for label in targets:
                if runs[label] and runs[label][-1] is None:
                    continue  # once over the budget, not again
                runs[label].append(await timed(stores[label], method, query, budget_s))
        medians[name] = {label: median_or_timeout(found) for label, found in runs.items()}
        print(name, medians[name], load_average(), flush=True)
    return medians


def settle(settings: ClickHouseSettings) -> dict:
    """Store every closed day's sessions as the Scheduler would (a day per call), timed;
    with kept data only the days not stored yet."""
    builder = SessionBuilder(settings)
    started = time.perf_counter()
    days = 0
    while builder.build_next_day():
        days += 1
    seconds = time.perf_counter() - started
    builder.close()
    return {"days": days, "seconds": round(seconds, 1), "load_after": load_average()}


def clickhouse_bytes(client: ClickHouseClient, events: int) -> dict[str, int]:
    """Bytes on disk per 1M events of each of our tables, both shards."""
    per_table: dict[str, int] = {}
    for url in client.settings.shard_urls:
        found = client.execute("SELECT table, sum(bytes_on_disk) FROM system.parts WHERE active"
                               " AND database = currentDatabase() GROUP BY table FORMAT TSV", url=url)
        for line in found.splitlines():
            table, size = line.split("\t")
            per_table[table] = per_table.get(table, 0) + int(size)
    return {table: round(size / events * 1_000_000) for table, size in sorted(per_table.items())}


def duckdb_rows(path: Path, chunk: int = 10_000):
    """The events of a DuckDB file in id order, streamed."""
    con = duckdb.connect(str(path), read_only=True)
    try:
        cursor = con.execute(f"SELECT {', '.join(EVENT_COLUMNS)} FROM events ORDER BY id")
        while rows := cursor.fetchmany(chunk):
            yield from rows
    finally:
        con.close()


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=200_000, help="synthetic events (without --source)")
    parser.add_argument("--source", type=Path, help="a bench/load.py data dir to load instead")
    parser.add_argument("--days", type=int, help="range in days (default 7 synthetic, 30 with --source)")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--budget-s", type=float, default=60.0, help="a report's time budget")
    parser.add_argument("--scale", type=int, default=1, help="with --source: copies of its events")
    parser.add_argument("--keep", type=Path, help="with --source: keep (and reuse) the loaded data here")
    parser.add_argument("--load-only", action="store_true", help="stop after loading")
    parser.add_argument("--only", action="append", default=[], help="reports whose name starts with this")
    parser.add_argument("--read-time-all", action="store_true",
                        help="time ClickHouse's read-time path on every report, not just the series")
    args = parser.parse_args(argv)
    if args.keep is not None and args.source is None:
        parser.error("--keep needs --source")
    folder = args.keep or Path(tempfile.mkdtemp(prefix="bench-clickhouse-"))
    folder.mkdir(parents=True, exist_ok=True)
    cluster = ShardCluster(folder / "shards").start()
    postgres = PostgresServer().start()  # cloud mode's metadata: the imported aggregates
    result: dict = {"machine": machine(), "load_before": load_average()}
    budgets = QueryBudgets(default=int(args.budget_s * 1000), retention=int(args.budget_s * 1000))
    try:
        settings = ClickHouseSettings(cluster.urls, CLUSTER, database="bench", node_id="bench")
        if args.source is None:
            db, start, end = synthetic(folder, settings, args, result)
        else:
            db, start, end = from_source(folder, settings, args, result)
        result["range"] = [start.isoformat(), end.isoformat()]
        result["settle"] = settle(settings)
        events = result.get("events") or result["kept"]["events"]
        client = ClickHouseClient(settings)  # after the builds: the sessions table too, its
        client.on_every_shard("OPTIMIZE TABLE sessions_local FINAL")  # deleted builds merged away
        result["bytes_per_1M_after_settle"] = clickhouse_bytes(client, events)
        client.close()
        print(json.dumps(result["settle"]), flush=True)
        if args.load_only:
            db.close()
            print(json.dumps(result))
            return 0

        async def reports() -> None:
            metadata = await PostgresDatabase.open(postgres.fresh_database())
            imported = PostgresImportedRows(metadata)
            click = ClickHouseAnalyticsStore(settings, budgets, event_id_key="bench", imported=imported)
            raw = ClickHouseAnalyticsStore(settings, budgets, event_id_key="bench", imported=imported, rollups=False)
            stores = {"duckdb": DuckDBAnalyticsStore(db, budgets), "clickhouse": click, "clickhouse read-time": raw}
            every = overview_queries(start, end) | explore_queries(start, end)
            every["session detail"] = ("session", await a_stored_session(stores["duckdb"], start + timedelta(days=10)))
            queries = {name: query for name, query in every.items()
                       if not args.only or any(name.startswith(prefix) for prefix in args.only)}
            result["reports_ms"] = await time_reports(stores, queries, args.repeat, args.budget_s, args.read_time_all)
            await click.aclose()
            await raw.aclose()
            await metadata.close()

        trio.run(reports)
        result["load_after"] = load_average()
        db.close()
    finally:
        cluster.stop()
        postgres.stop()
        if args.keep is None:
            shutil.rmtree(folder, ignore_errors=True)
    print(json.dumps(result))
    write_json("clickhouse.json", result)
    return 0


def synthetic(folder: Path, settings: ClickHouseSettings, args, result: dict) -> tuple[Database, date, date]:
    """Commit synthetic events through both EventStores; the last 7 days by default."""
    events = synthetic_events(args.events, 30)
    result["events"] = args.events
    click_events = ClickHouseEventStore(settings)
    click_events.prepare()
    db = Database(folder / "duck.db", memory_limit="1GB")
    duck_events = DuckDBEventStore(db, session_cache_max_entries=100_000)
    duck_events.prepare()
    result["ingest_s"] = {"clickhouse": round(commit_all(click_events, events), 2),
                          "duckdb": round(commit_all(duck_events, events), 2)}
    result["load_after_ingest"] = load_average()
    click_events.close()
    end = (END - timedelta(days=1)).date()
    return db, end - timedelta(days=(args.days or 7) - 1), end


def scale_up(path: Path, copies: int) -> None:
    """Add ``copies - 1`` copies of the events and sessions, each under its own visitor,
    event and session ids (a session id is rehashed with the copy's number, the same in
    both tables, so events still join their sessions)."""
    con = duckdb.connect(str(path))
    [(last_id,)] = con.execute("SELECT max(id) FROM events").fetchall()
    con.execute("CREATE TEMP TABLE first_sessions AS SELECT * FROM sessions")
    for k in range(1, copies):
        con.execute(f"""INSERT INTO events SELECT * REPLACE (
            id + {k} * {last_id} AS id, visitor_id || '~{k}' AS visitor_id, hash(session_id, {k}) AS session_id)
            FROM events WHERE id <= {last_id}""")
        con.execute(f"""INSERT INTO sessions SELECT * REPLACE (
            visitor_id || '~{k}' AS visitor_id, hash(session_id, {k}) AS session_id)
            FROM first_sessions""")
    con.execute("CHECKPOINT")
    con.close()


def from_source(folder: Path, settings: ClickHouseSettings, args, result: dict) -> tuple[Database, date, date]:
    """Copy the data dir's DuckDB file, load its events into ClickHouse (as the
    migration does), measure the load and the bytes; the dataset's last 30 days."""
    meta = json.loads((args.source / "dataset.json").read_text())
    copy = folder / "duck.db"
    loaded_marker = folder / "loaded.json"
    client = ClickHouseClient(settings)
    if loaded_marker.exists():
        schema.apply(client)  # the kept data; creates what this commit's schema adds
        result["kept"] = json.loads(loaded_marker.read_text())
    else:
        shutil.copyfile(args.source / "sparklytics.db", copy)
        if args.scale > 1:
            scale_up(copy, args.scale)
        schema.apply(client)
        started = time.perf_counter()
        loaded = load_events(client, duckdb_rows(copy))
        seconds = time.perf_counter() - started
        result.update(events=loaded, load_s=round(seconds, 1), load_events_per_s=round(loaded / seconds),
                      load_after_ingest=load_average(),
                      duckdb_bytes_per_1M=round(copy.stat().st_size / loaded * 1e6))
        result["clickhouse_bytes_per_1M"] = clickhouse_bytes(client, loaded)
        if args.keep is not None:
            loaded_marker.write_text(json.dumps({**result, "source": str(args.source), "scale": args.scale}))
    with duckdb.connect(str(copy)) as con:  # the reports read this commit's columns (a kept copy too)
        duckdb_schema.apply_migrations(con)
    print(json.dumps(result), flush=True)
    client.close()
    end = date.fromisoformat(meta["end"][:10])
    return Database(copy, memory_limit="1GB"), end - timedelta(days=(args.days or 30) - 1), end


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
