"""``storage.db``: the Database's read cursors."""

from __future__ import annotations

from pathlib import Path

from sparklytics.storage.db import Database
from sparklytics.storage.schema import transaction

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
