"""The EventStore contract: every method, on a real store over a real file.

Each backend is one entry of ``BACKENDS``: a function that opens the store in a temp
folder (ClickHouse: a fresh database on the session's two shards) and yields it with a
small read helper. Tests use only the Protocol's methods and
that helper, so a second backend (ClickHouse) runs the same tests for the same values.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import pytest

from sparklytics.bot_controls import BotSample
from sparklytics.enrich.bots import BotVerdict
from sparklytics.enrich.ids import session_id, session_key
from sparklytics.events import EventRow
from sparklytics.stores import EventStore, EventStoreStatistics
from sparklytics.stores.duckdb.database import Database
from sparklytics.stores.clickhouse.connection import ClickHouseClient, ClickHouseSettings
from sparklytics.stores.clickhouse.events import ClickHouseEventStore
from sparklytics.stores.clickhouse.sessionize import session_rows, sessionized_events
from sparklytics.stores.duckdb.events import DuckDBEventStore
from tests.clickhouse import CLUSTER
from sparklytics.wal import WalPosition


@dataclass(frozen=True)
class Backend:
    """A store and a way to read back what it keeps, in backend-neutral tuples."""

    store: EventStore
    events: Callable[[], list[tuple]]  # (id, session_id, visitor_id, path, created_at), by id
    sessions: Callable[[], list[tuple]]  # (session_id, visitor_id, pageview_count, event_count, entry_path, exit_path)
    verdicts: Callable[[], list[tuple]]  # events (id, is_bot, bot_score, bot_reason) by id, then sessions' by first_seen


def duckdb_backend(folder: Path) -> Iterator[Backend]:
    db = Database(folder / "events.db", memory_limit="256MB")

    def rows(sql: str) -> list[tuple]:
        return db.writer.execute(sql).fetchall()

    try:
        yield Backend(
            DuckDBEventStore(db, session_cache_max_entries=100),
            lambda: rows("SELECT id, session_id, visitor_id, path, created_at FROM events ORDER BY id"),
            lambda: rows(
                "SELECT session_id, visitor_id, pageview_count, event_count, entry_path, exit_path"
                " FROM sessions ORDER BY first_seen, visitor_id"
            ),
            lambda: rows("SELECT id, is_bot, bot_score, bot_reason FROM events ORDER BY id")
            + rows("SELECT session_id, is_bot, bot_score, bot_reason FROM sessions ORDER BY first_seen, visitor_id"),
        )
    finally:
        db.close()


def clickhouse_backend(request: pytest.FixtureRequest) -> Iterator[Backend]:
    cluster = request.getfixturevalue("clickhouse_cluster")
    settings = ClickHouseSettings(cluster.urls, CLUSTER, database=cluster.new_database(), node_id="node-a")
    reader = ClickHouseClient(settings)
    events = sessionized_events("SELECT * FROM events")

    def rows(sql: str) -> list[tuple]:
        return [tuple(_typed(value) for value in row) for row in reader.rows(sql)]

    store = ClickHouseEventStore(settings)
    try:
        yield Backend(
            store,
            lambda: rows(f"SELECT id, session_id, session_visitor, path, created_at FROM ({events}) ORDER BY id"),
            lambda: rows(
                "SELECT session_id, visitor_id, pageview_count, event_count, entry_path, exit_path"
                f" FROM ({session_rows(events)}) ORDER BY first_seen, visitor_id"
            ),
            lambda: rows(f"SELECT id, is_bot, bot_score, bot_reason FROM ({events}) ORDER BY id")
            + rows(f"SELECT session_id, is_bot, bot_score, bot_reason FROM ({session_rows(events)})"
                   " ORDER BY first_seen, visitor_id"),
        )
    finally:
        store.close()
        reader.close()


def _typed(value):
    """ClickHouse's JSON text of a DateTime64 as the datetime DuckDB returns."""
    if isinstance(value, str) and len(value) == 26 and value[10] == " " and value[19] == ".":
        return datetime.fromisoformat(value)
    return value


BACKENDS = {"duckdb": lambda request, folder: duckdb_backend(folder),
            "clickhouse": lambda request, folder: clickhouse_backend(request)}

@pytest.fixture(params=sorted(BACKENDS))
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Backend]:
    """A prepared store of each backend over a fresh folder."""
    opened = BACKENDS[request.param](request, tmp_path)
    found = next(opened)
    found.store.prepare()
    yield found
    opened.close()


SITE = "site_contract"


def event(visitor: str, at: str, path: str = "/", *, previous: str | None = None, website: str = SITE) -> EventRow:
    """A pageview as the Enricher builds it (no id, no session yet)."""
    values = dict.fromkeys(EventRow._fields)
    values.update(
        website_id=website, visitor_id=visitor, event_type="pageview", url=f"https://example.com{path}", path=path,
        channel="Direct", is_bot=False, bot_score=0, created_at=at, previous_visitor_id=previous,
    )
    return EventRow(**values)


def sid(visitor: str, at: str, path: str = "/", website: str = SITE) -> int:
    """The session id §2 derives from visitor, website, entry URL and start time."""
    epoch_ms = int((datetime.fromisoformat(at) - datetime(1970, 1, 1)).total_seconds() * 1000)
    return session_key(session_id(visitor, website, f"https://example.com{path}", epoch_ms))


def t(at: str) -> datetime:
    return datetime.fromisoformat(at)


A1, A2, B1 = "2026-03-01T10:00:00", "2026-03-01T10:20:00", "2026-03-01T10:05:00"


def test_a_fresh_store_recovers_from_the_start_of_the_wal(backend: Backend) -> None:
    assert backend.store.prepare() == WalPosition(0, 0)
    assert backend.events() == []


def test_a_commit_stores_the_batch_and_moves_the_recovery_point(backend: Backend) -> None:
    batch = [event("a", A1), event("b", B1, "/b"), event("a", A2, "/a2")]
    assert backend.store.commit(batch, WalPosition(1, 300)) == 3
    assert backend.events() == [
        (1, sid("a", A1), "a", "/", t(A1)),
        (2, sid("b", B1, "/b"), "b", "/b", t(B1)),
        (3, sid("a", A1), "a", "/a2", t(A2)),
    ]
    assert backend.sessions() == [(sid("a", A1), "a", 2, 2, "/", "/a2"), (sid("b", B1, "/b"), "b", 1, 1, "/b", "/b")]
    assert backend.store.prepare() == WalPosition(1, 300)


def test_recommitting_a_committed_position_is_a_no_op(backend: Backend) -> None:
    batch = [event("a", A1), event("b", B1, "/b")]
    assert backend.store.commit(batch, WalPosition(1, 200)) == 2
    before = (backend.events(), backend.sessions())
    assert backend.store.commit(batch, WalPosition(1, 200)) == 0
    assert backend.store.commit(batch, WalPosition(1, 100)) == 0  # an earlier one too
    assert (backend.events(), backend.sessions()) == before
    assert backend.store.prepare() == WalPosition(1, 200)


def test_the_next_position_commits_with_the_next_ids_and_continues_the_session(backend: Backend) -> None:
    backend.store.commit([event("a", A1)], WalPosition(1, 100))
    assert backend.store.commit([event("a", A2, "/a2")], WalPosition(2, 0)) == 1
    assert [row[:3] for row in backend.events()] == [(1, sid("a", A1), "a"), (2, sid("a", A1), "a")]
    assert backend.sessions() == [(sid("a", A1), "a", 2, 2, "/", "/a2")]
    assert backend.store.prepare() == WalPosition(2, 0)


def test_thirty_minutes_of_silence_start_a_new_session(backend: Backend) -> None:
    late = "2026-03-01T10:50:01"  # 30 minutes and 1 second after A2
    backend.store.commit([event("a", A1), event("a", A2, "/a2")], WalPosition(1, 100))
    backend.store.commit([event("a", late, "/late")], WalPosition(1, 200))
    assert backend.sessions() == [(sid("a", A1), "a", 2, 2, "/", "/a2"), (sid("a", late, "/late"), "a", 1, 1, "/late", "/late")]


def test_a_session_continues_across_midnight_under_the_previous_visitor_id(backend: Backend) -> None:
    before, after = "2026-03-01T23:55:00", "2026-03-02T00:10:00"
    backend.store.commit([event("yesterday-id", before)], WalPosition(1, 100))
    backend.store.commit([event("today-id", after, "/next", previous="yesterday-id")], WalPosition(1, 200))
    assert [row[1:4] for row in backend.events()] == [
        (sid("yesterday-id", before), "yesterday-id", "/"),
        (sid("yesterday-id", before), "yesterday-id", "/next"),
    ]
    assert backend.sessions() == [(sid("yesterday-id", before), "yesterday-id", 2, 2, "/", "/next")]


def test_purge_deletes_what_is_older_than_the_cutoff_in_bounded_pieces(backend: Backend) -> None:
    kept = "2026-03-03T09:00:00"
    backend.store.commit([event("a", A1), event("b", B1, "/b"), event("c", kept, "/kept")], WalPosition(1, 300))
    cutoff = datetime(2026, 3, 2)
    assert backend.store.purge(cutoff, limit=1) == 2  # one event and one session
    assert backend.store.purge(cutoff, limit=1) == 2
    assert backend.store.purge(cutoff, limit=1) == 0
    assert backend.events() == [(3, sid("c", kept, "/kept"), "c", "/kept", t(kept))]
    assert backend.sessions() == [(sid("c", kept, "/kept"), "c", 1, 1, "/kept", "/kept")]
    assert backend.store.prepare() == WalPosition(1, 300)


def test_reopen_returns_the_recovery_point_and_sessions_continue_from_storage(backend: Backend) -> None:
    backend.store.commit([event("a", A1)], WalPosition(1, 100))
    assert backend.store.reopen() == WalPosition(1, 100)
    assert backend.store.statistics() == EventStoreStatistics(sessions_cached=0, session_cache_hits=0, session_cache_misses=0)
    backend.store.commit([event("a", A2, "/a2")], WalPosition(1, 200))
    assert backend.sessions() == [(sid("a", A1), "a", 2, 2, "/", "/a2")]


def test_statistics_count_the_cached_sessions_and_forget_website_drops_its_own(backend: Backend) -> None:
    backend.store.commit([event("a", A1), event("b", B1, "/b", website="site_other")], WalPosition(1, 100))
    backend.store.commit([event("a", A2, "/a2")], WalPosition(1, 200))
    assert backend.store.statistics() == EventStoreStatistics(sessions_cached=2, session_cache_hits=1, session_cache_misses=2)
    backend.store.forget_website("site_other")
    assert backend.store.statistics().sessions_cached == 1


def test_run_write_returns_the_result_and_passes_the_writes_own_error_through(backend: Backend) -> None:
    assert backend.store.run_write(lambda: 42) == 42

    def broken() -> None:
        raise ValueError("the write's own error")

    with pytest.raises(ValueError, match=r"^the write's own error$"):
        backend.store.run_write(broken)


def test_reclassify_bots_sees_the_window_once_in_time_order_and_writes_what_changed(backend: Backend) -> None:
    """Calls of at most ``limit`` events continue from their cursor, across hours without
    events and across events of the same instant; only changed verdicts are written, and
    the roll-up gives each session its events' worst verdict."""
    same = "2026-03-01T10:00:00"
    late = "2026-03-01T22:00:00"  # more than one read slice after the others
    batch = [event("a", same), event("b", same, "/crawl"), event("a", A2, "/a2"), event("c", late, "/crawl-more"),
             event("d", "2026-03-02T08:00:00", "/outside")]
    backend.store.commit(batch, WalPosition(1, 100))
    seen: list[BotSample] = []

    def classify(sample: BotSample) -> BotVerdict:
        seen.append(sample)
        return BotVerdict(True, 90, "ua_signature") if "crawl" in sample.path else BotVerdict(False, 0, None)

    window = (datetime(2026, 3, 1), datetime(2026, 3, 2))
    after, calls, done = None, 0, 0
    while True:
        count, after = backend.store.reclassify_bots(SITE, *window, after=after, limit=2, classify=classify)
        calls, done = calls + 1, done + count
        if after is None:
            break
    assert done == 4 and calls >= 3
    assert [(s.visitor_id, s.path) for s in seen] == [("a", "/"), ("b", "/crawl"), ("a", "/a2"), ("c", "/crawl-more")]
    assert seen[0].seconds == (t(same) - datetime(1970, 1, 1)).total_seconds()
    assert backend.verdicts()[:5] == [(1, False, 0, None), (2, True, 90, "ua_signature"), (3, False, 0, None),
                                      (4, True, 90, "ua_signature"), (5, False, 0, None)]
    assert backend.store.roll_up_bot_sessions(SITE, *window) == 3
    assert [row[1:] for row in backend.verdicts()[5:]] == [
        (False, 0, None), (True, 90, "ua_signature"), (True, 90, "ua_signature"), (False, 0, None)]
