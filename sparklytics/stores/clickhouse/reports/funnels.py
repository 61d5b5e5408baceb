"""Funnel results (``/funnels/{id}/results``) in ClickHouse SQL.

What the report counts and how it is shaped: :mod:`sparklytics.queries.funnels`. A
session reaches step n when an event matching step n comes strictly after the moment it
reached step n − 1 (the earliest, so the greedy chain is the longest). That is
``windowFunnel`` in ``strict_increase`` mode with a window no session can outlast, over
the matched rows ``m`` per read-time session. The timestamp is the epoch in
microseconds, as stored and as DuckDB compares them (``windowFunnel`` refuses
DateTime64; a ``toDateTime`` would round to seconds and make two steps in one second
simultaneous): the events of one collect request are a microsecond apart, so they chain.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sparklytics.queries.funnels import shape_results
from sparklytics.queries.report_query import ReportQuery
from sparklytics.queries.result import ReportResult
from sparklytics.stores.clickhouse.scope import match_sql

from . import Fetch, Scope

_WINDOW_US = 2**62  # longer than any session


async def funnel_results(fetch: Fetch, scoped: Scope, q: ReportQuery, funnel: Mapping[str, Any]) -> ReportResult:
    steps: Sequence[Mapping[str, Any]] = funnel["steps"]
    assert steps, "a stored funnel always has steps"
    conditions, bound = [], {}
    for n, step in enumerate(steps, start=1):
        condition, step_bound = match_sql(step["step_type"], step["match_operator"], step["match_value"],
                                          f"step_{n}", "e.")
        conditions.append(f"({condition})")
        bound.update(step_bound)
    # A row no step matches changes no level: only the steps' rows are read.
    scope, params = await scoped(q, rows=" OR ".join(conditions))
    params.update(bound)
    counts = ", ".join(f"countIf(level >= {n})" for n in range(1, len(steps) + 1))
    sql = scope + f"""
SELECT {counts}
FROM (
    SELECT session_id,
           windowFunnel({_WINDOW_US}, 'strict_increase')(toUInt64(toUnixTimestamp64Micro(created_at)), {", ".join(conditions)})
               AS level
    FROM m AS e
    GROUP BY session_id
)
"""
    [row] = await fetch(sql, params)
    return ReportResult(shape_results(funnel, [int(n) for n in row]))
