"""Imported daily aggregates (``imported_totals``, ``imported_breakdowns``) and the
digests of imported event exports (``imported_exports``).

An import replaces the website's rows of the export's days in one transaction (under
the website's row lock, so two nodes importing at once cannot both append); the rows go
in with ``COPY``. Row layouts: ``sparklytics.stores.duckdb.imported``.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime

import psycopg

from sparklytics.stores.duckdb.imported import BREAKDOWN_COLUMNS, TOTALS_COLUMNS

from .sql import lock_live_website


def replace_imported_stats(
    conn: psycopg.Connection,
    website_id: str,
    first_day: date,
    last_day: date,
    totals: Sequence[tuple],
    breakdowns: Sequence[tuple],
) -> None:
    """Replace the website's imported rows from ``first_day`` to ``last_day`` (inclusive)."""
    lock_live_website(conn, website_id)
    days = [website_id, first_day, last_day]
    conn.execute("DELETE FROM imported_totals WHERE website_id = %s AND day BETWEEN %s AND %s", days)
    conn.execute("DELETE FROM imported_breakdowns WHERE website_id = %s AND day BETWEEN %s AND %s", days)
    with conn.cursor() as cur:
        for table, columns, rows in (
            ("imported_totals", TOTALS_COLUMNS, totals),
            ("imported_breakdowns", BREAKDOWN_COLUMNS, breakdowns),
        ):
            with cur.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row((website_id, *row))


def imported_export_at(conn: psycopg.Connection, website_id: str, digest: str) -> datetime | None:
    """When the export of ``digest`` was imported into the website, or None."""
    row = conn.execute(
        "SELECT imported_at FROM imported_exports WHERE website_id = %s AND digest = %s", [website_id, digest]
    ).fetchone()
    return row[0] if row else None


def record_imported_export(conn: psycopg.Connection, website_id: str, digest: str, format: str, events: int) -> None:
    conn.execute(
        "INSERT INTO imported_exports (website_id, digest, format, events) VALUES (%s, %s, %s, %s)"
        " ON CONFLICT (website_id, digest) DO UPDATE SET format = excluded.format, events = excluded.events,"
        " imported_at = excluded.imported_at",
        [website_id, digest, format, events],
    )
