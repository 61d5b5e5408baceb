"""Sessions list (cursor paging) and session detail (≤ 2 000 events)."""

from __future__ import annotations

from datetime import datetime, timedelta

from sparklytics.queries.report_query import decode_cursor
from sparklytics.stores.duckdb.reports.sessions import session_detail, sessions_list

from .conftest import make_query
from .fixtures import session_hex, session_name

PRIMARY = {"start_date": "2026-03-02", "end_date": "2026-03-08"}


def ids(result):
    return [session_name(s["session_id"]) for s in result.data]


def all_pages(cur, **params):
    pages, cursor = [], None
    while True:
        extra = {"cursor": cursor} if cursor else {}
        result = sessions_list(cur, make_query("sessions", **params, **extra))
        pages.append(ids(result))
        cursor = result.extras["pagination"]["next_cursor"]
        assert result.extras["pagination"]["has_more"] is (cursor is not None)
        if cursor is None:
            return pages


def test_first_page(cur):
    result = sessions_list(cur, make_query("sessions", limit="7", **PRIMARY))
    # Newest activity first: Fri 6 March u5 (15:00) … u0 (10:04), then Thu 5 u5.
    assert ids(result) == ["u5-d4", "u4-d4", "u3-d4", "u2-d4", "u1-d4", "u0-d4", "u5-d3"]
    page = result.extras["pagination"]
    assert (page["limit"], page["has_more"]) == (7, True)
    assert decode_cursor(page["next_cursor"]).last_seen == "2026-03-05 15:00:00"
    assert decode_cursor(page["next_cursor"]).session_id == session_hex("u5-d3")
    assert result.data[1] == {
        "session_id": session_hex("u4-d4"),
        "visitor_id": "u4",
        "first_seen": "2026-03-06 14:00:00",
        "last_seen": "2026-03-06 14:04:00",
        "duration_seconds": 240,
        "pageview_count": 3,
        "event_count": 4,
        "entry_page": "/docs",
        "exit_page": "/docs",
        "country": "DE",
        "browser": "Firefox",
        "os": "Mac OS X",
        "device_type": "mobile",
    }


def test_cursor_walks_all_31_sessions_once(cur):
    pages = all_pages(cur, limit="7", **PRIMARY)
    assert [len(p) for p in pages] == [7, 7, 7, 7, 3]
    # Page 2 starts after u5-d3 and passes u9's link click (Thu 12:30).
    assert pages[1] == ["u4-d3", "u3-d3", "u9-link", "u2-d3", "u1-d3", "u0-d3", "u5-d2"]
    flat = [sid for page in pages for sid in page]
    assert len(flat) == len(set(flat)) == 31
    assert "bot1-s" not in flat
    assert pages[-1] == ["u2-d0", "u1-d0", "u0-d0"]


def test_exact_page_end_has_no_more(cur):
    result = sessions_list(cur, make_query("sessions", limit="31", **PRIMARY))
    assert len(result.data) == 31
    assert result.extras["pagination"] == {"limit": 31, "next_cursor": None, "has_more": False}


def test_ties_on_last_seen_break_on_session_id(db):
    con, seed = db
    seed.website("site_a")
    x1, x2, x3 = "00000000000000a1", "00000000000000a2", "00000000000000a3"
    for sid in (x1, x3, x2):
        seed.event(at="2026-03-02T10:00Z", website="site_a", visitor=sid, session=sid)
    seed.flush()
    c = con.cursor()
    first = sessions_list(c, make_query("sessions", "site_a", limit="2", start_date="2026-03-02", end_date="2026-03-02"))
    assert ids(first) == [x3, x2]
    second = sessions_list(c, make_query("sessions", "site_a", limit="2", start_date="2026-03-02",
                                         end_date="2026-03-02", cursor=first.extras["pagination"]["next_cursor"]))
    assert ids(second) == [x1]
    assert second.extras["pagination"] == {"limit": 2, "next_cursor": None, "has_more": False}


def test_filters_select_sessions_but_summaries_cover_all_events(cur):
    # UTM only on the first pageview of i=2 sessions; the summary still counts all 4 events.
    result = sessions_list(cur, make_query("sessions", filter_utm_source="newsletter", **PRIMARY))
    assert ids(result) == ["u2-d4", "u2-d3", "u2-d2", "u2-d1", "u2-d0"]
    assert {(s["pageview_count"], s["event_count"], s["exit_page"]) for s in result.data} == {(3, 4, "/pricing")}


def test_bots_and_local_days(cur):
    assert len(sessions_list(cur, make_query("sessions", limit="200", include_bots="true", **PRIMARY)).data) == 32
    # site_la, local Sun 8 March: w4 (23:59 PDT) then w3 (03:30 PDT).
    result = sessions_list(cur, make_query("sessions", "site_la", start_date="2026-03-08", end_date="2026-03-08"))
    assert ids(result) == ["w4-a", "w3-a"]
    assert result.data[1]["duration_seconds"] == 3600


def test_client_values_are_the_first_known_ones(db):
    con, seed = db
    seed.website("site_a")
    # A server-made event without geo or UA comes first: it does not blank the session.
    seed.event(at="2026-03-02T10:00Z", website="site_a", visitor="a", session="s", type="event", name="link_click")
    seed.event(at="2026-03-02T10:01Z", website="site_a", visitor="a", session="s", country="US",
               browser="Chrome", os="Linux", device="desktop")
    seed.event(at="2026-03-02T10:02Z", website="site_a", visitor="a", session="s", country="CA",
               browser="Firefox", os="Windows", device="mobile")
    seed.flush()
    s = sessions_list(con.cursor(), make_query("sessions", "site_a", start_date="2026-03-02", end_date="2026-03-02")).data[0]
    assert (s["country"], s["browser"], s["os"], s["device_type"]) == ("US", "Chrome", "Linux", "desktop")
    assert (s["pageview_count"], s["event_count"], s["duration_seconds"]) == (2, 3, 120)


def test_detail(cur):
    result = session_detail(cur, "site_utc", session_hex("u0-d0"))
    assert result.data["session"]["session_id"] == session_hex("u0-d0")
    assert result.data["truncated"] is False
    events = result.data["events"]
    assert [(e["event_type"], e["url"], e["event_name"], e["created_at"]) for e in events] == [
        ("pageview", "https://example.com/", None, "2026-03-02 10:00:00"),
        ("pageview", "https://example.com/pricing", None, "2026-03-02 10:02:00"),
        ("event", "https://example.com/pricing", "signup_click", "2026-03-02 10:03:00"),
        ("pageview", "https://example.com/docs", None, "2026-03-02 10:04:00"),
    ]
    assert events[2]["event_data"] == '{"plan": "pro", "source": "header"}'
    assert len(events[0]["id"]) == 36


def test_detail_unknown_or_other_website(cur):
    assert session_detail(cur, "site_utc", "nope") is None
    assert session_detail(cur, "site_utc", "ffffffffffffffff") is None
    assert session_detail(cur, "site_la", session_hex("u0-d0")) is None


def test_detail_truncates_at_2000(db):
    con, seed = db
    seed.website("site_a")
    start = datetime(2026, 3, 2, 10)
    for n in range(2001):
        seed.event(at=start + timedelta(seconds=n), website="site_a", visitor="a", session="long", path=f"/p{n}")
    for n in range(2000):
        seed.event(at=start + timedelta(seconds=n), website="site_a", visitor="b", session="full")
    seed.flush()
    long = session_detail(con.cursor(), "site_a", session_hex("long")).data
    assert (len(long["events"]), long["truncated"]) == (2000, True)
    assert long["events"][0]["url"] == "https://example.com/p0"
    assert long["events"][-1]["url"] == "https://example.com/p1999"
    assert long["session"]["event_count"] == 2001
    full = session_detail(con.cursor(), "site_a", session_hex("full")).data
    assert (len(full["events"]), full["truncated"]) == (2000, False)
