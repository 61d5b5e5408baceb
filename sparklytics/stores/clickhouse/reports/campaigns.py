"""Campaign link and tracking pixel stats in ClickHouse SQL.

What they count and their shapes: :mod:`sparklytics.queries.campaigns`. One statement
per report over the matched rows ``m``; a link is credited the conversions of every goal
in the read-time sessions holding one of its clicks (Decision 16), all goals evaluated
in that one pass, as the goal panel does.
"""

from __future__ import annotations

from collections.abc import Sequence

from sparklytics.acquisition import LINK_CLICK, PIXEL_VIEW
from sparklytics.goals import Goal
from sparklytics.queries.campaigns import LinkCounts, PixelCounts, shape_link_stats, shape_pixel_stats
from sparklytics.queries.report_query import ReportQuery
from sparklytics.queries.result import ReportResult
from sparklytics.stores.clickhouse.scope import match_sql

from . import Fetch, Scope
from .goals import goal_value

_CLICKS = f"SELECT link_id, session_id, session_visitor FROM m WHERE event_type = 'event' AND event_name = '{LINK_CLICK}' AND link_id IS NOT NULL"

_LINK_STATS = f"""
, clicks AS ({_CLICKS}),
credited AS (
    SELECT s.link_id AS link_id, sum(c.conversions) AS conversions, sum(c.revenue) AS revenue
    FROM (SELECT DISTINCT link_id, session_id FROM clicks) AS s
    INNER JOIN (
        SELECT session_id, {{conversions}} AS conversions, {{revenue}} AS revenue
        FROM m
        WHERE ({{any_goal}}) AND session_id IN (SELECT session_id FROM clicks)
    ) AS c ON c.session_id = s.session_id
    GROUP BY s.link_id
)
SELECT t.link_id, t.clicks, t.visitors, ifNull(c.conversions, 0), ifNull(c.revenue, 0.0)
FROM (SELECT link_id, count() AS clicks, uniqExact(session_visitor) AS visitors FROM clicks GROUP BY link_id) AS t
LEFT JOIN credited AS c ON c.link_id = t.link_id
SETTINGS join_use_nulls = 1
"""

_PIXEL_STATS = f"""
SELECT pixel_id, count(), uniqExact(session_visitor)
FROM m
WHERE event_type = 'event' AND event_name = '{PIXEL_VIEW}' AND pixel_id IS NOT NULL
GROUP BY pixel_id
"""


async def link_stats(fetch: Fetch, scoped: Scope, q: ReportQuery, goals: Sequence[Goal]) -> ReportResult:
    scope, params = await scoped(q)
    matches, values = [], []
    for n, goal in enumerate(goals):
        match, bound = match_sql(goal.goal_type, goal.match_operator, goal.match_value, f"g{n}_match")
        value, value_params = goal_value(goal, f"g{n}_value")
        params.update(bound)
        params.update(value_params)
        matches.append(match)
        values.append(value)
    sql = scope.rstrip() + _LINK_STATS.format(
        conversions=" + ".join(f"toUInt64({m})" for m in matches) or "toUInt64(0)",
        revenue=" + ".join(f"if({m}, {v}, 0.0)" for m, v in zip(matches, values)) or "0.0",
        any_goal=" OR ".join(f"({m})" for m in matches) or "0",
    )
    counts: dict[str, LinkCounts] = {
        link_id: (int(clicks), int(visitors), int(conversions), float(revenue))
        for link_id, clicks, visitors, conversions, revenue in await fetch(sql, params)
    }
    return shape_link_stats(counts)


async def pixel_stats(fetch: Fetch, scoped: Scope, q: ReportQuery) -> ReportResult:
    scope, params = await scoped(q)
    counts: dict[str, PixelCounts] = {
        pixel_id: (int(views), int(visitors)) for pixel_id, views, visitors in await fetch(scope + _PIXEL_STATS, params)
    }
    return shape_pixel_stats(counts)
