"""The MetadataStore on both backends, in the same run: what one call costs.

DuckDB's store runs as in the server (reads on a cursor in a worker thread, writes
through the Writer actor); PostgreSQL's on a throwaway local server (``tests/postgres.py``:
fsync off, loopback TCP), as one app node with a pool of 8. For each operation: the
median and p99 latency of sequential calls, and the calls per second of 16 concurrent
callers. The operations are the hot ones: ``website_ingest_info`` (collect's cache
misses), ``get_website`` and ``list_goals`` (every dashboard page), ``create_goal`` +
``delete_goal`` (a guarded write and a plain one).

    bench/run-from-export.sh metadata.py [--calls 300] [--repeat 3] [--max-load 1.0]

Bounded: every loop runs a fixed number of calls; the servers listen on 127.0.0.1.
"""

from __future__ import annotations

import argparse
import itertools
import statistics
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import trio

from _common import load_average, machine, wait_for_quiet, write_json  # noqa: E402  (puts the repo on sys.path)
from sparklytics.services import open_services  # noqa: E402
from sparklytics.stores.postgres import open_metadata_store  # noqa: E402
from tests.harness import test_config  # noqa: E402
from tests.postgres import PostgresServer  # noqa: E402

SITE = "site_bench00001"
GOAL = {"goal_type": "event", "name": "Signup", "match_value": "signup"}
CONCURRENCY = 16


async def prepare(store) -> None:
    await store.insert_website(website_id=SITE, name="Bench", domain="www.example.com", timezone="UTC")
    for n in range(20):
        await store.create_goal(SITE, {**GOAL, "name": f"Goal {n}"})


_names = itertools.count()


async def goal_round_trip(store) -> None:
    """Concurrent callers use names of their own (at most 20 + 16 goals at once)."""
    goal = await store.create_goal(SITE, {**GOAL, "name": f"Round trip {next(_names)}"})
    await store.delete_goal(SITE, goal.id)


def operations(store) -> dict[str, Callable[[], Awaitable[Any]]]:
    return {
        "website_ingest_info": lambda: store.website_ingest_info(SITE),
        "get_website": lambda: store.get_website(SITE),
        "list_goals (20)": lambda: store.list_goals(SITE),
        "create_goal + delete_goal": lambda: goal_round_trip(store),
    }


async def sequential_ms(call: Callable[[], Awaitable[Any]], calls: int) -> list[float]:
    times = []
    for _ in range(calls):
        start = time.perf_counter()
        await call()
        times.append((time.perf_counter() - start) * 1000)
    return times


async def concurrent_rate(call: Callable[[], Awaitable[Any]], calls: int) -> float:
    """Calls per second of CONCURRENCY callers sharing ``calls`` calls (the goal
    round trip runs on one website, so its writers queue on the row lock)."""
    per_caller = max(1, calls // CONCURRENCY)

    async def caller() -> None:
        for _ in range(per_caller):
            await call()

    start = time.perf_counter()
    async with trio.open_nursery() as nursery:
        for _ in range(CONCURRENCY):
            nursery.start_soon(caller)
    return per_caller * CONCURRENCY / (time.perf_counter() - start)


async def measure(store, calls: int) -> dict[str, dict[str, float]]:
    results = {}
    for name, call in operations(store).items():
        await sequential_ms(call, 20)  # warm caches and the pool
        times = sorted(await sequential_ms(call, calls))
        results[name] = {
            "p50_ms": round(statistics.median(times), 3),
            "p99_ms": round(times[min(len(times) - 1, int(len(times) * 0.99))], 3),
            "concurrent_per_s": round(await concurrent_rate(call, calls), 1),
        }
    return results


async def run_duckdb(calls: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="bench-metadata-") as folder:
        async with open_services(test_config(Path(folder) / "data")) as services:
            await prepare(services.metadata)
            return await measure(services.metadata, calls)


async def run_postgres(dsn: str, calls: int) -> dict[str, Any]:
    store = await open_metadata_store(dsn, node_id="bench", max_connections=8)
    try:
        await prepare(store)
        return await measure(store, calls)
    finally:
        await store.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=300)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--max-load", type=float, default=1.0)
    args = parser.parse_args()
    server = PostgresServer().start()
    rounds = []
    try:
        for round_number in range(args.repeat):
            wait_for_quiet(args.max_load, timeout=600)
            before = load_average()
            duck = trio.run(run_duckdb, args.calls)
            pg = trio.run(run_postgres, server.fresh_database(), args.calls)
            rounds.append({"load_before": before, "load_after": load_average(), "duckdb": duck, "postgres": pg})
            print(f"round {round_number + 1}: load {before[0]} -> {rounds[-1]['load_after'][0]}")
    finally:
        server.stop()
    print_table(rounds)
    write_json("metadata.json", {"machine": machine(), "calls": args.calls, "rounds": rounds})


def print_table(rounds: list[dict[str, Any]]) -> None:
    print("| operation | backend | p50 ms | p99 ms | calls/s at 16 concurrent |")
    print("|---|---|---|---|---|")
    for name in rounds[0]["duckdb"]:
        for backend in ("duckdb", "postgres"):
            figures = [r[backend][name] for r in rounds]
            median = {key: statistics.median(f[key] for f in figures) for key in figures[0]}
            print(f"| {name} | {backend} | {median['p50_ms']:.2f} | {median['p99_ms']:.2f} | {median['concurrent_per_s']:.0f} |")


if __name__ == "__main__":
    main()
