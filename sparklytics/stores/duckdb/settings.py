"""SQL for ``settings`` (salts, install id) and the website facts the ingest path needs.

Reads run on a reader cursor (``Database.read``); writes are handed to the Writer
(``RunWrite``) by the caller.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import duckdb

from sparklytics.enrich.ids import new_salt
from sparklytics.stores.duckdb.metadata_db import DuckDBMetadataDb
from sparklytics.stores.metadata_sql import bots
from sparklytics.stores.duckdb.schema import transaction
from sparklytics.stores.metadata import SALT_GRACE, Salts, WebsiteIngestInfo

def get_setting(con: duckdb.DuckDBPyConnection, key: str) -> str | None:
    row = con.execute("SELECT value FROM settings WHERE key = ?", [key]).fetchone()
    return row[0] if row else None


def set_settings(con: duckdb.DuckDBPyConnection, values: dict[str, str | None]) -> None:
    """Upsert the given keys; a None value deletes the key."""
    for key, value in values.items():
        if value is None:
            con.execute("DELETE FROM settings WHERE key = ?", [key])
        else:
            con.execute(
                "INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                [key, value],
            )


def seed_settings(con: duckdb.DuckDBPyConnection, *, install_id: str, version: str) -> None:
    """Insert-or-ignore the settings every install has."""
    with transaction(con):
        for key, value in (("install_id", install_id), ("version", version)):
            con.execute("INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT DO NOTHING", [key, value])


def rotate_salts(con: duckdb.DuckDBPyConnection, now: datetime) -> Salts:
    """Bring the salts up to date for ``now`` (naive UTC) and return them.

    On a new UTC day the current salt becomes ``previous`` (only if it was yesterday's)
    and a fresh random salt is made; an expired previous salt is deleted.
    """
    today = now.date()
    with transaction(con):
        current = get_setting(con, "daily_salt")
        current_day = get_setting(con, "daily_salt_date")
        previous = get_setting(con, "previous_salt")
        previous_until_text = get_setting(con, "previous_salt_until")
        previous_until = datetime.fromisoformat(previous_until_text) if previous_until_text else None
        if current is None or current_day != today.isoformat():
            was_yesterday = current_day == (today - timedelta(days=1)).isoformat()
            midnight = datetime(today.year, today.month, today.day)
            previous = current if current is not None and was_yesterday else None
            previous_until = midnight + SALT_GRACE if previous else None
            current = new_salt()
        if previous_until is not None and now >= previous_until:
            previous, previous_until = None, None
        set_settings(
            con,
            {
                "daily_salt": current,
                "daily_salt_date": today.isoformat(),
                "previous_salt": previous,
                "previous_salt_until": previous_until.isoformat() if previous_until else None,
            },
        )
    return Salts(current, today, previous, previous_until)


_WEBSITE_INGEST_INFO = """
SELECT w.id, w.timezone, w.ingest_peak_eps, w.ingest_queue_max_events,
       coalesce(p.mode, 'balanced'), coalesce(p.threshold_score, 70)
FROM websites w LEFT JOIN bot_policies p ON p.website_id = w.id
WHERE w.id = ? AND w.deleted_at IS NULL
"""


def website_ingest_info(con: duckdb.DuckDBPyConnection, website_id: str) -> WebsiteIngestInfo | None:
    row = con.execute(_WEBSITE_INGEST_INFO, [website_id]).fetchone()
    if row is None:
        return None
    allow, block = bots.rules(DuckDBMetadataDb(con), website_id)
    return WebsiteIngestInfo(*row, allow=allow, block=block)
