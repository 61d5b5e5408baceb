"""The login lockout shared by every cloud node: failed password attempts per client
in PostgreSQL, under a keyed hash of the client IP whose key PostgreSQL never holds.

Why this keeps Decision 7 (no raw IP, nothing that yields one with the stored data
alone). A plain or salted hash of an IPv4 address is reversed by hashing all 2³²
addresses; an HMAC whose key sits in the same database (the old DuckDB table) too. Here
the row holds ``HMAC-SHA256(K, ip)`` where ``K = HMAC-SHA256(S, "sparklytics login
lockout v1")`` and ``S`` is ``SPARKLYTICS_LOCKOUT_SECRET``, which every node receives
through its environment (at least 32 characters, e.g. ``openssl rand -hex 32``): ``K``
exists only in the nodes' memory, never in PostgreSQL, ClickHouse or a data folder. With
the database alone (a dump, a backup, a stolen disk) one must guess a 128-bit-plus
secret before hashing any address, so the rows say only "some client failed n times".
And they say it briefly: a matched password deletes its own row at once, and every
node's Scheduler deletes the rows that left the window every
:data:`~sparklytics.auth.attempts.LOCKOUT_WINDOW` (``forget``), so the table holds at
most two windows of failures. A per-window key would add nothing: it would have to be
derivable from ``S`` by every node, so whoever has ``S`` has every window's key, and
the rows it could reveal are deleted with their window anyway.

Who holds ``S`` and the database together can test an address (as the nodes do); that
is the operator, who sees client addresses in the balancer's logs anyway.

Two nodes checking the same client at once must not both get past the limit: an attempt
takes a transaction-level advisory lock on the client's hash (the two-key form, its own
key space beside the store's other locks) before it counts, so the second waits for the
first to commit and counts its row. Distinct clients whose hashes share the lock's 32
bits merely wait for each other for a millisecond. An attempt takes no row lock, and
``forget`` skips rows another node is deleting (``SKIP LOCKED``), so nothing deadlocks.
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import datetime, timedelta

import psycopg

from sparklytics.auth.attempts import LOCKOUT_WINDOW, MAX_FAILURES

from .database import PostgresDatabase

_KEY_LABEL = b"sparklytics login lockout v1"
# First key of the two-key advisory locks taken per client ("spk" + 3).
_LOCK_CLASS = 0x73706B03


def lockout_key(secret: str) -> bytes:
    """The key of the client hashes, derived from ``SPARKLYTICS_LOCKOUT_SECRET``."""
    return hmac.new(secret.encode(), _KEY_LABEL, hashlib.sha256).digest()


def client_hash(key: bytes, client: str) -> bytes:
    """What a row stores for a client IP: ``HMAC-SHA256(key, ip)``."""
    return hmac.new(key, client.encode(), hashlib.sha256).digest()


class PostgresLoginAttempts:
    """:class:`~sparklytics.auth.attempts.AttemptLog` in PostgreSQL; an attempt is its
    row id."""

    def __init__(self, db: PostgresDatabase, key: bytes, *, max_failures: int = MAX_FAILURES,
                 window: timedelta = LOCKOUT_WINDOW) -> None:
        self._db = db
        self._key = key
        self.max_failures = max_failures
        self.window = window

    async def begin(self, client: str, now: datetime) -> int | None:
        hashed = client_hash(self._key, client)
        return await self._db.run(lambda conn: self._begin(conn, hashed, now))

    async def succeeded(self, attempt: int) -> None:
        await self._db.run(lambda conn: conn.execute("DELETE FROM login_attempts WHERE id = %s", [attempt]))

    async def forget(self, now: datetime) -> int:
        cutoff = now - self.window
        return await self._db.run(lambda conn: conn.execute(
            "DELETE FROM login_attempts WHERE id IN"
            " (SELECT id FROM login_attempts WHERE at < %s FOR UPDATE SKIP LOCKED)", [cutoff]
        ).rowcount)

    def _begin(self, conn: psycopg.Connection, hashed: bytes, now: datetime) -> int | None:
        cutoff = now - self.window
        conn.execute("SELECT pg_advisory_xact_lock(%s, %s)", [_LOCK_CLASS, int.from_bytes(hashed[:4], "big", signed=True)])
        (failures,) = conn.execute(
            "SELECT count(*) FROM login_attempts WHERE client = %s AND at >= %s", [hashed, cutoff]
        ).fetchone()
        if failures >= self.max_failures:
            return None
        (attempt,) = conn.execute(
            "INSERT INTO login_attempts (client, at) VALUES (%s, %s) RETURNING id", [hashed, now]
        ).fetchone()
        return attempt
