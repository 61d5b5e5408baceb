"""The rules of a goal's fields (API.md §1.8), in :func:`sparklytics.goals.apply_changes`."""

from __future__ import annotations

import pytest

from sparklytics.goals import Goal, InvalidGoal, apply_changes

DRAFT = Goal(id="goal_x", website_id="site_a", name="", goal_type="event", match_value="")
VALID = {"name": " Signup ", "match_value": " signup "}


def test_trimmed_and_defaulted():
    goal = apply_changes(DRAFT, VALID)
    assert (goal.name, goal.match_value, goal.match_operator, goal.value_mode, goal.currency) == (
        "Signup", "signup", "equals", "none", "USD",
    )


def test_value_fields_that_do_not_belong_to_the_mode_are_nulled():
    goal = apply_changes(DRAFT, {**VALID, "value_mode": "fixed", "fixed_value": 5.0, "value_property_key": "amount"})
    assert (goal.fixed_value, goal.value_property_key) == (5.0, None)
    goal = apply_changes(goal, {"value_mode": "event_property", "value_property_key": " amount "})
    assert (goal.fixed_value, goal.value_property_key) == (None, "amount")
    goal = apply_changes(goal, {"value_mode": "none"})
    assert (goal.fixed_value, goal.value_property_key) == (None, None)


def test_an_update_is_checked_against_the_stored_goal():
    stored = apply_changes(DRAFT, {**VALID, "value_mode": "fixed", "fixed_value": 3.0})
    # The stored value still applies when only the name changes.
    assert apply_changes(stored, {"name": "Renamed"}).fixed_value == 3.0
    with pytest.raises(InvalidGoal) as caught:
        apply_changes(apply_changes(stored, {"value_mode": "none"}), {"value_mode": "fixed"})
    assert (caught.value.message, caught.value.field) == ("fixed_value is required when value_mode is fixed", "fixed_value")


@pytest.mark.parametrize(
    "changes,message,field",
    [
        ({"name": "  "}, "name must not be empty", "name"),
        ({"name": "é" * 51}, "name must be at most 100 bytes", "name"),
        ({"match_value": ""}, "match_value must not be empty", "match_value"),
        ({"match_value": "x" * 501}, "match_value must be at most 500 characters", "match_value"),
        ({"fixed_value": -1.0}, "fixed_value must be a number >= 0", "fixed_value"),
        ({"currency": " "}, "currency must be 1 to 8 characters", "currency"),
        ({"currency": "x" * 9}, "currency must be 1 to 8 characters", "currency"),
        ({"value_mode": "fixed"}, "fixed_value is required when value_mode is fixed", "fixed_value"),
        ({"value_mode": "event_property", "value_property_key": " "},
         "value_property_key is required when value_mode is event_property", "value_property_key"),
    ],
)
def test_each_rule(changes, message, field):
    with pytest.raises(InvalidGoal) as caught:
        apply_changes(DRAFT, {**VALID, **changes})
    assert (caught.value.message, caught.value.field) == (message, field)


def test_a_name_of_100_bytes_is_fine():
    assert apply_changes(DRAFT, {**VALID, "name": "é" * 50}).name == "é" * 50
