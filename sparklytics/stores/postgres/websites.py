"""SQL for the ``websites`` table and its aliases (``website_aliases``).

Deleting a website: :func:`retire_website` sets ``deleted_at`` (the website is gone for
every reader and for ingest from that commit); :func:`delete_website` deletes the row,
and every metadata row it owns goes with it in the same transaction (the foreign keys
are ``ON DELETE CASCADE``; notification deliveries, which point at a subscription or an
alert, are deleted explicitly first). Its events live in the event store.

Names a website answers to (its domain, extra domains, Umami id) may belong to one live
website only; as that check spans websites, every write of them holds
:data:`~.sql.ALIASES_LOCK`.
"""

from __future__ import annotations

from typing import Any

import psycopg

from sparklytics.website_aliases import AliasTaken

from .sql import ALIASES_LOCK, dict_rows, lock

_COLUMNS = (
    "id, tenant_id, name, domain, timezone, ingest_peak_eps, ingest_queue_max_events, share_id,"
    " created_at::text AS created_at, updated_at::text AS updated_at,"
    " coalesce((SELECT array_agg(a.value ORDER BY a.created_at, a.value) FROM website_aliases a"
    "  WHERE a.website_id = websites.id AND a.kind = 'domain'), '{}') AS extra_domains,"
    " (SELECT min(a.value) FROM website_aliases a"
    "  WHERE a.website_id = websites.id AND a.kind = 'umami') AS umami_website_id"
)
_LIVE = "deleted_at IS NULL"
# Changes of update_website that live in website_aliases, not in websites' columns.
_ALIAS_CHANGES = frozenset({"extra_domains", "umami_website_id"})
_COLUMN_CHANGES = frozenset({"name", "domain", "timezone", "ingest_peak_eps", "ingest_queue_max_events", "share_id"})


def get_website(conn: psycopg.Connection, website_id: str) -> dict[str, Any] | None:
    rows = dict_rows(conn.execute(f"SELECT {_COLUMNS} FROM websites WHERE id = %s AND {_LIVE}", [website_id]))
    return rows[0] if rows else None


def list_websites(conn: psycopg.Connection, *, after: str | None, limit: int) -> tuple[list[dict[str, Any]], int]:
    """One page ordered by id, starting after ``after``; plus the total count."""
    (total,) = conn.execute(f"SELECT count(*) FROM websites WHERE {_LIVE}").fetchone()
    cur = conn.execute(
        f"SELECT {_COLUMNS} FROM websites WHERE {_LIVE} AND (%(after)s::text IS NULL OR id > %(after)s)"
        " ORDER BY id LIMIT %(limit)s",
        {"after": after, "limit": limit},
    )
    return dict_rows(cur), total


def insert_website(
    conn: psycopg.Connection, *, website_id: str, name: str, domain: str, timezone: str, aliases: dict[str, Any]
) -> dict[str, Any]:
    """Insert a website with its ``aliases``.

    Raises:
        AliasTaken: another website answers to one of its names (nothing is written).
    """
    lock(conn, ALIASES_LOCK)
    conn.execute(
        "INSERT INTO websites (id, name, domain, timezone) VALUES (%s, %s, %s, %s)", [website_id, name, domain, timezone]
    )
    _check_primary_domain(conn, website_id, domain)
    _replace_aliases(conn, website_id, aliases)
    website = get_website(conn, website_id)
    assert website is not None
    return website


def update_website(conn: psycopg.Connection, website_id: str, changes: dict[str, Any]) -> dict[str, Any] | None:
    """Apply ``changes`` (allow-listed column names, plus the alias changes) and return
    the row, or None if absent.

    Raises:
        AliasTaken: a new name is another website's (nothing is written).
    """
    assert set(changes) <= _COLUMN_CHANGES | _ALIAS_CHANGES, set(changes) - _COLUMN_CHANGES - _ALIAS_CHANGES
    columns = {key: value for key, value in changes.items() if key in _COLUMN_CHANGES}
    lock(conn, ALIASES_LOCK)
    if conn.execute(f"SELECT 1 FROM websites WHERE id = %s AND {_LIVE} FOR NO KEY UPDATE", [website_id]).fetchone() is None:
        return None
    if "domain" in columns:
        _check_primary_domain(conn, website_id, columns["domain"])
    _replace_aliases(conn, website_id, {key: changes[key] for key in _ALIAS_CHANGES if key in changes})
    if changes:
        assignments = ", ".join([*(f"{column} = %({column})s" for column in columns), "updated_at = now() AT TIME ZONE 'UTC'"])
        conn.execute(f"UPDATE websites SET {assignments} WHERE id = %(website_id)s", {**columns, "website_id": website_id})
    return get_website(conn, website_id)


def _check_primary_domain(conn: psycopg.Connection, website_id: str, domain: str) -> None:
    """A website's own domain may not be another website's extra domain (which would
    make ``/api/event`` ambiguous); two websites may still share a primary domain."""
    if _alias_owner(conn, "domain", domain, besides=website_id):
        raise AliasTaken("domain", domain)


def _replace_aliases(conn: psycopg.Connection, website_id: str, aliases: dict[str, Any]) -> None:
    """Store the given alias lists (a key left out keeps its stored values)."""
    if "extra_domains" in aliases:
        for domain in aliases["extra_domains"]:
            taken = _alias_owner(conn, "domain", domain, besides=website_id) or conn.execute(
                f"SELECT 1 FROM websites WHERE {_LIVE} AND domain = %s AND id <> %s", [domain, website_id]
            ).fetchone()
            if taken:
                raise AliasTaken("extra_domains", domain)
        _replace_kind(conn, website_id, "domain", aliases["extra_domains"])
    if "umami_website_id" in aliases:
        umami_id = aliases["umami_website_id"]
        if umami_id is not None and _alias_owner(conn, "umami", umami_id, besides=website_id):
            raise AliasTaken("umami_website_id", umami_id)
        _replace_kind(conn, website_id, "umami", [] if umami_id is None else [umami_id])


def _replace_kind(conn: psycopg.Connection, website_id: str, kind: str, values: list[str] | tuple[str, ...]) -> None:
    conn.execute("DELETE FROM website_aliases WHERE website_id = %s AND kind = %s", [website_id, kind])
    for position, value in enumerate(values):
        # created_at orders the list as it was given (now() is the transaction's start).
        conn.execute(
            "INSERT INTO website_aliases (website_id, kind, value, created_at)"
            " VALUES (%s, %s, %s, (now() AT TIME ZONE 'UTC') + make_interval(secs => %s * 0.000001))",
            [website_id, kind, value, position],
        )


def _alias_owner(conn: psycopg.Connection, kind: str, value: str, *, besides: str | None = None) -> str | None:
    row = conn.execute(
        "SELECT a.website_id FROM website_aliases a JOIN websites w ON w.id = a.website_id"
        f" WHERE w.{_LIVE} AND a.kind = %(kind)s AND a.value = %(value)s"
        " AND (%(besides)s::text IS NULL OR a.website_id <> %(besides)s) LIMIT 1",
        {"kind": kind, "value": value, "besides": besides},
    ).fetchone()
    return row[0] if row else None


def website_for_domain(conn: psycopg.Connection, domain: str) -> str | None:
    """The live website whose domain (else one of whose extra domains) is ``domain``;
    of websites sharing a primary domain, the older one."""
    row = conn.execute(
        f"SELECT id FROM websites WHERE {_LIVE} AND domain = %s ORDER BY created_at, id LIMIT 1", [domain]
    ).fetchone()
    return row[0] if row else _alias_owner(conn, "domain", domain)


def website_for_umami_id(conn: psycopg.Connection, umami_id: str) -> str | None:
    return _alias_owner(conn, "umami", umami_id)


_REPORT_CONTEXT = """
SELECT w.id, w.timezone, coalesce(p.mode, 'balanced')
FROM websites w LEFT JOIN bot_policies p ON p.website_id = w.id
WHERE w.deleted_at IS NULL AND {column} = %s
"""


def report_context(conn: psycopg.Connection, website_id: str) -> tuple[str, str, str] | None:
    """(id, timezone, bot policy mode) of a live website, for the analytics routes."""
    return conn.execute(_REPORT_CONTEXT.format(column="w.id"), [website_id]).fetchone()


def shared_website(conn: psycopg.Connection, share_id: str) -> tuple[tuple[str, str, str], str] | None:
    """The report context of the website shared under ``share_id`` and its name."""
    context = conn.execute(_REPORT_CONTEXT.format(column="w.share_id"), [share_id]).fetchone()
    if context is None:
        return None
    return context, get_website(conn, context[0])["name"]


def enable_sharing(conn: psycopg.Connection, website_id: str, new_share_id: str) -> str | None:
    """The website's share id, creating it if sharing is off; None if no such website."""
    row = conn.execute(
        f"SELECT share_id FROM websites WHERE id = %s AND {_LIVE} FOR NO KEY UPDATE", [website_id]
    ).fetchone()
    if row is None:
        return None
    if row[0] is not None:
        return row[0]
    conn.execute(
        "UPDATE websites SET share_id = %s, updated_at = now() AT TIME ZONE 'UTC' WHERE id = %s", [new_share_id, website_id]
    )
    return new_share_id


def disable_sharing(conn: psycopg.Connection, website_id: str) -> bool | None:
    """Turn sharing off: True if it was on, False if it was off, None if no website."""
    row = conn.execute(
        f"SELECT share_id FROM websites WHERE id = %s AND {_LIVE} FOR NO KEY UPDATE", [website_id]
    ).fetchone()
    if row is None:
        return None
    if row[0] is None:
        return False
    conn.execute("UPDATE websites SET share_id = NULL, updated_at = now() AT TIME ZONE 'UTC' WHERE id = %s", [website_id])
    return True


def retire_website(conn: psycopg.Connection, website_id: str) -> bool:
    """Tombstone a live website; False if there is none."""
    cur = conn.execute(
        "UPDATE websites SET deleted_at = now() AT TIME ZONE 'UTC' WHERE id = %s AND deleted_at IS NULL", [website_id]
    )
    return cur.rowcount > 0


def delete_website(conn: psycopg.Connection, website_id: str) -> bool:
    """Delete a website, live or retired, with every metadata row it owns, in one
    transaction; False if it does not exist."""
    if conn.execute("SELECT 1 FROM websites WHERE id = %s FOR UPDATE", [website_id]).fetchone() is None:
        return False
    conn.execute(
        "DELETE FROM notification_deliveries WHERE (source_type = 'subscription' AND source_id IN"
        " (SELECT id FROM report_subscriptions WHERE website_id = %(id)s))"
        " OR (source_type = 'alert' AND source_id IN (SELECT id FROM alert_rules WHERE website_id = %(id)s))",
        {"id": website_id},
    )
    conn.execute("DELETE FROM websites WHERE id = %s", [website_id])
    return True
