"""Stats: pageviews vs events, visitors, sessions, bounce, duration, prev_* and compare.

Numbers come from the dataset described in ``fixtures.seed_main_dataset``.
"""

from __future__ import annotations

from sparklytics.queries.stats import shape_stats

from .conftest import make_query
from .fixtures import session_key_of
from .reports import stats

PRIMARY = {"start_date": "2026-03-02", "end_date": "2026-03-08"}


def test_primary_week_humans(cur):
    # Weekdays 2–6 March, per day: i=0,2,4 → 3 pageviews + 1 signup_click; i=1,3,5 → 1
    # pageview. So 5 × 12 = 60 pageviews, 15 signup_click, plus u9's link_click = 76 rows.
    assert cur.execute(
        "SELECT count(*) FROM events WHERE website_id = 'site_utc' AND NOT is_bot"
        " AND created_at >= '2026-03-02' AND created_at < '2026-03-09'"
    ).fetchone() == (76,)
    body = stats(cur, make_query("stats", **PRIMARY)).body()
    assert body == {
        "data": {
            # Decision 1: custom events and the link click are not pageviews.
            "pageviews": 60,
            # u0..u5 and u9 (the link click counts as activity).
            "visitors": 7,
            # 6 per weekday × 5 + u9-link.
            "sessions": 31,
            # Bounces: the 15 odd-i sessions (one pageview each). u9-link has no
            # pageview: in the denominator, not a bounce. 15/31 = 0.48387 → 0.484.
            "bounce_rate": 0.484,
            # 15 sessions of 240 s, 16 of 0 s: 3600/31 = 116.129 → 116.1.
            "avg_duration_seconds": 116.1,
            # Previous period 23 Feb – 1 Mar: u0-prev (/ /pricing, 60 s) and p1-prev (/,
            # a bounce): 3 pageviews, 2 visitors, 2 sessions, 1/2 bounced, 60/2 s.
            "prev_pageviews": 3,
            "prev_visitors": 2,
            "prev_sessions": 2,
            "prev_bounce_rate": 0.5,
            "prev_avg_duration_seconds": 30.0,
            "timezone": "UTC",
        }
    }


def test_bots_included(cur):
    data = stats(cur, make_query("stats", include_bots="true", **PRIMARY)).data
    # + bot1-s: 4 pageviews, 1 visitor, 1 session of 180 s (not a bounce).
    assert (data["pageviews"], data["visitors"], data["sessions"]) == (64, 8, 32)
    # 15/32 = 0.46875 → 0.469 (half up); (3600 + 180)/32 = 118.125 → 118.1.
    assert (data["bounce_rate"], data["avg_duration_seconds"]) == (0.469, 118.1)


def test_compare_previous_year(cur):
    body = stats(cur, make_query("stats", compare_mode="previous_year", **PRIMARY)).body()
    # 2–8 March 2025: y1 viewed / and /docs five minutes apart.
    prev = {k: v for k, v in body["data"].items() if k.startswith("prev_")}
    assert prev == {
        "prev_pageviews": 2,
        "prev_visitors": 1,
        "prev_sessions": 1,
        "prev_bounce_rate": 0.0,
        "prev_avg_duration_seconds": 300.0,
    }
    assert body["compare"] == {
        "mode": "previous_year",
        "primary_range": ["2026-03-02", "2026-03-08"],
        "comparison_range": ["2025-03-02", "2025-03-08"],
    }
    assert body["data"]["pageviews"] == 60


def test_compare_previous_period_has_metadata(cur):
    body = stats(cur, make_query("stats", compare_mode="previous_period", **PRIMARY)).body()
    assert body["compare"]["comparison_range"] == ["2026-02-23", "2026-03-01"]
    assert body["data"]["prev_pageviews"] == 3


def test_compare_custom(cur):
    # Comparison = Mon 9 – Fri 13 March (5 ≤ 2 × 7 days): i = 0..3 only, per day 8
    # pageviews; 4 visitors; 20 sessions, 10 bounces (i = 1, 3); 10 × 240 s / 20.
    body = stats(
        cur,
        make_query("stats", compare_mode="custom", compare_start_date="2026-03-09",
                   compare_end_date="2026-03-13", **PRIMARY),
    ).body()
    d = body["data"]
    assert (d["prev_pageviews"], d["prev_visitors"], d["prev_sessions"]) == (40, 4, 20)
    assert (d["prev_bounce_rate"], d["prev_avg_duration_seconds"]) == (0.5, 120.0)
    assert body["compare"] == {
        "mode": "custom",
        "primary_range": ["2026-03-02", "2026-03-08"],
        "comparison_range": ["2026-03-09", "2026-03-13"],
    }


def test_compare_custom_at_exactly_twice_the_length(cur):
    # 23 Feb – 8 Mar = 14 days = 2 × 7 (allowed; it may overlap the primary range).
    # = previous period + primary week: 3 + 60 pageviews; visitors u0..u5, u9, p1 = 8;
    # sessions 2 + 31 = 33; bounces 1 + 15 = 16 → 16/33 = 0.4848 → 0.485;
    # duration (60 + 3600)/33 = 110.909 → 110.9.
    d = stats(
        cur,
        make_query("stats", compare_mode="custom", compare_start_date="2026-02-23",
                   compare_end_date="2026-03-08", **PRIMARY),
    ).data
    assert (d["prev_pageviews"], d["prev_visitors"], d["prev_sessions"]) == (63, 8, 33)
    assert (d["prev_bounce_rate"], d["prev_avg_duration_seconds"]) == (0.485, 110.9)


def test_previous_year_leap_day(db):
    con, seed = db
    seed.website("leap")
    seed.event(at="2028-02-29T12:00Z", website="leap", visitor="a")
    seed.event(at="2027-02-28T12:00Z", website="leap", visitor="b")
    seed.event(at="2027-02-28T12:05Z", website="leap", visitor="b")
    seed.event(at="2027-03-01T12:00Z", website="leap", visitor="c")  # outside
    seed.flush()
    body = stats(con.cursor(), make_query("stats", "leap", compare_mode="previous_year",
                                          start_date="2028-02-29", end_date="2028-02-29")).body()
    # 29 Feb 2028 → 28 Feb 2027: visitor b's two pageviews, one 300 s session.
    assert body["compare"]["comparison_range"] == ["2027-02-28", "2027-02-28"]
    assert (body["data"]["pageviews"], body["data"]["prev_pageviews"]) == (1, 2)
    assert body["data"]["prev_avg_duration_seconds"] == 300.0


def test_filters_act_on_events_and_sessions_follow(cur):
    def data(**f):
        return stats(cur, make_query("stats", **PRIMARY, **f)).data

    # UTM is only on the first pageview of i=2 sessions, but it is the visit's source
    # (Decision 21): all 5 sessions' 3 pageviews each → 15, no bounce, 240 s.
    d = data(filter_utm_source="newsletter")
    assert (d["pageviews"], d["visitors"], d["sessions"], d["bounce_rate"], d["avg_duration_seconds"]) == (
        15, 1, 5, 0.0, 240.0,
    )
    # Decision 3: substring of the path.
    d = data(filter_page="/blog")
    assert (d["pageviews"], d["visitors"], d["sessions"], d["bounce_rate"]) == (15, 3, 15, 1.0)
    # Hostname in any case: i=3 is on blog.example.com.
    d = data(filter_hostname="BLOG.Example.COM")
    assert (d["pageviews"], d["visitors"], d["sessions"], d["bounce_rate"]) == (5, 1, 5, 1.0)
    # DE = i 3 and 4: 5 + 15 pageviews; 10 sessions, 5 bounces; 5 × 240 s / 10.
    d = data(filter_country="DE")
    assert (d["pageviews"], d["visitors"], d["sessions"], d["bounce_rate"], d["avg_duration_seconds"]) == (
        20, 2, 10, 0.5, 120.0,
    )
    assert (d["prev_pageviews"], d["prev_sessions"], d["prev_bounce_rate"]) == (0, 0, 0.0)
    # Two filters AND together: Chrome on Windows = i 1.
    d = data(filter_browser="Chrome", filter_os="Windows")
    assert (d["pageviews"], d["visitors"], d["sessions"]) == (5, 1, 5)
    # signup_click rows carry path /pricing (i=0,2) or /docs (i=4); u9's link is on
    # /go/promo and is not a pageview.
    d = data(filter_page="/go/")
    assert (d["pageviews"], d["visitors"], d["sessions"], d["bounce_rate"]) == (0, 1, 1, 0.0)


def test_local_days_of_the_website(cur):
    # site_la, local Sun 8 March (08:00Z – next 07:00Z, 23 h): w3 at 01:30 PST and 03:30
    # PDT (one 3600 s session) and w4 at 23:59 PDT (a bounce).
    d = stats(cur, make_query("stats", "site_la", start_date="2026-03-08", end_date="2026-03-08")).data
    assert (d["pageviews"], d["visitors"], d["sessions"], d["bounce_rate"], d["avg_duration_seconds"]) == (
        3, 2, 2, 0.5, 1800.0,
    )
    # Previous period = local Sat 7 March: w2 at 00:30 PST.
    assert (d["prev_pageviews"], d["prev_visitors"]) == (1, 1)
    assert d["timezone"] == "America/Los_Angeles"
    # Same day in UTC: only w3's two pageviews (09:30Z, 10:30Z).
    d = stats(cur, make_query("stats", "site_la", timezone="UTC", start_date="2026-03-08", end_date="2026-03-08")).data
    assert (d["pageviews"], d["visitors"], d["sessions"], d["bounce_rate"], d["avg_duration_seconds"]) == (
        2, 1, 1, 0.0, 3600.0,
    )
    assert d["timezone"] == "UTC"


def test_session_metrics_need_a_passing_sessions_row(db):
    con, seed = db
    seed.website("site_a")
    seed.event(at="2026-03-02T10:00Z", website="site_a", visitor="a", session="gone")
    # A human event in a session the Writer later flagged as bot (sticky flag).
    seed.event(at="2026-03-02T11:00Z", website="site_a", visitor="b", session="flagged")
    seed.event(at="2026-03-02T11:01Z", website="site_a", visitor="b", session="flagged")
    seed.event(at="2026-03-02T12:00Z", website="site_a", visitor="c", session="ok")
    seed.flush()
    con.execute("DELETE FROM sessions WHERE session_id = ?", [session_key_of("gone")])
    con.execute("UPDATE sessions SET is_bot = TRUE WHERE session_id = ?", [session_key_of("flagged")])
    d = stats(con.cursor(), make_query("stats", "site_a", start_date="2026-03-02", end_date="2026-03-02")).data
    # Event totals count all four human rows; only "ok" is a counted session (a bounce).
    assert (d["pageviews"], d["visitors"], d["sessions"], d["bounce_rate"]) == (4, 3, 1, 1.0)


def test_empty_range(cur):
    d = stats(cur, make_query("stats", start_date="2020-01-01", end_date="2020-01-31")).data
    assert d == {
        "pageviews": 0, "visitors": 0, "sessions": 0, "bounce_rate": 0.0, "avg_duration_seconds": 0.0,
        "prev_pageviews": 0, "prev_visitors": 0, "prev_sessions": 0, "prev_bounce_rate": 0.0,
        "prev_avg_duration_seconds": 0.0, "timezone": "UTC",
    }


def test_shape_stats_is_pure():
    assert shape_stats((10, 4, 3, 2, 12.34), (0, 0, 0, 0, None), "Asia/Kathmandu") == {
        "pageviews": 10, "visitors": 4, "sessions": 3, "bounce_rate": 0.667, "avg_duration_seconds": 12.3,
        "prev_pageviews": 0, "prev_visitors": 0, "prev_sessions": 0, "prev_bounce_rate": 0.0,
        "prev_avg_duration_seconds": 0.0, "timezone": "Asia/Kathmandu",
    }
