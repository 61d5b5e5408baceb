"""Goals (``/goals/{id}/stats``, ``/goals/conversions``, ``/attribution``,
``/revenue/summary``): the DuckDB SQL.

What the reports count and how they are shaped: :mod:`sparklytics.queries.goals`.

Speed: every report is one statement per period over the range's events, bounded by
website and UTC time (zonemap pruning). The conversions panel evaluates every goal of
the website in one scan per period (plus the period's distinct visitors), not one
query per goal. Attribution computes its window functions only over the
sessions that converted (a semi-join on the converting rows), ordered by
``(created_at, id)``.
"""

from __future__ import annotations

from collections.abc import Sequence

from sparklytics.goals import Goal
from sparklytics.queries.goals import (
    AttributionOptions,
    GoalCounts,
    GoalTotals,
    shape_attribution,
    shape_goal_conversions,
    shape_goal_stats,
    shape_revenue_summary,
)
from sparklytics.queries.report_query import ReportQuery, comparison_query, previous_period_query
from sparklytics.queries.result import ReportResult
from sparklytics.stores.duckdb.sql import Cursor, fetch_all, fetch_one
from sparklytics.stores.duckdb.where import compile_where, match_condition


def goal_value(goal: Goal, param: str, alias: str = "e") -> tuple[str, dict]:
    """SQL for the value of one conversion of ``goal`` (a DOUBLE, 0 when it has none)."""
    if goal.value_mode == "fixed":
        return f"CAST(${param} AS DOUBLE)", {param: goal.fixed_value or 0.0}
    if goal.value_mode == "event_property":
        # A JSON pointer names the top-level key whatever characters it holds.
        pointer = "/" + (goal.value_property_key or "").replace("~", "~0").replace("/", "~1")
        number = f"TRY_CAST(json_extract_string({alias}.event_data, ${param}) AS DOUBLE)"
        return f"coalesce(CASE WHEN isfinite({number}) THEN {number} END, 0.0)", {param: pointer}
    return "0.0", {}


_GOAL_TOTALS_SQL = """
SELECT count(*) FILTER (WHERE {match}),
       count(DISTINCT e.session_id) FILTER (WHERE {match}),
       count(DISTINCT e.session_id),
       count(*)
FROM events e
WHERE {where}
"""


def _goal_totals(cur: Cursor, q: ReportQuery, goal: Goal) -> GoalTotals:
    where, params = compile_where(q, "e")
    match, bound = match_condition(goal.goal_type, goal.match_operator, goal.match_value, "goal_match")
    row = fetch_one(cur, _GOAL_TOTALS_SQL.format(match=match, where=where), {**params, **bound})
    return int(row[0]), int(row[1]), int(row[2]), int(row[3])


def goal_stats(cur: Cursor, q: ReportQuery, goal: Goal) -> ReportResult:
    current = _goal_totals(cur, q, goal)
    previous = _goal_totals(cur, previous_period_query(q), goal)
    return ReportResult(shape_goal_stats(goal.id, current, previous))


# The scan keeps only the rows that match some goal and tags each with the goals it
# matches; the tags are unnested and grouped, so ten goals cost one pass and one small
# GROUP BY instead of ten DISTINCT aggregates over every row (measured: 924 → 188 ms for
# the panel's two periods at 1M events, bench/RESULTS.md).
_GOAL_COUNTS_SQL = """
WITH hits AS (
    SELECT e.visitor_id, [{goal_hits}] AS goals, [{goal_values}] AS goal_values
    FROM events e
    WHERE {where} AND ({any_goal})
)
SELECT goal, count(DISTINCT visitor_id), count(*), coalesce(sum(value), 0.0)
FROM (SELECT visitor_id, unnest(goals) AS goal, unnest(goal_values) AS value FROM hits)
WHERE goal IS NOT NULL
GROUP BY goal
"""

_VISITORS_SQL = "SELECT count(DISTINCT e.visitor_id) FROM events e WHERE {where}"


def _goal_counts(cur: Cursor, q: ReportQuery, goals: Sequence[Goal]) -> tuple[list[GoalCounts], int]:
    """Every goal's (visitors, conversions, revenue) in ``q``'s range, and its visitors."""
    where, params = compile_where(q, "e")
    visitors = int(fetch_one(cur, _VISITORS_SQL.format(where=where), params)[0])
    if not goals:
        return [], visitors
    matches, values = [], []
    for n, goal in enumerate(goals):
        match, bound = match_condition(goal.goal_type, goal.match_operator, goal.match_value, f"g{n}_match")
        value, value_params = goal_value(goal, f"g{n}_value")
        params.update(bound)
        params.update(value_params)
        matches.append(match)
        values.append(value)
    sql = _GOAL_COUNTS_SQL.format(
        goal_hits=", ".join(f"CASE WHEN {match} THEN {n} END" for n, match in enumerate(matches)),
        goal_values=", ".join(values),
        any_goal=" OR ".join(f"({match})" for match in matches),
        where=where,
    )
    counted = {int(row[0]): (int(row[1]), int(row[2]), float(row[3])) for row in fetch_all(cur, sql, params)}
    return [counted.get(n, (0, 0, 0.0)) for n in range(len(goals))], visitors


def goal_conversions(cur: Cursor, q: ReportQuery, goals: Sequence[Goal]) -> ReportResult:
    current, visitors = _goal_counts(cur, q, goals)
    previous, previous_visitors = _goal_counts(cur, comparison_query(q) or previous_period_query(q), goals)
    return shape_goal_conversions(goals, current, visitors, previous, previous_visitors)


# A touch is an event carrying a source (UTM or an external referrer); its channel
# follows §1.8. Windows run over the converting sessions only.
_TOUCH = (
    "CASE WHEN e.utm_source IS NOT NULL OR e.referrer_domain IS NOT NULL THEN"
    " coalesce(e.utm_source, e.referrer_domain) || ' / ' ||"
    " coalesce(e.utm_medium, CASE WHEN e.utm_source IS NOT NULL THEN 'utm' ELSE 'referral' END) END"
)

_ATTRIBUTION_SQL = f"""
WITH matched AS NOT MATERIALIZED (
    SELECT e.session_id, e.created_at, e.id, ({{match}}) AS converts, {{value}} AS value, {_TOUCH} AS touch
    FROM events e
    WHERE {{where}}
),
converting AS (SELECT DISTINCT session_id FROM matched WHERE converts),
credited AS (
    SELECT converts, value,
           first_value(touch IGNORE NULLS) OVER (
               PARTITION BY session_id ORDER BY created_at, id
               ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING) AS first_touch,
           last_value(touch IGNORE NULLS) OVER (
               PARTITION BY session_id ORDER BY created_at, id
               ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS last_touch
    FROM matched
    WHERE session_id IN (SELECT session_id FROM converting)
)
SELECT coalesce({{model}}, '(direct) / direct') AS channel, count(*), sum(value)
FROM credited
WHERE converts
GROUP BY channel
"""


def _credited(cur: Cursor, q: ReportQuery, goal: Goal, model: str) -> list[tuple[str, int, float]]:
    where, params = compile_where(q, "e")
    match, bound = match_condition(goal.goal_type, goal.match_operator, goal.match_value, "goal_match")
    value, value_params = goal_value(goal, "goal_value")
    sql = _ATTRIBUTION_SQL.format(match=match, value=value, where=where, model=model)
    rows = fetch_all(cur, sql, {**params, **bound, **value_params})
    return [(channel, int(conversions), float(revenue)) for channel, conversions, revenue in rows]


def attribution(cur: Cursor, q: ReportQuery, goal: Goal, options: AttributionOptions) -> ReportResult:
    return ReportResult(shape_attribution(goal.id, options.model, _credited(cur, q, goal, options.model)))


_REVENUE_SQL = "SELECT count(*), coalesce(sum({value}), 0.0) FROM events e WHERE {where} AND {match}"


def revenue_summary(cur: Cursor, q: ReportQuery, goal: Goal, options: AttributionOptions) -> ReportResult:
    where, params = compile_where(q, "e")
    match, bound = match_condition(goal.goal_type, goal.match_operator, goal.match_value, "goal_match")
    value, value_params = goal_value(goal, "goal_value")
    row = fetch_one(cur, _REVENUE_SQL.format(value=value, where=where, match=match), {**params, **bound, **value_params})
    return ReportResult(shape_revenue_summary(goal.id, options.model, int(row[0]), float(row[1])))
