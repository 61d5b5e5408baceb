"""The PostgreSQL MetadataStore of cloud mode (issue 21): every app node reads and
writes websites, keys, settings, goals, funnels, reports, links and the rest in one
PostgreSQL database, so any node answers any request.

:func:`open_metadata_store` takes a ``SPARKLYTICS_DATABASE_URL``-style DSN, applies the
migrations and hands back the store. ``docs/postgres-metadata.md`` says how the checks
that guard a write stay safe with several nodes writing at once.
"""

from __future__ import annotations

from .database import OPEN_TIMEOUT, PostgresDatabase
from .metadata import PostgresMetadataStore
from .migrations import apply_migrations


async def open_metadata_store(
    dsn: str, *, node_id: str, max_connections: int = 8, timeout: float = OPEN_TIMEOUT
) -> PostgresMetadataStore:
    """Connect to ``dsn``, bring its schema up to date and return the store of app node
    ``node_id``.

    Several nodes may call this at once: the migrations take an advisory lock.

    Raises:
        StorageFault: the server cannot be reached within ``timeout`` seconds.
    """
    db = await PostgresDatabase.open(dsn, max_connections=max_connections, timeout=timeout)
    try:
        await db.run(apply_migrations)
    except BaseException:
        await db.close()
        raise
    return PostgresMetadataStore(db, node_id=node_id)


__all__ = ["PostgresDatabase", "PostgresMetadataStore", "open_metadata_store"]
