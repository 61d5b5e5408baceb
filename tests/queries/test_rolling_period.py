"""``period=24h``: the 24 hours up to now, not whole local days (the dashboard's "Last 24 hours")."""

from __future__ import annotations

from datetime import datetime

import pytest

from sparklytics.queries.errors import QueryError

from .conftest import make_query
from .reports import pageviews, stats

NOW = datetime(2026, 3, 10, 12, 34)  # naive UTC


@pytest.fixture
def con(db):
    con, seed = db
    seed.website("site_utc")
    seed.website("site_kathmandu", "Asia/Kathmandu")
    for website in ("site_utc", "site_kathmandu"):
        seed.event(at="2026-03-09T11:33Z", website=website, visitor="too-old")  # 25 h ago
        seed.event(at="2026-03-09T12:40Z", website=website, visitor="a")  # 23 h 54 min ago
        seed.event(at="2026-03-10T09:00Z", website=website, visitor="b")
        seed.event(at="2026-03-10T12:30Z", website=website, visitor="a", session="a-later")  # 4 min ago
    seed.flush()
    return con


def rolling(route: str, website: str = "site_utc", **params: str):
    return make_query(route, website, tz="Asia/Kathmandu" if website == "site_kathmandu" else "UTC",
                      now=NOW, period="24h", **params)


def test_stats_count_the_last_24_hours_only(con):
    data = stats(con.cursor(), rolling("stats")).data
    assert (data["pageviews"], data["visitors"]) == (3, 2)
    # The previous period is the 24 hours before: the event 25 hours ago.
    assert (data["prev_pageviews"], data["prev_visitors"]) == (1, 1)


def test_hourly_buckets_end_with_the_current_hour(con):
    result = pageviews(con.cursor(), rolling("pageviews"))
    points = [(p["date"], p["pageviews"]) for p in result.data["series"]]
    assert result.data["granularity"] == "hour"
    # 12:34 yesterday … 12:34 today touches 25 clock hours; none lies in the future.
    assert len(points) == 25
    assert points[0] == ("2026-03-09T12:00:00Z", 1)
    assert points[-1] == ("2026-03-10T12:00:00Z", 1)
    assert dict(points)["2026-03-10T09:00:00Z"] == 1
    assert sum(n for _, n in points) == 3


def test_buckets_are_local_hours_of_the_reports_zone(con):
    # Kathmandu is UTC+05:45: 12:34Z is 18:19 local, so the last bucket is 18:00 local.
    points = pageviews(con.cursor(), rolling("pageviews", "site_kathmandu")).data["series"]
    assert points[0]["date"] == "2026-03-09T18:00:00+05:45"
    assert points[-1]["date"] == "2026-03-10T18:00:00+05:45"
    assert sum(p["pageviews"] for p in points) == 3


def test_compare_previous_period_is_the_24_hours_before(con):
    q = rolling("pageviews", compare_mode="previous_period")
    result = pageviews(con.cursor(), q)
    compare = result.data["compare_series"]
    assert len(compare) == len(result.data["series"])
    assert sum(p["pageviews"] for p in compare) == 1
    assert q.compare is not None and q.compare.window == (datetime(2026, 3, 8, 12, 34), datetime(2026, 3, 9, 12, 34))


@pytest.mark.parametrize(
    ("route", "params", "message"),
    [
        ("stats", {"period": "7d"}, "period must be one of: 24h"),
        ("stats", {"period": "24h", "start_date": "2026-03-01"}, "period cannot be combined with start_date"),
        ("pageviews", {"period": "24h", "end_date": "2026-03-01"}, "period cannot be combined with end_date"),
        ("journey", {"period": "24h", "start_date": "2026-03-01", "end_date": "2026-03-02", "anchor_type": "page",
                     "anchor_value": "/"}, "period is not supported here; give start_date and end_date"),
    ],
)
def test_bad_periods_are_refused(route, params, message):
    with pytest.raises(QueryError, match=f"^{message}$") as caught:
        make_query(route, now=NOW, **params)
    assert caught.value.field == "period"
