"""SQL for the ``goals`` table (API.md §1.8), for both metadata backends.

A create or update checks the live website first (:meth:`MetadataDb.live_website_domain`,
which on PostgreSQL locks its row), so the checks and the write they guard — the 50-goal
limit, unique names, the rules of :func:`sparklytics.goals.apply_changes` on the merged
goal — hold against every other writer. A goal has no children, so a delete is one
statement; the goals of a deleted website go with it.

Timestamps are naive UTC written from Python and read back as ``CAST(x AS VARCHAR)``
text (API.md §0.3), as for funnels.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sparklytics.clock import utc_now
from sparklytics.enrich import random_id
from sparklytics.goals import MAX_GOALS_PER_WEBSITE, DuplicateGoalName, Goal, GoalLimitReached, apply_changes
from sparklytics.stores.metadata_sql.db import MetadataDb

_COLUMNS = (
    "id, website_id, name, goal_type, match_value, match_operator, value_mode, fixed_value,"
    " value_property_key, currency, CAST(created_at AS VARCHAR), CAST(updated_at AS VARCHAR)"
)


def list_goals(db: MetadataDb, website_id: str) -> list[Goal]:
    """The website's goals, newest first."""
    rows = db.all(f"SELECT {_COLUMNS} FROM goals WHERE website_id = ? ORDER BY created_at DESC, id DESC", [website_id])
    return [Goal(*row) for row in rows]


def get_goal(db: MetadataDb, website_id: str, goal_id: str) -> Goal | None:
    row = db.one(f"SELECT {_COLUMNS} FROM goals WHERE website_id = ? AND id = ?", [website_id, goal_id])
    return None if row is None else Goal(*row)


def create_goal(db: MetadataDb, website_id: str, fields: Mapping[str, Any]) -> Goal | None:
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
    with db.write():
        if db.live_website_domain(website_id) is None:
            return None
        (count,) = db.one("SELECT count(*) FROM goals WHERE website_id = ?", [website_id])
        if count >= MAX_GOALS_PER_WEBSITE:
            raise GoalLimitReached(website_id)
        _check_name_free(db, goal)
        db.run(
            "INSERT INTO goals (id, website_id, name, goal_type, match_value, match_operator, value_mode,"
            " fixed_value, value_property_key, currency, created_at, updated_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [goal.id, website_id, goal.name, goal.goal_type, goal.match_value, goal.match_operator,
             goal.value_mode, goal.fixed_value, goal.value_property_key, goal.currency, now, now],
        )
        return get_goal(db, website_id, goal.id)


def update_goal(db: MetadataDb, website_id: str, goal_id: str, changes: Mapping[str, Any]) -> Goal | None:
    """Apply ``changes`` to the stored goal; None if the website has no such goal.

    Raises:
        InvalidGoal: the merged goal breaks a rule of §1.8.
        DuplicateGoalName: another goal of the website has the new name.
    """
    with db.write():
        if db.live_website_domain(website_id) is None:
            return None
        current = get_goal(db, website_id, goal_id)
        if current is None:
            return None
        goal = apply_changes(current, changes)
        _check_name_free(db, goal)
        db.run(
            "UPDATE goals SET name = ?, match_value = ?, match_operator = ?, value_mode = ?, fixed_value = ?,"
            " value_property_key = ?, currency = ?, updated_at = ? WHERE id = ?",
            [goal.name, goal.match_value, goal.match_operator, goal.value_mode, goal.fixed_value,
             goal.value_property_key, goal.currency, utc_now(), goal_id],
        )
        return get_goal(db, website_id, goal_id)


def delete_goal(db: MetadataDb, website_id: str, goal_id: str) -> bool:
    """Delete the goal; False if the website has no such goal (Decision 11: 404)."""
    with db.write():
        found = db.all("DELETE FROM goals WHERE website_id = ? AND id = ? RETURNING id", [website_id, goal_id])
    return bool(found)


def _check_name_free(db: MetadataDb, goal: Goal) -> None:
    taken = db.one("SELECT 1 FROM goals WHERE website_id = ? AND name = ? AND id <> ?", [goal.website_id, goal.name, goal.id])
    if taken is not None:
        raise DuplicateGoalName(goal.name)
