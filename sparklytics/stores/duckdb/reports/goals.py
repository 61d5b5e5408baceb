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
    MatchTest,
    match_test,
    shape_attribution,
    shape_goal_conversions,
    shape_goal_stats,
    shape_revenue_summary,
)
from sparklytics.queries.report_query import ReportQuery, comparison_query, previous_period_query
from sparklytics.queries.result import ReportResult
from sparklytics.stores.duckdb.sql import Cursor, fetch_all, fetch_one
from sparklytics.stores.duckdb.where import compile_where, match_condition, props_pointer, props_value_sql, test_sql


def goal_value(goal: Goal, param: str, alias: str = "e") -> tuple[str, dict]:
    """SQL for the value of one conversion of ``goal`` (a DOUBLE, 0 when it has none)."""
    if goal.value_mode == "fixed":
        return f"CAST(${param} AS DOUBLE)", {param: goal.fixed_value or 0.0}
    if goal.value_mode == "event_property":
        number = f"TRY_CAST({props_value_sql(alias, param)} AS DOUBLE)"
        return f"coalesce(CASE WHEN isfinite({number}) THEN {number} END, 0.0)", {param: props_pointer(goal.value_property_key or "")}
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


# The goals are grouped by the column they test (path, url or event name). Each group is
# one SELECT whose filter DuckDB pushes into its scan (the event type, an IN list of the
# ``equals`` values, the ``contains`` tests), and the tags are grouped once. A row gets
# one tag from a CASE over the goals no row can match two of (:func:`_exclusive_goals`),
# and one per other ``contains`` goal, spread over rows with ``unnest``. Measured at 1M
# events: ten DISTINCT aggregates over every row 924 ms, one scan tagging each hit with
# all ten goals 188 ms, a tag per goal kind (unnest on every hit) ≈ a third less, one
# CASE where the goals allow it another fifth less CPU (bench/RESULTS.md).
#
# Visitors are counted by the 64-bit ``hash`` of their id, not the id: the distinct
# aggregates then key on a UBIGINT instead of a string (most ids are 16 characters, too
# long for DuckDB to keep inline), ≈ 10 % less CPU for the panel. Two different ids of
# the same range count as one only if their hashes collide: for n visitors the chance
# of any collision is about n² / 2⁶⁵ (2 × 10⁻⁹ at 300 000 visitors, 3 × 10⁻⁶ at 10M),
# and a collision undercounts by one (5 million random, numbered and ``user-…`` ids gave
# none); the hash is computed per query, never stored (docs/decisions.md).
_GOAL_COUNTS_SQL = """
SELECT goal, count(DISTINCT visitor), count(*), coalesce(sum(value), 0.0)
FROM ({hits})
WHERE goal IS NOT NULL
GROUP BY goal
"""

_HITS_SQL = "SELECT hash(e.visitor_id) AS visitor, {tags} FROM events e WHERE {where} AND e.event_type = '{event_type}' AND ({any_test})"

_VISITORS_SQL = "SELECT count(DISTINCT hash(e.visitor_id)) FROM events e WHERE {where}"

# (goal number, its test, the value it tests for, the SQL of its value or None)
_ColumnGoal = tuple[int, MatchTest, str, str | None]


def _exclusive_goals(tests: Sequence[_ColumnGoal]) -> tuple[list[_ColumnGoal], list[_ColumnGoal]]:
    """``tests`` split into goals no row can match two of, and the others.

    The exclusive ones: each ``equals`` value once (a value equals at most one of them;
    a goal repeating another's value goes to the others), and one ``contains`` goal
    whose text none of those values holds (a row equal to such a value cannot contain
    it). One CASE tags a row with the one exclusive goal it matches; each other goal
    needs a tag of its own, which costs an ``unnest`` of every hit row.
    """
    exclusive, others, values = [], [], set()
    for goal in tests:
        if goal[1].operator == "equals" and goal[2] not in values:
            values.add(goal[2])
            exclusive.append(goal)
        else:
            others.append(goal)
    contains = next((g for g in others if g[1].operator == "contains" and not any(g[2] in v for v in values)), None)
    if contains is not None:
        exclusive.append(contains)
        others.remove(contains)
    return exclusive, others


def _hits_sql(where: str, tests: Sequence[_ColumnGoal]) -> str:
    """One SELECT of (visitor, goal, value) over the goals that test the same column."""
    exclusive, others = _exclusive_goals(tests)
    tags, values = [], []
    if exclusive:
        tags.append("CASE " + " ".join(f"WHEN {test_sql(test)} THEN {n}" for n, test, _, _ in exclusive) + " END")
        valued = [f"WHEN {test_sql(test)} THEN {value}" for _, test, _, value in exclusive if value]
        values.append(f"CASE {' '.join(valued)} END" if valued else "NULL")
    for n, test, _, value in others:
        tags.append(f"CASE WHEN {test_sql(test)} THEN {n} END")
        values.append(f"CASE WHEN {test_sql(test)} THEN {value} END" if value else "NULL")
    if len(tags) == 1:
        columns = f"{tags[0]} AS goal, {values[0]} AS value"
    else:
        columns = f"unnest([{', '.join(tags)}]) AS goal, unnest([{', '.join(values)}]) AS value"
    first = tests[0][1]
    # An ``equals`` goal repeating a value is in the IN list already.
    equals = [test for _, test, _, _ in exclusive if test.operator == "equals"]
    any_test = [f"e.{first.column} IN ({', '.join(f'${test.param}' for test in equals)})"] if equals else []
    any_test += [test_sql(test) for _, test, _, _ in tests if test.operator == "contains"]
    return _HITS_SQL.format(tags=columns, where=where, event_type=first.event_type, any_test=" OR ".join(any_test))


def _goal_counts(cur: Cursor, q: ReportQuery, goals: Sequence[Goal]) -> tuple[list[GoalCounts], int]:
    """Every goal's (visitors, conversions, revenue) in ``q``'s range, and its visitors."""
    where, params = compile_where(q, "e")
    visitors = int(fetch_one(cur, _VISITORS_SQL.format(where=where), params)[0])
    if not goals:
        return [], visitors
    by_column: dict[tuple[str, str], list[_ColumnGoal]] = {}
    for n, goal in enumerate(goals):
        test, bound = match_test(goal.goal_type, goal.match_operator, goal.match_value, f"g{n}_match")
        value, value_params = goal_value(goal, f"g{n}_value") if goal.value_mode != "none" else (None, {})
        params.update(bound)
        params.update(value_params)
        by_column.setdefault((test.event_type, test.column), []).append((n, test, bound[test.param], value))
    hits = " UNION ALL ".join(_hits_sql(where, tests) for tests in by_column.values())
    counted = {int(row[0]): (int(row[1]), int(row[2]), float(row[3])) for row in fetch_all(cur, _GOAL_COUNTS_SQL.format(hits=hits), params)}
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
