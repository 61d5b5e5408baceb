"""The stores under contract: one fixture per Protocol, parametrised by backend."""

from __future__ import annotations

import pytest

from sparklytics.stores.analytics import AnalyticsStore, QueryBudgets
from sparklytics.stores.duckdb.analytics import DuckDBAnalyticsStore
from sparklytics.stores.duckdb.database import Database
from tests.queries.fixtures import Seed, open_db, seed_main_dataset

BUDGETS = QueryBudgets(default=10_000, retention=10_000)


def seeded_file(directory, seed) -> object:
    """A DuckDB file with the migrations applied and ``seed(Seed)`` written into it."""
    path = directory / "analytics.db"
    con = open_db(path)
    seed(Seed(con))
    con.close()
    return path


def duckdb_analytics(path) -> tuple[AnalyticsStore, Database]:
    db = Database(path, memory_limit="1GB")
    return DuckDBAnalyticsStore(db, BUDGETS), db


@pytest.fixture(scope="session")
def main_dataset(tmp_path_factory):
    return seeded_file(tmp_path_factory.mktemp("contract"), seed_main_dataset)


@pytest.fixture(params=["duckdb"])
def store(request, main_dataset) -> AnalyticsStore:
    """An AnalyticsStore over ``tests.queries.fixtures.seed_main_dataset``."""
    analytics, db = duckdb_analytics(main_dataset)
    yield analytics
    db.close()
