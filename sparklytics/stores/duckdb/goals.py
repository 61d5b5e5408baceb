"""SQL for the ``goals`` table (API.md §1.8).

Reads take a reader cursor; writes run on the Writer, the only writer, so the checks
and the write they guard (the 50-goal limit, unique names, the rules of
:func:`sparklytics.goals.apply_changes` on the merged goal) happen in one transaction
with nobody in between. A goal has no children, so a delete is one statement; the
goals of a deleted website go with it (``websites.delete_website``).

Timestamps are naive UTC written from Python and read back as ``CAST(x AS VARCHAR)``
text (API.md §0.3), as for funnels.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import duckdb

from sparklytics.clock import utc_now
from sparklytics.enrich import random_id
from sparklytics.goals import MAX_GOALS_PER_WEBSITE, DuplicateGoalName, Goal, GoalLimitReached, apply_changes
from sparklytics.stores.duckdb.schema import transaction

_COLUMNS = (
    "id, website_id, name, goal_type, match_value, match_operator, value_mode, fixed_value,"
    " value_property_key, currency, CAST(created_at AS VARCHAR), CAST(updated_at AS VARCHAR)"
)

_LIVE_WEBSITE_SQL = "SELECT 1 FROM websites WHERE id = $website_id AND deleted_at IS NULL"


def list_goals(con: duckdb.DuckDBPyConnection, website_id: str) -> list[Goal]:
    """The website's goals, newest first."""
    rows = con.execute(
        f"SELECT {_COLUMNS} FROM goals WHERE website_id = $website_id ORDER BY created_at DESC, id DESC",
        {"website_id": website_id},
    ).fetchall()
    return [Goal(*row) for row in rows]


def get_goal(con: duckdb.DuckDBPyConnection, website_id: str, goal_id: str) -> Goal | None:
    row = con.execute(
        f"SELECT {_COLUMNS} FROM goals WHERE website_id = $website_id AND id = $goal_id",
        {"website_id": website_id, "goal_id": goal_id},
    ).fetchone()
    return None if row is None else Goal(*row)


def create_goal(con: duckdb.DuckDBPyConnection, website_id: str, fields: Mapping[str, Any]) -> Goal | None:
    """Insert a goal from ``fields`` (``goal_type`` and the changeable fields); None if
    the website does not exist.

    Raises:
        InvalidGoal: a rule of §1.8 is broken.
        GoalLimitReached: the website has 50 goals already.
        DuplicateGoalName: the website has a goal of that name.
    """
    draft = Goal(id=random_id("goal_", 21), website_id=website_id, name="", goal_type=fields["goal_type"], match_value="")
    goal = apply_changes(draft, fields)
    now = utc_now()
    with transaction(con):
        if con.execute(_LIVE_WEBSITE_SQL, {"website_id": website_id}).fetchone() is None:
            return None
        count = con.execute("SELECT count(*) FROM goals WHERE website_id = ?", [website_id]).fetchone()[0]
        if count >= MAX_GOALS_PER_WEBSITE:
            raise GoalLimitReached(website_id)
        _check_name_free(con, goal)
        con.execute(
            "INSERT INTO goals (id, website_id, name, goal_type, match_value, match_operator, value_mode,"
            " fixed_value, value_property_key, currency, created_at, updated_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [goal.id, website_id, goal.name, goal.goal_type, goal.match_value, goal.match_operator,
             goal.value_mode, goal.fixed_value, goal.value_property_key, goal.currency, now, now],
        )
        return get_goal(con, website_id, goal.id)


def update_goal(
    con: duckdb.DuckDBPyConnection, website_id: str, goal_id: str, changes: Mapping[str, Any]
) -> Goal | None:
    """Apply ``changes`` to the stored goal; None if the website has no such goal.

    Raises:
        InvalidGoal: the merged goal breaks a rule of §1.8.
        DuplicateGoalName: another goal of the website has the new name.
    """
    with transaction(con):
        current = get_goal(con, website_id, goal_id)
        if current is None:
            return None
        goal = apply_changes(current, changes)
        _check_name_free(con, goal)
        con.execute(
            "UPDATE goals SET name = ?, match_value = ?, match_operator = ?, value_mode = ?, fixed_value = ?,"
            " value_property_key = ?, currency = ?, updated_at = ? WHERE id = ?",
            [goal.name, goal.match_value, goal.match_operator, goal.value_mode, goal.fixed_value,
             goal.value_property_key, goal.currency, utc_now(), goal_id],
        )
        return get_goal(con, website_id, goal_id)


def delete_goal(con: duckdb.DuckDBPyConnection, website_id: str, goal_id: str) -> bool:
    """Delete the goal; False if the website has no such goal (Decision 11: 404)."""
    with transaction(con):
        found = con.execute(
            "DELETE FROM goals WHERE website_id = ? AND id = ? RETURNING id", [website_id, goal_id]
        ).fetchall()
    return bool(found)


def _check_name_free(con: duckdb.DuckDBPyConnection, goal: Goal) -> None:
    taken = con.execute(
        "SELECT count(*) FROM goals WHERE website_id = ? AND name = ? AND id <> ?",
        [goal.website_id, goal.name, goal.id],
    ).fetchone()[0]
    if taken:
        raise DuplicateGoalName(goal.name)
