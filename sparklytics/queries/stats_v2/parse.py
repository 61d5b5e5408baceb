"""The body of ``POST /api/v2/query`` → a validated :class:`V2Query` (Plausible's checks,
in Plausible's order, with Plausible's messages; each a :class:`QueryError` → 400).

The result holds the :class:`ReportQuery` every report takes (website, local range or
UTC window, the bot default, the filters as a ``condition``) and the
:class:`Grouping` of the dimensions, so the store answers it like any other report.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from sparklytics.goals import Goal
from sparklytics.queries.conditions import GoalMatch, leaves
from sparklytics.queries.errors import QueryError
from sparklytics.queries.grouping import Grouping
from sparklytics.queries.report_query import MAX_BUCKET_DAYS, ReportQuery

from .catalogue import (
    GOAL_METRICS,
    METRICS,
    REVENUE_METRICS,
    SESSION_METRICS,
    TIME_DIMENSIONS,
    VISIT_METRICS,
    is_dimension,
    is_event_dimension,
    our_dimension,
)
from .dates import DateRange, echo, inspect, json_type, parse_date_range
from .filters import ParsedFilters, parse_filters

KEYS = ("site_id", "metrics", "date_range", "dimensions", "filters", "order_by", "include", "pagination")
REQUIRED = ("site_id", "metrics", "date_range")
INCLUDE_KEYS = ("time_labels", "total_rows", "imports")
MAX_LIMIT = 10_000


@dataclass(frozen=True, slots=True)
class V2Context:
    """What the parser needs to know about the website the query names."""

    website_id: str
    domain: str
    timezone: str
    include_bots: bool
    goals: tuple[Goal, ...]
    first_event: datetime | None
    now: datetime


@dataclass(frozen=True, slots=True)
class V2Query:
    """A validated v2 query: what to ask the store (``report``, ``grouping``) and how to
    shape the answer (the rest); ``echo`` is Plausible's ``query`` object."""

    report: ReportQuery
    grouping: Grouping
    metrics: tuple[str, ...]
    dimensions: tuple[str, ...]  # as asked, ``time`` resolved to its bucket
    order_by: tuple[tuple[str, str], ...]
    time_labels: bool
    total_rows: bool
    imports: bool  # asked for imported data (not included: ``meta.imports_included`` says so)
    limit: int
    offset: int
    goal_filtered: bool
    echo: dict  # Plausible's ``query`` object


def check_shape(body: object) -> Mapping:
    """The JSON schema's first checks: an object, the required keys, no unknown ones."""
    if not isinstance(body, dict):
        raise QueryError(f"#: Type mismatch. Expected Object but got {json_type(body)}.", None)
    missing = [key for key in REQUIRED if key not in body]
    if len(missing) == 1:
        raise QueryError(f"#: Required property {missing[0]} was not present.", missing[0])
    if missing:
        raise QueryError(f"#: Required properties {', '.join(missing)} were not present.", missing[0])
    if set(body) - set(KEYS):
        raise QueryError("#: Schema does not allow additional properties.", sorted(set(body) - set(KEYS))[0])
    return body


def parse_v2_query(body: Mapping, context: V2Context) -> V2Query:
    """Validate ``body`` (already through :func:`check_shape`) for ``context``'s website."""
    metrics = _metrics(body["metrics"])
    found = parse_date_range(body["date_range"], context.timezone, context.now, context.first_event)
    dimensions = _dimensions(body.get("dimensions", []), found)
    filters = parse_filters(body.get("filters"), context.goals)
    order_by = _order_by(body.get("order_by"), metrics, dimensions, body.get("dimensions") or [])
    include = _include(body.get("include"))
    limit, offset = _pagination(body.get("pagination"))
    _check_rules(metrics, dimensions, filters, include, (found.end - found.start).days + 1)
    report = ReportQuery(
        website_id=context.website_id,
        timezone=context.timezone,
        start=found.start,
        end=found.end,
        include_bots=context.include_bots,
        website_timezone=context.timezone,
        window=found.window,
        condition=filters.condition,
    )
    grouping = Grouping(
        tuple(d if d.startswith("time:") else our_dimension(d) for d in dimensions),
        goals=_revenue_goals(dimensions, filters, context.goals),
        revenue=any(m in REVENUE_METRICS for m in metrics),
        visits=any(m in VISIT_METRICS for m in metrics),
    )
    return V2Query(
        report=report,
        grouping=grouping,
        metrics=metrics,
        dimensions=dimensions,
        order_by=order_by,
        time_labels=include.get("time_labels", False),
        total_rows=include.get("total_rows", False),
        imports=include.get("imports", False),
        limit=limit,
        offset=offset,
        goal_filtered=filters.goal_at_top,
        echo={
            "site_id": context.domain,
            "metrics": list(metrics),
            "date_range": echo(found, context.timezone),
            "filters": body.get("filters") or [],
            "dimensions": list(body.get("dimensions") or []),
            "order_by": [list(entry) for entry in order_by],
            "include": {key: value for key, value in include.items() if value},
            "pagination": {"limit": limit, "offset": offset},
        },
    )


def _metrics(raw: object) -> tuple[str, ...]:
    if not isinstance(raw, list):
        raise QueryError(f"#/metrics: Type mismatch. Expected Array but got {json_type(raw)}.", "metrics")
    if not raw:
        raise QueryError("#/metrics: Expected a minimum of 1 items but got 0.", "metrics")
    for index, metric in enumerate(raw):
        if metric not in METRICS:
            raise QueryError(f"#/metrics/{index}: Invalid metric {inspect(metric)}", "metrics")
    if len(set(raw)) != len(raw):
        raise QueryError("#/metrics: Expected items to be unique but they were not.", "metrics")
    return tuple(raw)


def _dimensions(raw: object, found: DateRange) -> tuple[str, ...]:
    if not isinstance(raw, list):
        raise QueryError(f"#/dimensions: Type mismatch. Expected Array but got {json_type(raw)}.", "dimensions")
    for index, dimension in enumerate(raw):
        if not is_dimension(dimension):
            raise QueryError(f"#/dimensions/{index}: Invalid dimension {inspect(dimension)}", "dimensions")
    if len(set(raw)) != len(raw):
        raise QueryError("#/dimensions: Expected items to be unique but they were not.", "dimensions")
    if sum(d in TIME_DIMENSIONS for d in raw) > 1:
        raise QueryError("Invalid dimensions. Only one time dimension can be queried.", "dimensions")
    return tuple(_auto_time(found) if d == "time" else d for d in raw)


def _auto_time(found: DateRange) -> str:
    """The bucket ``time`` means for the range: hours for a day, days up to 40, else months."""
    days = (found.end - found.start).days + 1
    if days <= 1:
        return "time:hour"
    return "time:day" if days <= 40 else "time:month"


def _order_by(
    raw: object, metrics: Sequence[str], dimensions: Sequence[str], asked: Sequence[str]
) -> tuple[tuple[str, str], ...]:
    """The ordering entries (``time`` named as the bucket it resolved to)."""
    if raw is None:
        time = [(d, "asc") for d in dimensions if d.startswith("time")]
        return (*time, (metrics[0], "desc"))
    if not isinstance(raw, list):
        raise QueryError(f"Invalid order_by {inspect(raw)}.", "order_by")
    entries = []
    for entry in raw:
        if not (isinstance(entry, list) and len(entry) == 2 and entry[1] in ("asc", "desc") and isinstance(entry[0], str)):
            raise QueryError(f"Invalid order_by entry {inspect(entry)}.", "order_by")
        value = entry[0]
        if value not in metrics and value not in dimensions and value not in asked:
            raise QueryError(
                f"Invalid order_by entry {inspect(entry)}. Entry is not a queried metric or dimension.", "order_by"
            )
        entries.append((dimensions[list(asked).index(value)] if value in asked else value, entry[1]))
    return tuple(entries)


def _include(raw: object) -> dict[str, bool]:
    if raw is None:
        return {}
    if not isinstance(raw, dict) or set(raw) - set(INCLUDE_KEYS) or not all(isinstance(v, bool) for v in raw.values()):
        raise QueryError(f"Invalid include {inspect(raw)}.", "include")
    return dict(raw)


def _pagination(raw: object) -> tuple[int, int]:
    if raw is None:
        return MAX_LIMIT, 0
    if not isinstance(raw, dict) or set(raw) - {"limit", "offset"}:
        raise QueryError(f"#/pagination: Invalid pagination {inspect(raw)}", "pagination")
    limit, offset = raw.get("limit", MAX_LIMIT), raw.get("offset", 0)
    for name, value, low in (("limit", limit, 1), ("offset", offset, 0)):
        if not isinstance(value, int) or isinstance(value, bool):
            raise QueryError(f"#/pagination/{name}: Type mismatch. Expected Integer but got {json_type(value)}.", "pagination")
        if value < low:
            raise QueryError(f"#/pagination/{name}: Expected the value to be >= {low}", "pagination")
    if limit > MAX_LIMIT:
        raise QueryError(f"#/pagination/limit: Expected the value to be <= {MAX_LIMIT}", "pagination")
    return limit, offset


def _check_rules(
    metrics: Sequence[str], dimensions: Sequence[str], filters: ParsedFilters, include: dict, days: int
) -> None:
    """Plausible's rules on which metrics go with which dimensions and filters."""
    if any(m in GOAL_METRICS for m in metrics) and filters.props_nested:
        raise QueryError(
            "Invalid filters. When `conversion_rate` or `group_conversion_rate` metrics are used, "
            "custom property filters can only be used on top level.",
            "filters",
        )
    for metric in metrics:
        if metric in GOAL_METRICS and not (filters.goal_at_top or "event:goal" in dimensions):
            raise QueryError(f"Metric `{metric}` can only be queried with event:goal filters or dimensions.", "metrics")
        if metric == "views_per_visit":
            if filters.page_filtered:
                raise QueryError("Metric `views_per_visit` cannot be queried with a filter on `event:page`.", "metrics")
            if dimensions:
                raise QueryError("Metric `views_per_visit` cannot be queried with `dimensions`.", "metrics")
    session = [m for m in metrics if m in SESSION_METRICS]
    if session and any(is_event_dimension(d) for d in dimensions):
        raise QueryError(
            f"Session metric(s) `{', '.join(session)}` cannot be queried along with event dimensions.", "metrics"
        )
    if include.get("time_labels") and not any(d.startswith("time") for d in dimensions):
        raise QueryError("Invalid include.time_labels: requires a time dimension.", "include")
    for dimension in dimensions:
        longest = MAX_BUCKET_DAYS.get(dimension.removeprefix("time:"))
        if include.get("time_labels") and longest is not None and days > longest:
            raise QueryError(
                f"Invalid include.time_labels: {dimension} covers at most {longest} days (got {days}).", "include"
            )


def _revenue_goals(dimensions: Sequence[str], filters: ParsedFilters, goals: Sequence[Goal]) -> tuple[Goal, ...]:
    """The goals the ``goal`` dimension enumerates (all of them), else those filtered on."""
    if "event:goal" in dimensions:
        return tuple(goals)
    chosen = [goal for leaf in leaves(filters.condition) if isinstance(leaf, GoalMatch) for goal in leaf.goals]
    return tuple(dict.fromkeys(chosen))
