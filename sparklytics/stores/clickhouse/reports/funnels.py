"""Funnel results (``/funnels/{id}/results``) in ClickHouse SQL.

What the report counts and how it is shaped: :mod:`sparklytics.queries.funnels`. A
session reaches step n when an event matching step n comes strictly after the moment it
reached step n − 1 (the earliest, so the greedy chain is the longest). That is
``windowFunnel`` in ``strict_increase`` mode with a window no session can outlast, over
the matched rows ``m`` per read-time session. The timestamp is the epoch in
milliseconds (``windowFunnel`` refuses DateTime64; a ``toDateTime`` would round to
seconds and make two steps in one second simultaneous).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sparklytics.queries.funnels import shape_results
from sparklytics.queries.report_query import ReportQuery
from sparklytics.queries.result import ReportResult
from sparklytics.stores.clickhouse.scope import report_scope
from sparklytics.stores.duckdb.where import match_test

from . import Fetch

_WINDOW_MS = 2**62  # longer than any session


def step_condition(step: Mapping[str, Any], param: str) -> tuple[str, dict[str, str]]:
    """SQL (on ``m``'s columns) for the rows a goal or funnel step matches (Decision 3:
    ``match_test`` decides the event type and column), its value bound as ``param``."""
    test, bound = match_test(step["step_type"], step["match_operator"], step["match_value"], param)
    value = f"{{{param}:String}}"
    compare = f"{test.column} = {value}" if test.operator == "equals" else f"position({test.column}, {value}) > 0"
    return f"event_type = '{test.event_type}' AND ifNull({compare}, 0)", bound


async def funnel_results(fetch: Fetch, q: ReportQuery, funnel: Mapping[str, Any]) -> ReportResult:
    steps: Sequence[Mapping[str, Any]] = funnel["steps"]
    assert steps, "a stored funnel always has steps"
    scope, params = report_scope(q)
    conditions = []
    for n, step in enumerate(steps, start=1):
        condition, bound = step_condition(step, f"step_{n}")
        conditions.append(f"({condition})")
        params.update(bound)
    counts = ", ".join(f"countIf(level >= {n})" for n in range(1, len(steps) + 1))
    sql = scope + f"""
SELECT {counts}
FROM (
    SELECT session_id,
           windowFunnel({_WINDOW_MS}, 'strict_increase')(toUInt64(toUnixTimestamp64Milli(created_at)), {", ".join(conditions)})
               AS level
    FROM m
    GROUP BY session_id
)
"""
    [row] = await fetch(sql, params)
    return ReportResult(shape_results(funnel, [int(n) for n in row]))
