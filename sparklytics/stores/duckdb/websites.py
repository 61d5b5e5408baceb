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
from sparklytics.website_aliases import AliasTaken

_COLUMNS = (
    "id, tenant_id, name, domain, timezone, ingest_peak_eps, ingest_queue_max_events, share_id,"
    " CAST(created_at AS VARCHAR) AS created_at, CAST(updated_at AS VARCHAR) AS updated_at,"
    " coalesce((SELECT list(a.value ORDER BY a.created_at, a.value) FROM website_aliases a"
    "  WHERE a.website_id = websites.id AND a.kind = 'domain'), []) AS extra_domains,"
    " (SELECT first(a.value) FROM website_aliases a"
    "  WHERE a.website_id = websites.id AND a.kind = 'umami') AS umami_website_id"
)
_LIVE = "deleted_at IS NULL"
# Changes of update_website that live in website_aliases, not in websites' columns.
_ALIAS_CHANGES = frozenset({"extra_domains", "umami_website_id"})


def get_website(con: duckdb.DuckDBPyConnection, website_id: str) -> dict[str, Any] | None:
    cur = con.execute(f"SELECT {_COLUMNS} FROM websites WHERE id = ? AND {_LIVE}", [website_id])
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


def insert_website(
    con: duckdb.DuckDBPyConnection,
    *,
    website_id: str,
    name: str,
    domain: str,
    timezone: str,
    aliases: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Insert a website with its ``aliases`` (``extra_domains``, ``umami_website_id``).

    Raises:
        AliasTaken: another website answers to one of its names (nothing is written).
    """
    with transaction(con):
        con.execute(
            "INSERT INTO websites (id, name, domain, timezone) VALUES (?, ?, ?, ?)",
            [website_id, name, domain, timezone],
        )
        _check_primary_domain(con, website_id, domain)
        _replace_aliases(con, website_id, aliases or {})
        website = get_website(con, website_id)
    assert website is not None
    return website


def update_website(con: duckdb.DuckDBPyConnection, website_id: str, changes: dict[str, Any]) -> dict[str, Any] | None:
    """Apply ``changes`` (allow-listed column names, plus the alias changes) and return
    the row, or None if absent.

    Raises:
        AliasTaken: a new name is another website's (nothing is written).
    """
    allowed = {"name", "domain", "timezone", "ingest_peak_eps", "ingest_queue_max_events", "share_id", *_ALIAS_CHANGES}
    assert set(changes) <= allowed, set(changes) - allowed
    columns = {key: value for key, value in changes.items() if key not in _ALIAS_CHANGES}
    with transaction(con):
        if get_website(con, website_id) is None:
            return None
        if "domain" in columns:
            _check_primary_domain(con, website_id, columns["domain"])
        _replace_aliases(con, website_id, {key: changes[key] for key in _ALIAS_CHANGES if key in changes})
        if changes:
            assignments = ", ".join([*(f"{column} = ${column}" for column in columns), "updated_at = now()"])
            con.execute(f"UPDATE websites SET {assignments} WHERE id = $website_id", {**columns, "website_id": website_id})
        return get_website(con, website_id)


def _check_primary_domain(con: duckdb.DuckDBPyConnection, website_id: str, domain: str) -> None:
    """A website's own domain may not be another website's extra domain (which would
    make ``/api/event`` ambiguous); two websites may still share a primary domain."""
    if _alias_owner(con, "domain", domain, besides=website_id):
        raise AliasTaken("domain", domain)


def _replace_aliases(con: duckdb.DuckDBPyConnection, website_id: str, aliases: dict[str, Any]) -> None:
    """Store the given alias lists (a key left out keeps its stored values)."""
    if "extra_domains" in aliases:
        for domain in aliases["extra_domains"]:
            taken = _alias_owner(con, "domain", domain, besides=website_id) or con.execute(
                f"SELECT 1 FROM websites WHERE {_LIVE} AND domain = ? AND id <> ?", [domain, website_id]
            ).fetchone()
            if taken:
                raise AliasTaken("extra_domains", domain)
        _replace_kind(con, website_id, "domain", aliases["extra_domains"])
    if "umami_website_id" in aliases:
        umami_id = aliases["umami_website_id"]
        if umami_id is not None and _alias_owner(con, "umami", umami_id, besides=website_id):
            raise AliasTaken("umami_website_id", umami_id)
        _replace_kind(con, website_id, "umami", [] if umami_id is None else [umami_id])


def _replace_kind(con: duckdb.DuckDBPyConnection, website_id: str, kind: str, values: list[str] | tuple[str, ...]) -> None:
    con.execute("DELETE FROM website_aliases WHERE website_id = ? AND kind = ?", [website_id, kind])
    for position, value in enumerate(values):
        # created_at orders the list as it was given (one statement per value: at most 20).
        con.execute(
            "INSERT INTO website_aliases (website_id, kind, value, created_at) VALUES (?, ?, ?, now() + to_microseconds(?))",
            [website_id, kind, value, position],
        )


def _alias_owner(con: duckdb.DuckDBPyConnection, kind: str, value: str, *, besides: str | None = None) -> str | None:
    row = con.execute(
        "SELECT a.website_id FROM website_aliases a JOIN websites w ON w.id = a.website_id"
        f" WHERE w.{_LIVE} AND a.kind = $kind AND a.value = $value"
        " AND ($besides IS NULL OR a.website_id <> $besides) LIMIT 1",
        {"kind": kind, "value": value, "besides": besides},
    ).fetchone()
    return row[0] if row else None


def website_for_domain(con: duckdb.DuckDBPyConnection, domain: str) -> str | None:
    """The live website whose domain (else one of whose extra domains) is ``domain``.

    Two websites may share a primary domain: the older one answers, as the dashboard
    lists it first."""
    row = con.execute(
        f"SELECT id FROM websites WHERE {_LIVE} AND domain = ? ORDER BY created_at, id LIMIT 1", [domain]
    ).fetchone()
    return row[0] if row else _alias_owner(con, "domain", domain)


def website_for_umami_id(con: duckdb.DuckDBPyConnection, umami_id: str) -> str | None:
    """The live website carrying the Umami website UUID ``umami_id``."""
    return _alias_owner(con, "umami", umami_id)


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
        "DELETE FROM imported_totals WHERE website_id = $id",
        "DELETE FROM imported_breakdowns WHERE website_id = $id",
        "DELETE FROM imported_exports WHERE website_id = $id",
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
        "DELETE FROM website_aliases WHERE website_id = $id",
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
