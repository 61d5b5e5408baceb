"""Totals per group: the general breakdown a store answers with ``AnalyticsStore.grouped``.

Our overview reports each group by one thing (a breakdown by one dimension, a series by
one time bucket). The Stats API v2 groups by any list of them at once — several
dimensions, a time bucket next to dimensions, custom properties, goals — so the store
has one general method for it, :meth:`AnalyticsStore.grouped`, with the definitions of
our own reports:

* the rows are the events matching the :class:`ReportQuery` (its filters and condition);
* ``visitors`` — distinct visitors of the group's rows (as stats and the series);
* ``visits`` — distinct sessions of the group's rows that have a ``sessions`` row
  passing the bot filter (as stats' ``sessions``), ``bounces`` — those of them with
  exactly one pageview (Decision 2), ``duration`` — the mean of their ``last_seen −
  first_seen`` in seconds (``None`` without visits). They cost a grouping per
  (group, session); ``Grouping(visits=False)`` skips it (0, 0 and ``None``). A session
  belongs to one visitor (its id is derived from the visitor's);
* ``pageviews`` — the group's pageview rows (Decision 1), ``events`` — all its rows;
* ``revenue`` — the sum of the values of the group's conversions of ``goals``
  (``queries.goals``: a row counts the value of the first goal it converts on), 0.0
  unless ``revenue`` is asked.

Dimensions (:data:`GROUP_DIMENSIONS`): the breakdown types of ``/metrics`` (session-level
ones group the visit's landing values, as that route does: ``country`` is the session's
country), plus ``hostname``, ``browser_version``, ``os_version``, ``utm_term``,
``utm_content`` (the event's), ``name`` (the event name, ``pageview`` for pageviews),
``props:<key>`` (the custom property's text, ``(none)`` when the event lacks it),
``goal`` (the index in ``goals`` of each goal a row converts on: a row converting on two
goals counts in both), and ``time:hour|day|week|month`` (local buckets, keyed as
``timeseries.bucket_keys`` keys them, weeks by their Monday). Rows whose dimension is
NULL are left out, as breakdowns leave them out.
"""

from __future__ import annotations

from dataclasses import dataclass

from sparklytics.goals import Goal

from .conditions import PROPS_PREFIX

__all__ = ["GROUP_DIMENSIONS", "TIME_BUCKETS", "GroupRow", "Grouping"]

TIME_BUCKETS = ("time:hour", "time:day", "time:week", "time:month")

GROUP_DIMENSIONS = (
    "page",
    "name",
    "hostname",
    "referrer",
    "channel",
    "utm_source",
    "utm_medium",
    "utm_campaign",
    "utm_term",
    "utm_content",
    "country",
    "region",
    "city",
    "browser",
    "browser_version",
    "os",
    "os_version",
    "device",
    "screen",
    "language",
    "entry_page",
    "exit_page",
    "goal",
    *TIME_BUCKETS,
)


@dataclass(frozen=True, slots=True)
class Grouping:
    """What to group by, and the goals the ``goal`` dimension and revenue refer to."""

    dimensions: tuple[str, ...] = ()
    goals: tuple[Goal, ...] = ()
    revenue: bool = False
    # Count visits, bounces and durations (a second, per-session grouping); without
    # them ``visits`` and ``bounces`` are 0 and ``duration`` is None.
    visits: bool = True

    def __post_init__(self) -> None:
        for dimension in self.dimensions:
            if dimension not in GROUP_DIMENSIONS and not dimension.startswith(PROPS_PREFIX):
                raise ValueError(f"unknown grouping dimension {dimension!r}")


@dataclass(frozen=True, slots=True)
class GroupRow:
    """One group's key (one value per dimension, in order) and its totals."""

    key: tuple
    visitors: int
    visits: int
    pageviews: int
    events: int
    bounces: int
    duration: float | None
    revenue: float
