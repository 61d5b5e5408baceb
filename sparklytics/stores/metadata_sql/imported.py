"""Imported daily aggregates (``imported_totals``, ``imported_breakdowns``): the writes,
for both metadata backends; and the digests of imported event exports
(``imported_exports``).

An import replaces: the website's imported rows of the export's days are deleted and
the new ones appended in one transaction (after the live-website check, which on
PostgreSQL locks the website's row, so two nodes importing at once cannot both append),
so importing the same export twice leaves one copy, and a reader sees the old rows or
the new ones, never both or neither. The rows go in through each engine's bulk path
(:meth:`MetadataDb.bulk_insert`: DuckDB's appender — ``executemany`` would insert ~1 000
rows/s — or PostgreSQL's ``COPY``). The reads are in ``stores/duckdb/reports/imported.py``
and ``stores/postgres/imported_reports.py``.

Imported event exports are remembered by digest, so the same file is not imported into a
website twice, with the progress of an import still running or stopped part way (so a
second run resumes it instead of doubling what landed).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from sparklytics.stores.metadata import ImportedExport, ImportProgress
from sparklytics.stores.metadata_sql.db import MetadataDb

TOTALS_COLUMNS = ("website_id", "day", "visitors", "pageviews", "visits", "bounces", "visit_duration")
BREAKDOWN_COLUMNS = (
    "website_id", "dimension", "day", "value", "visitors", "pageviews", "events", "visits", "bounces", "visit_duration",
)


def replace_imported_stats(
    db: MetadataDb,
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
    days = [website_id, first_day, last_day]
    with db.write():
        db.live_website_domain(website_id)
        db.run("DELETE FROM imported_totals WHERE website_id = ? AND day BETWEEN ? AND ?", days)
        db.run("DELETE FROM imported_breakdowns WHERE website_id = ? AND day BETWEEN ? AND ?", days)
        for table, columns, rows in (
            ("imported_totals", TOTALS_COLUMNS, totals),
            ("imported_breakdowns", BREAKDOWN_COLUMNS, breakdowns),
        ):
            if rows:
                db.bulk_insert(table, columns, [(website_id, *row) for row in rows])


def imported_export(db: MetadataDb, website_id: str, digest: str) -> ImportedExport | None:
    row = db.one(
        "SELECT imported_at, finished, events, rows_done, rows_sending, visitor_salt FROM imported_exports"
        " WHERE website_id = ? AND digest = ?",
        [website_id, digest],
    )
    if row is None:
        return None
    return ImportedExport(row[0], bool(row[1]), int(row[2]), int(row[3]), int(row[4]), row[5])


def record_import_progress(db: MetadataDb, website_id: str, digest: str, format: str, progress: ImportProgress) -> None:
    _upsert(db, [website_id, digest, format, progress.events, progress.rows_done, progress.rows_sending, False,
                 progress.visitor_salt])


def record_imported_export(db: MetadataDb, website_id: str, digest: str, format: str, events: int, rows: int) -> None:
    """The import is whole: its salt is erased (:class:`ImportedExport` says why)."""
    _upsert(db, [website_id, digest, format, events, rows, rows, True, None])


def _upsert(db: MetadataDb, values: list) -> None:
    db.run(
        "INSERT INTO imported_exports"
        " (website_id, digest, format, events, rows_done, rows_sending, finished, visitor_salt)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
        " ON CONFLICT (website_id, digest) DO UPDATE SET format = excluded.format, events = excluded.events,"
        " rows_done = excluded.rows_done, rows_sending = excluded.rows_sending, finished = excluded.finished,"
        " visitor_salt = excluded.visitor_salt, imported_at = excluded.imported_at",
        values,
    )
