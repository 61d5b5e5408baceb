"""Goals (``/goals/{id}/stats``, ``/goals/conversions``, ``/attribution``,
``/revenue/summary``) in ClickHouse SQL.

What the reports count and how they are shaped: :mod:`sparklytics.queries.goals`. A
goal's stats and the conversions panel read the stored sessions' counts where they can
(:func:`.session_reports.goals_apply`), the values of a goal valued by a property from
its conversions alone; otherwise, and for attribution and revenue, every statement
reads the matched rows ``m`` of one period (only those it needs: ``rows``). The
conversions panel evaluates every goal in one pass with ``-If`` combinators (one column
triple per goal): exact visitors (``uniqExactIf``), since the panel's rates divide by
the period's visitors. Attribution's windows run over the sessions' touches and
conversions only.
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
from sparklytics.stores.clickhouse import session_reports
from sparklytics.stores.clickhouse.rows import Fetch as SyncFetch
from sparklytics.stores.clickhouse.event_sessions import scope_of
from sparklytics.stores.clickhouse.scope import match_sql

from . import Fetch, Scope


def goal_value(goal: Goal, param: str) -> tuple[str, dict]:
    """SQL for the value of one conversion of ``goal`` (a Float64, 0 when it has none).

    A property value counts when its text is a finite number, as DuckDB's ``TRY_CAST``
    of the extracted string: ``12.5`` and ``"7.25"`` do, ``"abc"`` and ``true`` do not."""
    if goal.value_mode == "fixed":
        return f"toFloat64({{{param}:Float64}})", {param: goal.fixed_value or 0.0}
    if goal.value_mode == "event_property":
        raw = f"JSONExtractRaw(ifNull(event_data, ''), {{{param}:String}})"
        text = f"if(startsWith({raw}, '\"'), JSONExtractString(ifNull(event_data, ''), {{{param}:String}}), {raw})"
        number = f"toFloat64OrNull({text})"
        return f"if(isFinite(ifNull({number}, nan)), assumeNotNull({number}), 0.0)", {param: goal.value_property_key or ""}
    return "0.0", {}


_TOTALS = """
SELECT countIf({match}), uniqExactIf(session_id, {match}), uniqExact(session_id), count()
FROM m
"""


def _stored(fetch: SyncFetch, q: ReportQuery, goals: Sequence[Goal], stored: bool) -> bool:
    """Whether the stored sessions count ``goals`` over ``q`` (:mod:`..session_reports`)."""
    return (stored and session_reports.goals_apply(q, goals)
            and not session_reports.mixed_in_range(fetch, q, keyed_counts=True))


def _goal_totals(fetch: SyncFetch, q: ReportQuery, goal: Goal, stored: bool) -> GoalTotals:
    if _stored(fetch, q, [goal], stored):
        parts, params = session_reports.parts(fetch, q)
        sql, bound = session_reports.goal_totals_sql(q, parts, goal)
    else:
        scope, params = scope_of(fetch, q, stored=stored)
        match, bound = match_sql(goal.goal_type, goal.match_operator, goal.match_value, "goal_match")
        sql = scope + _TOTALS.format(match=f"({match})")
    [row] = fetch(sql, {**params, **bound})
    return int(row[0]), int(row[1]), int(row[2]), int(row[3])


def goal_stats(fetch: SyncFetch, q: ReportQuery, goal: Goal, *, stored: bool) -> ReportResult:
    """Runs in a worker thread (the store's ``_in_thread``): it may read the stored sessions."""
    current = _goal_totals(fetch, q, goal, stored)
    previous = _goal_totals(fetch, previous_period_query(q), goal, stored)
    return ReportResult(shape_goal_stats(goal.id, current, previous))


def _property_values(fetch: SyncFetch, q: ReportQuery, goals: Sequence[Goal], stored: bool) -> list[float]:
    """Each goal's summed property values in ``q``'s range, from its conversions alone
    (their sessions only when a filter needs them)."""
    matches, sums, bound = [], [], {}
    for n, goal in enumerate(goals):
        match, match_params = match_sql(goal.goal_type, goal.match_operator, goal.match_value, f"v{n}_match")
        value, value_params = goal_value(goal, f"v{n}_value")
        bound.update(match_params)
        bound.update(value_params)
        matches.append(f"({match})")
        sums.append(f"sumIf({value}, {match})")
    scope, params = scope_of(fetch, q, sessions=False, rows=" OR ".join(matches), stored=stored)
    [row] = fetch(scope + f"SELECT {', '.join(sums)} FROM m", {**params, **bound})
    return [float(total) for total in row]


def _goal_counts(fetch: SyncFetch, q: ReportQuery, goals: Sequence[Goal], stored: bool) -> tuple[list[GoalCounts], int]:
    """Every goal's (visitors, conversions, revenue) in ``q``'s range, and its visitors:
    from the stored sessions where they answer, a property's values from the events."""
    summarised = _stored(fetch, q, goals, stored)
    if summarised:
        parts, params = session_reports.parts(fetch, q)
        sql, bound = session_reports.goal_counts_sql(q, parts, goals)
        params.update(bound)
    else:
        scope, params = scope_of(fetch, q, stored=stored)
        columns = ["uniqExact(session_visitor)"]
        for n, goal in enumerate(goals):
            match, bound = match_sql(goal.goal_type, goal.match_operator, goal.match_value, f"g{n}_match")
            value, value_params = goal_value(goal, f"g{n}_value")
            params.update(bound)
            params.update(value_params)
            columns += [f"uniqExactIf(session_visitor, {match})", f"countIf({match})", f"sumIf({value}, {match})"]
        sql = scope + f"SELECT {', '.join(columns)} FROM m"
    [row] = fetch(sql, params)
    counts = [(int(row[i]), int(row[i + 1]), float(row[i + 2])) for i in range(1, len(row), 3)]
    valued = [n for n, goal in enumerate(goals) if goal.value_mode == "event_property"]
    if summarised and valued:  # counted without their values
        for n, value in zip(valued, _property_values(fetch, q, [goals[n] for n in valued], stored)):
            counts[n] = (*counts[n][:2], value)
    return counts, int(row[0])


def goal_conversions(fetch: SyncFetch, q: ReportQuery, goals: Sequence[Goal], *, stored: bool) -> ReportResult:
    """Runs in a worker thread, as :func:`goal_stats`."""
    current, visitors = _goal_counts(fetch, q, goals, stored)
    previous, previous_visitors = _goal_counts(fetch, comparison_query(q) or previous_period_query(q), goals, stored)
    return shape_goal_conversions(goals, current, visitors, previous, previous_visitors)


# A touch is an event carrying a source (UTM or an external referrer); its channel
# follows §1.8. first_value/last_value skip NULLs in ClickHouse (IGNORE NULLS).
_TOUCH = (
    "if(utm_source IS NOT NULL OR referrer_domain IS NOT NULL,"
    " concat(coalesce(utm_source, referrer_domain), ' / ',"
    " coalesce(utm_medium, if(utm_source IS NOT NULL, 'utm', 'referral'))), NULL)"
)
_MODELS = {"first_touch": "first_touch", "last_touch": "last_touch"}

_ATTRIBUTION = f"""
SELECT ifNull({{model}}, '(direct) / direct') AS channel, count(), sum(value)
FROM (
    SELECT converts, value,
           first_value(touch) OVER (PARTITION BY session_id ORDER BY created_at, node_id, id
               ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING) AS first_touch,
           last_value(touch) OVER (PARTITION BY session_id ORDER BY created_at, node_id, id
               ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS last_touch
    FROM (
        SELECT session_id, created_at, node_id, id, ({{match}}) AS converts, {{value}} AS value, {_TOUCH} AS touch
        FROM m
    )
)
WHERE converts
GROUP BY channel
"""


async def attribution(fetch: Fetch, scoped: Scope, q: ReportQuery, goal: Goal,
                      options: AttributionOptions) -> ReportResult:
    match, bound = match_sql(goal.goal_type, goal.match_operator, goal.match_value, "goal_match")
    # Only touches and conversions move a conversion's first or last touch, and only the
    # converting sessions' count.
    scope, params = await scoped(q, rows=f"{_TOUCH} IS NOT NULL OR ({match})", converted=goal)
    value, value_params = goal_value(goal, "goal_value")
    sql = scope + _ATTRIBUTION.format(model=_MODELS[options.model], match=match, value=value)
    rows = await fetch(sql, {**params, **bound, **value_params})
    credited = [(channel, int(conversions), float(revenue)) for channel, conversions, revenue in rows]
    return ReportResult(shape_attribution(goal.id, options.model, credited))


async def revenue_summary(fetch: Fetch, scoped: Scope, q: ReportQuery, goal: Goal,
                          options: AttributionOptions) -> ReportResult:
    match, bound = match_sql(goal.goal_type, goal.match_operator, goal.match_value, "goal_match")
    # The conversions alone, without their sessions unless a filter needs them.
    scope, params = await scoped(q, sessions=False, rows=match)
    value, value_params = goal_value(goal, "goal_value")
    [(conversions, revenue)] = await fetch(
        scope + f"SELECT countIf({match}), sumIf({value}, {match}) FROM m", {**params, **bound, **value_params}
    )
    return ReportResult(shape_revenue_summary(goal.id, options.model, int(conversions), float(revenue)))
