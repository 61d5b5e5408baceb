"""Realtime: the 30-minute window before ``now``, active visitors, newest 100 events."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from sparklytics.stores.duckdb.reports.realtime import realtime

from .conftest import make_query

NOW = datetime(2026, 3, 10, 12, 0, tzinfo=timezone.utc)


def seed_window(seed):
    seed.website("site_a")
    seed.website("site_b")
    # a: one pageview 31 min before now (outside) and one exactly 30 min before (inside).
    seed.event(at="2026-03-10T11:29Z", website="site_a", visitor="a", session="a-s", path="/old")
    seed.event(at="2026-03-10T11:30Z", website="site_a", visitor="a", session="a-s", path="/edge")
    # b: inside, with every reported dimension.
    seed.event(at="2026-03-10T11:55Z", website="site_a", visitor="b", session="b-s", path="/pricing",
               referrer="google.com", country="US", browser="Firefox", device="mobile")
    # A bot inside the window.
    seed.event(at="2026-03-10T11:58Z", website="site_a", visitor="bot", session="bot-s", bot=True)
    # d's session ended 40 minutes ago.
    seed.event(at="2026-03-10T11:00Z", website="site_a", visitor="d", session="d-s")
    seed.event(at="2026-03-10T11:20Z", website="site_a", visitor="d", session="d-s")
    # After "now" (not yet happened for this test) and another website.
    seed.event(at="2026-03-10T12:01Z", website="site_a", visitor="c", session="c-s")
    seed.event(at="2026-03-10T11:50Z", website="site_b", visitor="z", session="z-s")
    seed.flush()


def test_window_humans(db):
    con, seed = db
    seed_window(seed)
    data = realtime(con.cursor(), make_query("realtime", "site_a"), now=NOW).data
    # Sessions with last_seen in [11:30, 12:00]: a-s (11:30) and b-s (11:55).
    assert data["active_visitors"] == 2
    assert data["recent_events"] == [
        {"event_type": "pageview", "event_name": None, "url": "https://example.com/pricing", "referrer_domain": "google.com",
         "country": "US", "browser": "Firefox", "device_type": "mobile", "ts": "2026-03-10 11:55:00"},
        {"event_type": "pageview", "event_name": None, "url": "https://example.com/edge", "referrer_domain": None,
         "country": None, "browser": None, "device_type": None, "ts": "2026-03-10 11:30:00"},
    ]
    assert data["pagination"] == {"limit": 100, "total_in_window": 2}


def test_window_with_bots(db):
    con, seed = db
    seed_window(seed)
    data = realtime(con.cursor(), make_query("realtime", "site_a", include_bots="true"), now=NOW).data
    assert data["active_visitors"] == 3
    assert [e["ts"] for e in data["recent_events"]] == ["2026-03-10 11:58:00", "2026-03-10 11:55:00", "2026-03-10 11:30:00"]
    assert data["pagination"]["total_in_window"] == 3
    # The bot policy default applies when include_bots is absent.
    assert realtime(con.cursor(), make_query("realtime", "site_a", bots_default=True), now=NOW).data[
        "active_visitors"
    ] == 3


def test_newest_100_of_a_busy_window(db):
    con, seed = db
    seed.website("site_a")
    start = datetime(2026, 3, 10, 11, 40)
    for n in range(105):  # one every 10 s from 11:40:00 to 11:57:20
        seed.event(at=start + timedelta(seconds=10 * n), website="site_a", visitor=f"v{n % 4}", session=f"s{n % 4}")
    seed.flush()
    data = realtime(con.cursor(), make_query("realtime", "site_a"), now=NOW).data
    assert len(data["recent_events"]) == 100
    assert data["recent_events"][0]["ts"] == "2026-03-10 11:57:20"
    assert data["recent_events"][-1]["ts"] == "2026-03-10 11:40:50"  # event n = 5
    assert data["pagination"] == {"limit": 100, "total_in_window": 105}
    assert data["active_visitors"] == 4


def test_empty_window(db):
    con, seed = db
    seed.website("site_a")
    data = realtime(con.cursor(), make_query("realtime", "site_a"), now=NOW).data
    assert data == {"active_visitors": 0, "recent_events": [], "pagination": {"limit": 100, "total_in_window": 0}}


def test_custom_events_carry_their_name(db):
    con, seed = db
    seed.website("site_a")
    seed.event(at="2026-03-10T11:50Z", website="site_a", path="/docs/", type="event", name="download")
    seed.flush()
    (event,) = realtime(con.cursor(), make_query("realtime", "site_a"), now=NOW).data["recent_events"]
    assert (event["event_type"], event["event_name"]) == ("event", "download")
