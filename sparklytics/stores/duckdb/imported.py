"""Imported daily aggregates (``imported_totals``, ``imported_breakdowns``): the writes.

An import replaces: the website's imported rows of the export's days are deleted and
the new ones appended in one transaction, so importing the same export twice leaves
one copy, and a reader sees the old rows or the new ones, never both or neither. The
rows go in through DuckDB's appender (``executemany`` would insert ~1 000 rows/s).
The reads are in ``reports/imported.py``.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

import duckdb

from sparklytics.stores.duckdb.schema import transaction

TOTALS_COLUMNS = ("website_id", "day", "visitors", "pageviews", "visits", "bounces", "visit_duration")
BREAKDOWN_COLUMNS = (
    "website_id", "dimension", "day", "value", "visitors", "pageviews", "events", "visits", "bounces", "visit_duration",
)


def replace_imported_stats(
    con: duckdb.DuckDBPyConnection,
    website_id: str,
    first_day: date,
    last_day: date,
    totals: Sequence[tuple],
    breakdowns: Sequence[tuple],
) -> None:
    """Replace the website's imported rows from ``first_day`` to ``last_day`` (inclusive).

    ``totals`` rows: ``(day, visitors, pageviews, visits, bounces, visit_duration)``;
    ``breakdowns`` rows: ``(dimension, day, value, visitors, pageviews, events, visits,
    bounces, visit_duration)``.
    """
    days = {"id": website_id, "first": first_day, "last": last_day}
    with transaction(con):
        con.execute("DELETE FROM imported_totals WHERE website_id = $id AND day BETWEEN $first AND $last", days)
        con.execute("DELETE FROM imported_breakdowns WHERE website_id = $id AND day BETWEEN $first AND $last", days)
        for table, columns, rows in (
            ("imported_totals", TOTALS_COLUMNS, totals),
            ("imported_breakdowns", BREAKDOWN_COLUMNS, breakdowns),
        ):
            if rows:
                appender = con.appender(table, columns=list(columns))
                appender.append_rows([(website_id, *row) for row in rows])
                appender.flush()
