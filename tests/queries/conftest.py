"""Fixtures for the query-layer tests: real DuckDB files with hand-built data."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from sparklytics.goals import Goal
from sparklytics.queries.report_query import parse_report_query

from .fixtures import Seed, open_db, seed_main_dataset

# "Now" for every test that needs one: Sun 8 March 2026 12:00 UTC, so the default
# range (today−6 … today) is the primary week Mon 2 – Sun 8 March.
NOW = datetime(2026, 3, 8, 12, 0, tzinfo=timezone.utc)


@pytest.fixture(scope="session")
def main_con(tmp_path_factory):
    """A DuckDB file with migrations applied and the shared dataset (read-only in tests)."""
    con = open_db(tmp_path_factory.mktemp("main") / "main.db")
    seed_main_dataset(Seed(con))
    yield con
    con.close()


@pytest.fixture
def cur(main_con):
    """A fresh cursor on the shared dataset."""
    c = main_con.cursor()
    yield c
    c.close()


@pytest.fixture
def db(tmp_path):
    """A fresh, empty DuckDB file with migrations applied: ``(connection, Seed)``."""
    con = open_db(tmp_path / "test.db")
    yield con, Seed(con)
    con.close()


def make_query(route: str, website: str = "site_utc", *, tz: str | None = None,
               bots_default: bool = False, now: datetime = NOW, goal: Goal | None = None, **params: str):
    """Parse ``params`` for ``route`` the way the API layer does (``goal``: the goal
    ``filter_goal`` names, as the API looks it up)."""
    if tz is None:
        tz = "America/Los_Angeles" if website == "site_la" else "UTC"
    return parse_report_query(params, route=route, website_id=website, website_timezone=tz,
                              include_bots_default=bots_default, now=now, goal=goal)
