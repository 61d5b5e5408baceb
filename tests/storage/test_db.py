"""``stores.duckdb.database``: the Database's read cursors and their time budget."""

from __future__ import annotations

from pathlib import Path

import pytest

from sparklytics.stores.duckdb.database import Database
from sparklytics.stores.errors import QueryTimeout
from sparklytics.stores.duckdb.schema import transaction

CHECKPOINT_THRESHOLD = 16 * 1024 * 1024  # DuckDB's default checkpoint_threshold


async def test_a_read_that_fetches_one_row_does_not_hold_back_checkpoints(tmp_path: Path) -> None:
    # A pooled cursor whose last result was read with fetchone() kept a transaction
    # open, and with it DuckDB never checkpointed while the Writer's commits carried an
    # UPDATE (the WAL cursor): a 10M-event import grew a multi-GB WAL and >1 GB RSS.
    db = Database(tmp_path / "t.db", memory_limit="256MB")
    try:
        con = db.writer
        con.execute("CREATE TABLE t (a VARCHAR)")
        con.execute("CREATE TABLE c (id INTEGER PRIMARY KEY, n BIGINT)")
        con.execute("INSERT INTO c VALUES (1, 0)")
        assert await db.read(lambda cur: cur.execute("SELECT count(*) FROM t").fetchone()) == (0,)
        for i in range(40):
            with transaction(con):
                con.execute("INSERT INTO t SELECT repeat('x', 100) || range FROM range(10000)")
                con.execute("UPDATE c SET n = $n WHERE id = 1", {"n": i})
        wal = tmp_path / "t.db.wal"
        assert not wal.exists() or wal.stat().st_size < CHECKPOINT_THRESHOLD
    finally:
        db.close()


async def test_a_read_past_its_budget_is_interrupted_and_the_next_read_works(tmp_path: Path) -> None:
    # Hours of work for DuckDB: only the interrupt can end it within the test.
    endless = "SELECT sum(a.range * b.range) FROM range(1000000000) a, range(1000000000) b"
    db = Database(tmp_path / "t.db", memory_limit="256MB")
    try:
        with pytest.raises(QueryTimeout, match=r"^query exceeded 0.2 s$"):
            await db.read(lambda cur: cur.execute(endless).fetchone(), timeout=0.2)
        assert await db.read(lambda cur: cur.execute("SELECT 42").fetchone(), timeout=5) == (42,)
        assert db.statistics().readers_busy == 0
    finally:
        db.close()
