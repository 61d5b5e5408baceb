"""Migrations: applied once, in order, and 0002 carries existing data over intact."""

from __future__ import annotations

import uuid
from datetime import datetime

import duckdb
import pytest

from sparklytics.storage import ingest, schema
from sparklytics.storage.schema import MIGRATIONS, apply_migrations
from sparklytics.storage.wal import WalPosition, WalRecord


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
    values = dict.fromkeys(ingest.EVENT_COLUMNS)
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
    appender = con.appender("events", columns=list(ingest.EVENT_COLUMNS))
    appender.append_rows([[e[c] for c in ingest.EVENT_COLUMNS] for e in events])
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
    record_event = [old_event("ignored", 5)[c] for c in ingest.EVENT_COLUMNS] + [None]
    record_event[ingest.VISITOR_ID] = f"v-{S2}"
    cache = ingest.SessionCache(10)
    record = WalRecord(WalPosition(1, 0), WalPosition(1, 1), [record_event])
    ingest.commit_batch(con, cache, [record], WalPosition(1, 0))
    assert con.execute("SELECT id, session_id FROM events WHERE id = 4").fetchall() == [(4, 0xA2)]
    assert con.execute("SELECT count(*), max(pageview_count) FROM sessions WHERE session_id = 162").fetchall() == [(1, 2)]
