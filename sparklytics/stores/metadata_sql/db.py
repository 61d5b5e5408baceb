"""What a metadata module needs from a connection, whichever engine holds the data."""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import AbstractContextManager
from typing import Any, Protocol


class MetadataDb(Protocol):
    """One connection of a metadata backend, as the shared SQL modules use it.

    Statements use ``?`` placeholders. :meth:`write` brackets the statements of one
    write; :meth:`live_website_domain` is the check most writes start with, made safe
    against other writers as the engine needs (DuckDB: the Writer is the only one;
    PostgreSQL: the website's row stays locked until the write commits).
    """

    def all(self, sql: str, params: Sequence[Any] = ()) -> list[tuple]: ...

    def one(self, sql: str, params: Sequence[Any] = ()) -> tuple | None: ...

    def dicts(self, sql: str, params: Sequence[Any] = ()) -> list[dict[str, Any]]:
        """The rows as dicts keyed by column name (API-shaped rows)."""
        ...

    def run(self, sql: str, params: Sequence[Any] = ()) -> None: ...

    def bulk_insert(self, table: str, columns: Sequence[str], rows: Sequence[tuple]) -> None:
        """Append many rows through the engine's bulk path (appender, ``COPY``)."""
        ...

    def write(self) -> AbstractContextManager[None]: ...

    def live_website_domain(self, website_id: str) -> str | None: ...

    def exclusive(self, name: str) -> None:
        """Hold the lock ``name`` (``salts``) until the write commits: for the checks
        that have no website row to lock."""
        ...

    def bytewise(self, expression: str) -> str:
        """``expression`` compared byte by byte in ORDER BY (DuckDB's only way; PostgreSQL
        would follow its locale)."""
        ...
