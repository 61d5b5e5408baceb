"""The PostgreSQL :class:`~sparklytics.stores.metadata.MetadataStore` of cloud mode.

Every method runs one transaction on a pooled connection in a worker thread
(:meth:`PostgresDatabase.run`); reads and writes alike, since PostgreSQL serialises
conflicting writes itself and the checks that guard a write lock what they check
(``sql.py`` says how). The SQL of websites is in ``websites.py``; the SQL both metadata
backends share is in :mod:`sparklytics.stores.metadata_sql`, and the methods that run it
are inherited from :class:`~sparklytics.stores.metadata_sql.store.SharedMetadataMethods`.
"""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from datetime import date, datetime
from typing import Any, TypeVar

import psycopg
import trio

from sparklytics.stores.errors import StorageFault
from sparklytics.stores.metadata import PendingKeyUsage, ReportContext
from sparklytics.stores.metadata_sql import MetadataDb, auth, imported
from sparklytics.stores.metadata_sql.store import SharedMetadataMethods

from . import websites
from .database import PostgresDatabase
from .sql import PostgresMetadataDb

T = TypeVar("T")

log = logging.getLogger("sparklytics.metadata")

# Batches of key usage queued by record_key_usage_soon and not yet written; past this the
# database is not keeping up and the caller keeps its times for the next try.
MAX_QUEUED_USAGE = 1000


class PostgresMetadataStore(SharedMetadataMethods):
    def __init__(self, db: PostgresDatabase, *, node_id: str) -> None:
        """``node_id`` names this app node among those sharing the database: the bot
        recomputes it queues are its own to run (and to call interrupted on a restart)."""
        self._db = db
        self._node_id = node_id
        self._queued_usage: deque[PendingKeyUsage] = deque()
        self._usage_lock = trio.Lock()
        # A system task is on its way to write the queue (one at a time is enough).
        self._usage_write_scheduled = False

    async def _run(self, fn: Callable[[psycopg.Connection], T]) -> T:
        return await self._db.run(fn)

    async def _write_shared(self, fn: Callable[[MetadataDb], T]) -> T:
        """A call of the SQL both metadata backends share (``stores/metadata_sql``), in
        one transaction; reads run the same way."""
        return await self._run(lambda conn: fn(PostgresMetadataDb(conn)))

    async def _read_shared(self, fn: Callable[[MetadataDb], T]) -> T:
        return await self._write_shared(fn)

    async def close(self) -> None:
        """Write the queued key usage, then close the pool."""
        await self._write_key_usage(lambda: {})
        await self._db.close()

    async def ping(self) -> None:
        await self._db.ping()

    # --- websites -----------------------------------------------------------------------

    async def get_website(self, website_id: str) -> dict[str, Any] | None:
        return await self._run(lambda conn: websites.get_website(conn, website_id))

    async def list_websites(self, *, after: str | None, limit: int) -> tuple[list[dict[str, Any]], int]:
        return await self._run(lambda conn: websites.list_websites(conn, after=after, limit=limit))

    async def insert_website(
        self, *, website_id: str, name: str, domain: str, timezone: str, aliases: Mapping[str, Any] | None = None
    ) -> dict[str, Any]:
        return await self._run(
            lambda conn: websites.insert_website(
                conn, website_id=website_id, name=name, domain=domain, timezone=timezone, aliases=dict(aliases or {})
            )
        )

    async def update_website(self, website_id: str, changes: Mapping[str, Any]) -> dict[str, Any] | None:
        return await self._run(lambda conn: websites.update_website(conn, website_id, dict(changes)))

    async def retire_website(self, website_id: str) -> bool:
        return await self._run(lambda conn: websites.retire_website(conn, website_id))

    async def website_for_domain(self, domain: str) -> str | None:
        return await self._run(lambda conn: websites.website_for_domain(conn, domain))

    async def website_for_umami_id(self, umami_id: str) -> str | None:
        return await self._run(lambda conn: websites.website_for_umami_id(conn, umami_id))

    async def delete_website(self, website_id: str) -> bool:
        return await self._run(lambda conn: websites.delete_website(conn, website_id))

    async def report_context(self, website_id: str) -> ReportContext | None:
        return await self._run(lambda conn: websites.report_context(conn, website_id))

    async def shared_website(self, share_id: str) -> tuple[ReportContext, str] | None:
        return await self._run(lambda conn: websites.shared_website(conn, share_id))

    async def enable_sharing(self, website_id: str, new_share_id: str) -> str | None:
        return await self._run(lambda conn: websites.enable_sharing(conn, website_id, new_share_id))

    async def disable_sharing(self, website_id: str) -> bool | None:
        return await self._run(lambda conn: websites.disable_sharing(conn, website_id))

    # --- auth ---------------------------------------------------------------------------

    async def record_key_usage(self, pending: PendingKeyUsage) -> None:
        await self._write_key_usage(pending)

    def record_key_usage_soon(self, pending: PendingKeyUsage) -> None:
        """Queue ``pending`` and write it in a system task (the caller does not wait).

        Any write of key usage (this one, or a :meth:`record_key_usage` that comes
        first) takes every queued batch along, under one lock, so once a later
        :meth:`record_key_usage` returns the queued times are committed."""
        if len(self._queued_usage) >= MAX_QUEUED_USAGE:
            raise StorageFault(f"{MAX_QUEUED_USAGE} writes of key usage are queued already: PostgreSQL is not keeping up")
        self._queued_usage.append(pending)
        if not self._usage_write_scheduled:
            self._usage_write_scheduled = True
            trio.lowlevel.spawn_system_task(self._write_queued_usage)

    async def _write_queued_usage(self) -> None:
        try:
            await self._write_key_usage(lambda: {})
        except Exception:  # nobody awaits this write: say so in the log
            log.exception("could not record API key usage")

    async def _write_key_usage(self, pending: PendingKeyUsage) -> None:
        async with self._usage_lock:
            batches = [*self._queued_usage, pending]
            self._queued_usage.clear()
            self._usage_write_scheduled = False
            latest: dict[str, datetime] = {}
            for batch in batches:
                for key_id, at in batch().items():
                    latest[key_id] = max(at, latest.get(key_id, at))
            if latest:
                await self._write_shared(lambda db: auth.record_key_usage(db, latest))

    # --- imported aggregates (another tool's export) -------------------------------------

    async def replace_imported_stats(
        self, website_id: str, first_day: date, last_day: date, totals: Sequence[tuple], breakdowns: Sequence[tuple]
    ) -> None:
        await self._write_shared(
            lambda db: imported.replace_imported_stats(db, website_id, first_day, last_day, totals, breakdowns),
        )
