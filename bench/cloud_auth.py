"""What cloud mode's shared login lockout and its imported-data merge cost, measured.

1. One password attempt's bookkeeping (``begin`` + ``succeeded``): in memory
   (self-hosted) against PostgreSQL (cloud: an HMAC, an advisory lock, a count and an
   insert, then a delete), alternating rounds of ``--attempts`` each.
2. The ClickHouse overview reports with ``with_imported=true`` against without (three
   PostgreSQL reads added at most), alternating, on the contract tests' dataset with its
   imported rows (``tests/stores/test_imported.py``) on two real shards.

    python bench/cloud_auth.py --attempts 300 --repeat 5

From an export set ``SPARKLYTICS_CHDB_PYTHON`` to the checkout's ``.venv-clickhouse/bin/python``.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

import trio

from _common import load_average, machine, write_json  # first: puts the checkout on sys.path
from sparklytics.auth.attempts import LoginAttempts
from sparklytics.stores.analytics import QueryBudgets
from sparklytics.stores.clickhouse.analytics import ClickHouseAnalyticsStore
from sparklytics.stores.postgres.database import PostgresDatabase
from sparklytics.stores.postgres.imported_reports import PostgresImportedRows
from sparklytics.stores.postgres.login_attempts import PostgresLoginAttempts, lockout_key
from sparklytics.clock import utc_now
from tests.clickhouse import ShardCluster
from tests.postgres import PostgresServer
from tests.queries.conftest import make_query
from tests.stores.conftest import clickhouse_copy, seeded_file
from tests.stores.test_analytics import WEEK
from tests.stores.test_imported import seed_with_imports

BUDGETS = QueryBudgets(default=60_000, retention=60_000)
REPORTS = {
    "stats": lambda imported: make_query("stats", **WEEK, **imported),
    "pageviews (day)": lambda imported: make_query("pageviews", **WEEK, granularity="day", **imported),
    "metrics browser": lambda imported: make_query("metrics", type="browser", **WEEK, **imported),
}


async def attempt_round(log, attempts: int, prefix: str) -> float:
    """Microseconds per attempt over ``attempts`` attempts of distinct clients."""
    started = time.perf_counter()
    for n in range(attempts):
        attempt = await log.begin(f"{prefix}.{n // 250}.{n % 250}", utc_now())
        await log.succeeded(attempt)
    return (time.perf_counter() - started) / attempts * 1e6


async def lockout(dsn: str, attempts: int, repeat: int) -> dict:
    db = await PostgresDatabase.open(dsn)
    logs = {"memory": LoginAttempts(), "postgresql": PostgresLoginAttempts(db, lockout_key("bench-secret-" * 4))}
    runs: dict[str, list[float]] = {name: [] for name in logs}
    for round_ in range(repeat):
        for name, log in logs.items():
            runs[name].append(await attempt_round(log, attempts, f"10.{round_}"))
    await db.close()
    return {name: round(statistics.median(values), 1) for name, values in runs.items()}


async def imported_merge(settings, event_id_key: str, dsn: str, repeat: int) -> dict:
    db = await PostgresDatabase.open(dsn)
    store = ClickHouseAnalyticsStore(settings, BUDGETS, event_id_key=event_id_key, imported=PostgresImportedRows(db))
    medians = {}
    for name, query in REPORTS.items():
        runs: dict[str, list[float]] = {"without": [], "with_imported": []}
        for _ in range(repeat):
            for mode, params in (("without", {}), ("with_imported", {"with_imported": "true"})):
                started = time.perf_counter()
                await getattr(store, name.split()[0])(query(params))
                runs[mode].append((time.perf_counter() - started) * 1000)
        medians[name] = {mode: round(statistics.median(values), 1) for mode, values in runs.items()}
    await store.aclose()
    await db.close()
    return medians


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--attempts", type=int, default=300)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="bench-cloud-auth-"))
    result: dict = {"machine": machine(), "load_before": load_average()}
    postgres = PostgresServer().start()
    cluster = ShardCluster(folder / "shards").start()
    try:
        settings, event_id_key, dsn = clickhouse_copy(cluster, postgres, seeded_file(folder, seed_with_imports))
        result["attempt_us"] = trio.run(lockout, postgres.fresh_database(), args.attempts, args.repeat)
        result["reports_ms"] = trio.run(imported_merge, settings, event_id_key, dsn, args.repeat)
        result["load_after"] = load_average()
    finally:
        cluster.stop()
        postgres.stop()
    print(result)
    write_json("cloud_auth.json", result)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
