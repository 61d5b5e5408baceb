"""SQL for the bot controls (API.md §1.12): ``bot_policies``, ``bot_allowlist``,
``bot_blocklist``, ``bot_policy_audit`` and ``bot_recompute_runs``.

Every change writes its audit row in the same transaction, after locking the website's
row (``sql.lock_live_website``), so the duplicate check of an entry and the one
recompute at a time per website hold with several nodes writing.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

import psycopg

from sparklytics.bot_controls import DEFAULT_MODE, DEFAULT_THRESHOLD, DuplicateEntry, NewEntry, PageCursor, RecomputeRunning
from sparklytics.clock import utc_now
from sparklytics.enrich import random_id
from sparklytics.enrich.bots import BotRule

from .sql import dict_rows, lock_live_website

ACTOR = "selfhosted"
_TABLES = {"allowlist": "bot_allowlist", "blocklist": "bot_blocklist"}
_ID_PREFIX = {"allowlist": "allow_", "blocklist": "block_"}
_ACTION = {"allowlist": "allow", "blocklist": "block"}
_ENTRY_COLUMNS = "id, match_type, match_value, note, created_at::text AS created_at"
_AFTER = "AND (created_at < %(at)s::timestamp OR (created_at = %(at)s::timestamp AND id < %(id)s))"


def get_policy(conn: psycopg.Connection, website_id: str) -> dict[str, Any] | None:
    """The stored policy, the default (balanced / 70) when none is; None without website."""
    if conn.execute("SELECT 1 FROM websites WHERE id = %s AND deleted_at IS NULL", [website_id]).fetchone() is None:
        return None
    row = conn.execute(
        "SELECT mode, threshold_score, updated_at::text FROM bot_policies WHERE website_id = %s", [website_id]
    ).fetchone()
    mode, threshold, updated_at = row if row else (DEFAULT_MODE, DEFAULT_THRESHOLD, None)
    return {"website_id": website_id, "mode": mode, "threshold_score": threshold, "updated_at": updated_at}


def set_policy(conn: psycopg.Connection, website_id: str, mode: str, threshold_score: int) -> dict[str, Any] | None:
    if lock_live_website(conn, website_id) is None:
        return None
    conn.execute(
        "INSERT INTO bot_policies (website_id, mode, threshold_score, updated_at) VALUES (%s, %s, %s, %s)"
        " ON CONFLICT (website_id) DO UPDATE SET mode = excluded.mode,"
        " threshold_score = excluded.threshold_score, updated_at = excluded.updated_at",
        [website_id, mode, threshold_score, utc_now()],
    )
    _audit(conn, website_id, "policy_update", {"mode": mode, "threshold_score": threshold_score})
    return get_policy(conn, website_id)


def list_entries(
    conn: psycopg.Connection, website_id: str, kind: str, *, after: PageCursor | None, limit: int
) -> tuple[list[dict[str, Any]], PageCursor | None]:
    """One page of a list, newest first, and the cursor of the next page (or None)."""
    rows = dict_rows(
        conn.execute(
            f"SELECT {_ENTRY_COLUMNS} FROM {_TABLES[kind]} WHERE website_id = %(website_id)s"
            f" {_AFTER if after else ''} ORDER BY created_at DESC, id DESC LIMIT %(limit)s",
            {"website_id": website_id, "limit": limit + 1, **_cursor_params(after)},
        )
    )
    return _page(rows, limit)


def add_entry(conn: psycopg.Connection, website_id: str, kind: str, entry: NewEntry) -> dict[str, Any] | None:
    """Add ``entry``; None without website. Raises :class:`DuplicateEntry`."""
    entry_id = random_id(_ID_PREFIX[kind], 16)
    table = _TABLES[kind]
    if lock_live_website(conn, website_id) is None:
        return None
    taken = conn.execute(
        f"SELECT 1 FROM {table} WHERE website_id = %s AND match_type = %s AND match_value = %s",
        [website_id, entry.match_type, entry.match_value],
    ).fetchone()
    if taken:
        raise DuplicateEntry(entry.match_value)
    conn.execute(
        f"INSERT INTO {table} (id, website_id, match_type, match_value, note, created_at) VALUES (%s, %s, %s, %s, %s, %s)",
        [entry_id, website_id, entry.match_type, entry.match_value, entry.note, utc_now()],
    )
    _audit(conn, website_id, f"{_ACTION[kind]}_add",
           {"id": entry_id, "match_type": entry.match_type, "match_value": entry.match_value, "note": entry.note})
    return dict_rows(conn.execute(f"SELECT {_ENTRY_COLUMNS} FROM {table} WHERE id = %s", [entry_id]))[0]


def remove_entry(conn: psycopg.Connection, website_id: str, kind: str, entry_id: str) -> bool:
    removed = conn.execute(
        f"DELETE FROM {_TABLES[kind]} WHERE website_id = %s AND id = %s RETURNING match_type, match_value",
        [website_id, entry_id],
    ).fetchone()
    if removed is None:
        return False
    match_type, match_value = removed
    _audit(conn, website_id, f"{_ACTION[kind]}_remove", {"id": entry_id, "match_type": match_type, "match_value": match_value})
    return True


def rules(conn: psycopg.Connection, website_id: str) -> tuple[tuple[BotRule, ...], tuple[BotRule, ...]]:
    """The (allow, block) rules the Enricher applies at ingest."""
    return tuple(
        tuple(
            BotRule(match_type, match_value)
            for match_type, match_value in conn.execute(
                f"SELECT match_type, match_value FROM {_TABLES[kind]} WHERE website_id = %s ORDER BY created_at, id",
                [website_id],
            ).fetchall()
        )
        for kind in ("allowlist", "blocklist")
    )


def list_audit(
    conn: psycopg.Connection, website_id: str, *, after: PageCursor | None, limit: int
) -> tuple[list[dict[str, Any]], PageCursor | None]:
    rows = dict_rows(
        conn.execute(
            "SELECT id, actor, action, payload, created_at::text AS created_at FROM bot_policy_audit"
            f" WHERE website_id = %(website_id)s {_AFTER if after else ''} ORDER BY created_at DESC, id DESC LIMIT %(limit)s",
            {"website_id": website_id, "limit": limit + 1, **_cursor_params(after)},
        )
    )
    for row in rows:
        row["payload"] = json.loads(row["payload"])
    return _page(rows, limit)


_JOB_COLUMNS = (
    "id AS job_id, website_id, status, start_date::text AS start_date, end_date::text AS end_date,"
    " created_at::text AS created_at, started_at::text AS started_at,"
    " completed_at::text AS completed_at, error_message, events_total, events_done"
)
_UNFINISHED = "status IN ('queued', 'running')"


def start_recompute(
    conn: psycopg.Connection, website_id: str, start: datetime, end: datetime, events_total: int, owner_node: str
) -> str | None:
    """Queue a recompute of ``[start, end)`` (naive UTC) that ``owner_node`` will run; its
    id, None without website.

    Raises:
        RecomputeRunning: the website has one queued or running.
    """
    job_id = random_id("bot_recompute_", 16)
    if lock_live_website(conn, website_id) is None:
        return None
    if conn.execute(f"SELECT 1 FROM bot_recompute_runs WHERE website_id = %s AND {_UNFINISHED}", [website_id]).fetchone():
        raise RecomputeRunning(website_id)
    conn.execute(
        "INSERT INTO bot_recompute_runs (id, website_id, start_date, end_date, status, created_at, events_total,"
        " owner_node) VALUES (%s, %s, %s, %s, 'queued', %s, %s, %s)",
        [job_id, website_id, start, end, utc_now(), events_total, owner_node],
    )
    _audit(conn, website_id, "recompute_start", {"job_id": job_id, "start": start.isoformat(), "end": end.isoformat()})
    return job_id


def get_recompute(conn: psycopg.Connection, website_id: str, job_id: str) -> dict[str, Any] | None:
    rows = dict_rows(
        conn.execute(f"SELECT {_JOB_COLUMNS} FROM bot_recompute_runs WHERE website_id = %s AND id = %s", [website_id, job_id])
    )
    return rows[0] if rows else None


def set_recompute_status(conn: psycopg.Connection, job_id: str, status: str, error: str | None) -> None:
    """``running`` stamps ``started_at``; ``success`` and ``failed`` stamp ``completed_at``."""
    stamp = "started_at" if status == "running" else "completed_at"
    conn.execute(
        f"UPDATE bot_recompute_runs SET status = %s, {stamp} = %s, error_message = %s WHERE id = %s",
        [status, utc_now(), error, job_id],
    )


def note_recompute_progress(conn: psycopg.Connection, job_id: str, events_done: int) -> None:
    conn.execute("UPDATE bot_recompute_runs SET events_done = %s WHERE id = %s", [events_done, job_id])


def fail_unfinished_recomputes(conn: psycopg.Connection, error: str, owner_node: str) -> int:
    """Mark the queued or running jobs of ``owner_node`` failed: it calls this when it
    starts, and nobody runs them any more. Other nodes' jobs are left running (a node runs
    the jobs it queued); jobs without an owner (queued before owners were recorded) too
    are failed."""
    return conn.execute(
        "UPDATE bot_recompute_runs SET status = 'failed', completed_at = %s, error_message = %s"
        f" WHERE {_UNFINISHED} AND (owner_node = %s OR owner_node IS NULL)",
        [utc_now(), error, owner_node],
    ).rowcount


def _audit(conn: psycopg.Connection, website_id: str, action: str, payload: dict[str, Any]) -> None:
    conn.execute(
        "INSERT INTO bot_policy_audit (id, website_id, actor, action, payload, created_at) VALUES (%s, %s, %s, %s, %s, %s)",
        [random_id("bot_audit_", 16), website_id, ACTOR, action, json.dumps(payload), utc_now()],
    )


def _cursor_params(after: PageCursor | None) -> dict[str, str]:
    return {"at": after.created_at, "id": after.id} if after else {}


def _page(rows: list[dict[str, Any]], limit: int) -> tuple[list[dict[str, Any]], PageCursor | None]:
    if len(rows) <= limit:
        return rows, None
    last = rows[limit - 1]
    return rows[:limit], PageCursor(last["created_at"], last["id"])
