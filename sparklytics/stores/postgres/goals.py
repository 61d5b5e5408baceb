"""SQL for the ``goals`` table (API.md §1.8).

A create or update locks the website's row first (``sql.lock_live_website``), so the
50-goal limit and the unique name are checked against what every node committed and
no other node can pass the same check until this write commits.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import psycopg

from sparklytics.clock import utc_now
from sparklytics.enrich import random_id
from sparklytics.goals import MAX_GOALS_PER_WEBSITE, DuplicateGoalName, Goal, GoalLimitReached, apply_changes

from .sql import lock_live_website

_COLUMNS = (
    "id, website_id, name, goal_type, match_value, match_operator, value_mode, fixed_value,"
    " value_property_key, currency, created_at::text, updated_at::text"
)


def list_goals(conn: psycopg.Connection, website_id: str) -> list[Goal]:
    """The website's goals, newest first."""
    rows = conn.execute(
        f"SELECT {_COLUMNS} FROM goals WHERE website_id = %s ORDER BY created_at DESC, id DESC", [website_id]
    ).fetchall()
    return [Goal(*row) for row in rows]


def get_goal(conn: psycopg.Connection, website_id: str, goal_id: str) -> Goal | None:
    row = conn.execute(f"SELECT {_COLUMNS} FROM goals WHERE website_id = %s AND id = %s", [website_id, goal_id]).fetchone()
    return None if row is None else Goal(*row)


def create_goal(conn: psycopg.Connection, website_id: str, fields: Mapping[str, Any]) -> Goal | None:
    """Insert a goal from ``fields``; None if the website does not exist.

    Raises:
        InvalidGoal: a rule of §1.8 is broken.
        GoalLimitReached: the website has 50 goals already.
        DuplicateGoalName: the website has a goal of that name.
    """
    draft = Goal(id=random_id("goal_", 21), website_id=website_id, name="", goal_type=fields["goal_type"], match_value="")
    goal = apply_changes(draft, fields)
    now = utc_now()
    if lock_live_website(conn, website_id) is None:
        return None
    (count,) = conn.execute("SELECT count(*) FROM goals WHERE website_id = %s", [website_id]).fetchone()
    if count >= MAX_GOALS_PER_WEBSITE:
        raise GoalLimitReached(website_id)
    _check_name_free(conn, goal)
    conn.execute(
        "INSERT INTO goals (id, website_id, name, goal_type, match_value, match_operator, value_mode,"
        " fixed_value, value_property_key, currency, created_at, updated_at)"
        " VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
        [goal.id, website_id, goal.name, goal.goal_type, goal.match_value, goal.match_operator,
         goal.value_mode, goal.fixed_value, goal.value_property_key, goal.currency, now, now],
    )
    return get_goal(conn, website_id, goal.id)


def update_goal(conn: psycopg.Connection, website_id: str, goal_id: str, changes: Mapping[str, Any]) -> Goal | None:
    """Apply ``changes`` to the stored goal; None if the website has no such goal.

    Raises:
        InvalidGoal: the merged goal breaks a rule of §1.8.
        DuplicateGoalName: another goal of the website has the new name.
    """
    if lock_live_website(conn, website_id) is None:
        return None
    current = get_goal(conn, website_id, goal_id)
    if current is None:
        return None
    goal = apply_changes(current, changes)
    _check_name_free(conn, goal)
    conn.execute(
        "UPDATE goals SET name = %s, match_value = %s, match_operator = %s, value_mode = %s, fixed_value = %s,"
        " value_property_key = %s, currency = %s, updated_at = %s WHERE id = %s",
        [goal.name, goal.match_value, goal.match_operator, goal.value_mode, goal.fixed_value,
         goal.value_property_key, goal.currency, utc_now(), goal_id],
    )
    return get_goal(conn, website_id, goal_id)


def delete_goal(conn: psycopg.Connection, website_id: str, goal_id: str) -> bool:
    """Delete the goal; False if the website has no such goal (Decision 11: 404)."""
    return conn.execute("DELETE FROM goals WHERE website_id = %s AND id = %s", [website_id, goal_id]).rowcount > 0


def _check_name_free(conn: psycopg.Connection, goal: Goal) -> None:
    taken = conn.execute(
        "SELECT 1 FROM goals WHERE website_id = %s AND name = %s AND id <> %s", [goal.website_id, goal.name, goal.id]
    ).fetchone()
    if taken:
        raise DuplicateGoalName(goal.name)
