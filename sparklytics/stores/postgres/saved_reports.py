"""SQL for the ``saved_reports`` table (API.md §1.13).

Creates and renames lock the website's row first (``sql.lock_live_website``), so the
100-report limit and the unique name (exact comparison) hold with several nodes
writing. Deleting a report deletes its subscriptions (``ON DELETE CASCADE``) and their
deliveries in one transaction.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

import psycopg

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

from .sql import lock_live_website

_COLUMNS = (
    "id, website_id, name, description, config_json, last_run_at::text, created_at::text, updated_at::text"
)


def _report(row: tuple) -> SavedReport:
    id_, website_id, name, description, config_json, last_run_at, created_at, updated_at = row
    return SavedReport(id_, website_id, name, description, load_config(config_json), last_run_at, created_at, updated_at)


def list_reports(conn: psycopg.Connection, website_id: str) -> list[SavedReport]:
    """Ordered by lower(name), then name and id (byte order, as DuckDB sorts)."""
    rows = conn.execute(
        f'SELECT {_COLUMNS} FROM saved_reports WHERE website_id = %s ORDER BY lower(name) COLLATE "C", name COLLATE "C", id',
        [website_id],
    ).fetchall()
    return [_report(row) for row in rows]


def get_report(conn: psycopg.Connection, website_id: str, report_id: str) -> SavedReport | None:
    row = conn.execute(
        f"SELECT {_COLUMNS} FROM saved_reports WHERE website_id = %s AND id = %s", [website_id, report_id]
    ).fetchone()
    return None if row is None else _report(row)


def create_report(
    conn: psycopg.Connection, website_id: str, name: str, description: str | None, config: Mapping[str, Any]
) -> SavedReport | None:
    """Insert a checked report; None if the website does not exist.

    Raises:
        ReportLimitReached: the website has 100 reports already.
        DuplicateReportName: the website has a report of that name.
    """
    report_id = random_id("report_", 21)
    now = utc_now()
    if lock_live_website(conn, website_id) is None:
        return None
    (count,) = conn.execute("SELECT count(*) FROM saved_reports WHERE website_id = %s", [website_id]).fetchone()
    if count >= MAX_REPORTS_PER_WEBSITE:
        raise ReportLimitReached(website_id)
    _check_name_free(conn, website_id, report_id, name)
    conn.execute(
        "INSERT INTO saved_reports (id, website_id, name, description, config_json, created_at, updated_at)"
        " VALUES (%s, %s, %s, %s, %s, %s, %s)",
        [report_id, website_id, name, description, dump_config(config), now, now],
    )
    return get_report(conn, website_id, report_id)


def update_report(
    conn: psycopg.Connection, website_id: str, report_id: str, changes: Mapping[str, Any]
) -> SavedReport | None:
    """Apply checked ``changes`` (``name``, ``description``, ``config``); None if absent.

    Raises:
        DuplicateReportName: another report of the website has the new name.
    """
    if lock_live_website(conn, website_id) is None:
        return None
    current = get_report(conn, website_id, report_id)
    if current is None:
        return None
    name = changes.get("name", current.name)
    if name != current.name:
        _check_name_free(conn, website_id, report_id, name)
    conn.execute(
        "UPDATE saved_reports SET name = %s, description = %s, config_json = %s, updated_at = %s WHERE id = %s",
        [
            name,
            changes["description"] if "description" in changes else current.description,
            dump_config(changes.get("config", current.config)),
            utc_now(),
            report_id,
        ],
    )
    return get_report(conn, website_id, report_id)


def mark_run(conn: psycopg.Connection, website_id: str, report_id: str, at: datetime) -> None:
    conn.execute("UPDATE saved_reports SET last_run_at = %s WHERE website_id = %s AND id = %s", [at, website_id, report_id])


def delete_report(conn: psycopg.Connection, website_id: str, report_id: str) -> bool:
    """Delete the report with its subscriptions and their deliveries; False if absent."""
    conn.execute(
        "DELETE FROM notification_deliveries WHERE source_type = 'subscription' AND source_id IN"
        " (SELECT s.id FROM report_subscriptions s JOIN saved_reports r ON r.id = s.report_id"
        "  WHERE r.website_id = %s AND r.id = %s)",
        [website_id, report_id],
    )
    return conn.execute("DELETE FROM saved_reports WHERE website_id = %s AND id = %s", [website_id, report_id]).rowcount > 0


def _check_name_free(conn: psycopg.Connection, website_id: str, report_id: str, name: str) -> None:
    taken = conn.execute(
        "SELECT 1 FROM saved_reports WHERE website_id = %s AND name = %s AND id <> %s", [website_id, name, report_id]
    ).fetchone()
    if taken:
        raise DuplicateReportName(name)
