"""Imported daily aggregates for the reports of cloud mode (``with_imported=true``):
the three :class:`~sparklytics.queries.imported.ImportedRows` fetches in PostgreSQL SQL.

Why the aggregates stay in PostgreSQL rather than move to ClickHouse: the merge with the
events' numbers is not a join but Python (:mod:`sparklytics.queries.imported`), so the
reports need only these three small reads (one row per day, and per day and value);
an import replaces a range of days in one transaction under the website's row lock
(``imported.py``), which ClickHouse, without transactions, could only do as a delete
mutation per shard followed by an insert, with readers seeing the gap; and the rows go
with their website (``ON DELETE CASCADE``) and with ``migrate --to cloud`` like the rest
of the metadata. The cost is one PostgreSQL round trip per fetch, only when a report
asks ``with_imported=true``.

The SQL mirrors DuckDB's (``stores/duckdb/reports/imported.py``), so both backends add
the same numbers (``tests/stores/test_imported.py`` runs on both).
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sparklytics.queries.imported import ImportedTotals, ImportedValues
from sparklytics.queries.report_query import ReportQuery
from sparklytics.queries.rows import SeriesCounts

from .database import PostgresDatabase

_TOTALS_SQL = """
SELECT coalesce(sum(visitors), 0), coalesce(sum(pageviews), 0), coalesce(sum(visits), 0),
       coalesce(sum(bounces), 0), coalesce(sum(visit_duration), 0), count(*)
FROM imported_totals
WHERE website_id = %(website_id)s AND day BETWEEN %(start)s AND %(end)s
"""

_SERIES_SQL = """
SELECT {bucket} AS bucket, sum(pageviews), sum(visitors)
FROM imported_totals
WHERE website_id = %(website_id)s AND day BETWEEN %(start)s AND %(end)s
GROUP BY bucket
"""
_BUCKETS = {"day": "day", "month": "date_trunc('month', day)::date"}

_VALUES_SQL = """
SELECT value, sum(visitors), sum(pageviews), sum(events), sum(visits), sum(bounces), sum(visit_duration)
FROM imported_breakdowns
WHERE website_id = %(website_id)s AND dimension = %(dimension)s AND day BETWEEN %(start)s AND %(end)s {restrict}
GROUP BY value
"""


class PostgresImportedRows:
    """The imported-rows fetches, each one transaction on the metadata database."""

    def __init__(self, db: PostgresDatabase) -> None:
        self._db = db

    async def imported_totals(self, q: ReportQuery) -> ImportedTotals:
        row = await self._db.run(lambda conn: conn.execute(_TOTALS_SQL, _days(q)).fetchone())
        return tuple(int(v) for v in row)  # type: ignore[return-value]

    async def imported_series(self, q: ReportQuery, granularity: str) -> SeriesCounts:
        sql = _SERIES_SQL.format(bucket=_BUCKETS[granularity])
        rows = await self._db.run(lambda conn: conn.execute(sql, _days(q)).fetchall())
        return {bucket: (int(pageviews), int(visitors)) for bucket, pageviews, visitors in rows}

    async def imported_values(self, q: ReportQuery, dimension: str, values: list[str] | None = None) -> ImportedValues:
        params: dict[str, Any] = {**_days(q), "dimension": dimension}
        restrict = ""
        if values is not None:
            restrict = "AND value = ANY(%(values)s)"
            params["values"] = values
        sql = _VALUES_SQL.format(restrict=restrict)
        rows = await self._db.run(lambda conn: conn.execute(sql, params).fetchall())
        return {r[0]: tuple(int(v) for v in r[1:]) for r in rows}  # type: ignore[misc]


def _days(q: ReportQuery) -> dict[str, str | date]:
    return {"website_id": q.website_id, "start": q.start, "end": q.end}
