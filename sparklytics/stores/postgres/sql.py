"""Helpers every PostgreSQL metadata module uses.

**How a check and the write it guards stay together across nodes.** Every check that
guards a write (a per-website limit, a name unique within a website, the website being
live, the domain a link must match) is about one website, so the write first locks that
website's row with ``SELECT … FOR NO KEY UPDATE`` (:func:`lock_live_website`) and holds
the lock until it commits: two nodes writing the same website's goals, funnels, reports,
… queue on the row and the second one sees what the first committed. Writes of other
websites do not wait, nor do plain reads, nor inserts whose foreign key only needs the
row to exist (``FOR KEY SHARE`` does not conflict with ``FOR NO KEY UPDATE``).

Row locks rather than SERIALIZABLE: a serialization failure would have to be retried by
every caller, and a retry of a write that raised a domain error (``GoalLimitReached``)
must not run twice; a lock makes the second writer wait a few milliseconds instead. The
few checks that span websites (a domain or Umami id may belong to one live website
only; the salts and auth settings, which have no website) take a transaction-level
advisory lock of their own (:func:`lock`); values unique everywhere (link slugs, pixel
keys, idempotency keys) are UNIQUE columns written with ``ON CONFLICT``.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from contextlib import AbstractContextManager, nullcontext
from typing import Any

import psycopg

# Advisory lock keys (any constants shared by every node).
ALIASES_LOCK = 0x73706B01
SALTS_LOCK = 0x73706B02
_LOCKS = {"salts": SALTS_LOCK}  # the names the shared SQL asks for (MetadataDb.exclusive)


def lock(conn: psycopg.Connection, key: int) -> None:
    """Hold advisory lock ``key`` until the transaction ends."""
    conn.execute("SELECT pg_advisory_xact_lock(%s)", [key])


def lock_live_website(conn: psycopg.Connection, website_id: str) -> str | None:
    """Lock the live website's row until the transaction ends; its domain, or None if
    there is no live website of that id."""
    row = conn.execute(
        "SELECT domain FROM websites WHERE id = %s AND deleted_at IS NULL FOR NO KEY UPDATE", [website_id]
    ).fetchone()
    return None if row is None else row[0]


def dict_rows(cur: psycopg.Cursor) -> list[dict[str, Any]]:
    """The rows of ``cur``'s last result as dicts keyed by column name (API-shaped rows)."""
    names = [column.name for column in cur.description]
    return [dict(zip(names, row)) for row in cur.fetchall()]


class PostgresMetadataDb:
    """The PostgreSQL side of :class:`~sparklytics.stores.metadata_sql.MetadataDb`.

    ``PostgresDatabase.run`` already runs each call in one transaction, so :meth:`write`
    adds nothing; the guarding check locks the website's row (see the module docstring).
    """

    def __init__(self, conn: psycopg.Connection) -> None:
        self._conn = conn

    def all(self, sql: str, params: Sequence[Any] = ()) -> list[tuple]:
        return self._conn.execute(_placeholders(sql), params).fetchall()

    def one(self, sql: str, params: Sequence[Any] = ()) -> tuple | None:
        return self._conn.execute(_placeholders(sql), params).fetchone()

    def dicts(self, sql: str, params: Sequence[Any] = ()) -> list[dict[str, Any]]:
        return dict_rows(self._conn.execute(_placeholders(sql), params))

    def run(self, sql: str, params: Sequence[Any] = ()) -> None:
        self._conn.execute(_placeholders(sql), params)

    def bulk_insert(self, table: str, columns: Sequence[str], rows: Sequence[tuple]) -> None:
        with self._conn.cursor() as cur, cur.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)

    def write(self) -> AbstractContextManager[None]:
        return nullcontext()

    def live_website_domain(self, website_id: str) -> str | None:
        return lock_live_website(self._conn, website_id)

    def exclusive(self, name: str) -> None:
        lock(self._conn, _LOCKS[name])

    def bytewise(self, expression: str) -> str:
        return f'{expression} COLLATE "C"'


@functools.lru_cache(maxsize=512)
def _placeholders(sql: str) -> str:
    """The shared SQL's ``?`` placeholders in psycopg's ``%s`` style (a literal ``%`` doubled)."""
    return sql.replace("%", "%%").replace("?", "%s")
