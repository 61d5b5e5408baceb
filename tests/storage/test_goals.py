"""Goal rows: the limit and the unique name are checked inside the write, by the goals
SQL both backends share (on a DuckDB file, and on a fresh PostgreSQL database)."""

from __future__ import annotations

import pytest

from sparklytics.goals import DuplicateGoalName, GoalLimitReached, InvalidGoal
from sparklytics.stores.metadata_sql import goals

SIGNUP = {"goal_type": "event", "name": "Signup", "match_value": "signup"}


@pytest.fixture
def backend(metadata_db):
    """The goals SQL and a database of each backend (``metadata_db``)."""
    return goals, metadata_db


def test_create_read_update_delete(backend):
    store, con = backend
    goal = store.create_goal(con, "site_a", {**SIGNUP, "value_mode": "fixed", "fixed_value": 9.5})
    assert goal.id.startswith("goal_") and len(goal.id) == 26
    assert (goal.name, goal.fixed_value, goal.currency) == ("Signup", 9.5, "USD")
    assert store.get_goal(con, "site_a", goal.id) == goal
    updated = store.update_goal(con, "site_a", goal.id, {"name": "Sign-up", "value_mode": "none"})
    assert (updated.name, updated.fixed_value, updated.goal_type) == ("Sign-up", None, "event")
    assert updated.updated_at >= goal.updated_at
    assert store.list_goals(con, "site_a") == [updated]
    assert store.delete_goal(con, "site_a", goal.id) is True
    assert store.delete_goal(con, "site_a", goal.id) is False
    assert store.get_goal(con, "site_a", goal.id) is None


def test_unknown_website_and_goal(backend):
    store, con = backend
    assert store.create_goal(con, "site_zz", SIGNUP) is None
    assert store.update_goal(con, "site_a", "goal_nope", {"name": "x"}) is None
    goal = store.create_goal(con, "site_a", SIGNUP)
    con.run("INSERT INTO websites (id, name, domain) VALUES ('site_b', 'B', 'b.example')")
    assert store.get_goal(con, "site_b", goal.id) is None
    assert store.delete_goal(con, "site_b", goal.id) is False


def test_names_are_unique_per_website_exactly(backend):
    store, con = backend
    goal = store.create_goal(con, "site_a", SIGNUP)
    with pytest.raises(DuplicateGoalName):
        store.create_goal(con, "site_a", SIGNUP)
    store.create_goal(con, "site_a", {**SIGNUP, "name": "signup"})
    other = store.create_goal(con, "site_a", {**SIGNUP, "name": "Other"})
    with pytest.raises(DuplicateGoalName):
        store.update_goal(con, "site_a", other.id, {"name": "Signup"})
    assert store.update_goal(con, "site_a", goal.id, {"name": "Signup"}).name == "Signup"


def test_fifty_goals_per_website(backend):
    store, con = backend
    for n in range(50):
        store.create_goal(con, "site_a", {**SIGNUP, "name": f"Goal {n}"})
    with pytest.raises(GoalLimitReached):
        store.create_goal(con, "site_a", {**SIGNUP, "name": "One too many"})
    assert len(store.list_goals(con, "site_a")) == 50


def test_an_invalid_update_changes_nothing(backend):
    store, con = backend
    goal = store.create_goal(con, "site_a", SIGNUP)
    with pytest.raises(InvalidGoal):
        store.update_goal(con, "site_a", goal.id, {"value_mode": "fixed"})
    assert store.get_goal(con, "site_a", goal.id) == goal
