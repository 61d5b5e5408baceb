"""Totals per group (``AnalyticsStore.grouped``, the v2 query route) in ClickHouse SQL.

What it counts: :mod:`sparklytics.queries.grouping`; the DuckDB statement
(``stores/duckdb/reports/grouped.py``) is the model. Keys come from the rows of ``m``:
event-level ones from the event, session-level ones from the ``s_`` session facts, time
buckets in local time, ``goal`` one row per goal the event converts on (``arrayJoin``).
With visits the rows are grouped per (event-level keys, session) first, then by every
key with the sessions' bounces and durations; without, one GROUP BY over the rows.
"""

from __future__ import annotations

from datetime import date, datetime

from sparklytics.queries.conditions import PROPS_PREFIX
from sparklytics.queries.grouping import GroupRow, Grouping
from sparklytics.queries.report_query import ReportQuery
from sparklytics.stores.clickhouse.conditions import COLUMNS, patterns, props_text, refused_pattern
from sparklytics.stores.clickhouse.connection import ClickHouseError
from sparklytics.stores.clickhouse.rows import BUCKETS
from sparklytics.stores.clickhouse.scope import local_offset, match_sql

from . import Fetch, Scope
from .goals import goal_value

# Breakdown type → the session fact it reads (the session-level keys).
_SESSION_KEYS = {
    "referrer": "referrer_domain", "channel": "channel", "utm_source": "utm_source", "utm_medium": "utm_medium",
    "utm_campaign": "utm_campaign", "country": "country", "region": "region", "city": "city",
    "browser": "browser", "os": "os", "device": "device_type", "screen": "screen", "language": "language",
    "entry_page": "entry_path", "exit_page": "exit_path",
}
_EVENT_KEYS = {
    "page": "path",
    **{name: COLUMNS[name][0].format(a="") for name in ("name", "hostname", "browser_version", "os_version",
                                                        "utm_term", "utm_content")},
}
_TIME = {**BUCKETS, "week": "toMonday(created_at + toIntervalSecond(tz_off))"}
_FACTS = ("visitor_id", "pageview_count", "is_bot", "first_seen", "last_seen")


def _key_sql(dimension: str, name: str, grouping: Grouping, params: dict) -> tuple[str, str | None]:
    """(SQL of the key over ``m``'s rows, the session fact it reads or None)."""
    if dimension.startswith(PROPS_PREFIX):
        params[f"{name}_key"] = dimension[len(PROPS_PREFIX):]
        return f"ifNull({props_text('', f'{name}_key')}, '(none)')", None
    if dimension == "goal":
        tags = []
        for i, goal in enumerate(grouping.goals):
            match, bound = match_sql(goal.goal_type, goal.match_operator, goal.match_value, f"{name}_g{i}")
            params.update(bound)
            tags.append(f"if({match}, {i}, NULL)")
        return f"arrayJoin([{', '.join(tags) or 'NULL'}])", None
    if dimension.startswith("time:"):
        return _TIME[dimension.removeprefix("time:")], None
    if dimension in _SESSION_KEYS:
        fact = _SESSION_KEYS[dimension]
        value = "ifNull(s_referrer_domain, '(direct)')" if dimension == "referrer" else f"s_{fact}"
        return value, fact
    return _EVENT_KEYS[dimension], None


def _revenue_sql(grouping: Grouping, params: dict) -> str:
    """The value of a row's first conversion among ``grouping.goals`` (0.0 without)."""
    if not grouping.revenue:
        return "0.0"
    branches = []
    for i, goal in enumerate(grouping.goals):
        if goal.value_mode == "none":
            continue
        match, bound = match_sql(goal.goal_type, goal.match_operator, goal.match_value, f"rv{i}_match")
        value, value_params = goal_value(goal, f"rv{i}_value")
        params.update(bound)
        params.update(value_params)
        branches.append(f"{match}, {value}")
    return f"multiIf({', '.join(branches)}, 0.0)" if branches else "0.0"


async def grouped(fetch: Fetch, scoped: Scope, q: ReportQuery, grouping: Grouping) -> list[GroupRow]:
    for pattern in patterns(q.condition):
        try:
            await fetch("SELECT match('', {pattern:String})", {"pattern": pattern})
        except ClickHouseError as error:
            raise refused_pattern(str(error).splitlines()[0]) from None
    extra: dict = {}
    keys, facts = [], set(_FACTS)
    for n, dimension in enumerate(grouping.dimensions):
        sql, fact = _key_sql(dimension, f"k{n}", grouping, extra)
        keys.append(sql)
        if fact:
            facts.add(fact)
    scope, params = await scoped(q, facts)
    offset, offset_params = local_offset(q, "created_at")
    revenue = _revenue_sql(grouping, extra)
    params.update(extra)
    params.update(offset_params)
    names = [f"k{n}" for n in range(len(keys))]
    key_columns = "".join(f", {sql} AS {name}" for sql, name in zip(keys, names))
    not_null = " AND ".join(f"{name} IS NOT NULL" for name in names) or "1"
    group_key = f"[{', '.join(f'toString({name})' for name in names)}]"
    counted = "1" if q.include_bots else "NOT s_is_bot"
    rows = f"""
SELECT session_id, session_visitor, event_type, s_pageview_count, s_is_bot,
       dateDiff('microsecond', s_first_seen, s_last_seen) / 1e6 AS duration,
       {revenue} AS revenue{key_columns}
FROM (SELECT *, {offset} AS tz_off FROM m)
"""
    if grouping.visits:
        by = "".join(f"{name}, " for name in names)
        sql = scope + f"""
SELECT {group_key}, uniqExact(session_visitor), countIf(counted), sum(pageviews), sum(events),
       countIf(counted AND s_pageview_count = 1), avgOrNullIf(duration, counted), sum(revenue)
FROM (
    SELECT {by}session_id, any(session_visitor) AS session_visitor, countIf(event_type = 'pageview') AS pageviews,
           count() AS events, sum(revenue) AS revenue, any(s_pageview_count) AS s_pageview_count,
           any(duration) AS duration, any({counted}) AS counted
    FROM ({rows})
    WHERE {not_null}
    GROUP BY {by}session_id
)
GROUP BY {", ".join(names) or "tuple()"}
"""
    else:
        sql = scope + f"""
SELECT {group_key}, uniqExact(session_visitor), 0, countIf(event_type = 'pageview'), count(), 0, NULL, sum(revenue)
FROM ({rows})
WHERE {not_null}
GROUP BY {", ".join(names) or "tuple()"}
"""
    found = await fetch(sql, params)
    return [_group_row(grouping, row) for row in found]


def _group_row(grouping: Grouping, row: list) -> GroupRow:
    key = tuple(_key_value(dimension, text) for dimension, text in zip(grouping.dimensions, row[0], strict=True))
    visitors, visits, pageviews, events, bounces, duration, revenue = row[1:]
    return GroupRow(key, int(visitors), int(visits), int(pageviews), int(events), int(bounces),
                    None if duration is None else float(duration), float(revenue))


def _key_value(dimension: str, text: str):
    if dimension == "goal":
        return int(text)
    if dimension == "time:hour":
        return datetime.fromisoformat(text).replace(tzinfo=None)
    if dimension.startswith("time:"):
        return date.fromisoformat(text[:10])
    return text
