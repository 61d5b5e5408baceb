"""Funnel rows: a funnel exists while it has steps, so a delete is atomic for readers
and a crash between its two transactions leaves nothing anyone can see."""

from __future__ import annotations

import duckdb
import pytest

from sparklytics.funnels import MAX_FUNNELS_PER_WEBSITE, FunnelLimitReached, NewStep
from sparklytics.stores.duckdb import funnels as store
from sparklytics.stores.duckdb.schema import apply_migrations

STEPS = [NewStep("page_view", "/", "equals", "Home"), NewStep("event", "signup", "equals", "Signup")]


@pytest.fixture
def con(tmp_path):
    """A migrated DuckDB file with one website, ``site_a``."""
    connection = duckdb.connect(str(tmp_path / "funnels.db"))
    apply_migrations(connection)
    connection.execute("INSERT INTO websites (id, name, domain) VALUES ('site_a', 'A', 'a.example')")
    yield connection
    connection.close()


def crash_half_way_through_delete(con, funnel_id: str) -> None:
    """What a crash between the two transactions of ``delete_funnel`` leaves."""
    con.execute("DELETE FROM funnel_steps WHERE funnel_id = ?", [funnel_id])


def test_a_funnel_without_steps_is_invisible(con):
    funnel = store.create_funnel(con, "site_a", "Signup", STEPS)
    crash_half_way_through_delete(con, funnel["id"])
    assert store.get_funnel(con, "site_a", funnel["id"]) is None
    assert store.list_funnels(con, "site_a") == []
    assert store.update_funnel(con, "site_a", funnel["id"], name="Renamed") is None
    assert store.delete_funnel(con, "site_a", funnel["id"]) is False


def test_a_left_over_row_takes_no_name_and_no_place_under_the_limit(con):
    leftover = store.create_funnel(con, "site_a", "Signup", STEPS)
    crash_half_way_through_delete(con, leftover["id"])
    assert store.create_funnel(con, "site_a", "Signup", STEPS)["name"] == "Signup"
    for n in range(MAX_FUNNELS_PER_WEBSITE - 1):
        store.create_funnel(con, "site_a", f"Funnel {n}", STEPS)
    with pytest.raises(FunnelLimitReached):
        store.create_funnel(con, "site_a", "One too many", STEPS)


def test_the_next_delete_removes_left_over_rows(con):
    leftover = store.create_funnel(con, "site_a", "Old", STEPS)
    crash_half_way_through_delete(con, leftover["id"])
    other = store.create_funnel(con, "site_a", "New", STEPS)
    assert store.delete_funnel(con, "site_a", other["id"]) is True
    assert con.execute("SELECT count(*) FROM funnels").fetchone()[0] == 0


def test_a_funnel_belongs_to_its_website(con):
    con.execute("INSERT INTO websites (id, name, domain) VALUES ('site_b', 'B', 'b.example')")
    funnel = store.create_funnel(con, "site_a", "Signup", STEPS)
    assert store.get_funnel(con, "site_b", funnel["id"]) is None
    assert store.delete_funnel(con, "site_b", funnel["id"]) is False
    # Names are unique per website, not globally.
    assert store.create_funnel(con, "site_b", "Signup", STEPS)["website_id"] == "site_b"


def test_creating_for_a_missing_website_returns_none(con):
    assert store.create_funnel(con, "site_missing", "Signup", STEPS) is None
