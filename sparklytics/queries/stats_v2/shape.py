"""Group totals → Plausible's ``{results, meta, query}`` (pure).

Metrics from a :class:`GroupRow` (our definitions, ``queries.grouping``):
``views_per_visit`` = pageviews / visits (2 decimals); ``bounce_rate`` = percent of
visits with one pageview (1 decimal, as ``/metrics``); ``visit_duration`` = mean visit
length, whole seconds; ``percentage`` = the group's share of all visitors of the query
(2 decimals); ``conversion_rate`` = converting visitors over all visitors without the
goal filter (2 decimals); ``group_conversion_rate`` the same within the group's other
dimensions; ``total_revenue`` / ``average_revenue`` (per conversion) =
``{value, currency, short, long}``, or null with a ``meta.metric_warnings`` entry when
no revenue goal is in play or the filtered goals mix currencies.

Rows are sorted by ``order_by`` (ties: the dimensions ascending), then paginated; all
groups are fetched, so ``total_rows`` is exact.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from datetime import timedelta

from sparklytics.goals import Goal
from sparklytics.queries.conditions import AllOf, Condition, GoalMatch
from sparklytics.queries.grouping import GroupRow, Grouping
from sparklytics.queries.report_query import ReportQuery, utc_offset_seconds
from sparklytics.queries.result import round_half_up
from sparklytics.queries.timeseries import bucket_keys

from .catalogue import REVENUE_METRICS, plausible_value
from .parse import V2Query

_SYMBOLS = {"USD": "$", "EUR": "€", "GBP": "£", "JPY": "¥", "INR": "₹", "CHF": "CHF "}
_WARNINGS = {
    "no_revenue_goals_matching": "Revenue metrics are null as there are no matching revenue goals.",
    "no_single_revenue_currency": "Revenue metrics are null as there are multiple currencies for the selected event:goals.",
}


def denominator_queries(v2: V2Query) -> dict[str, tuple[ReportQuery, Grouping]]:
    """The extra groupings the ratio metrics divide by, keyed by their use."""
    wanted: dict[str, tuple[ReportQuery, Grouping]] = {}
    if "percentage" in v2.metrics:
        wanted["total"] = (v2.report, Grouping())
    without_goals = dataclasses.replace(v2.report, condition=_without_goals(v2.report.condition))
    if "conversion_rate" in v2.metrics:
        wanted["all_visitors"] = (without_goals, Grouping())
    if "group_conversion_rate" in v2.metrics:
        others = tuple(d for d in v2.grouping.dimensions if d != "goal")
        wanted["group_visitors"] = (without_goals, Grouping(others))
    return wanted


def _without_goals(condition: Condition | None) -> Condition | None:
    """The top-level condition without its goal filters (they are only ever at the top)."""
    if isinstance(condition, GoalMatch):
        return None
    if isinstance(condition, AllOf):
        kept = tuple(item for item in condition.items if not isinstance(item, GoalMatch))
        return None if not kept else kept[0] if len(kept) == 1 else AllOf(kept)
    return condition


def shape_response(v2: V2Query, rows: Sequence[GroupRow], denominators: Mapping[str, list[GroupRow]]) -> dict:
    """The response body of ``POST /api/v2/query``."""
    revenue_currency, warning = _revenue_currency(v2)
    results = [
        {
            "metrics": [_metric(m, row, v2, denominators, revenue_currency) for m in v2.metrics],
            "dimensions": [_label(d, k, v2) for d, k in zip(v2.dimensions, row.key, strict=True)],
        }
        for row in rows
    ]
    results = _sorted(results, v2)
    meta: dict = {}
    if warning is not None and any(m in v2.metrics for m in REVENUE_METRICS):
        meta["metric_warnings"] = {
            m: {"code": warning, "warning": _WARNINGS[warning]} for m in v2.metrics if m in REVENUE_METRICS
        }
    if v2.imports:
        meta["imports_included"] = False
    if v2.time_labels:
        meta["time_labels"] = time_labels(v2)
    if v2.total_rows:
        meta["total_rows"] = len(results)
    page = results[v2.offset : v2.offset + v2.limit]
    return {"results": page, "meta": dict(sorted(meta.items())), "query": v2.echo}


def _metric(name: str, row: GroupRow, v2: V2Query, denominators: Mapping[str, list[GroupRow]], currency: str | None):
    match name:
        case "visitors" | "visits" | "pageviews" | "events":
            return getattr(row, name)
        case "views_per_visit":
            return round_half_up(row.pageviews / row.visits, 2) if row.visits else 0.0
        case "bounce_rate":
            return round_half_up(100.0 * row.bounces / row.visits, 1) if row.visits else 0.0
        case "visit_duration":
            return int(round_half_up(row.duration, 0)) if row.duration is not None else 0
        case "percentage":
            return _percent(row.visitors, _single(denominators["total"]))
        case "conversion_rate":
            return _percent(row.visitors, _single(denominators["all_visitors"]))
        case "group_conversion_rate":
            keep = [i for i, d in enumerate(v2.grouping.dimensions) if d != "goal"]
            groups = {r.key: r.visitors for r in denominators["group_visitors"]}
            return _percent(row.visitors, groups.get(tuple(row.key[i] for i in keep), 0))
        case "total_revenue" | "average_revenue":
            goal_currency = _row_currency(row, v2, currency)
            if goal_currency is None:
                return None
            value = row.revenue if name == "total_revenue" else (row.revenue / row.events if row.events else 0.0)
            return money(value, goal_currency)
    raise ValueError(f"unknown metric {name!r}")


def _single(rows: list[GroupRow]) -> int:
    return rows[0].visitors if rows else 0


def _percent(part: int, whole: int) -> float:
    return round_half_up(100.0 * part / whole, 2) if whole else 0.0


def _revenue_currency(v2: V2Query) -> tuple[str | None, str | None]:
    """Without a goal dimension: the one currency of the filtered revenue goals, or a warning."""
    if "event:goal" in v2.dimensions:
        return None, None
    revenue_goals = [g for g in v2.grouping.goals if g.value_mode != "none"]
    currencies = {g.currency for g in revenue_goals}
    if not revenue_goals:
        return None, "no_revenue_goals_matching"
    if len(currencies) > 1:
        return None, "no_single_revenue_currency"
    return currencies.pop(), None


def _row_currency(row: GroupRow, v2: V2Query, currency: str | None) -> str | None:
    if "event:goal" not in v2.dimensions:
        return currency
    goal: Goal = v2.grouping.goals[row.key[v2.dimensions.index("event:goal")]]
    return goal.currency if goal.value_mode != "none" else None


def money(value: float, currency: str) -> dict:
    """Plausible's revenue object: the value, its currency and two readable forms."""
    symbol = _SYMBOLS.get(currency, f"{currency} ")
    amount = round_half_up(value, 2)
    short = f"{symbol}{amount:.1f}".replace(".0", "")
    for threshold, suffix in ((1e9, "B"), (1e6, "M"), (1e3, "K")):
        if abs(amount) >= threshold:
            short = f"{symbol}{amount / threshold:.1f}{suffix}"
            break
    return {"value": amount, "currency": currency, "short": short, "long": f"{symbol}{amount:,.2f}"}


def _label(dimension: str, key, v2: V2Query) -> str:
    """A group's value of ``dimension`` as Plausible shows it."""
    if dimension.startswith("time:"):
        return _time_label(dimension, key, v2.report)
    if dimension == "event:goal":
        return v2.grouping.goals[key].name
    return plausible_value(dimension, key)


def _time_label(dimension: str, key, q: ReportQuery) -> str:
    if dimension == "time:hour":
        local = key + timedelta(seconds=utc_offset_seconds(q.tzinfo, key))
        return local.strftime("%Y-%m-%d %H:00:00")
    if dimension == "time:week":
        return max(key, q.start).isoformat()
    return key.isoformat()


def time_labels(v2: V2Query) -> list[str]:
    """Every bucket of the range of the query's time dimension, labelled."""
    dimension = next(d for d in v2.dimensions if d.startswith("time:"))
    q = v2.report
    if dimension == "time:week":
        monday = q.start - timedelta(days=q.start.weekday())
        keys: list = [monday + timedelta(weeks=i) for i in range((q.end - monday).days // 7 + 1)]
    else:
        keys = bucket_keys(q, dimension.removeprefix("time:"))
    labels = [_time_label(dimension, key, q) for key in keys]
    return list(dict.fromkeys(labels))


def _sorted(results: list[dict], v2: V2Query) -> list[dict]:
    """Ordered by ``order_by``, ties broken by the dimensions ascending (stable)."""
    results = sorted(results, key=lambda r: r["dimensions"])
    positions = {name: ("metrics", i) for i, name in enumerate(v2.metrics)}
    positions.update({name: ("dimensions", i) for i, name in enumerate(v2.dimensions)})
    for name, direction in reversed(v2.order_by):
        part, index = positions[name]
        results.sort(key=lambda r: _sort_value(r[part][index]), reverse=direction == "desc")
    return results


def _sort_value(value) -> tuple:
    if isinstance(value, dict):
        value = value["value"]
    if value is None:
        return (0, 0)
    return (1, value)


__all__ = ["denominator_queries", "money", "shape_response", "time_labels"]
