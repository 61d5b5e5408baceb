"""Migrations: applied once, in order, and 0002 carries existing data over intact."""

from __future__ import annotations

import uuid
from datetime import datetime

import duckdb
import pytest

from sparklytics.events import EVENT_COLUMNS, EventRow
from sparklytics.sessions import SessionCache
from sparklytics.stores.duckdb import schema
from sparklytics.stores.duckdb.events import commit_events
from sparklytics.stores.duckdb.visitor_history import VisitorHistories
from sparklytics.stores.duckdb.schema import MIGRATIONS, apply_migrations
from sparklytics.wal import WalPosition


@pytest.fixture
def con(tmp_path):
    connection = duckdb.connect(str(tmp_path / "migrations.db"))
    yield connection
    connection.close()


def apply_only(con, names: set[str], monkeypatch) -> None:
    monkeypatch.setattr(schema, "MIGRATIONS", tuple(m for m in MIGRATIONS if m.name in names))
    apply_migrations(con)
    monkeypatch.setattr(schema, "MIGRATIONS", MIGRATIONS)


S1, S2 = "00000000000000a1", "00000000000000a2"  # session ids are 16 hex characters


def old_event(session: str, minute: int, **dims) -> dict:
    values = dict.fromkeys(EVENT_COLUMNS)
    values.update(
        id=uuid.uuid4(), website_id="site_m", session_id=session, visitor_id=f"v-{session}",
        event_type="pageview", url="https://example.com/", path="/", is_bot=False, bot_score=0,
        created_at=datetime(2026, 3, 1, 10, minute), **dims,
    )
    return values


def test_a_second_run_applies_nothing(con) -> None:
    assert apply_migrations(con) == [m.name for m in MIGRATIONS]
    assert apply_migrations(con) == []


def test_0002_keeps_rows_in_order_numbers_events_and_fills_session_dimensions(con, monkeypatch) -> None:
    apply_only(con, {"0001_initial"}, monkeypatch)
    events = [
        old_event(S1, 0, referrer_domain=None, channel="Direct", browser=None),
        old_event(S1, 1, referrer_domain="google.com", channel="Organic Search", browser="Firefox"),
        old_event(S2, 2, referrer_domain="bing.com", channel="Organic Search", browser="Chrome", country="DE"),
    ]
    appender = con.appender("events", columns=list(EVENT_COLUMNS))
    appender.append_rows([[e[c] for c in EVENT_COLUMNS] for e in events])
    appender.flush()
    for sid, first, last, count in ((S1, 0, 1, 2), (S2, 2, 2, 1)):
        con.execute(
            "INSERT INTO sessions (session_id, website_id, visitor_id, first_seen, last_seen, pageview_count,"
            " event_count, entry_page) VALUES (?, 'site_m', ?, ?, ?, ?, ?, 'https://example.com/')",
            [sid, f"v-{sid}", datetime(2026, 3, 1, 10, first), datetime(2026, 3, 1, 10, last), count, count],
        )

    assert apply_migrations(con)[0] == "0002_compact_ids_and_session_dimensions"

    assert con.execute("SELECT id, session_id, browser FROM events").fetchall() == [
        (1, 0xA1, None), (2, 0xA1, "Firefox"), (3, 0xA2, "Chrome"),
    ]
    assert con.execute("SELECT next_event_id FROM ingest_cursor").fetchall() == [(4,)]
    assert con.execute(
        "SELECT session_id, referrer_domain, channel, browser, country FROM sessions ORDER BY session_id"
    ).fetchall() == [(0xA1, None, "Direct", "Firefox", None), (0xA2, "bing.com", "Organic Search", "Chrome", "DE")]
    assert con.execute("SELECT pageview_paths FROM sessions ORDER BY session_id").fetchall() == [(["/"],), (["/"],)]
    (key,) = con.execute("SELECT value FROM settings WHERE key = 'event_id_key'").fetchone()
    assert len(key) == 32

    # The Writer carries on from the migrated state: ids continue, the session continues.
    record_event = EventRow(**{**old_event("ignored", 5), "visitor_id": f"v-{S2}", "previous_visitor_id": None})
    commit_events(con, SessionCache(10), VisitorHistories(10), [record_event], WalPosition(1, 1))
    assert con.execute("SELECT id, session_id FROM events WHERE id = 4").fetchall() == [(4, 0xA2)]
    assert con.execute("SELECT count(*), max(pageview_count) FROM sessions WHERE session_id = 162").fetchall() == [(1, 2)]


def new_event(session: int, event_id: int, minute: int, event_type: str = "pageview", path: str = "/", **dims) -> list:
    values = dict.fromkeys(EVENT_COLUMNS)
    values.update(
        id=event_id, website_id="site_m", session_id=session, visitor_id=f"v-{session}", event_type=event_type,
        url=f"https://example.com{path}", path=path, is_bot=False, bot_score=0,
        created_at=datetime(2026, 3, 1, 10, minute), **{"channel": "Direct", **dims},
    )
    return [values[c] for c in EVENT_COLUMNS]


def test_0003_takes_the_source_and_entry_page_from_the_landing_event(con, monkeypatch) -> None:
    """Sessions stored with the source of their first event get that of their first
    pageview, or of their first event carrying a referrer or UTM tag (Decision 21)."""
    apply_only(con, {"0001_initial", "0002_compact_ids_and_session_dimensions"}, monkeypatch)
    hn = dict(referrer_domain="news.ycombinator.com", channel="Referral")
    events = [
        # 1: identify() then the landing pageview from Hacker News, then an internal pageview.
        new_event(1, 1, 0, "event", "/"), new_event(1, 2, 1, path="/post", **hn), new_event(1, 3, 2, path="/about"),
        # 2: begins with a pageview: its stored values stay.
        new_event(2, 4, 3, path="/docs", **hn), new_event(2, 5, 4, "event", "/docs", utm_source="later"),
        # 3: no pageview; a scroll, then an event tagged by a campaign, then another.
        new_event(3, 6, 5, "event", "/a"), new_event(3, 7, 6, "event", "/b", utm_source="mail", channel="Email"),
        new_event(3, 8, 7, "event", "/c", referrer_domain="bing.com", channel="Organic Search"),
        # 4: a link click from Twitter, then a pageview without a source: the pageview wins.
        new_event(4, 9, 8, "event", "/go", referrer_domain="t.co", channel="Organic Social"),
        new_event(4, 10, 9, path="/landing"),
    ]
    appender = con.appender("events", columns=list(EVENT_COLUMNS))
    appender.append_rows(events)
    appender.flush()
    # What the Writer stored before 0003: the source and URL of the first event.
    for sid, first, last in ((1, 0, 2), (2, 3, 4), (3, 5, 7), (4, 8, 9)):
        first_event = dict(zip(EVENT_COLUMNS, next(e for e in events if e[EVENT_COLUMNS.index("session_id")] == sid), strict=True))
        con.execute(
            "INSERT INTO sessions (session_id, website_id, visitor_id, first_seen, last_seen, entry_page,"
            " referrer_domain, channel, utm_source) VALUES (?, 'site_m', ?, ?, ?, ?, ?, ?, ?)",
            [sid, f"v-{sid}", datetime(2026, 3, 1, 10, first), datetime(2026, 3, 1, 10, last), first_event["url"],
             first_event["referrer_domain"], first_event["channel"], first_event["utm_source"]],
        )

    assert apply_migrations(con) == [m.name for m in MIGRATIONS[2:]]
    assert MIGRATIONS[2].name == "0003_session_source_from_landing_event"

    stored = con.execute(
        "SELECT session_id, referrer_domain, channel, utm_source, entry_page FROM sessions ORDER BY session_id"
    ).fetchall()
    assert stored == [
        (1, "news.ycombinator.com", "Referral", None, "https://example.com/post"),
        (2, "news.ycombinator.com", "Referral", None, "https://example.com/docs"),
        (3, None, "Email", "mail", "https://example.com/b"),
        (4, None, "Direct", None, "https://example.com/landing"),
    ]
    from_rule = con.execute(
        f"SELECT session_id, referrer_domain, channel, utm_source, entry_page FROM ({schema.SESSION_DIMENSIONS_FROM_EVENTS})"
        " ORDER BY session_id"
    ).fetchall()
    assert from_rule == stored
    assert con.execute("SELECT count(*) FROM duckdb_tables() WHERE table_name = 'landing_candidates'").fetchone() == (0,)


def test_0006_gives_recompute_jobs_their_progress_counters(tmp_path) -> None:
    con = duckdb.connect(str(tmp_path / "m.db"))
    apply_migrations(con)
    columns = {row[0]: row[1] for row in con.execute("DESCRIBE bot_recompute_runs").fetchall()}
    assert (columns["events_total"], columns["events_done"]) == ("BIGINT", "BIGINT")
