"""SQL for the bot controls (API.md §1.12): ``bot_policies``, ``bot_allowlist``,
``bot_blocklist``, ``bot_policy_audit`` and ``bot_recompute_runs``, for both metadata
backends.

Every change checks the live website first (:meth:`MetadataDb.live_website_domain`,
which on PostgreSQL locks its row) and writes its audit row in the same transaction, so
the trail cannot miss a change or record one that did not happen, and the duplicate
check of an entry and the one recompute at a time per website hold against every other
writer. Timestamps are naive UTC written from Python and read back as ``CAST(x AS
VARCHAR)`` text (API.md §0.3).

A recompute belongs to the app node that queued it (``owner_node``): that node's
scheduler runs it, and a node that starts again calls only its own unfinished jobs
interrupted, never another node's running one (self-hosted has one node).
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from sparklytics.bot_controls import DEFAULT_MODE, DEFAULT_THRESHOLD, DuplicateEntry, NewEntry, PageCursor, RecomputeRunning
from sparklytics.clock import utc_now
from sparklytics.enrich import random_id
from sparklytics.enrich.bots import BotRule
from sparklytics.stores.metadata_sql.db import MetadataDb

ACTOR = "selfhosted"
_TABLES = {"allowlist": "bot_allowlist", "blocklist": "bot_blocklist"}
_ID_PREFIX = {"allowlist": "allow_", "blocklist": "block_"}
_ACTION = {"allowlist": "allow", "blocklist": "block"}
_ENTRY_COLUMNS = "id, match_type, match_value, note, CAST(created_at AS VARCHAR) AS created_at"
# Newest first, after a cursor (created_at text, id): bound as [at, at, id].
_AFTER = "AND (created_at < CAST(? AS TIMESTAMP) OR (created_at = CAST(? AS TIMESTAMP) AND id < ?))"


def get_policy(db: MetadataDb, website_id: str) -> dict[str, Any] | None:
    """The stored policy, the default (balanced / 70) when none is; None without website."""
    if db.one("SELECT 1 FROM websites WHERE id = ? AND deleted_at IS NULL", [website_id]) is None:
        return None
    row = db.one("SELECT mode, threshold_score, CAST(updated_at AS VARCHAR) FROM bot_policies WHERE website_id = ?",
                 [website_id])
    mode, threshold, updated_at = row if row else (DEFAULT_MODE, DEFAULT_THRESHOLD, None)
    return {"website_id": website_id, "mode": mode, "threshold_score": threshold, "updated_at": updated_at}


def set_policy(db: MetadataDb, website_id: str, mode: str, threshold_score: int) -> dict[str, Any] | None:
    with db.write():
        if db.live_website_domain(website_id) is None:
            return None
        db.run(
            "INSERT INTO bot_policies (website_id, mode, threshold_score, updated_at) VALUES (?, ?, ?, ?)"
            " ON CONFLICT (website_id) DO UPDATE SET mode = excluded.mode,"
            " threshold_score = excluded.threshold_score, updated_at = excluded.updated_at",
            [website_id, mode, threshold_score, utc_now()],
        )
        _audit(db, website_id, "policy_update", {"mode": mode, "threshold_score": threshold_score})
        return get_policy(db, website_id)


def list_entries(
    db: MetadataDb, website_id: str, kind: str, *, after: PageCursor | None, limit: int
) -> tuple[list[dict[str, Any]], PageCursor | None]:
    """One page of a list, newest first, and the cursor of the next page (or None)."""
    rows = db.dicts(
        f"SELECT {_ENTRY_COLUMNS} FROM {_TABLES[kind]} WHERE website_id = ?"
        f" {_AFTER if after else ''} ORDER BY created_at DESC, id DESC LIMIT ?",
        [website_id, *_cursor_params(after), limit + 1],
    )
    return _page(rows, limit)


def add_entry(db: MetadataDb, website_id: str, kind: str, entry: NewEntry) -> dict[str, Any] | None:
    """Add ``entry``; None without website. Raises :class:`DuplicateEntry`."""
    table = _TABLES[kind]
    entry_id = random_id(_ID_PREFIX[kind], 16)
    with db.write():
        if db.live_website_domain(website_id) is None:
            return None
        taken = db.one(f"SELECT 1 FROM {table} WHERE website_id = ? AND match_type = ? AND match_value = ?",
                       [website_id, entry.match_type, entry.match_value])
        if taken is not None:
            raise DuplicateEntry(entry.match_value)
        db.run(
            f"INSERT INTO {table} (id, website_id, match_type, match_value, note, created_at) VALUES (?, ?, ?, ?, ?, ?)",
            [entry_id, website_id, entry.match_type, entry.match_value, entry.note, utc_now()],
        )
        _audit(db, website_id, f"{_ACTION[kind]}_add",
               {"id": entry_id, "match_type": entry.match_type, "match_value": entry.match_value, "note": entry.note})
        return db.dicts(f"SELECT {_ENTRY_COLUMNS} FROM {table} WHERE id = ?", [entry_id])[0]


def remove_entry(db: MetadataDb, website_id: str, kind: str, entry_id: str) -> bool:
    with db.write():
        removed = db.all(
            f"DELETE FROM {_TABLES[kind]} WHERE website_id = ? AND id = ? RETURNING match_type, match_value",
            [website_id, entry_id],
        )
        if not removed:
            return False
        match_type, match_value = removed[0]
        _audit(db, website_id, f"{_ACTION[kind]}_remove",
               {"id": entry_id, "match_type": match_type, "match_value": match_value})
    return True


def rules(db: MetadataDb, website_id: str) -> tuple[tuple[BotRule, ...], tuple[BotRule, ...]]:
    """The (allow, block) rules the Enricher applies at ingest."""
    return tuple(
        tuple(
            BotRule(match_type, match_value)
            for match_type, match_value in db.all(
                f"SELECT match_type, match_value FROM {_TABLES[kind]} WHERE website_id = ? ORDER BY created_at, id",
                [website_id],
            )
        )
        for kind in ("allowlist", "blocklist")
    )


def list_audit(
    db: MetadataDb, website_id: str, *, after: PageCursor | None, limit: int
) -> tuple[list[dict[str, Any]], PageCursor | None]:
    rows = db.dicts(
        "SELECT id, actor, action, payload, CAST(created_at AS VARCHAR) AS created_at FROM bot_policy_audit"
        f" WHERE website_id = ? {_AFTER if after else ''} ORDER BY created_at DESC, id DESC LIMIT ?",
        [website_id, *_cursor_params(after), limit + 1],
    )
    for row in rows:
        row["payload"] = json.loads(row["payload"])
    return _page(rows, limit)


_JOB_COLUMNS = (
    "id AS job_id, website_id, status, CAST(start_date AS VARCHAR) AS start_date, CAST(end_date AS VARCHAR) AS end_date,"
    " CAST(created_at AS VARCHAR) AS created_at, CAST(started_at AS VARCHAR) AS started_at,"
    " CAST(completed_at AS VARCHAR) AS completed_at, error_message, events_total, events_done"
)
_UNFINISHED = "status IN ('queued', 'running')"


def start_recompute(
    db: MetadataDb, website_id: str, start: datetime, end: datetime, events_total: int, owner_node: str
) -> str | None:
    """Queue a recompute of ``[start, end)`` (naive UTC) that ``owner_node`` will run; its
    id, None without website.

    Raises:
        RecomputeRunning: the website has one queued or running.
    """
    job_id = random_id("bot_recompute_", 16)
    with db.write():
        if db.live_website_domain(website_id) is None:
            return None
        if db.one(f"SELECT 1 FROM bot_recompute_runs WHERE website_id = ? AND {_UNFINISHED}", [website_id]) is not None:
            raise RecomputeRunning(website_id)
        db.run(
            "INSERT INTO bot_recompute_runs (id, website_id, start_date, end_date, status, created_at, events_total,"
            " owner_node) VALUES (?, ?, ?, ?, 'queued', ?, ?, ?)",
            [job_id, website_id, start, end, utc_now(), events_total, owner_node],
        )
        _audit(db, website_id, "recompute_start", {"job_id": job_id, "start": start.isoformat(), "end": end.isoformat()})
    return job_id


def get_recompute(db: MetadataDb, website_id: str, job_id: str) -> dict[str, Any] | None:
    rows = db.dicts(f"SELECT {_JOB_COLUMNS} FROM bot_recompute_runs WHERE website_id = ? AND id = ?", [website_id, job_id])
    return rows[0] if rows else None


def set_recompute_status(db: MetadataDb, job_id: str, status: str, error: str | None) -> None:
    """``running`` stamps ``started_at``; ``success`` and ``failed`` stamp ``completed_at``."""
    stamp = "started_at" if status == "running" else "completed_at"
    db.run(f"UPDATE bot_recompute_runs SET status = ?, {stamp} = ?, error_message = ? WHERE id = ?",
           [status, utc_now(), error, job_id])


def note_recompute_progress(db: MetadataDb, job_id: str, events_done: int) -> None:
    db.run("UPDATE bot_recompute_runs SET events_done = ? WHERE id = ?", [events_done, job_id])


def fail_unfinished_recomputes(db: MetadataDb, error: str, owner_node: str) -> int:
    """Mark the queued or running jobs of ``owner_node`` failed: it calls this when it
    starts, and nobody runs them any more. Other nodes' jobs are left running (a node runs
    the jobs it queued); jobs without an owner (queued before owners were recorded) too
    are failed."""
    failed = db.all(
        "UPDATE bot_recompute_runs SET status = 'failed', completed_at = ?, error_message = ?"
        f" WHERE {_UNFINISHED} AND (owner_node = ? OR owner_node IS NULL) RETURNING id",
        [utc_now(), error, owner_node],
    )
    return len(failed)


def _audit(db: MetadataDb, website_id: str, action: str, payload: dict[str, Any]) -> None:
    db.run(
        "INSERT INTO bot_policy_audit (id, website_id, actor, action, payload, created_at) VALUES (?, ?, ?, ?, ?, ?)",
        [random_id("bot_audit_", 16), website_id, ACTOR, action, json.dumps(payload), utc_now()],
    )


def _cursor_params(after: PageCursor | None) -> list[str]:
    return [after.created_at, after.created_at, after.id] if after else []


def _page(rows: list[dict[str, Any]], limit: int) -> tuple[list[dict[str, Any]], PageCursor | None]:
    if len(rows) <= limit:
        return rows, None
    last = rows[limit - 1]
    return rows[:limit], PageCursor(last["created_at"], last["id"])
