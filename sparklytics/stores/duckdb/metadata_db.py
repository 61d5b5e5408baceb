"""The DuckDB side of :class:`~sparklytics.stores.metadata_sql.MetadataDb`.

Writes run on the Writer, the one writer of the file, so a transaction is all a write
needs to keep its checks and itself together: nobody else writes in between.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sparklytics.stores.duckdb.database import dict_rows
from sparklytics.stores.duckdb.schema import transaction
from sparklytics.stores.duckdb.sql import Cursor


class DuckDBMetadataDb:
    def __init__(self, con: Cursor) -> None:
        self._con = con

    def all(self, sql: str, params: Sequence[Any] = ()) -> list[tuple]:
        return self._con.execute(sql, params).fetchall()

    def one(self, sql: str, params: Sequence[Any] = ()) -> tuple | None:
        return self._con.execute(sql, params).fetchone()

    def dicts(self, sql: str, params: Sequence[Any] = ()) -> list[dict[str, Any]]:
        return dict_rows(self._con.execute(sql, params))

    def run(self, sql: str, params: Sequence[Any] = ()) -> None:
        self._con.execute(sql, params)

    def bulk_insert(self, table: str, columns: Sequence[str], rows: Sequence[tuple]) -> None:
        appender = self._con.appender(table, columns=list(columns))
        appender.append_rows(list(rows))
        appender.flush()

    def write(self) -> transaction:
        return transaction(self._con)

    def live_website_domain(self, website_id: str) -> str | None:
        row = self.one("SELECT domain FROM websites WHERE id = ? AND deleted_at IS NULL", [website_id])
        return None if row is None else row[0]

    def exclusive(self, name: str) -> None:
        """Nothing to take: the Writer is the only writer."""

    def bytewise(self, expression: str) -> str:
        return expression
