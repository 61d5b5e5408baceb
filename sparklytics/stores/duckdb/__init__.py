"""The self-hosted backend: one DuckDB file, written by the Writer actor alone.

:func:`open_backend` opens the file and hands out the three stores over it: the
EventStore the Writer commits through, the AnalyticsStore the reports read, and the
MetadataStore, which writes through the Writer once it runs (:meth:`DuckDBBackend.metadata`).
:class:`DuckDBSource` reads a file for ``sparklytics migrate --to cloud``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from actors.runtime import Mailbox
from sparklytics.config import Config
from sparklytics.stores.analytics import QueryBudgets

from .analytics import DuckDBAnalyticsStore
from .database import Database
from .events import DuckDBEventStore
from .metadata import DuckDBMetadataStore
from .migration_source import DuckDBSource, SourceUnavailable

__all__ = [
    "Database",
    "DuckDBAnalyticsStore",
    "DuckDBBackend",
    "DuckDBEventStore",
    "DuckDBMetadataStore",
    "DuckDBSource",
    "SourceUnavailable",
    "open_backend",
]


@dataclass(frozen=True, slots=True)
class DuckDBBackend:
    db: Database
    events: DuckDBEventStore
    analytics: DuckDBAnalyticsStore

    def metadata(self, writer: Mailbox[Any]) -> DuckDBMetadataStore:
        """The MetadataStore, writing through the running Writer's mailbox."""
        return DuckDBMetadataStore(self.db, writer)

    async def aclose(self) -> None:
        self.db.close()


def open_backend(config: Config) -> DuckDBBackend:
    """Open the DuckDB file of ``config``; ``StartupError`` if it cannot be used."""
    db = Database(config.db_path, memory_limit=config.duckdb_memory, threads=config.duckdb_threads)
    return DuckDBBackend(
        db,
        DuckDBEventStore(db, session_cache_max_entries=config.session_cache_max_entries),
        DuckDBAnalyticsStore(
            db, QueryBudgets(default=config.query_timeout_ms, retention=config.retention_statement_timeout_ms)
        ),
    )
