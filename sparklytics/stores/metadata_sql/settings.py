"""SQL for ``settings`` (salts, install id) and the website facts the ingest path needs,
for both metadata backends."""

from __future__ import annotations

from datetime import datetime, timedelta

from sparklytics.enrich.ids import new_salt
from sparklytics.stores.metadata import SALT_GRACE, Salts, WebsiteIngestInfo
from sparklytics.stores.metadata_sql import bots
from sparklytics.stores.metadata_sql.db import MetadataDb


def get_setting(db: MetadataDb, key: str) -> str | None:
    row = db.one("SELECT value FROM settings WHERE key = ?", [key])
    return None if row is None else row[0]


def set_settings(db: MetadataDb, values: dict[str, str | None]) -> None:
    """Upsert the given keys; a None value deletes the key."""
    for key, value in values.items():
        if value is None:
            db.run("DELETE FROM settings WHERE key = ?", [key])
        else:
            db.run(
                "INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                [key, value],
            )


def seed_settings(db: MetadataDb, *, install_id: str, version: str) -> None:
    """Insert-or-ignore the settings every install has."""
    with db.write():
        for key, value in (("install_id", install_id), ("version", version)):
            db.run("INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT DO NOTHING", [key, value])


def rotate_salts(db: MetadataDb, now: datetime) -> Salts:
    """Bring the salts up to date for ``now`` (naive UTC) and return them.

    On a new UTC day the current salt becomes ``previous`` (only if it was yesterday's)
    and a fresh random salt is made; an expired previous salt is deleted. Every node
    calls this around midnight: :meth:`MetadataDb.exclusive` makes the first one make the
    day's salt and the others read it, so all nodes hash visitors alike.
    """
    today = now.date()
    with db.write():
        db.exclusive("salts")
        current = get_setting(db, "daily_salt")
        current_day = get_setting(db, "daily_salt_date")
        previous = get_setting(db, "previous_salt")
        previous_until_text = get_setting(db, "previous_salt_until")
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
            db,
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


def website_ingest_info(db: MetadataDb, website_id: str) -> WebsiteIngestInfo | None:
    row = db.one(_WEBSITE_INGEST_INFO, [website_id])
    if row is None:
        return None
    allow, block = bots.rules(db, website_id)
    return WebsiteIngestInfo(*row, allow=allow, block=block)
