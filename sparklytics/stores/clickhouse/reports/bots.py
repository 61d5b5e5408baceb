"""Bot summary and bot report (``/bot-summary``, ``/bot/report``) in ClickHouse SQL.

What they count and how they are shaped: :mod:`sparklytics.queries.bots`. Every
statement reads the matched rows ``m`` of :func:`..scope.report_scope` (the route
includes bots: the split is the point).
"""

from __future__ import annotations

from sparklytics.queries.bots import TOP, Split, shape_report, shape_summary
from sparklytics.queries.report_query import ReportQuery
from sparklytics.queries.result import ReportResult
from sparklytics.stores.clickhouse.rows import BUCKETS, bucket_key
from sparklytics.stores.clickhouse.scope import local_offset

from . import Fetch, Scope

_SPLIT = "SELECT countIf(is_bot), countIf(NOT is_bot) FROM m"

_TOP = f"""
SELECT {{value}} AS value, count() AS n
FROM m
WHERE is_bot {{extra}}
GROUP BY value
ORDER BY n DESC, value
LIMIT {TOP}
"""

_BUCKET_ROWS = """
SELECT {bucket} AS bucket, countIf(is_bot), countIf(NOT is_bot)
FROM (SELECT created_at, is_bot, {offset} AS tz_off FROM m)
GROUP BY bucket
ORDER BY bucket
"""


async def _split(fetch: Fetch, scoped: Scope, q: ReportQuery) -> Split:
    scope, params = await scoped(q, sessions=False)
    [(bots, humans)] = await fetch(scope + _SPLIT, params)
    return int(bots), int(humans)


async def _top(fetch: Fetch, scoped: Scope, q: ReportQuery, value: str, extra: str = "") -> list[tuple[str, int]]:
    scope, params = await scoped(q, sessions=False)
    rows = await fetch(scope + _TOP.format(value=value, extra=extra), params)
    return [(name, int(count)) for name, count in rows]


async def _reasons(fetch: Fetch, scoped: Scope, q: ReportQuery) -> list[tuple[str, int]]:
    return await _top(fetch, scoped, q, "ifNull(bot_reason, 'unknown')")


async def bot_summary(fetch: Fetch, scoped: Scope, q: ReportQuery) -> ReportResult:
    return shape_summary(q, await _split(fetch, scoped, q), await _reasons(fetch, scoped, q))


async def bot_report(fetch: Fetch, scoped: Scope, q: ReportQuery) -> ReportResult:
    granularity = q.granularity or "day"
    scope, params = await scoped(q, sessions=False)
    offset, offset_params = local_offset(q, "created_at")
    rows = await fetch(scope + _BUCKET_ROWS.format(bucket=BUCKETS[granularity], offset=offset),
                       {**params, **offset_params})
    buckets = [(bucket_key(key, granularity), int(bots), int(humans)) for key, bots, humans in rows]
    user_agents = await _top(fetch, scoped, q, "user_agent", "AND user_agent IS NOT NULL")
    return shape_report(q, await _split(fetch, scoped, q), buckets, await _reasons(fetch, scoped, q), user_agents)
