"""SQL for ``settings`` (salts, install id) and the website facts the ingest path needs."""

from __future__ import annotations

from datetime import datetime, timedelta

import psycopg

from sparklytics.enrich.ids import new_salt
from sparklytics.stores.metadata import SALT_GRACE, Salts, WebsiteIngestInfo

from sparklytics.stores.metadata_sql import bots

from .sql import SALTS_LOCK, PostgresMetadataDb, lock


def get_setting(conn: psycopg.Connection, key: str) -> str | None:
    row = conn.execute("SELECT value FROM settings WHERE key = %s", [key]).fetchone()
    return row[0] if row else None


def set_settings(conn: psycopg.Connection, values: dict[str, str | None]) -> None:
    """Upsert the given keys; a None value deletes the key."""
    for key, value in values.items():
        if value is None:
            conn.execute("DELETE FROM settings WHERE key = %s", [key])
        else:
            conn.execute(
                "INSERT INTO settings (key, value) VALUES (%s, %s) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                [key, value],
            )


def seed_settings(conn: psycopg.Connection, *, install_id: str, version: str) -> None:
    """Insert-or-ignore the settings every install has."""
    for key, value in (("install_id", install_id), ("version", version)):
        conn.execute("INSERT INTO settings (key, value) VALUES (%s, %s) ON CONFLICT DO NOTHING", [key, value])


def rotate_salts(conn: psycopg.Connection, now: datetime) -> Salts:
    """Bring the salts up to date for ``now`` (naive UTC) and return them.

    Every node calls this around midnight: the advisory lock makes the first one make
    the day's salt and the others read it, so all nodes hash visitors alike."""
    lock(conn, SALTS_LOCK)
    today = now.date()
    current = get_setting(conn, "daily_salt")
    current_day = get_setting(conn, "daily_salt_date")
    previous = get_setting(conn, "previous_salt")
    previous_until_text = get_setting(conn, "previous_salt_until")
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
        conn,
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
WHERE w.id = %s AND w.deleted_at IS NULL
"""


def website_ingest_info(conn: psycopg.Connection, website_id: str) -> WebsiteIngestInfo | None:
    row = conn.execute(_WEBSITE_INGEST_INFO, [website_id]).fetchone()
    if row is None:
        return None
    allow, block = bots.rules(PostgresMetadataDb(conn), website_id)
    return WebsiteIngestInfo(*row, allow=allow, block=block)
