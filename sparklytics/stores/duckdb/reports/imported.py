"""Imported daily aggregates (``with_imported=true``): the DuckDB SQL.

What is added and how: :mod:`sparklytics.queries.imported`. The tables are small
(one row per day, and per day and value) and read by ``website_id`` + ``day`` range,
so each fetch is one GROUP BY; the writes are in ``stores/metadata_sql/imported.py``.
"""

from __future__ import annotations

from sparklytics.queries.imported import ImportedTotals, ImportedValues
from sparklytics.queries.report_query import ReportQuery
from sparklytics.queries.rows import SeriesCounts
from sparklytics.stores.duckdb.sql import Cursor, fetch_all, fetch_one

_TOTALS_SQL = """
SELECT coalesce(sum(visitors), 0), coalesce(sum(pageviews), 0), coalesce(sum(visits), 0),
       coalesce(sum(bounces), 0), coalesce(sum(visit_duration), 0), count(*)
FROM imported_totals
WHERE website_id = $website_id AND day BETWEEN $start AND $end
"""

_SERIES_SQL = """
SELECT {bucket} AS bucket, sum(pageviews), sum(visitors)
FROM imported_totals
WHERE website_id = $website_id AND day BETWEEN $start AND $end
GROUP BY bucket
"""
_BUCKETS = {"day": "day", "month": "CAST(date_trunc('month', day) AS DATE)"}

_VALUES_SQL = """
SELECT value, sum(visitors), sum(pageviews), sum(events), sum(visits), sum(bounces), sum(visit_duration)
FROM imported_breakdowns
WHERE website_id = $website_id AND dimension = $dimension AND day BETWEEN $start AND $end {restrict}
GROUP BY value
"""


class DuckDBImportedRows:
    """The :class:`~sparklytics.queries.imported.ImportedRows` fetches on one cursor."""

    def __init__(self, cur: Cursor) -> None:
        self._cur = cur

    def imported_totals(self, q: ReportQuery) -> ImportedTotals:
        row = fetch_one(self._cur, _TOTALS_SQL, _days(q))
        return tuple(int(v) for v in row)  # type: ignore[return-value]

    def imported_series(self, q: ReportQuery, granularity: str) -> SeriesCounts:
        rows = fetch_all(self._cur, _SERIES_SQL.format(bucket=_BUCKETS[granularity]), _days(q))
        return {bucket: (int(pageviews), int(visitors)) for bucket, pageviews, visitors in rows}

    def imported_values(self, q: ReportQuery, dimension: str, values: list[str] | None = None) -> ImportedValues:
        params = {**_days(q), "dimension": dimension}
        restrict = ""
        if values is not None:
            restrict = "AND value IN (SELECT unnest($values))"
            params["values"] = values
        rows = fetch_all(self._cur, _VALUES_SQL.format(restrict=restrict), params)
        return {r[0]: tuple(int(v) for v in r[1:]) for r in rows}  # type: ignore[misc]


def _days(q: ReportQuery) -> dict:
    return {"website_id": q.website_id, "start": q.start, "end": q.end}
