"""Imported daily aggregates (``imported_totals``, ``imported_breakdowns``): the writes.

An import replaces: the website's imported rows of the export's days are deleted and
the new ones appended in one transaction, so importing the same export twice leaves
one copy, and a reader sees the old rows or the new ones, never both or neither. The
rows go in through DuckDB's appender (``executemany`` would insert ~1 000 rows/s).
The reads are in ``reports/imported.py``.

Imported event exports are remembered by digest (``imported_exports``), so the same
file is not imported into a website twice.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime

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


def imported_export_at(cur: duckdb.DuckDBPyConnection, website_id: str, digest: str) -> datetime | None:
    """When the export of ``digest`` was imported into the website, or None."""
    row = cur.execute(
        "SELECT imported_at FROM imported_exports WHERE website_id = $id AND digest = $digest",
        {"id": website_id, "digest": digest},
    ).fetchone()
    return row[0] if row else None


def record_imported_export(con: duckdb.DuckDBPyConnection, website_id: str, digest: str, format: str, events: int) -> None:
    con.execute(
        "INSERT OR REPLACE INTO imported_exports (website_id, digest, format, events) VALUES ($id, $digest, $format, $events)",
        {"id": website_id, "digest": digest, "format": format, "events": events},
    )
