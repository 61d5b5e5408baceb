"""The DuckDB :class:`~sparklytics.stores.metadata.MetadataStore`.

Reads run on a read cursor of their own in a worker thread (:meth:`Database.read`).
Writes go to the Writer actor (``RunWrite``), the one place that writes the file: they
run in its thread, one at a time, between event commits, on the write connection taken
when the write runs (so a write after a reopen gets the new one). The SQL of websites is
in ``websites.py``; the SQL both metadata backends share is in
:mod:`sparklytics.stores.metadata_sql`, and the methods that run it are inherited from
:class:`~sparklytics.stores.metadata_sql.store.SharedMetadataMethods`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from datetime import date
from typing import Any, TypeVar

from actors.runtime import ActorError, Mailbox, ask, tell_nowait
from actors.writer import RunWrite
from sparklytics.stores.duckdb import websites
from sparklytics.stores.duckdb.database import Database
from sparklytics.stores.duckdb.metadata_db import DuckDBMetadataDb
from sparklytics.stores.duckdb.sql import Cursor
from sparklytics.stores.errors import StorageFault
from sparklytics.stores.metadata import PendingKeyUsage, ReportContext
from sparklytics.stores.metadata_sql import MetadataDb, auth, imported
from sparklytics.stores.metadata_sql.store import SharedMetadataMethods

T = TypeVar("T")

log = logging.getLogger("sparklytics.metadata")

WRITE_TIMEOUT = 60.0
# Deleting a website deletes its events: minutes on a large file.
DELETE_WEBSITE_TIMEOUT = 600.0
# An import replaces up to millions of aggregate rows in one transaction.
IMPORT_WRITE_TIMEOUT = 3600.0
PING_TIMEOUT = 5.0

# The one app node of a self-hosted install, as the bot recompute jobs name their owner.
SELF_HOSTED_NODE = "self-hosted"


class DuckDBMetadataStore(SharedMetadataMethods):
    def __init__(self, db: Database, writer: Mailbox[Any]) -> None:
        self._db = db
        self._writer = writer
        self._node_id = SELF_HOSTED_NODE

    async def _read(self, fn: Callable[[Cursor], T], *, timeout: float | None = None) -> T:
        return await self._db.read(fn, timeout=timeout)

    async def _write(self, fn: Callable[[Cursor], T], *, timeout: float = WRITE_TIMEOUT) -> T:
        return await ask(self._writer, RunWrite(lambda: fn(self._db.writer)), timeout=timeout)

    async def _read_shared(self, fn: Callable[[MetadataDb], T]) -> T:
        """A read of the SQL both metadata backends share (``stores/metadata_sql``)."""
        return await self._read(lambda cur: fn(DuckDBMetadataDb(cur)))

    async def _write_shared(self, fn: Callable[[MetadataDb], T], *, timeout: float = WRITE_TIMEOUT) -> T:
        """A write of the SQL both metadata backends share, on the Writer."""
        return await self._write(lambda con: fn(DuckDBMetadataDb(con)), timeout=timeout)

    async def ping(self) -> None:
        await self._read(lambda cur: cur.execute("SELECT 1").fetchone(), timeout=PING_TIMEOUT)

    # --- websites -----------------------------------------------------------------------

    async def get_website(self, website_id: str) -> dict[str, Any] | None:
        return await self._read(lambda cur: websites.get_website(cur, website_id))

    async def list_websites(self, *, after: str | None, limit: int) -> tuple[list[dict[str, Any]], int]:
        return await self._read(lambda cur: websites.list_websites(cur, after=after, limit=limit))

    async def insert_website(
        self, *, website_id: str, name: str, domain: str, timezone: str, aliases: Mapping[str, Any] | None = None
    ) -> dict[str, Any]:
        return await self._write(
            lambda con: websites.insert_website(
                con, website_id=website_id, name=name, domain=domain, timezone=timezone, aliases=dict(aliases or {})
            )
        )

    async def update_website(self, website_id: str, changes: Mapping[str, Any]) -> dict[str, Any] | None:
        return await self._write(lambda con: websites.update_website(con, website_id, dict(changes)))

    async def retire_website(self, website_id: str) -> bool:
        return await self._write(lambda con: websites.retire_website(con, website_id))

    async def website_for_domain(self, domain: str) -> str | None:
        return await self._read(lambda cur: websites.website_for_domain(cur, domain))

    async def website_for_umami_id(self, umami_id: str) -> str | None:
        return await self._read(lambda cur: websites.website_for_umami_id(cur, umami_id))

    async def delete_website(self, website_id: str) -> bool:
        return await self._write(lambda con: websites.delete_website(con, website_id), timeout=DELETE_WEBSITE_TIMEOUT)

    async def report_context(self, website_id: str) -> ReportContext | None:
        return await self._read(lambda cur: websites.report_context(cur, website_id))

    async def shared_website(self, share_id: str) -> tuple[ReportContext, str] | None:
        return await self._read(lambda cur: websites.shared_website(cur, share_id))

    async def enable_sharing(self, website_id: str, new_share_id: str) -> str | None:
        return await self._write(lambda con: websites.enable_sharing(con, website_id, new_share_id))

    async def disable_sharing(self, website_id: str) -> bool | None:
        return await self._write(lambda con: websites.disable_sharing(con, website_id))

    # --- auth ---------------------------------------------------------------------------

    async def record_key_usage(self, pending: PendingKeyUsage) -> None:
        await self._write_shared(lambda db: auth.record_key_usage(db, dict(pending())))

    def record_key_usage_soon(self, pending: PendingKeyUsage) -> None:
        def write() -> None:
            batch = dict(pending())
            try:
                auth.record_key_usage(DuckDBMetadataDb(self._db.writer), batch)
            except Exception:  # nobody awaits this write: say so in the log
                log.exception("could not record API key usage for %d key(s)", len(batch))
                raise

        try:
            tell_nowait(self._writer, RunWrite(write))
        except ActorError as error:
            raise StorageFault(f"the write of key usage could not be queued: {error}") from None

    # --- imported aggregates (another tool's export) -------------------------------------

    async def replace_imported_stats(
        self, website_id: str, first_day: date, last_day: date, totals: Sequence[tuple], breakdowns: Sequence[tuple]
    ) -> None:
        await self._write_shared(
            lambda db: imported.replace_imported_stats(db, website_id, first_day, last_day, totals, breakdowns),
            timeout=IMPORT_WRITE_TIMEOUT,
        )
