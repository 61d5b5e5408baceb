"""The PostgreSQL schema: numbered ``migrations/NNNN_name.sql`` files, applied in order.

Several app nodes may start at once against one database. The pending migrations are
applied in one transaction that first takes a transaction-level advisory lock
(``pg_advisory_xact_lock``, held until commit), then reads ``schema_migrations``,
applies each missing file in order and records it; a node that waited for the lock
finds them recorded and applies nothing. A failing migration rolls the whole step
back, rows included, so the next start tries again from the same state.
"""

from __future__ import annotations

from importlib import resources

import psycopg

# Any constant shared by every node; "spkl" in ASCII.
MIGRATION_LOCK = 0x73706B6C

_CREATE_TABLE = """
CREATE TABLE IF NOT EXISTS schema_migrations (
    version TEXT PRIMARY KEY,
    applied_at TIMESTAMP NOT NULL DEFAULT (now() AT TIME ZONE 'UTC')
)
"""


def migration_files() -> list[tuple[str, str]]:
    """(version, SQL) of every migration file, in the order of their numbers."""
    folder = resources.files(__package__).joinpath("migrations")
    files = sorted(entry for entry in folder.iterdir() if entry.name.endswith(".sql"))
    return [(entry.name.removesuffix(".sql"), entry.read_text(encoding="utf-8")) for entry in files]


def apply_migrations(conn: psycopg.Connection) -> list[str]:
    """Apply every migration not yet recorded; the versions applied by this call.

    ``conn`` comes inside a transaction (``PostgresDatabase.run``), which holds the
    lock until it commits, so no two nodes interleave."""
    conn.execute("SELECT pg_advisory_xact_lock(%s)", [MIGRATION_LOCK])
    conn.execute(_CREATE_TABLE)
    done = {row[0] for row in conn.execute("SELECT version FROM schema_migrations").fetchall()}
    applied = []
    for version, sql in migration_files():
        if version in done:
            continue
        conn.execute(sql)
        conn.execute("INSERT INTO schema_migrations (version) VALUES (%s)", [version])
        applied.append(version)
    return applied
