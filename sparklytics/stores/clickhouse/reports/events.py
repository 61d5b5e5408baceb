"""Custom events (``/events``, ``/events/properties``) in ClickHouse SQL.

What the reports count and how they are shaped: :mod:`sparklytics.queries.events`.
Visitors are ``uniqExact`` (the list shows few rows; exactness is promised). The
properties expansion reads only the newest ``SAMPLE_LIMIT`` occurrences, as DuckDB's,
and derives no session unless a filter needs one.
"""

from __future__ import annotations

from sparklytics.queries.events import EVENTS_LIMIT, PROPERTIES_LIMIT, SAMPLE_LIMIT, shape_event_rows
from sparklytics.queries.report_query import ReportQuery, previous_period_query
from sparklytics.queries.result import ReportResult
from sparklytics.stores.clickhouse import session_reports
from sparklytics.stores.clickhouse.rows import Fetch as SyncFetch
from sparklytics.stores.clickhouse.event_sessions import scope_of

from . import Fetch, Scope

_CUSTOM = "event_type = 'event' AND event_name IS NOT NULL"

_LIST = f"""
SELECT event_name, count() AS n, uniqExact(session_visitor) AS visitors, count() OVER () AS total
FROM m
WHERE {_CUSTOM}
GROUP BY event_name
ORDER BY n DESC, event_name ASC
LIMIT {EVENTS_LIMIT}
"""

_PREVIOUS = f"""
SELECT event_name, count()
FROM m
WHERE {_CUSTOM} AND has({{names:Array(String)}}, assumeNotNull(event_name))
GROUP BY event_name
"""

_OCCURRENCES = "FROM m WHERE event_type = 'event' AND event_name = {event_name:String}"

# A property value as DuckDB's json_extract_string gives it: a string unquoted, null
# absent, a number, boolean, array or object as its JSON text.
_PROPERTIES = f"""
SELECT pair.1 AS property_key,
       if(startsWith(pair.2, '"'), JSONExtractString(concat('[', pair.2, ']'), 1), pair.2) AS property_value,
       count() AS n
FROM (
    SELECT event_data {_OCCURRENCES}
    ORDER BY created_at DESC, id DESC
    LIMIT {SAMPLE_LIMIT}
)
ARRAY JOIN JSONExtractKeysAndValuesRaw(assumeNotNull(event_data)) AS pair
WHERE isValidJSON(assumeNotNull(event_data)) AND JSONType(assumeNotNull(event_data)) = 'Object'
  AND pair.2 != 'null'
GROUP BY property_key, property_value
ORDER BY property_key ASC, n DESC, property_value ASC
LIMIT {PROPERTIES_LIMIT}
"""


def _names_stored(fetch: SyncFetch, q: ReportQuery, stored: bool) -> bool:
    return (stored and session_reports.applies(q, session_reports.EVENT_NAME)
            and not session_reports.mixed_in_range(fetch, q, keyed_counts=True))


def events_list(fetch: SyncFetch, q: ReportQuery, *, stored: bool) -> ReportResult:
    """Custom event names with counts and the previous period's count, from the stored
    sessions' per-name counts where they answer (in a worker thread: the store's
    ``_in_thread``)."""
    if _names_stored(fetch, q, stored):
        parts, params = session_reports.parts(fetch, q)
        sql = session_reports.event_names_sql(q, parts, EVENTS_LIMIT)
    else:
        sql, params = _with_scope(fetch, q, _LIST, stored)
    rows = [tuple(row) for row in fetch(sql, params)]
    previous: dict[str, int] = {}
    if rows:
        before, names = previous_period_query(q), [row[0] for row in rows]
        if _names_stored(fetch, before, stored):
            parts, p_params = session_reports.parts(fetch, before)
            p_sql = f"SELECT name, events FROM ({session_reports.event_names_sql(before, parts, EVENTS_LIMIT, named=True)})"
        else:
            p_sql, p_params = _with_scope(fetch, before, _PREVIOUS, stored)
        previous = {name: int(count) for name, count in fetch(p_sql, {**p_params, "names": names})}
    return ReportResult({"rows": shape_event_rows(rows, previous), "total": int(rows[0][3]) if rows else 0})


def _with_scope(fetch: SyncFetch, q: ReportQuery, sql: str, stored: bool) -> tuple[str, dict]:
    scope, params = scope_of(fetch, q, stored=stored)
    return scope + sql, params


async def event_properties(fetch: Fetch, scoped: Scope, q: ReportQuery) -> ReportResult:
    """Top-level ``event_data`` keys and values of ``q.event_name``."""
    assert q.event_name is not None, "parse with route='event_properties'"
    scope, params = await scoped(q, sessions=False)
    params["event_name"] = q.event_name
    [[total]] = await fetch(scope + "SELECT count() " + _OCCURRENCES, params)
    rows = await fetch(scope + _PROPERTIES, params) if int(total) else []
    return ReportResult(
        {
            "event_name": q.event_name,
            "total_occurrences": int(total),
            "sample_size": min(int(total), SAMPLE_LIMIT),
            "properties": [{"property_key": k, "property_value": v, "count": int(n)} for k, v, n in rows],
        }
    )
