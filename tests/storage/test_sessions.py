"""Session resolution in the Writer's commit: the 30-minute rule and midnight salts."""

from __future__ import annotations


import duckdb
import pytest

from sparklytics.events import EventRow
from sparklytics.sessions import CLIENT_COLUMNS, SOURCE_COLUMNS, SessionCache
from sparklytics.stores.duckdb.events import commit_events, read_cursor
from sparklytics.stores.duckdb.visitor_history import VisitorHistories
from sparklytics.stores.duckdb.schema import SESSION_DIMENSIONS_FROM_EVENTS, SESSION_PATHS_FROM_EVENTS, apply_migrations
from sparklytics.wal import WalPosition


@pytest.fixture
def con(tmp_path):
    connection = duckdb.connect(str(tmp_path / "sessions.db"))
    apply_migrations(connection)
    yield connection
    connection.close()


def row(
    visitor: str, at: str, path: str = "/", *, event_type: str = "pageview", previous: str | None = None, **dims
) -> EventRow:
    values = dict.fromkeys(EventRow._fields)
    values.update(
        website_id="site_sessions",
        visitor_id=visitor,
        event_type=event_type,
        url=f"https://example.com{path}",
        path=path,
        is_bot=False,
        bot_score=0,
        created_at=at,
        previous_visitor_id=previous,
        **dims,
    )
    return EventRow(**values)


def commit(con, cache, rows: list[EventRow], at_offset: int) -> WalPosition:
    """Commit ``rows`` as the WAL record that ends at offset ``at_offset + 1``."""
    cursor = WalPosition(1, at_offset + 1)
    commit_events(con, cache, VisitorHistories(100), rows, cursor)
    return cursor


def sessions(con) -> list[tuple]:
    return con.execute(
        "SELECT visitor_id, pageview_count, event_count, entry_path, exit_path FROM sessions ORDER BY first_seen"
    ).fetchall()


def test_thirty_minutes_of_silence_starts_a_new_session(con) -> None:
    cache = SessionCache(100)
    commit(con, cache, [row("v", "2026-03-01T10:00:00"), row("v", "2026-03-01T10:29:59", "/b")], 0)
    commit(con, cache, [row("v", "2026-03-01T10:59:59", "/c"), row("v", "2026-03-01T11:30:00", "/d")], 1)
    assert sessions(con) == [("v", 3, 3, "/", "/c"), ("v", 1, 1, "/d", "/d")]


def test_a_cold_cache_finds_the_open_session_in_duckdb(con) -> None:
    commit(con, SessionCache(100), [row("v", "2026-03-01T10:00:00")], 0)
    commit(con, SessionCache(100), [row("v", "2026-03-01T10:10:00", "/b", event_type="event")], 1)
    assert sessions(con) == [("v", 1, 2, "/", "/")]


def test_a_session_continues_across_midnight_under_yesterdays_visitor_id(con) -> None:
    cache = SessionCache(100)
    commit(con, cache, [row("old-id", "2026-03-01T23:55:00")], 0)
    commit(con, cache, [row("new-id", "2026-03-02T00:10:00", "/next", previous="old-id")], 1)
    commit(con, cache, [row("new-id", "2026-03-02T00:50:00", "/later", previous=None)], 2)
    assert sessions(con) == [("old-id", 2, 2, "/", "/next"), ("new-id", 1, 1, "/later", "/later")]
    assert con.execute("SELECT count(DISTINCT visitor_id) FROM events WHERE created_at < '2026-03-02 00:30'").fetchone() == (1,)


def test_records_before_the_cursor_are_not_inserted_twice(con) -> None:
    cache = SessionCache(100)
    events, cursor = [row("v", "2026-03-01T10:00:00")], WalPosition(1, 10)
    assert commit_events(con, cache, VisitorHistories(100), events, cursor) == 1
    assert commit_events(con, cache, VisitorHistories(100), events, cursor) == 0
    assert con.execute("SELECT count(*) FROM events").fetchone() == (1,)
    assert read_cursor(con) == WalPosition(1, 10)


def test_a_continued_session_keeps_one_row(con) -> None:
    cache = SessionCache(100)
    for offset, minute in enumerate(range(0, 50, 10)):
        commit(con, cache, [row("v", f"2026-03-01T10:{minute:02d}:00", f"/{minute}")], offset)
    commit(con, SessionCache(100), [row("v", "2026-03-01T11:00:00", "/cold")], 5)
    assert sessions(con) == [("v", 6, 6, "/0", "/cold")]
    assert con.execute("SELECT count(*), count(DISTINCT session_id) FROM sessions").fetchone() == (1, 1)


def test_landing_dimensions_follow_the_rule_the_schema_states(con) -> None:
    """Source and entry page from the first pageview (Decision 21: the custom event before it
    does not set them); client and place from the first event that knows them; the
    distinct paths of its pageviews (a custom event's path is not one)."""
    first = row("v", "2026-03-01T10:00:00", "/", event_type="event", referrer_domain="google.com",
                channel="Organic Search", utm_source="google", country=None, browser=None)
    second = row("v", "2026-03-01T10:01:00", "/b", referrer_domain="bing.com", channel="Organic Search",
                 utm_campaign="late", country="DE", region="Berlin", city="Berlin", browser="Firefox",
                 os="Linux", device_type="desktop", screen="1920x1080", language="de-DE")
    third = row("v", "2026-03-01T10:02:00", "/c", country="FR", browser="Chrome", language="fr-FR")
    fourth = row("v", "2026-03-01T10:03:00", "/b")
    commit(con, SessionCache(100), [first], 0)
    cache = SessionCache(100)
    commit(con, cache, [second], 1)  # continued from DuckDB, not from a cache
    commit(con, cache, [third, fourth], 2)
    columns = [*SOURCE_COLUMNS, "entry_page", *CLIENT_COLUMNS]
    stored = con.execute(f"SELECT {', '.join(columns)}, list_sort(pageview_paths) FROM sessions").fetchall()
    assert stored == [
        ("bing.com", "Organic Search", None, None, "late", "https://example.com/b",
         "DE", "Berlin", "Berlin", "Firefox", "Linux", "desktop", "1920x1080", "de-DE", ["/b", "/c"]),
    ]
    from_events = con.execute(
        f"SELECT {', '.join(columns)}, list_sort(p.pageview_paths) FROM ({SESSION_DIMENSIONS_FROM_EVENTS}) d"
        f" JOIN ({SESSION_PATHS_FROM_EVENTS}) p USING (session_id)"
    ).fetchall()
    assert from_events == stored


LANDING = ("referrer_domain", "channel", "utm_source", "entry_page")

# Each story is one session's events in time order, and the landing values it must show.
STORIES = {
    "identify then a pageview from a referrer": (
        [row("v", "2026-03-01T10:00:00", "/", event_type="event", channel="Direct"),
         row("v", "2026-03-01T10:00:01", "/post", referrer_domain="news.ycombinator.com", channel="Referral"),
         row("v", "2026-03-01T10:01:00", "/about", channel="Direct")],
        ("news.ycombinator.com", "Referral", None, "https://example.com/post"),
    ),
    "a link click with a source, then a pageview without one": (
        [row("v", "2026-03-01T10:00:00", "/go", event_type="event", referrer_domain="t.co", channel="Organic Social"),
         row("v", "2026-03-01T10:00:01", "/landing", channel="Direct")],
        (None, "Direct", None, "https://example.com/landing"),
    ),
    "no pageview: the first event carrying a source": (
        [row("v", "2026-03-01T10:00:00", "/a", event_type="event", channel="Direct"),
         row("v", "2026-03-01T10:00:05", "/b", event_type="event", utm_source="mail", channel="Email"),
         row("v", "2026-03-01T10:00:09", "/c", event_type="event", referrer_domain="bing.com", channel="Organic Search")],
        (None, "Email", "mail", "https://example.com/b"),
    ),
    "no pageview and no source: the first event": (
        [row("v", "2026-03-01T10:00:00", "/a", event_type="event", channel="Direct"),
         row("v", "2026-03-01T10:00:05", "/b", event_type="event", channel="Direct")],
        (None, "Direct", None, "https://example.com/a"),
    ),
    "a pageview first keeps its source": (
        [row("v", "2026-03-01T10:00:00", "/", referrer_domain="google.com", channel="Organic Search"),
         row("v", "2026-03-01T10:00:05", "/b", event_type="event", utm_source="later", channel="Unassigned"),
         row("v", "2026-03-01T10:00:09", "/c", referrer_domain="bing.com", channel="Organic Search")],
        ("google.com", "Organic Search", None, "https://example.com/"),
    ),
}


@pytest.mark.parametrize("story", STORIES)
@pytest.mark.parametrize("batching", ["one batch", "a batch each, warm cache", "a batch each, cold cache"])
def test_the_landing_event_gives_the_source_however_events_are_batched(con, story, batching) -> None:
    """Decision 21, whether the Writer sees the session's events together (a WAL replay
    or a busy buffer), one by one from its cache, or one by one from DuckDB (a restart);
    and the SQL rule of the schema agrees."""
    events, expected = STORIES[story]
    if batching == "one batch":
        commit(con, SessionCache(100), events, 0)
    else:
        cache = SessionCache(100)
        for offset, event in enumerate(events):
            commit(con, cache if batching.endswith("warm cache") else SessionCache(100), [event], offset)
    assert con.execute(f"SELECT count(*), {', '.join(LANDING)} FROM sessions GROUP BY ALL").fetchall() == [(1, *expected)]
    from_rule = con.execute(f"SELECT {', '.join(LANDING)} FROM ({SESSION_DIMENSIONS_FROM_EVENTS})").fetchall()
    assert from_rule == [expected]


def test_event_ids_count_on_from_the_stored_counter(con) -> None:
    cache = SessionCache(100)
    commit(con, cache, [row("a", "2026-03-01T10:00:00"), row("b", "2026-03-01T10:00:01")], 0)
    commit(con, cache, [row("c", "2026-03-01T10:00:02")], 1)
    con.execute("DELETE FROM events WHERE id = 3")  # the newest event is purged …
    commit(con, cache, [row("d", "2026-03-01T10:00:03")], 2)  # … and its id is not reused
    assert con.execute("SELECT id, visitor_id FROM events ORDER BY id").fetchall() == [(1, "a"), (2, "b"), (4, "d")]
