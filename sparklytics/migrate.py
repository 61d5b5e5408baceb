"""``sparklytics migrate --to cloud``: move a self-hosted install into cloud mode.

Run with the server stopped and the cloud settings of the nodes to come
(``SPARKLYTICS_MODE=cloud``, the ClickHouse and PostgreSQL URLs) plus the
``SPARKLYTICS_DATA_DIR`` that holds ``sparklytics.db``. It copies:

* metadata, DuckDB → PostgreSQL: every table both schemas have, in foreign-key order,
  the columns both have. Rows already there are kept (``ON CONFLICT DO NOTHING``), so a
  second run adds only what is missing — except ``settings``, where the install's own
  values win (its session secret, salts and ``event_id_key``, which keep cookies,
  visitor ids and public event ids the same after the move);
* events, DuckDB → ClickHouse through ``stores/clickhouse/loader.py``, in id order and
  in fixed chunks, each with its id range as the deduplication token. After every chunk
  the last copied id goes to ``<data>/migrate-cloud.json``; a re-run starts at the chunk
  after it, and a chunk that was half stored when the copy stopped is sent again under
  the same token, which every shard drops where it has it already: nothing is doubled.

Progress goes to stderr as one line per table and a bar for the events.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TextIO

import psycopg

from actors.runtime import StartupError
from sparklytics.config import Config
from sparklytics.stores.clickhouse import schema
from sparklytics.stores.clickhouse.connection import ClickHouseClient, ClickHouseError
from sparklytics.stores.clickhouse.loader import CHUNK_ROWS, load_events
from sparklytics.stores.cloud import clickhouse_settings
from sparklytics.stores.duckdb import DuckDBSource, SourceUnavailable
from sparklytics.stores.postgres.migrations import apply_migrations

PROGRESS_FILE = "migrate-cloud.json"
_BAR_WIDTH = 30


class MigrationRefused(Exception):
    """The migration cannot start; the message says why and what to do."""


def migrate_to_cloud(config: Config, out: TextIO = sys.stderr) -> tuple[int, int]:
    """Copy metadata and events; return (metadata rows copied, events sent)."""
    if config.cloud is None:
        raise MigrationRefused(
            "set SPARKLYTICS_MODE=cloud with SPARKLYTICS_CLICKHOUSE_URL, SPARKLYTICS_CLICKHOUSE_CLUSTER, "
            "SPARKLYTICS_DATABASE_URL (the stores to copy into) and SPARKLYTICS_LOCKOUT_SECRET (the nodes' settings)"
        )
    if not config.db_path.exists():
        raise MigrationRefused(f"{config.db_path} does not exist: point SPARKLYTICS_DATA_DIR at the self-hosted data folder")
    try:
        source = DuckDBSource(config.db_path)
    except SourceUnavailable as error:
        raise MigrationRefused(f"cannot open {config.db_path} (is the server still running?): {error}") from None
    try:
        with psycopg.connect(config.cloud.database_url) as target:
            apply_migrations(target)
            copied = copy_metadata(source, target, out)
        client = ClickHouseClient(clickhouse_settings(config, node_id="migrate"))
        try:
            schema.apply(client)
            sent = copy_events(source, client, config.data_dir / PROGRESS_FILE, out)
        finally:
            client.close()
    except psycopg.OperationalError as error:
        raise StartupError(f"PostgreSQL (SPARKLYTICS_DATABASE_URL) cannot be used: {error}") from None
    except ClickHouseError as error:
        raise StartupError(f"ClickHouse (SPARKLYTICS_CLICKHOUSE_URL) failed; run again to resume: {error}") from None
    finally:
        source.close()
    return copied, sent


def copy_metadata(source: DuckDBSource, target: psycopg.Connection, out: TextIO) -> int:
    """Every shared table in one transaction (a failed run leaves nothing half copied)."""
    ours = source.table_names()
    copied = 0
    with target.transaction():
        for table in _tables_in_fk_order(target):
            if table not in ours:
                continue
            columns = _shared_columns(source, target, table)
            rows = source.rows(table, columns)
            copied += _insert(target, table, columns, rows)
            print(f"migrate: {table}: {len(rows)} rows", file=out, flush=True)
    return copied


def _tables_in_fk_order(target: psycopg.Connection) -> list[str]:
    tables = [name for (name,) in target.execute(
        "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' AND table_type = 'BASE TABLE'"
        " ORDER BY table_name").fetchall()]
    parents: dict[str, set[str]] = {table: set() for table in tables}
    for child, parent in target.execute(
        "SELECT tc.table_name, ccu.table_name FROM information_schema.table_constraints tc"
        " JOIN information_schema.constraint_column_usage ccu ON ccu.constraint_name = tc.constraint_name"
        " WHERE tc.constraint_type = 'FOREIGN KEY' AND tc.table_schema = 'public'"
    ).fetchall():
        if child != parent:
            parents[child].add(parent)
    ordered: list[str] = []
    while parents:
        ready = sorted(table for table, needs in parents.items() if needs <= set(ordered))
        if not ready:
            raise RuntimeError(f"foreign keys form a cycle among {sorted(parents)}")
        ordered += ready
        for table in ready:
            del parents[table]
    return ordered


def _shared_columns(source: DuckDBSource, target: psycopg.Connection, table: str) -> list[str]:
    theirs = [name for (name,) in target.execute(
        "SELECT column_name FROM information_schema.columns WHERE table_schema = 'public' AND table_name = %s"
        " ORDER BY ordinal_position", [table]).fetchall()]
    ours = source.column_names(table)
    return [name for name in theirs if name in ours]


def _insert(target: psycopg.Connection, table: str, columns: Sequence[str], rows: list[tuple]) -> int:
    if not rows:
        return 0
    names = ", ".join(f'"{name}"' for name in columns)
    marks = ", ".join(["%s"] * len(columns))
    conflict = "ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value" if table == "settings" else "ON CONFLICT DO NOTHING"
    with target.cursor() as cursor:
        cursor.executemany(f'INSERT INTO "{table}" ({names}) VALUES ({marks}) {conflict}', [_plain(row) for row in rows])
    return len(rows)


def _plain(row: tuple) -> tuple:
    """DuckDB's JSON and map values as PostgreSQL takes them (text; psycopg sends str untyped)."""
    return tuple(json.dumps(value) if isinstance(value, dict) else value for value in row)


def copy_events(source: DuckDBSource, client: ClickHouseClient, progress: Path, out: TextIO) -> int:
    """The events in id order, ``CHUNK_ROWS`` at a time: a re-run from the same id
    cuts the same chunks, so their tokens repeat."""
    done_through = json.loads(progress.read_text())["last_id"] if progress.exists() else 0
    total, already = source.event_counts(done_through)
    bar = _Bar(total, already, out)
    sent = 0
    for chunk in source.event_chunks(done_through, CHUNK_ROWS):
        sent += load_events(client, chunk)
        progress.write_text(json.dumps({"last_id": chunk[-1][0]}))
        bar.advance(len(chunk))
    bar.finish()
    return sent


class _Bar:
    """``events [#####-----] 50000/100000`` on one stderr line, redrawn as chunks land."""

    def __init__(self, total: int, done: int, out: TextIO) -> None:
        self.total, self.done, self.out = total, done, out
        self._line()

    def advance(self, count: int) -> None:
        self.done += count
        self._line()

    def finish(self) -> None:
        print(file=self.out, flush=True)

    def _line(self) -> None:
        filled = _BAR_WIDTH * self.done // self.total if self.total else _BAR_WIDTH
        print(f"\rmigrate: events [{'#' * filled}{'-' * (_BAR_WIDTH - filled)}] {self.done}/{self.total}",
              end="", file=self.out, flush=True)
