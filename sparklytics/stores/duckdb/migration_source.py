"""A self-hosted DuckDB file read as the source of ``sparklytics migrate --to cloud``.

The migration (``sparklytics/migrate.py``) decides what to copy and where; this is its
one door into the file: read-only, so a running server (which holds the write lock)
makes opening fail with a message instead of two processes writing one file.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb

from sparklytics.events import EVENT_COLUMNS


class SourceUnavailable(Exception):
    """The file cannot be opened read-only (most often: the server still has it)."""


class DuckDBSource:
    """Tables, columns and events of one DuckDB file, read-only."""

    def __init__(self, path: Path) -> None:
        try:
            self._con = duckdb.connect(str(path), read_only=True)
        except duckdb.Error as error:
            raise SourceUnavailable(str(error)) from None

    def close(self) -> None:
        self._con.close()

    def table_names(self) -> set[str]:
        return {name for (name,) in self._con.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'main'").fetchall()}

    def column_names(self, table: str) -> set[str]:
        return {name for (name,) in self._con.execute(
            "SELECT column_name FROM information_schema.columns WHERE table_schema = 'main' AND table_name = ?",
            [table]).fetchall()}

    def rows(self, table: str, columns: list[str]) -> list[tuple[Any, ...]]:
        """Every row of ``table`` (a name from :meth:`table_names`), ``columns`` in order."""
        names = ", ".join(f'"{name}"' for name in columns)
        return self._con.execute(f'SELECT {names} FROM "{table}"').fetchall()

    def event_counts(self, through_id: int) -> tuple[int, int]:
        """(all events, events with an id up to ``through_id``)."""
        [(total, through)] = self._con.execute(
            "SELECT count(*), count(*) FILTER (WHERE id <= ?) FROM events", [through_id]).fetchall()
        return total, through

    def event_chunks(self, after_id: int, size: int) -> Iterator[list[tuple[Any, ...]]]:
        """The events after ``after_id`` in id order (``EVENT_COLUMNS``), ``size`` at a
        time: the same boundaries on every run that starts at the same id."""
        cursor = self._con.execute(f"SELECT {', '.join(EVENT_COLUMNS)} FROM events WHERE id > ? ORDER BY id", [after_id])
        while chunk := cursor.fetchmany(size):
            yield chunk
