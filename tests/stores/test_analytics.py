"""The AnalyticsStore contract: every method, on the hand-built dataset, exact numbers.

The dataset is ``tests.queries.fixtures.seed_main_dataset`` (its docstring describes
every row); the numbers below are worked out from that description. The ``store``
fixture (``conftest.py``) yields an AnalyticsStore and the tests call only Protocol
methods, so a second backend joins by adding its store to the fixture's parameters.
"""

from __future__ import annotations

import csv
import io
from datetime import datetime

from sparklytics.queries.journey import parse_journey_options
from sparklytics.queries.retention import parse_retention_options
from tests.queries.conftest import make_query

WEEK = {"start_date": "2026-03-02", "end_date": "2026-03-08"}


def daily(values: list[tuple[int, int]]) -> list[dict]:
    days = [f"2026-03-0{d}" for d in range(2, 9)]
    return [{"date": day, "pageviews": n, "visitors": v} for day, (n, v) in zip(days, values, strict=True)]


async def test_stats(store):
    # 5 weekdays × 12 pageviews; u0..u5 and u9; 6 sessions a day + u9's link click, the
    # 15 odd-i sessions bounce; 15 sessions of 240 s. Previous week: u0-prev and p1-prev.
    assert (await store.stats(make_query("stats", **WEEK))).body() == {
        "data": {
            "pageviews": 60, "visitors": 7, "sessions": 31, "bounce_rate": 0.484, "avg_duration_seconds": 116.1,
            "prev_pageviews": 3, "prev_visitors": 2, "prev_sessions": 2, "prev_bounce_rate": 0.5,
            "prev_avg_duration_seconds": 30.0, "timezone": "UTC",
        }
    }


async def test_pageviews(store):
    # Six regular visitors a day; Thursday also u9's link click (a visitor, no pageview).
    body = (await store.pageviews(make_query("pageviews", **WEEK))).body()
    assert body == {
        "data": {
            "series": daily([(12, 6), (12, 6), (12, 6), (12, 7), (12, 6), (0, 0), (0, 0)]),
            "granularity": "day",
            "compare_series": None,
        }
    }


async def test_metrics(store):
    # Chrome: i = 0, 1, 2 (3 + 1 + 3 pageviews a day, one bounce of three, 240/0/240 s).
    body = (await store.metrics(make_query("metrics", type="browser", **WEEK))).body()
    assert body == {
        "data": {
            "type": "browser",
            "rows": [
                {"value": "Chrome", "visitors": 3, "pageviews": 35, "bounce_rate": 33.3, "avg_duration_seconds": 160.0},
                {"value": "Firefox", "visitors": 3, "pageviews": 25, "bounce_rate": 66.7, "avg_duration_seconds": 80.0},
            ],
        },
        "pagination": {"total": 2, "limit": 10, "offset": 0, "has_more": False},
        "compare": None,
    }


async def test_realtime(store):
    # Thursday 12:40: the last 30 minutes hold u9's link click alone.
    body = (await store.realtime(make_query("realtime"), now=datetime(2026, 3, 5, 12, 40))).body()
    assert body == {
        "data": {
            "active_visitors": 1,
            "recent_events": [
                {
                    "event_type": "event", "event_name": "link_click", "url": "https://example.com/go/promo",
                    "referrer_domain": None, "country": None, "browser": None, "device_type": None,
                    "ts": "2026-03-05 12:30:00",
                }
            ],
            "pagination": {"limit": 100, "total_in_window": 1},
        }
    }


async def test_events(store):
    body = (await store.events(make_query("events", **WEEK))).body()
    assert body == {
        "data": {
            "rows": [
                {"event_name": "signup_click", "count": 15, "visitors": 3},
                {"event_name": "link_click", "count": 1, "visitors": 1},
            ],
            "total": 2,
        }
    }


async def test_event_properties(store):
    # i=0 pro/header, i=2 free/footer, i=4 free/header (its null coupon is not a value).
    body = (await store.event_properties(make_query("event_properties", event_name="signup_click", **WEEK))).body()
    assert body["data"]["properties"] == [
        {"property_key": "plan", "property_value": "free", "count": 10},
        {"property_key": "plan", "property_value": "pro", "count": 5},
        {"property_key": "source", "property_value": "header", "count": 10},
        {"property_key": "source", "property_value": "footer", "count": 5},
    ]
    assert (body["data"]["total_occurrences"], body["data"]["sample_size"]) == (15, 15)


async def test_event_timeseries(store):
    query = make_query("event_timeseries", event_name="signup_click", **WEEK)
    body = (await store.event_timeseries(query)).body()
    assert body == {"data": {"series": daily([(3, 3)] * 5 + [(0, 0)] * 2), "granularity": "day"}}


async def test_sessions_and_one_session(store):
    page = (await store.sessions(make_query("sessions", limit="2", **WEEK))).body()
    # Newest first: Friday's u5 (15:00, a bounce) then u4 (14:00–14:04).
    assert [(s["visitor_id"], s["pageview_count"], s["duration_seconds"]) for s in page["data"]] == [
        ("u5", 1, 0),
        ("u4", 3, 240),
    ]
    assert page["pagination"]["has_more"] is True
    rest = (await store.sessions(make_query("sessions", cursor=page["pagination"]["next_cursor"], **WEEK))).body()
    assert len(page["data"]) + len(rest["data"]) == 31

    detail = (await store.session("site_utc", page["data"][0]["session_id"])).body()["data"]
    assert detail["session"] == page["data"][0]
    assert [(e["event_type"], e["url"]) for e in detail["events"]] == [("pageview", "https://example.com/blog/hello")]
    assert await store.session("site_utc", "0000000000000000") is None


async def test_funnel(store):
    # / → /pricing → signup_click: i = 0 and 2 on each of the five weekdays.
    steps = [
        {"step_order": 1, "step_type": "page_view", "match_value": "/", "match_operator": "equals", "label": "Home"},
        {"step_order": 2, "step_type": "page_view", "match_value": "/pricing", "match_operator": "equals",
         "label": "Pricing"},
        {"step_order": 3, "step_type": "event", "match_value": "signup_click", "match_operator": "equals",
         "label": "Signup"},
    ]
    body = (await store.funnel(make_query("funnel_results", **WEEK), {"id": "f1", "name": "signup", "steps": steps})).body()
    assert body["data"]["total_sessions_entered"] == 10
    assert [s["sessions_reached"] for s in body["data"]["steps"]] == [10, 10, 10]


async def test_journey(store):
    options = parse_journey_options({"anchor_type": "page", "anchor_value": "/", "direction": "next"})
    body = (await store.journey(make_query("journey", **WEEK), options)).body()
    assert body["data"]["total_anchor_sessions"] == 10
    assert body["data"]["branches"] == [
        {"nodes": ["/pricing", "signup_click", "/docs"], "sessions": 5, "share": 0.5},
        {"nodes": ["/pricing", "signup_click", "/pricing"], "sessions": 5, "share": 0.5},
    ]


async def test_retention(store):
    # New in the range: u1..u5 and u9 (u0 was first seen in February); back the next
    # week: u1, u2, u3.
    options = parse_retention_options({"cohort_granularity": "week", "max_periods": "2"})
    query = make_query("retention", start_date="2026-03-02", end_date="2026-03-15")
    body = (await store.retention(query, options)).body()
    assert body["data"]["rows"] == [
        {
            "cohort_start": "2026-03-02",
            "cohort_size": 6,
            "periods": [{"offset": 0, "retained": 6, "rate": 1.0}, {"offset": 1, "retained": 3, "rate": 0.5}],
        }
    ]


async def test_export(store):
    text = b"".join([chunk async for chunk in store.export(make_query("export", **WEEK))]).decode()
    rows = list(csv.DictReader(io.StringIO(text)))
    # 76 human events and bot1's 4 pageviews: exports include bots.
    assert len(rows) == 80
    assert sum(row["is_bot"] == "true" for row in rows) == 4
    assert rows[0]["created_at"] == "2026-03-02 10:00:00"


async def test_share_reports(store):
    stats = (await store.share_stats(make_query("share_stats", **WEEK))).body()
    assert (stats["data"]["pageviews"], stats["data"]["visitors"]) == (60, 7) and "compare" not in stats
    series = (await store.share_pageviews(make_query("share_pageviews", **WEEK))).body()
    assert series == {"data": {"series": daily([(12, 6), (12, 6), (12, 6), (12, 7), (12, 6), (0, 0), (0, 0)]),
                               "granularity": "day"}}
    metrics = (await store.share_metrics(make_query("share_metrics", type="country", **WEEK))).body()
    assert [(r["value"], r["visitors"]) for r in metrics["data"]["rows"]] == [("US", 3), ("DE", 2), ("FR", 1)]
    overview = (await store.share_overview(make_query("share_overview", **WEEK))).body()["data"]
    assert overview["stats"]["sessions"] == 31
    assert list(overview["metrics"]) == ["page", "referrer", "browser", "country", "os", "device"]


async def test_bot_summary(store):
    # 76 human events and bot1's 4 pageviews (the seed stores no reason: "unknown").
    body = (await store.bot_summary(make_query("bot_summary", **WEEK))).body()
    assert body == {
        "data": {
            "website_id": "site_utc", "start_date": "2026-03-02T00:00:00Z", "end_date": "2026-03-09T00:00:00Z",
            "bot_events": 4, "human_events": 76, "bot_rate": 0.05, "top_reasons": [{"code": "unknown", "count": 4}],
        }
    }


async def test_bot_report(store):
    data = (await store.bot_report(make_query("bot_report", **WEEK))).data
    # 15 human events a weekday, u9's link click on Thursday, bot1 on Wednesday; the
    # weekend has no events, so no bucket.
    assert data["timeseries"] == [
        {"period_start": "2026-03-02", "bot_events": 0, "human_events": 15},
        {"period_start": "2026-03-03", "bot_events": 0, "human_events": 15},
        {"period_start": "2026-03-04", "bot_events": 4, "human_events": 15},
        {"period_start": "2026-03-05", "bot_events": 0, "human_events": 16},
        {"period_start": "2026-03-06", "bot_events": 0, "human_events": 15},
    ]
    assert data["split"] == {"bot_events": 4, "human_events": 76, "bot_rate": 0.05}
    assert (data["top_reasons"], data["top_user_agents"]) == ([{"code": "unknown", "count": 4}], [])
    hourly = (await store.bot_report(make_query("bot_report", granularity="hour", **WEEK))).data["timeseries"]
    assert [b for b in hourly if b["bot_events"]] == [
        {"period_start": "2026-03-04T03:00:00Z", "bot_events": 4, "human_events": 0},
    ]
