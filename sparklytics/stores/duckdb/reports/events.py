"""Custom events (``/events``, ``/events/properties``): the DuckDB SQL.

What the report counts and how it is shaped: :mod:`sparklytics.queries.events`.

Speed: each statement is one scan of the matching rows; the properties expansion runs
only over the ≤ 10 000 sampled rows (``json_each`` in SQL, no Python per row).
"""

from __future__ import annotations

from sparklytics.queries.events import EVENTS_LIMIT, PROPERTIES_LIMIT, SAMPLE_LIMIT, shape_event_rows
from sparklytics.queries.report_query import ReportQuery, previous_period_query
from sparklytics.queries.result import ReportResult
from sparklytics.stores.duckdb.sql import Cursor, fetch_all, fetch_one
from sparklytics.stores.duckdb.where import compile_where

_CUSTOM = "e.event_type = 'event' AND e.event_name IS NOT NULL"

_LIST_SQL = f"""
SELECT e.event_name, count(*) AS n, count(DISTINCT e.visitor_id) AS visitors,
       count(*) OVER () AS total
FROM events e
WHERE {{where}} AND {_CUSTOM}
GROUP BY e.event_name
ORDER BY n DESC, e.event_name ASC
LIMIT {EVENTS_LIMIT}
"""

_PREV_SQL = f"""
SELECT e.event_name, count(*)
FROM events e
WHERE {{where}} AND {_CUSTOM} AND e.event_name IN (SELECT unnest($names))
GROUP BY e.event_name
"""

_OCCURRENCES = """
SELECT e.id, e.event_data, e.created_at
FROM events e
WHERE {where} AND e.event_type = 'event' AND e.event_name = $event_name
"""

_COUNT_SQL = "SELECT count(*) FROM (" + _OCCURRENCES + ")"

_PROPERTIES_SQL = f"""
WITH sample AS (
    SELECT event_data FROM ({_OCCURRENCES}) o
    ORDER BY created_at DESC, id DESC
    LIMIT {SAMPLE_LIMIT}
),
objects AS (
    SELECT CAST(event_data AS JSON) AS j
    FROM sample
    WHERE json_valid(event_data) AND json_type(event_data) = 'OBJECT'
),
pairs AS (
    SELECT p.key AS property_key, json_extract_string(p.value, '$') AS property_value
    FROM objects, json_each(objects.j) p
)
SELECT property_key, property_value, count(*) AS n
FROM pairs
WHERE property_value IS NOT NULL
GROUP BY property_key, property_value
ORDER BY property_key ASC, n DESC, property_value ASC
LIMIT {PROPERTIES_LIMIT}
"""


def events_list(cur: Cursor, q: ReportQuery) -> ReportResult:
    """``GET /events``: custom event names with counts and the previous period's count."""
    where, params = compile_where(q, "e")
    rows = fetch_all(cur, _LIST_SQL.format(where=where), params)
    names = [r[0] for r in rows]
    previous: dict[str, int] = {}
    if names:
        p_where, p_params = compile_where(previous_period_query(q), "e")
        previous = {
            r[0]: int(r[1])
            for r in fetch_all(cur, _PREV_SQL.format(where=p_where), {**p_params, "names": names})
        }
    return ReportResult({"rows": shape_event_rows(rows, previous), "total": int(rows[0][3]) if rows else 0})


def event_properties(cur: Cursor, q: ReportQuery) -> ReportResult:
    """``GET /events/properties``: top-level ``event_data`` keys/values of ``q.event_name``."""
    assert q.event_name is not None, "parse with route='event_properties'"
    where, params = compile_where(q, "e")
    params["event_name"] = q.event_name
    total = int(fetch_one(cur, _COUNT_SQL.format(where=where), params)[0])
    rows = fetch_all(cur, _PROPERTIES_SQL.format(where=where), params) if total else []
    return ReportResult(
        {
            "event_name": q.event_name,
            "total_occurrences": total,
            "sample_size": min(total, SAMPLE_LIMIT),
            "properties": [
                {"property_key": k, "property_value": v, "count": int(n)} for k, v, n in rows
            ],
        }
    )
