"""SQL for the ``websites`` table. Reads take a reader cursor; writes run on the Writer.

Deleting a website: :func:`retire_website` sets ``websites.deleted_at`` (the website is
gone for every reader and for ingest from that commit) so that the events acknowledged
before it can reach storage; then :func:`delete_website` removes its rows. DuckDB cannot
delete a parent row in the transaction that deleted its children (foreign keys are
enforced, Decision 12), so the events, sessions and grandchild rows go in one
transaction and the remaining depths one transaction each; :func:`purge_tombstones`
finishes any delete that a crash interrupted.
"""

from __future__ import annotations

from typing import Any

import duckdb

from sparklytics.stores.duckdb.database import dict_rows
from sparklytics.stores.duckdb.schema import transaction

_COLUMNS = (
    "id, tenant_id, name, domain, timezone, ingest_peak_eps, ingest_queue_max_events, share_id,"
    " CAST(created_at AS VARCHAR) AS created_at, CAST(updated_at AS VARCHAR) AS updated_at"
)
_LIVE = "deleted_at IS NULL"



def get_website(con: duckdb.DuckDBPyConnection, website_id: str) -> dict[str, Any] | None:
    cur = con.execute(f"SELECT {_COLUMNS} FROM websites WHERE id = ? AND {_LIVE}", [website_id])
    rows = dict_rows(cur)
    return rows[0] if rows else None


def website_by_domain(con: duckdb.DuckDBPyConnection, domain: str) -> dict[str, Any] | None:
    """The live website whose ``domain`` is ``domain`` (any case; the oldest if several)."""
    cur = con.execute(
        f"SELECT {_COLUMNS} FROM websites WHERE lower(domain) = lower(?) AND {_LIVE} ORDER BY created_at, id LIMIT 1",
        [domain],
    )
    rows = dict_rows(cur)
    return rows[0] if rows else None


def list_websites(con: duckdb.DuckDBPyConnection, *, after: str | None, limit: int) -> tuple[list[dict[str, Any]], int]:
    """One page ordered by id, starting after ``after``; plus the total count."""
    total = con.execute(f"SELECT count(*) FROM websites WHERE {_LIVE}").fetchone()[0]
    cur = con.execute(
        f"SELECT {_COLUMNS} FROM websites WHERE {_LIVE} AND ($after IS NULL OR id > $after) ORDER BY id LIMIT $limit",
        {"after": after, "limit": limit},
    )
    return dict_rows(cur), total


def insert_website(con: duckdb.DuckDBPyConnection, *, website_id: str, name: str, domain: str, timezone: str) -> dict[str, Any]:
    with transaction(con):
        con.execute(
            "INSERT INTO websites (id, name, domain, timezone) VALUES (?, ?, ?, ?)",
            [website_id, name, domain, timezone],
        )
        website = get_website(con, website_id)
    assert website is not None
    return website


def update_website(con: duckdb.DuckDBPyConnection, website_id: str, changes: dict[str, Any]) -> dict[str, Any] | None:
    """Apply ``changes`` (allow-listed column names) and return the row, or None if absent."""
    allowed = {"name", "domain", "timezone", "ingest_peak_eps", "ingest_queue_max_events", "share_id"}
    assert set(changes) <= allowed, set(changes) - allowed
    with transaction(con):
        if get_website(con, website_id) is None:
            return None
        if changes:
            assignments = ", ".join(f"{column} = ${column}" for column in changes)
            con.execute(
                f"UPDATE websites SET {assignments}, updated_at = now() WHERE id = $website_id",
                {**changes, "website_id": website_id},
            )
        return get_website(con, website_id)


_REPORT_CONTEXT = """
SELECT w.id, w.timezone, coalesce(p.mode, 'balanced')
FROM websites w LEFT JOIN bot_policies p ON p.website_id = w.id
WHERE w.deleted_at IS NULL AND {column} = ?
"""


def report_context(con: duckdb.DuckDBPyConnection, website_id: str) -> tuple[str, str, str] | None:
    """(id, timezone, bot policy mode) of a live website, for the analytics routes."""
    return con.execute(_REPORT_CONTEXT.format(column="w.id"), [website_id]).fetchone()


def report_context_by_share(con: duckdb.DuckDBPyConnection, share_id: str) -> tuple[str, str, str] | None:
    """The same, found by the website's public share id."""
    return con.execute(_REPORT_CONTEXT.format(column="w.share_id"), [share_id]).fetchone()


def shared_website(con: duckdb.DuckDBPyConnection, share_id: str) -> tuple[tuple[str, str, str], str] | None:
    """The report context of the website shared under ``share_id`` and its name (the
    share page's title); the domain and id stay private."""
    context = report_context_by_share(con, share_id)
    if context is None:
        return None
    return context, get_website(con, context[0])["name"]


def enable_sharing(con: duckdb.DuckDBPyConnection, website_id: str, new_share_id: str) -> str | None:
    """The website's share id, creating it if sharing is off; None if no such website."""
    with transaction(con):
        row = con.execute(f"SELECT share_id FROM websites WHERE id = ? AND {_LIVE}", [website_id]).fetchone()
        if row is None:
            return None
        if row[0] is not None:
            return row[0]
        con.execute("UPDATE websites SET share_id = ?, updated_at = now() WHERE id = ?", [new_share_id, website_id])
        return new_share_id


def disable_sharing(con: duckdb.DuckDBPyConnection, website_id: str) -> bool | None:
    """Turn sharing off: True if it was on, False if it was off, None if no website."""
    with transaction(con):
        row = con.execute(f"SELECT share_id FROM websites WHERE id = ? AND {_LIVE}", [website_id]).fetchone()
        if row is None:
            return None
        if row[0] is None:
            return False
        con.execute("UPDATE websites SET share_id = NULL, updated_at = now() WHERE id = ?", [website_id])
        return True


# Rows owned by a website, by depth: DuckDB checks foreign keys against the state at
# the start of the transaction, so each depth is deleted (and committed) before the
# rows it references. Depth 0 goes with the tombstone (module docstring).
_WEBSITE_DELETE_DEPTHS: tuple[tuple[str, ...], ...] = (
    (
        "DELETE FROM notification_deliveries WHERE source_id IN ("
        " SELECT id FROM report_subscriptions WHERE website_id = $id"
        " UNION ALL SELECT id FROM alert_rules WHERE website_id = $id)",
        "DELETE FROM report_subscriptions WHERE website_id = $id",
        "DELETE FROM funnel_steps WHERE funnel_id IN (SELECT id FROM funnels WHERE website_id = $id)",
        "DELETE FROM events WHERE website_id = $id",
        "DELETE FROM sessions WHERE website_id = $id",
    ),
    (
        "DELETE FROM alert_rules WHERE website_id = $id",
        "DELETE FROM saved_reports WHERE website_id = $id",
        "DELETE FROM attribution_cache WHERE website_id = $id",
        "DELETE FROM goals WHERE website_id = $id",
        "DELETE FROM funnels WHERE website_id = $id",
        "DELETE FROM campaign_links WHERE website_id = $id",
        "DELETE FROM tracking_pixels WHERE website_id = $id",
        "DELETE FROM bot_policies WHERE website_id = $id",
        "DELETE FROM bot_allowlist WHERE website_id = $id",
        "DELETE FROM bot_blocklist WHERE website_id = $id",
        "DELETE FROM bot_policy_audit WHERE website_id = $id",
        "DELETE FROM bot_recompute_runs WHERE website_id = $id",
        "DELETE FROM webhook_secrets WHERE website_id = $id",
    ),
    ("DELETE FROM websites WHERE id = $id AND deleted_at IS NOT NULL",),
)


def retire_website(con: duckdb.DuckDBPyConnection, website_id: str) -> bool:
    """Tombstone a live website; False if there is none.

    A plain UPDATE: with ``RETURNING`` DuckDB rewrites it as a delete and an insert,
    which the foreign keys of the website's rows refuse."""
    with transaction(con):
        [(updated,)] = con.execute(
            "UPDATE websites SET deleted_at = now() WHERE id = $id AND deleted_at IS NULL", {"id": website_id}
        ).fetchall()
    return updated > 0


def delete_website(con: duckdb.DuckDBPyConnection, website_id: str) -> bool:
    """Delete a website, live or retired, and every row that belongs to it; False if it
    does not exist.

    The first transaction tombstones a live website and removes its events, sessions and
    grandchild rows, so the deletion is atomic for readers (every route checks that the
    website exists); the remaining depths follow (see the module docstring for why).
    """
    with transaction(con):
        found = con.execute("SELECT id FROM websites WHERE id = $id", {"id": website_id}).fetchall()
        if found:
            con.execute("UPDATE websites SET deleted_at = coalesce(deleted_at, now()) WHERE id = $id", {"id": website_id})
            for statement in _WEBSITE_DELETE_DEPTHS[0]:
                con.execute(statement, {"id": website_id})
    if not found:
        return False
    _finish_delete(con, website_id)
    return True


def purge_tombstones(con: duckdb.DuckDBPyConnection) -> int:
    """Finish website deletes that a crash interrupted between depths; return how many."""
    ids = [r[0] for r in con.execute("SELECT id FROM websites WHERE deleted_at IS NOT NULL").fetchall()]
    for website_id in ids:
        with transaction(con):
            for statement in _WEBSITE_DELETE_DEPTHS[0]:
                con.execute(statement, {"id": website_id})
        _finish_delete(con, website_id)
    return len(ids)


def _finish_delete(con: duckdb.DuckDBPyConnection, website_id: str) -> None:
    for depth in _WEBSITE_DELETE_DEPTHS[1:]:
        with transaction(con):
            for statement in depth:
                con.execute(statement, {"id": website_id})
