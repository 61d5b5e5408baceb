"""SQL for the ``saved_reports`` table (API.md §1.13), for both metadata backends.

Creates and updates check the live website first (:meth:`MetadataDb.live_website_domain`,
which on PostgreSQL locks its row), so the 100-report limit and the unique name are
checked in the transaction that writes, with any number of writers. Names are unique by
exact comparison (the DuckDB schema keeps no UNIQUE index on a parent table's updated
column: ``stores/duckdb/schema.py`` says why), and the list is ordered by
``lower(name)``, byte by byte on both engines.

Deleting a report deletes its subscriptions and their deliveries first, then the report,
in two writes: DuckDB refuses to delete a parent row in the transaction that deleted its
children (on PostgreSQL both writes are one transaction). A crash between the two leaves
a report without subscriptions, a state the user could have made by hand; the next
``DELETE`` finishes it.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sparklytics.clock import utc_now
from sparklytics.enrich import random_id
from sparklytics.saved_reports import (
    MAX_REPORTS_PER_WEBSITE,
    DuplicateReportName,
    ReportLimitReached,
    SavedReport,
    dump_config,
    load_config,
)
from sparklytics.stores.metadata_sql.db import MetadataDb

_COLUMNS = (
    "id, website_id, name, description, config_json, CAST(last_run_at AS VARCHAR),"
    " CAST(created_at AS VARCHAR), CAST(updated_at AS VARCHAR)"
)


def _report(row: tuple) -> SavedReport:
    id_, website_id, name, description, config_json, last_run_at, created_at, updated_at = row
    return SavedReport(id_, website_id, name, description, load_config(config_json), last_run_at, created_at, updated_at)


def list_reports(db: MetadataDb, website_id: str) -> list[SavedReport]:
    order = f"{db.bytewise('lower(name)')}, {db.bytewise('name')}, id"
    rows = db.all(f"SELECT {_COLUMNS} FROM saved_reports WHERE website_id = ? ORDER BY {order}", [website_id])
    return [_report(row) for row in rows]


def get_report(db: MetadataDb, website_id: str, report_id: str) -> SavedReport | None:
    row = db.one(f"SELECT {_COLUMNS} FROM saved_reports WHERE website_id = ? AND id = ?", [website_id, report_id])
    return None if row is None else _report(row)


def create_report(
    db: MetadataDb, website_id: str, name: str, description: str | None, config: Mapping[str, Any]
) -> SavedReport | None:
    """Insert a checked report; None if the website does not exist.

    Raises:
        ReportLimitReached: the website has 100 reports already.
        DuplicateReportName: the website has a report of that name.
    """
    report_id = random_id("report_", 21)
    now = utc_now()
    with db.write():
        if db.live_website_domain(website_id) is None:
            return None
        (count,) = db.one("SELECT count(*) FROM saved_reports WHERE website_id = ?", [website_id])
        if count >= MAX_REPORTS_PER_WEBSITE:
            raise ReportLimitReached(website_id)
        _check_name_free(db, website_id, report_id, name)
        db.run(
            "INSERT INTO saved_reports (id, website_id, name, description, config_json, created_at, updated_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?)",
            [report_id, website_id, name, description, dump_config(config), now, now],
        )
        return get_report(db, website_id, report_id)


def update_report(db: MetadataDb, website_id: str, report_id: str, changes: Mapping[str, Any]) -> SavedReport | None:
    """Apply checked ``changes`` (``name``, ``description``, ``config``); None if absent.

    Raises:
        DuplicateReportName: another report of the website has the new name.
    """
    with db.write():
        if db.live_website_domain(website_id) is None:
            return None
        current = get_report(db, website_id, report_id)
        if current is None:
            return None
        name = changes.get("name", current.name)
        if name != current.name:
            _check_name_free(db, website_id, report_id, name)
        db.run(
            "UPDATE saved_reports SET name = ?, description = ?, config_json = ?, updated_at = ? WHERE id = ?",
            [
                name,
                changes["description"] if "description" in changes else current.description,
                dump_config(changes.get("config", current.config)),
                utc_now(),
                report_id,
            ],
        )
        return get_report(db, website_id, report_id)


def mark_run(db: MetadataDb, website_id: str, report_id: str, at: datetime) -> None:
    with db.write():
        db.run("UPDATE saved_reports SET last_run_at = ? WHERE website_id = ? AND id = ?", [at, website_id, report_id])


def delete_report(db: MetadataDb, website_id: str, report_id: str) -> bool:
    """Delete the report with its subscriptions and their deliveries; False if absent."""
    with db.write():
        if get_report(db, website_id, report_id) is None:
            return False
        db.run(
            "DELETE FROM notification_deliveries WHERE source_type = 'subscription' AND source_id IN"
            " (SELECT id FROM report_subscriptions WHERE report_id = ?)",
            [report_id],
        )
        db.run("DELETE FROM report_subscriptions WHERE report_id = ?", [report_id])
    with db.write():
        found = db.all("DELETE FROM saved_reports WHERE website_id = ? AND id = ? RETURNING id", [website_id, report_id])
    return bool(found)


def _check_name_free(db: MetadataDb, website_id: str, report_id: str, name: str) -> None:
    taken = db.one(
        "SELECT 1 FROM saved_reports WHERE website_id = ? AND name = ? AND id <> ?", [website_id, name, report_id]
    )
    if taken is not None:
        raise DuplicateReportName(name)
