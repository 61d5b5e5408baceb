"""The ``filters`` of a v2 query → a :mod:`~sparklytics.queries.conditions` tree.

``[operator, dimension, clauses]`` (and an optional ``{"case_sensitive": false}``) is a
:class:`Match`; ``["and"|"or", [filters]]``, ``["not", filter]`` group them;
``["has_done"|"has_not_done", filter]`` tests the session. ``event:goal`` takes ``is``
(goal names that must exist) and ``contains`` (names containing the text) and becomes a
:class:`GoalMatch`. Values are translated to ours where the names differ
(``Direct / None``, country names, capitalized devices). Messages are Plausible's.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from sparklytics.goals import Goal
from sparklytics.queries.conditions import OPERATORS, AllOf, AnyOf, Condition, GoalMatch, HasDone, Match, Not
from sparklytics.queries.errors import QueryError

from .catalogue import GOAL_OPERATORS, TIME_DIMENSIONS, is_dimension, our_dimension, our_value
from .dates import inspect

_BEHAVIOURAL = ("has_done", "has_not_done")
GOAL_HELP = "https://plausible.io/docs/stats-api#filtering-by-goals"


@dataclass(frozen=True, slots=True)
class ParsedFilters:
    """The tree, and what the metric rules need to know about it."""

    condition: Condition | None
    goal_at_top: bool  # a goal filter at the top level (conversion rates need one)
    page_filtered: bool  # event:page tested anywhere outside has_done (views_per_visit refuses it)
    props_nested: bool  # a custom property below the top level


def parse_filters(raw: object, goals: Sequence[Goal]) -> ParsedFilters:
    if raw is None:
        return ParsedFilters(None, False, False, False)
    if not isinstance(raw, list):
        raise QueryError(f"#/filters: Invalid filters {inspect(raw)}", "filters")
    state = _State(goals)
    items = []
    for index, item in enumerate(raw):
        state.index = index
        items.append(state.node(item, depth=0, behavioural=0))
    condition = None if not items else items[0] if len(items) == 1 else AllOf(tuple(items))
    return ParsedFilters(condition, state.goal_at_top, state.page_filtered, state.props_nested)


class _State:
    def __init__(self, goals: Sequence[Goal]) -> None:
        self.goals = goals
        self.index = 0
        self.goal_at_top = False
        self.page_filtered = False
        self.props_nested = False

    def invalid(self, item: object) -> QueryError:
        return QueryError(f"#/filters/{self.index}: Invalid filter {inspect(item)}", "filters")

    def node(self, item: object, *, depth: int, behavioural: int) -> Condition:
        if not isinstance(item, list) or not item or not isinstance(item[0], str):
            raise self.invalid(item)
        operator = item[0]
        if operator in ("and", "or"):
            if len(item) != 2 or not isinstance(item[1], list) or not item[1]:
                raise self.invalid(item)
            children = tuple(self.node(child, depth=depth + 1, behavioural=behavioural) for child in item[1])
            return AllOf(children) if operator == "and" else AnyOf(children)
        if operator == "not":
            if len(item) != 2:
                raise self.invalid(item)
            return Not(self.node(item[1], depth=depth + 1, behavioural=behavioural))
        if operator in _BEHAVIOURAL:
            if len(item) != 2:
                raise self.invalid(item)
            if behavioural:
                raise QueryError("Invalid filters. Behavioral filters (has_done, has_not_done) cannot be nested.", "filters")
            inner = self.node(item[1], depth=depth + 1, behavioural=behavioural + 1)
            return HasDone(inner, negated=operator == "has_not_done")
        if operator in OPERATORS:
            return self.leaf(item, depth=depth, behavioural=behavioural)
        raise self.invalid(item)

    def leaf(self, item: list, *, depth: int, behavioural: int) -> Condition:
        if len(item) not in (3, 4) or not is_dimension(item[1]) or item[1] in TIME_DIMENSIONS:
            raise self.invalid(item)
        operator, dimension, clauses = item[0], item[1], item[2]
        if not isinstance(clauses, list) or not clauses or not all(isinstance(c, str) for c in clauses):
            raise self.invalid(item)
        case_sensitive = self.modifiers(item)
        if behavioural and not dimension.startswith("event:"):
            raise QueryError(
                "Invalid filters. Behavioral filters (has_done, has_not_done) can only be used with event dimension filters.",
                "filters",
            )
        if dimension == "event:page" and not behavioural:
            self.page_filtered = True
        if dimension.startswith("event:props:") and depth > 0:
            self.props_nested = True
        if operator.startswith("matches"):
            for clause in clauses:
                try:
                    re.compile(clause)
                except re.error:
                    raise self.invalid(item) from None
        if dimension == "event:goal":
            return self.goal(item, operator, clauses, case_sensitive, depth=depth, behavioural=behavioural)
        if dimension == "visit:country" and operator in ("is", "is_not") and any(len(c) != 2 for c in clauses):
            raise QueryError(
                "Invalid visit:country filter, visit:country needs to be a valid 2-letter country code.", "filters"
            )
        values = tuple(our_value(dimension, clause) for clause in clauses)
        return Match(our_dimension(dimension), operator, values, case_sensitive=case_sensitive)

    def modifiers(self, item: list) -> bool:
        if len(item) == 3:
            return True
        modifiers = item[3]
        if not isinstance(modifiers, dict) or set(modifiers) - {"case_sensitive"}:
            raise self.invalid(item)
        flag = modifiers.get("case_sensitive", True)
        if not isinstance(flag, bool):
            raise self.invalid(item)
        return flag

    def goal(self, item: list, operator: str, clauses: list[str], case_sensitive: bool, *, depth: int, behavioural: int) -> GoalMatch:
        if operator not in GOAL_OPERATORS:
            raise self.invalid(item)
        if depth > 0 and not behavioural:
            raise QueryError("Invalid filters. Dimension `event:goal` can only be filtered at the top level.", "filters")
        if depth == 0:
            self.goal_at_top = True
        fold = (lambda text: text) if case_sensitive else str.lower
        if operator == "is":
            names = {fold(goal.name) for goal in self.goals}
            for clause in clauses:
                if fold(clause) not in names:
                    raise QueryError(
                        f"Invalid filters. The goal `{clause}` is not configured for this site. "
                        f"Find out how to configure goals here: {GOAL_HELP}",
                        "filters",
                    )
            chosen = [g for g in self.goals if fold(g.name) in {fold(c) for c in clauses}]
        else:
            chosen = [g for g in self.goals if any(fold(c) in fold(g.name) for c in clauses)]
        return GoalMatch(tuple(chosen))

