"""A goal as the product knows it: the stored definition and the rules of its fields.

API.md §1.8: ``name`` non-blank and at most 100 bytes, ``match_value`` non-blank and at
most 500 characters, ``fixed_value`` ≥ 0, ``currency`` 1–8 characters after trimming,
``value_mode=fixed`` needs a ``fixed_value`` and ``event_property`` a non-blank
``value_property_key``; the value fields that do not belong to the mode are stored as
null. At most :data:`MAX_GOALS_PER_WEBSITE` goals per website, names unique per website
(exact comparison) — those two are checked inside the write that would break them.

:func:`apply_changes` is the one place these rules live: a create applies the body to
an empty goal, an update applies the body to the stored goal (``goal_type`` cannot
change), so a ``PUT`` that switches to ``fixed`` without a value, when none is stored,
is refused exactly like a ``POST`` would be.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

MAX_GOALS_PER_WEBSITE = 50
MAX_NAME_BYTES = 100
MAX_MATCH_VALUE_CHARS = 500
MAX_CURRENCY_CHARS = 8
GOAL_TYPES = ("page_view", "event")
MATCH_OPERATORS = ("equals", "contains")
VALUE_MODES = ("none", "fixed", "event_property")
CHANGEABLE = ("name", "match_value", "match_operator", "value_mode", "fixed_value", "value_property_key", "currency")


@dataclass(frozen=True, slots=True)
class Goal:
    """A goal as stored (API.md §1.8's Goal object); timestamps as API text (§0.3)."""

    id: str
    website_id: str
    name: str
    goal_type: str  # page_view | event
    match_value: str
    match_operator: str = "equals"  # equals | contains
    value_mode: str = "none"  # none | fixed | event_property
    fixed_value: float | None = None
    value_property_key: str | None = None
    currency: str = "USD"
    created_at: str | None = None
    updated_at: str | None = None

    def as_json(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


class InvalidGoal(Exception):
    """A field breaks a rule of §1.8 (the API answers 422 with ``field``)."""

    def __init__(self, message: str, field: str) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class GoalLimitReached(Exception):
    """The website already has :data:`MAX_GOALS_PER_WEBSITE` goals (422 ``limit_exceeded``)."""


class DuplicateGoalName(Exception):
    """Another goal of the website has this exact name (422 ``duplicate_name``)."""


def apply_changes(goal: Goal, changes: Mapping[str, Any]) -> Goal:
    """``goal`` with ``changes`` (keys of :data:`CHANGEABLE`) applied, checked and normalized.

    Raises:
        InvalidGoal: the first rule the result breaks.
    """
    goal = dataclasses.replace(goal, **{key: changes[key] for key in CHANGEABLE if key in changes})
    name = goal.name.strip()
    if not name:
        raise InvalidGoal("name must not be empty", "name")
    if len(name.encode()) > MAX_NAME_BYTES:
        raise InvalidGoal(f"name must be at most {MAX_NAME_BYTES} bytes", "name")
    match_value = goal.match_value.strip()
    if not match_value:
        raise InvalidGoal("match_value must not be empty", "match_value")
    if len(match_value) > MAX_MATCH_VALUE_CHARS:
        raise InvalidGoal(f"match_value must be at most {MAX_MATCH_VALUE_CHARS} characters", "match_value")
    if goal.fixed_value is not None and not (math.isfinite(goal.fixed_value) and goal.fixed_value >= 0):
        raise InvalidGoal("fixed_value must be a number >= 0", "fixed_value")
    currency = goal.currency.strip()
    if not 1 <= len(currency) <= MAX_CURRENCY_CHARS:
        raise InvalidGoal(f"currency must be 1 to {MAX_CURRENCY_CHARS} characters", "currency")
    fixed_value, property_key = goal.fixed_value, (goal.value_property_key or "").strip() or None
    if goal.value_mode == "fixed" and fixed_value is None:
        raise InvalidGoal("fixed_value is required when value_mode is fixed", "fixed_value")
    if goal.value_mode == "event_property" and property_key is None:
        raise InvalidGoal("value_property_key is required when value_mode is event_property", "value_property_key")
    return dataclasses.replace(
        goal,
        name=name,
        match_value=match_value,
        currency=currency,
        fixed_value=fixed_value if goal.value_mode == "fixed" else None,
        value_property_key=property_key if goal.value_mode == "event_property" else None,
    )
