"""Breakdowns (``/metrics``): every type, ordering, paging totals and compare deltas.

Primary week, humans (see ``fixtures.seed_main_dataset``). Per regular visitor i there
are 5 sessions: even i → 3 pageviews, 240 s, never a bounce; odd i → 1 pageview, 0 s,
always a bounce. u9-link: no pageview, 0 s, not a bounce; it has no geo/UA/referrer.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from sparklytics.queries.breakdowns import shape_row

from .conftest import make_query
from .reports import metrics

PRIMARY = {"start_date": "2026-03-02", "end_date": "2026-03-08"}


def rows(result):
    return [
        (r["value"], r["visitors"], r["pageviews"], r["bounce_rate"], r["avg_duration_seconds"])
        for r in result.data["rows"]
    ]


EXPECTED = {
    # Decision 3: grouped by path, pageview rows only, ordered by pageviews.
    # /docs: i0 ×1 + i4 ×3 per day; /pricing: i0 ×1 + i2 ×2; /: i0, i2.
    "page": [
        ("/docs", 2, 20, 0.0, 240.0),
        ("/blog/hello", 3, 15, 100.0, 0.0),
        ("/pricing", 2, 15, 0.0, 240.0),
        ("/", 2, 10, 0.0, 240.0),
    ],
    # (direct) = i 2..5 + u9: 21 sessions, 10 bounces (47.6 %), 10 × 240 s / 21 = 114.3.
    "referrer": [
        ("(direct)", 5, 40, 47.6, 114.3),
        ("google.com", 1, 15, 0.0, 240.0),
        ("news.ycombinator.com", 1, 5, 100.0, 0.0),
    ],
    # US = i 0,1,2: 15 sessions, 5 bounces, 10 × 240 / 15 = 160; DE = i 3,4; FR = i 5.
    "country": [("US", 3, 35, 33.3, 160.0), ("DE", 2, 20, 50.0, 120.0), ("FR", 1, 5, 100.0, 0.0)],
    "region": [
        ("California", 3, 35, 33.3, 160.0),
        ("Berlin", 2, 20, 50.0, 120.0),
        ("Ile-de-France", 1, 5, 100.0, 0.0),
    ],
    "city": [
        ("San Francisco", 3, 35, 33.3, 160.0),
        ("Berlin", 2, 20, 50.0, 120.0),
        ("Paris", 1, 5, 100.0, 0.0),
    ],
    # Firefox = i 3,4,5: 10 bounces of 15 (66.7 %), 5 × 240 / 15 = 80.
    "browser": [("Chrome", 3, 35, 33.3, 160.0), ("Firefox", 3, 25, 66.7, 80.0)],
    "os": [("Mac OS X", 3, 45, 0.0, 240.0), ("Windows", 3, 15, 100.0, 0.0)],
    "device": [("desktop", 4, 40, 50.0, 120.0), ("mobile", 2, 20, 50.0, 120.0)],
    "screen": [("1920x1080", 4, 40, 50.0, 120.0), ("390x844", 2, 20, 50.0, 120.0)],
    # Decision 1: custom events are not pageviews (see the extra "events" key below).
    "event_name": [("signup_click", 3, 0, 0.0, 240.0), ("link_click", 1, 0, 0.0, 0.0)],
    # en-US = i 0..4: 25 sessions, 10 bounces, 15 × 240 / 25 = 144.
    "language": [("en-US", 5, 55, 40.0, 144.0), ("fr-FR", 1, 5, 100.0, 0.0)],
    # UTM sits on the first pageview only, but it is the source of the whole visit:
    # 5 sessions × 3 pageviews, 240 s each.
    "utm_source": [("google", 1, 15, 0.0, 240.0), ("newsletter", 1, 15, 0.0, 240.0)],
    "utm_medium": [("cpc", 1, 15, 0.0, 240.0), ("email", 1, 15, 0.0, 240.0)],
    "utm_campaign": [("brand", 1, 15, 0.0, 240.0), ("spring", 1, 15, 0.0, 240.0)],
    # Direct = i 3,4,5 + u9: 16 sessions, 10 bounces (62.5 %), 5 × 240 / 16 = 75.
    "channel": [
        ("Direct", 4, 25, 62.5, 75.0),
        ("Email", 1, 15, 0.0, 240.0),
        ("Paid Search", 1, 15, 0.0, 240.0),
        ("Referral", 1, 5, 100.0, 0.0),
    ],
    # First pageview path: i0, i2 → /; i4 → /docs; odd → /blog/hello. u9-link has none.
    # pageviews = the matching pageviews of those sessions.
    "entry_page": [
        ("/blog/hello", 3, 15, 100.0, 0.0),
        ("/", 2, 30, 0.0, 240.0),
        ("/docs", 1, 15, 0.0, 240.0),
    ],
    # Last pageview path: i0, i4 → /docs; i2 → /pricing.
    "exit_page": [
        ("/blog/hello", 3, 15, 100.0, 0.0),
        ("/docs", 2, 30, 0.0, 240.0),
        ("/pricing", 1, 15, 0.0, 240.0),
    ],
}


@pytest.mark.parametrize("metric", sorted(EXPECTED))
def test_each_type(cur, metric):
    result = metrics(cur, make_query("metrics", type=metric, **PRIMARY))
    assert result.data["type"] == metric
    assert rows(result) == EXPECTED[metric]
    total = len(EXPECTED[metric])
    assert result.extras == {
        "pagination": {"total": total, "limit": 10, "offset": 0, "has_more": False},
        "compare": None,
    }


def test_all_17_types_are_covered():
    from sparklytics.queries.report_query import METRIC_TYPES

    assert set(EXPECTED) == set(METRIC_TYPES)


def test_event_name_rows_carry_occurrences(cur):
    result = metrics(cur, make_query("metrics", type="event_name", **PRIMARY))
    assert [(r["value"], r["events"]) for r in result.data["rows"]] == [("signup_click", 15), ("link_click", 1)]
    assert "events" not in metrics(cur, make_query("metrics", type="page", **PRIMARY)).data["rows"][0]


def test_paging(cur):
    def page(limit, offset, metric="page"):
        r = metrics(cur, make_query("metrics", type=metric, limit=str(limit), offset=str(offset), **PRIMARY))
        return [row[0] for row in rows(r)], r.extras["pagination"]

    assert page(2, 0) == (["/docs", "/blog/hello"], {"total": 4, "limit": 2, "offset": 0, "has_more": True})
    assert page(2, 2) == (["/pricing", "/"], {"total": 4, "limit": 2, "offset": 2, "has_more": False})
    assert page(3, 2) == (["/pricing", "/"], {"total": 4, "limit": 3, "offset": 2, "has_more": False})
    # Past the end: no rows, the total still known.
    assert page(2, 10) == ([], {"total": 4, "limit": 2, "offset": 10, "has_more": False})
    assert page(1, 5, "entry_page") == ([], {"total": 3, "limit": 1, "offset": 5, "has_more": False})
    assert page(1, 1, "entry_page") == (["/"], {"total": 3, "limit": 1, "offset": 1, "has_more": True})


def test_visitors_break_ties_in_the_count_across_the_page_boundary(db):
    con, seed = db
    seed.website("site_t")
    # /a, /b, /c: 2 pageviews each; /a and /c by two visitors, /b by one; /z: 1.
    for path, visitors in (("/a", ["x", "y"]), ("/b", ["x", "x"]), ("/c", ["y", "z"]), ("/z", ["z"])):
        for n, visitor in enumerate(visitors):
            seed.event(at=f"2026-03-02T1{n}:00Z", website="site_t", visitor=visitor, session=f"{visitor}{n}", path=path)
    seed.flush()

    def page(limit, offset):
        q = make_query("metrics", "site_t", type="page", limit=str(limit), offset=str(offset),
                       start_date="2026-03-02", end_date="2026-03-02")
        return [(r["value"], r["visitors"], r["pageviews"]) for r in metrics(con.cursor(), q).data["rows"]]

    assert page(1, 0) == [("/a", 2, 2)]
    assert page(1, 1) == [("/c", 2, 2)]
    assert page(2, 2) == [("/b", 1, 2), ("/z", 1, 1)]


def test_filters_narrow_the_rows(cur):
    # DE = i 3 (/blog/hello, bounces) and i 4 (/docs ×3).
    result = metrics(cur, make_query("metrics", type="page", filter_country="DE", **PRIMARY))
    assert rows(result) == [("/docs", 1, 15, 0.0, 240.0), ("/blog/hello", 1, 5, 100.0, 0.0)]


def test_bots_included(cur):
    # bot1-s: / /a /b /c in one 180 s session. "/" gains a visitor, a pageview and a
    # session: (10 × 240 + 180) / 11 = 234.545 → 234.5.
    result = metrics(cur, make_query("metrics", type="page", include_bots="1", **PRIMARY))
    assert rows(result) == [
        ("/docs", 2, 20, 0.0, 240.0),
        ("/blog/hello", 3, 15, 100.0, 0.0),
        ("/pricing", 2, 15, 0.0, 240.0),
        ("/", 3, 11, 0.0, 234.5),
        ("/a", 1, 1, 0.0, 180.0),
        ("/b", 1, 1, 0.0, 180.0),
        ("/c", 1, 1, 0.0, 180.0),
    ]
    assert result.extras["pagination"]["total"] == 7


def test_local_day_in_los_angeles(cur):
    # Local Sun 8 March: w3 (2 pageviews, 3600 s) and w4 (a bounce).
    result = metrics(cur, make_query("metrics", "site_la", type="page", start_date="2026-03-08", end_date="2026-03-08"))
    assert rows(result) == [("/", 2, 3, 50.0, 1800.0)]


@pytest.fixture
def straddling(db):
    """Sessions across the edges of Tue 3 March (UTC), each landing from one referrer.

    a: 23:50 Mon, 23:55 Mon, 00:05 Tue (google.com); b: 10:00 Tue (direct, a bounce);
    c: 23:58 Tue, 00:10 Wed, 00:20 Wed (bing.com); d: 23:00 Mon – 00:20 Wed, a
    pageview every 20 min (news.ycombinator.com): it straddles both edges of Tue, so
    the windows scanned at the head and at the tail of the range overlap.
    """
    con, seed = db
    seed.website("site_e")
    for visitor, times, referrer in (
        ("a", ["2026-03-02T23:50Z", "2026-03-02T23:55Z", "2026-03-03T00:05Z"], "google.com"),
        ("b", ["2026-03-03T10:00Z"], None),
        ("c", ["2026-03-03T23:58Z", "2026-03-04T00:10Z", "2026-03-04T00:20Z"], "bing.com"),
    ):
        for n, at in enumerate(times):
            seed.event(at=at, website="site_e", visitor=visitor, session=visitor, path=f"/{n}",
                       referrer=referrer if n == 0 else None)
    for n in range(77):
        seed.event(at=datetime(2026, 3, 2, 23) + timedelta(minutes=20 * n), website="site_e", visitor="d",
                   session="d", path="/d", referrer="news.ycombinator.com" if n == 0 else None)
    seed.flush()
    return con.cursor()


def test_sessions_straddling_the_range_count_only_their_pageviews_inside_it(straddling):
    q = make_query("metrics", "site_e", type="referrer", start_date="2026-03-03", end_date="2026-03-03")
    # d: 00:00 … 23:40 Tue = 72 of its 77 pageviews, 25 h 20 min long; a: 1 of 3 (15 min);
    # b: 1 (a bounce); c: 1 of 3 (22 min). Durations are the whole sessions'.
    assert rows(metrics(straddling, q)) == [
        ("news.ycombinator.com", 1, 72, 0.0, 91200.0),
        ("(direct)", 1, 1, 100.0, 0.0),
        ("bing.com", 1, 1, 0.0, 1320.0),
        ("google.com", 1, 1, 0.0, 900.0),
    ]


def test_a_filter_that_keeps_every_row_changes_nothing(straddling):
    """The filtered path (events joined to sessions) and the sessions-only path agree."""
    days = {"start_date": "2026-03-02", "end_date": "2026-03-04"}
    for metric in ("referrer", "browser", "entry_page", "page"):
        for range_ in (days, {"start_date": "2026-03-03", "end_date": "2026-03-03"}):
            plain = metrics(straddling, make_query("metrics", "site_e", type=metric, **range_))
            filtered = metrics(
                straddling, make_query("metrics", "site_e", type=metric, filter_hostname="example.com", **range_)
            )
            assert rows(plain) == rows(filtered)


def compare_rows(result):
    return [
        (r["value"], r["prev_visitors"], r["prev_pageviews"], r["delta_visitors_abs"], r["delta_visitors_pct"])
        for r in result.data["rows"]
    ]


def test_compare_previous_period(cur):
    # 23 Feb – 1 Mar: u0 (US, 2 pageviews) and p1 (GB, 1). GB is not on the page.
    result = metrics(cur, make_query("metrics", type="country", compare_mode="previous_period", **PRIMARY))
    assert compare_rows(result) == [("US", 1, 2, 2, 2.0), ("DE", 0, 0, 2, 0.0), ("FR", 0, 0, 1, 0.0)]
    assert result.extras["compare"] == {
        "mode": "previous_period",
        "primary_range": ["2026-03-02", "2026-03-08"],
        "comparison_range": ["2026-02-23", "2026-03-01"],
    }


def test_compare_custom_week_two(cur):
    # 9–13 March, i = 0..3: Chrome = i 0,1,2 (3 visitors, 35 pageviews), Firefox = i 3 (1, 5).
    result = metrics(cur, make_query("metrics", type="browser", compare_mode="custom",
                                     compare_start_date="2026-03-09", compare_end_date="2026-03-13", **PRIMARY))
    assert compare_rows(result) == [("Chrome", 3, 35, 0, 0.0), ("Firefox", 1, 5, 2, 2.0)]
    # Session-level dimension: entry pages of week 2 — /blog/hello (i1, i3: 2 visitors,
    # 10 pageviews), / (i0, i2: 2 visitors, 30 pageviews), /docs none.
    result = metrics(cur, make_query("metrics", type="entry_page", compare_mode="custom",
                                     compare_start_date="2026-03-09", compare_end_date="2026-03-13", **PRIMARY))
    assert compare_rows(result) == [("/blog/hello", 2, 10, 1, 0.5), ("/", 2, 30, 0, 0.0), ("/docs", 0, 0, 1, 0.0)]


def test_compare_previous_year(cur):
    # 2–8 March 2025: y1 viewed / and /docs.
    result = metrics(cur, make_query("metrics", type="page", compare_mode="previous_year", **PRIMARY))
    assert compare_rows(result) == [
        ("/docs", 1, 1, 1, 1.0),
        ("/blog/hello", 0, 0, 3, 0.0),
        ("/pricing", 0, 0, 2, 0.0),
        ("/", 1, 1, 1, 1.0),
    ]


def test_shape_row_is_pure():
    raw = ("/x", 3, 7, 9, 99, 6, 2, 10.04)
    assert shape_row(raw, "page", None) == {
        "value": "/x", "visitors": 3, "pageviews": 7, "bounce_rate": 33.3, "avg_duration_seconds": 10.0,
    }
    assert shape_row(raw, "page", {"/x": (2, 4)}) == {
        "value": "/x", "visitors": 3, "pageviews": 7, "bounce_rate": 33.3, "avg_duration_seconds": 10.0,
        "prev_visitors": 2, "prev_pageviews": 4, "delta_visitors_abs": 1, "delta_visitors_pct": 0.5,
    }
    assert shape_row(("/y", 1, 0, 1, 1, 0, 0, None), "event_name", {})["events"] == 1
