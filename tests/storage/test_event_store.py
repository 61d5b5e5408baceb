"""DuckDBEventStore's faults: DuckDB's errors leave as the engine-free ones the Writer knows."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from actors.runtime import StartupError
from sparklytics.events import EventRow
from sparklytics.stores.duckdb.database import Database
from sparklytics.stores.duckdb.events import DuckDBEventStore
from sparklytics.stores.errors import StorageFault
from sparklytics.wal import WalPosition


@pytest.fixture
def db(tmp_path: Path):
    database = Database(tmp_path / "events.db", memory_limit="256MB")
    yield database
    database.close()


def pageview() -> EventRow:
    values = dict.fromkeys(EventRow._fields)
    values.update(website_id="site_f", visitor_id="v", event_type="pageview", url="https://example.com/", path="/",
                  is_bot=False, bot_score=0, created_at="2026-03-01T10:00:00")
    return EventRow(**values)


def test_a_commit_the_database_refuses_is_a_storage_fault_and_commits_nothing(db: Database) -> None:
    store = DuckDBEventStore(db, session_cache_max_entries=10)
    store.prepare()
    db.writer.execute("ALTER TABLE events RENAME TO events_away")
    with pytest.raises(StorageFault, match=r"events") as caught:
        store.commit([pageview()], WalPosition(1, 10))
    assert not caught.value.needs_reopen
    assert isinstance(caught.value.__cause__, duckdb.CatalogException)
    db.writer.execute("ALTER TABLE events_away RENAME TO events")
    assert store.prepare() == WalPosition(0, 0)
    assert store.commit([pageview()], WalPosition(1, 10)) == 1


def test_a_fatal_error_in_a_metadata_write_needs_a_reopen(db: Database) -> None:
    store = DuckDBEventStore(db, session_cache_max_entries=10)
    store.prepare()

    def invalidating() -> None:
        raise duckdb.FatalException("FATAL Error: failed to checkpoint: No space left on device")

    with pytest.raises(StorageFault, match=r"^FATAL Error: failed to checkpoint: No space left on device$") as caught:
        store.run_write(invalidating)
    assert caught.value.needs_reopen
    assert store.reopen() == WalPosition(0, 0)


def test_a_file_duckdb_refuses_stops_the_start_with_one_line(tmp_path: Path) -> None:
    path = tmp_path / "sparklytics.db"
    path.write_bytes(b"not a database" * 1000)
    with pytest.raises(StartupError, match=rf"^cannot open the database {path}: "):
        Database(path, memory_limit="256MB")
