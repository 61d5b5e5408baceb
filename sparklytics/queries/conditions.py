"""Filter conditions with operators and nesting: the backend-free half of a richer filter.

Our query-string routes filter by ``filter_<key>=value`` (:data:`report_query.FILTERS`:
equality, or a substring for the page). The Plausible Stats API v2 asks for more: an
operator, several values and ``and``/``or``/``not`` groups. A :class:`ReportQuery` carries
such a tree in ``condition``, next to its ``filters``; ``stores/duckdb/where.py`` compiles
both into the one WHERE clause, so every report honours them the same way.

Leaves:

* :class:`Match` — ``dimension`` (a key of :data:`DIMENSIONS`, or ``props:<key>`` for a
  custom property) tested with ``operator`` against ``values``; a row matches when *any*
  value matches (``is``: equal, ``contains``: substring, ``matches``: an RE2 regular
  expression). The ``_not`` operators match rows where no value matches, including rows
  without the dimension (``NULL``). ``case_sensitive=False`` compares lower-cased.
* :class:`GoalMatch` — the rows that convert on any of ``goals`` (Decision 16: goals are
  matched at query time, ``where.match_condition``).

Groups: :class:`AllOf`, :class:`AnyOf`, :class:`Not`. :class:`HasDone` keeps the events of
the sessions that hold (or, negated, do not hold) an event matching its condition in the
range: Plausible's ``has_done`` / ``has_not_done``.

Whether a dimension tests the event or the visit's source is :data:`DIMENSIONS`' second
field, the same split as the registry filters (Decision 21): the source dimensions select
every event of the matching sessions.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from sparklytics.goals import Goal

__all__ = [
    "DIMENSIONS",
    "OPERATORS",
    "PROPS_PREFIX",
    "AllOf",
    "AnyOf",
    "Condition",
    "GoalMatch",
    "HasDone",
    "Match",
    "Not",
    "leaves",
]

OPERATORS = ("is", "is_not", "contains", "contains_not", "matches", "matches_not")
PROPS_PREFIX = "props:"

# dimension → True when it tests the visit's source (sessions), False for the event.
DIMENSIONS: dict[str, bool] = {
    "page": False,
    "name": False,
    "hostname": False,
    "country": False,
    "region": False,
    "city": False,
    "browser": False,
    "browser_version": False,
    "os": False,
    "os_version": False,
    "device": False,
    "screen": False,
    "language": False,
    "utm_term": False,
    "utm_content": False,
    "referrer": True,
    "channel": True,
    "utm_source": True,
    "utm_medium": True,
    "utm_campaign": True,
    "entry_page": True,
    "exit_page": True,
}


@dataclass(frozen=True, slots=True)
class Match:
    dimension: str
    operator: str
    values: tuple[str, ...]
    case_sensitive: bool = True

    def __post_init__(self) -> None:
        if self.operator not in OPERATORS:
            raise ValueError(f"unknown operator {self.operator!r}")
        if self.dimension not in DIMENSIONS and not self.dimension.startswith(PROPS_PREFIX):
            raise ValueError(f"unknown dimension {self.dimension!r}")
        if not self.values:
            raise ValueError("a match needs at least one value")

    @property
    def negated(self) -> bool:
        return self.operator.endswith("_not")

    @property
    def session(self) -> bool:
        """Whether it tests the visit's source rather than the event."""
        return DIMENSIONS.get(self.dimension, False)


@dataclass(frozen=True, slots=True)
class GoalMatch:
    goals: tuple[Goal, ...]


@dataclass(frozen=True, slots=True)
class AllOf:
    items: tuple[Condition, ...]


@dataclass(frozen=True, slots=True)
class AnyOf:
    items: tuple[Condition, ...]


@dataclass(frozen=True, slots=True)
class Not:
    item: Condition


@dataclass(frozen=True, slots=True)
class HasDone:
    item: Condition
    negated: bool = False


Condition = Match | GoalMatch | AllOf | AnyOf | Not | HasDone


def leaves(condition: Condition | None) -> Iterator[Match | GoalMatch]:
    """Every leaf of ``condition``, depth first, left to right."""
    match condition:
        case None:
            return
        case Match() | GoalMatch():
            yield condition
        case AllOf(items=items) | AnyOf(items=items):
            for item in items:
                yield from leaves(item)
        case Not(item=item) | HasDone(item=item):
            yield from leaves(item)
        case _:
            raise TypeError(f"not a condition: {condition!r}")
