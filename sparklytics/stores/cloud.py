"""The cloud backend (``SPARKLYTICS_MODE=cloud``): events and reports on a ClickHouse
cluster, metadata in PostgreSQL, so that any number of stateless app nodes answer the
same API behind a load balancer without sticky routing (issue 21).

What stays on the node is its ingest WAL (a 202 is durable on the node that gave it)
and its node id, which names the node's WAL cursor in ClickHouse: two nodes sharing
an id would skip each other's batches, so the id is made once and kept in the data
folder (or set with ``SPARKLYTICS_NODE_ID``).

:func:`open_cloud_backend` hands out the same three stores as the DuckDB backend; the
Writer commits through the ClickHouse EventStore exactly as it does through DuckDB's.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import psycopg
import trio

from actors.runtime import Mailbox, StartupError
from sparklytics.config import Config
from sparklytics.stores.analytics import QueryBudgets
from sparklytics.stores.clickhouse.analytics import ClickHouseAnalyticsStore
from sparklytics.stores.clickhouse.closed_sessions import SessionBuilder
from sparklytics.stores.clickhouse.connection import ClickHouseSettings
from sparklytics.stores.clickhouse.events import ClickHouseEventStore
from sparklytics.stores.errors import StorageFault
from sparklytics.stores.postgres import PostgresDatabase, PostgresMetadataStore
from sparklytics.stores.postgres.imported_reports import PostgresImportedRows
from sparklytics.stores.postgres.login_attempts import PostgresLoginAttempts, lockout_key
from sparklytics.stores.postgres.migrations import apply_migrations

NODE_ID_FILE = "node-id"
# Website deletes wait on one ClickHouse mutation per shard; a few at a time at most.
_DELETE_THREADS = trio.CapacityLimiter(2)


class CloudMetadataStore(PostgresMetadataStore):
    """PostgreSQL metadata whose website delete also deletes the website's events on
    every ClickHouse shard (DuckDB does both in one transaction; here the events go
    first, so a failed delete leaves the website retired and the delete can be retried)."""

    def __init__(self, db: PostgresDatabase, delete_events: Callable[[str], None], *, node_id: str) -> None:
        super().__init__(db, node_id=node_id)
        self._delete_events = delete_events

    async def delete_website(self, website_id: str) -> bool:
        await trio.to_thread.run_sync(self._delete_events, website_id, limiter=_DELETE_THREADS)
        return await super().delete_website(website_id)


@dataclass(frozen=True, slots=True)
class CloudBackend:
    events: ClickHouseEventStore
    analytics: ClickHouseAnalyticsStore
    metadata_store: CloudMetadataStore
    node_id: str
    deletes: ClickHouseEventStore
    login_attempts: PostgresLoginAttempts  # the lockout every node shares
    session_builder: SessionBuilder  # the closed days' sessions, built by the Scheduler
    db: None = None  # no DuckDB file in cloud mode

    def metadata(self, writer: Mailbox[Any]) -> CloudMetadataStore:
        """The MetadataStore; PostgreSQL takes writes from every node, not via the Writer."""
        return self.metadata_store

    async def aclose(self) -> None:
        await self.analytics.aclose()
        await self.metadata_store.close()
        self.deletes.close()
        self.events.close()
        self.session_builder.close()


def node_id_of(config: Config) -> str:
    """``SPARKLYTICS_NODE_ID``, else the id kept in the data folder (made on first start)."""
    assert config.cloud is not None
    if config.cloud.node_id:
        return config.cloud.node_id
    path: Path = config.data_dir / NODE_ID_FILE
    if not path.exists():
        path.write_text(f"node-{secrets.token_hex(6)}\n")
    return path.read_text().strip()


def clickhouse_settings(config: Config, node_id: str) -> ClickHouseSettings:
    cloud = config.cloud
    assert cloud is not None
    return ClickHouseSettings(
        shard_urls=cloud.clickhouse_urls,
        cluster=cloud.clickhouse_cluster,
        database=cloud.clickhouse_database,
        user=cloud.clickhouse_user,
        password=cloud.clickhouse_password,
        node_id=node_id,
    )


async def open_postgres(config: Config) -> PostgresDatabase:
    """The metadata database with its migrations applied; ``StartupError`` if unusable."""
    assert config.cloud is not None
    where = urlsplit(config.cloud.database_url).hostname or "localhost"  # never the password
    try:
        db = await PostgresDatabase.open(config.cloud.database_url)
    except StorageFault as error:
        raise StartupError(f"PostgreSQL at {where} (SPARKLYTICS_DATABASE_URL) cannot be reached: {error}") from None
    try:
        await db.run(apply_migrations)
    except BaseException:
        await db.close()
        raise
    return db


async def open_cloud_backend(config: Config) -> CloudBackend:
    node_id = node_id_of(config)
    settings = clickhouse_settings(config, node_id)
    db = await open_postgres(config)
    event_id_key = await db.run(_event_id_key)
    deletes = ClickHouseEventStore(settings)
    return CloudBackend(
        events=ClickHouseEventStore(settings),
        analytics=ClickHouseAnalyticsStore(
            settings,
            QueryBudgets(default=config.query_timeout_ms, retention=config.retention_statement_timeout_ms),
            event_id_key=event_id_key,
            imported=PostgresImportedRows(db),
        ),
        metadata_store=CloudMetadataStore(db, deletes.delete_website_events, node_id=node_id),
        node_id=node_id,
        deletes=deletes,
        login_attempts=PostgresLoginAttempts(db, lockout_key(config.cloud.lockout_secret)),
        session_builder=SessionBuilder(settings),
    )


def _event_id_key(conn: psycopg.Connection) -> str:
    """The install's secret behind public event ids: made by the first node (or copied
    from DuckDB by ``sparklytics migrate --to cloud``), the same on every node."""
    conn.execute(
        "INSERT INTO settings (key, value) VALUES ('event_id_key', %s) ON CONFLICT DO NOTHING",
        [secrets.token_hex(16)],
    )
    [value] = conn.execute("SELECT value FROM settings WHERE key = 'event_id_key'").fetchone()
    return value
