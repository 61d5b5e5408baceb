"""Campaign link and tracking pixel stats: the DuckDB SQL.

What they count and their shapes: :mod:`sparklytics.queries.campaigns`.

Speed: one statement per report over the range's events, bounded by website and UTC time
(zonemap pruning). Link conversions are looked for only in the sessions that hold a
click (a semi-join on the clicks), and every goal of the website is evaluated in that
one pass, as the goal panel does (``reports/goals.py``).
"""

from __future__ import annotations

from collections.abc import Sequence

from sparklytics.acquisition import LINK_CLICK, PIXEL_VIEW
from sparklytics.goals import Goal
from sparklytics.queries.campaigns import LinkCounts, PixelCounts, shape_link_stats, shape_pixel_stats
from sparklytics.queries.report_query import ReportQuery
from sparklytics.queries.result import ReportResult
from sparklytics.stores.duckdb.reports.goals import goal_value
from sparklytics.stores.duckdb.sql import Cursor, fetch_all
from sparklytics.stores.duckdb.where import compile_where, match_condition

_CLICKS = f"""
SELECT e.link_id, e.session_id, e.visitor_id
FROM events e
WHERE {{where}} AND e.event_type = 'event' AND e.event_name = '{LINK_CLICK}' AND e.link_id IS NOT NULL
"""

_LINK_STATS_SQL = f"""
WITH clicks AS ({_CLICKS}),
conversions AS (
    SELECT e.session_id, {{conversions}} AS conversions, {{revenue}} AS revenue
    FROM events e
    WHERE {{where}} AND ({{any_goal}}) AND e.session_id IN (SELECT session_id FROM clicks)
),
credited AS (
    SELECT s.link_id, sum(c.conversions) AS conversions, sum(c.revenue) AS revenue
    FROM (SELECT DISTINCT link_id, session_id FROM clicks) s JOIN conversions c USING (session_id)
    GROUP BY s.link_id
)
SELECT t.link_id, t.clicks, t.visitors, coalesce(c.conversions, 0), coalesce(c.revenue, 0.0)
FROM (SELECT link_id, count(*) AS clicks, count(DISTINCT visitor_id) AS visitors FROM clicks GROUP BY link_id) t
LEFT JOIN credited c USING (link_id)
"""


def link_stats(cur: Cursor, q: ReportQuery, goals: Sequence[Goal]) -> ReportResult:
    where, params = compile_where(q, "e")
    matches, values = [], []
    for n, goal in enumerate(goals):
        match, bound = match_condition(goal.goal_type, goal.match_operator, goal.match_value, f"g{n}_match")
        value, value_params = goal_value(goal, f"g{n}_value")
        params.update(bound)
        params.update(value_params)
        matches.append(match)
        values.append(value)
    sql = _LINK_STATS_SQL.format(
        where=where,
        conversions=" + ".join(f"(CASE WHEN {m} THEN 1 ELSE 0 END)" for m in matches) or "0",
        revenue=" + ".join(f"(CASE WHEN {m} THEN {v} ELSE 0.0 END)" for m, v in zip(matches, values)) or "0.0",
        any_goal=" OR ".join(f"({m})" for m in matches) or "FALSE",
    )
    counts: dict[str, LinkCounts] = {
        link_id: (int(clicks), int(visitors), int(conversions), float(revenue))
        for link_id, clicks, visitors, conversions, revenue in fetch_all(cur, sql, params)
    }
    return shape_link_stats(counts)


_PIXEL_STATS_SQL = f"""
SELECT e.pixel_id, count(*), count(DISTINCT e.visitor_id)
FROM events e
WHERE {{where}} AND e.event_type = 'event' AND e.event_name = '{PIXEL_VIEW}' AND e.pixel_id IS NOT NULL
GROUP BY e.pixel_id
"""


def pixel_stats(cur: Cursor, q: ReportQuery) -> ReportResult:
    where, params = compile_where(q, "e")
    counts: dict[str, PixelCounts] = {
        pixel_id: (int(views), int(visitors)) for pixel_id, views, visitors in fetch_all(cur, _PIXEL_STATS_SQL.format(where=where), params)
    }
    return shape_pixel_stats(counts)
