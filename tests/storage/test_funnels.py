"""Funnel rows: a funnel exists while it has steps, so a delete is atomic for readers
and a crash between its two transactions leaves nothing anyone can see — the funnels
SQL both backends share, on a DuckDB file and on a fresh PostgreSQL database."""

from __future__ import annotations

import pytest

from sparklytics.funnels import MAX_FUNNELS_PER_WEBSITE, FunnelLimitReached, NewStep
from sparklytics.stores.metadata_sql import funnels as store

STEPS = [NewStep("page_view", "/", "equals", "Home"), NewStep("event", "signup", "equals", "Signup")]


def crash_half_way_through_delete(metadata_db, funnel_id: str) -> None:
    """What a crash between the two transactions of ``delete_funnel`` leaves."""
    metadata_db.run("DELETE FROM funnel_steps WHERE funnel_id = ?", [funnel_id])


def test_a_funnel_without_steps_is_invisible(metadata_db):
    funnel = store.create_funnel(metadata_db, "site_a", "Signup", STEPS)
    crash_half_way_through_delete(metadata_db, funnel["id"])
    assert store.get_funnel(metadata_db, "site_a", funnel["id"]) is None
    assert store.list_funnels(metadata_db, "site_a") == []
    assert store.update_funnel(metadata_db, "site_a", funnel["id"], name="Renamed") is None
    assert store.delete_funnel(metadata_db, "site_a", funnel["id"]) is False


def test_a_left_over_row_takes_no_name_and_no_place_under_the_limit(metadata_db):
    leftover = store.create_funnel(metadata_db, "site_a", "Signup", STEPS)
    crash_half_way_through_delete(metadata_db, leftover["id"])
    assert store.create_funnel(metadata_db, "site_a", "Signup", STEPS)["name"] == "Signup"
    for n in range(MAX_FUNNELS_PER_WEBSITE - 1):
        store.create_funnel(metadata_db, "site_a", f"Funnel {n}", STEPS)
    with pytest.raises(FunnelLimitReached):
        store.create_funnel(metadata_db, "site_a", "One too many", STEPS)


def test_the_next_delete_removes_left_over_rows(metadata_db):
    leftover = store.create_funnel(metadata_db, "site_a", "Old", STEPS)
    crash_half_way_through_delete(metadata_db, leftover["id"])
    other = store.create_funnel(metadata_db, "site_a", "New", STEPS)
    assert store.delete_funnel(metadata_db, "site_a", other["id"]) is True
    assert metadata_db.one("SELECT count(*) FROM funnels") == (0,)


def test_a_funnel_belongs_to_its_website(metadata_db):
    metadata_db.run("INSERT INTO websites (id, name, domain) VALUES ('site_b', 'B', 'b.example')")
    funnel = store.create_funnel(metadata_db, "site_a", "Signup", STEPS)
    assert store.get_funnel(metadata_db, "site_b", funnel["id"]) is None
    assert store.delete_funnel(metadata_db, "site_b", funnel["id"]) is False
    # Names are unique per website, not globally.
    assert store.create_funnel(metadata_db, "site_b", "Signup", STEPS)["website_id"] == "site_b"


def test_creating_for_a_missing_website_returns_none(metadata_db):
    assert store.create_funnel(metadata_db, "site_missing", "Signup", STEPS) is None
