"""Time series: zero-filled local buckets, DST in several zones, labels, compare_series."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest

from sparklytics.queries.report_query import ReportQuery
from sparklytics.queries.timeseries import bucket_keys, bucket_label
from sparklytics.stores.duckdb.reports.timeseries import series_counts

from .conftest import make_query
from .reports import event_timeseries, pageviews


def series(result):
    return [(p["date"], p["pageviews"], p["visitors"]) for p in result.data["series"]]


def test_days_in_utc_zero_filled(cur):
    result = pageviews(cur, make_query("pageviews", start_date="2026-03-02", end_date="2026-03-08"))
    assert result.data["granularity"] == "day"
    assert result.data["compare_series"] is None
    assert result.extras == {}
    # 12 pageviews per weekday (bots and custom events excluded); Thursday has u9's link
    # click (a visitor, not a pageview); the weekend is zero-filled.
    assert series(result) == [
        ("2026-03-02", 12, 6),
        ("2026-03-03", 12, 6),
        ("2026-03-04", 12, 6),
        ("2026-03-05", 12, 7),
        ("2026-03-06", 12, 6),
        ("2026-03-07", 0, 0),
        ("2026-03-08", 0, 0),
    ]


def test_days_in_los_angeles(cur):
    # See the site_la table in fixtures: local days of w1..w5.
    la = pageviews(cur, make_query("pageviews", "site_la", start_date="2026-03-06", end_date="2026-03-09"))
    assert series(la) == [
        ("2026-03-06", 1, 1),  # w1 23:30 PST (07:30Z on the 7th)
        ("2026-03-07", 1, 1),  # w2 00:30 PST
        ("2026-03-08", 3, 2),  # w3 01:30 PST + 03:30 PDT, w4 23:59 PDT
        ("2026-03-09", 1, 1),  # w5 00:00 PDT
    ]
    utc = pageviews(cur, make_query("pageviews", "site_la", timezone="UTC",
                                    start_date="2026-03-06", end_date="2026-03-09"))
    assert series(utc) == [
        ("2026-03-06", 0, 0),
        ("2026-03-07", 2, 2),  # 07:30Z, 08:30Z
        ("2026-03-08", 2, 1),  # 09:30Z, 10:30Z
        ("2026-03-09", 2, 2),  # 06:59Z, 07:00Z
    ]


def test_hours_in_utc(cur):
    result = pageviews(cur, make_query("pageviews", start_date="2026-03-02", end_date="2026-03-02"))
    assert result.data["granularity"] == "hour"
    points = series(result)
    assert len(points) == 24
    assert points[0] == ("2026-03-02T00:00:00Z", 0, 0)
    # Sessions start at 10:00 + i h: 3 pageviews for even i, 1 for odd i.
    assert points[10:16] == [
        ("2026-03-02T10:00:00Z", 3, 1),
        ("2026-03-02T11:00:00Z", 1, 1),
        ("2026-03-02T12:00:00Z", 3, 1),
        ("2026-03-02T13:00:00Z", 1, 1),
        ("2026-03-02T14:00:00Z", 3, 1),
        ("2026-03-02T15:00:00Z", 1, 1),
    ]
    assert points[23] == ("2026-03-02T23:00:00Z", 0, 0)


def test_hours_on_spring_forward_day_in_los_angeles(cur):
    result = pageviews(cur, make_query("pageviews", "site_la", start_date="2026-03-08", end_date="2026-03-08"))
    points = series(result)
    # 00:00 and 01:00 PST, then 03:00 … 23:00 PDT: 23 buckets, no 02:00.
    assert len(points) == 23
    labels = [p[0] for p in points]
    assert labels[:4] == [
        "2026-03-08T00:00:00-08:00",
        "2026-03-08T01:00:00-08:00",
        "2026-03-08T03:00:00-07:00",
        "2026-03-08T04:00:00-07:00",
    ]
    assert labels[-1] == "2026-03-08T23:00:00-07:00"
    nonzero = [p for p in points if p[1]]
    assert nonzero == [
        ("2026-03-08T01:00:00-08:00", 1, 1),  # w3 09:30Z
        ("2026-03-08T03:00:00-07:00", 1, 1),  # w3 10:30Z
        ("2026-03-08T23:00:00-07:00", 1, 1),  # w4 06:59Z on the 9th
    ]


def test_hours_on_fall_back_day_in_los_angeles(db):
    con, seed = db
    seed.website("site_la", "America/Los_Angeles")
    seed.event(at="2026-11-01T08:30Z", website="site_la", visitor="a")  # 01:30 PDT
    seed.event(at="2026-11-01T09:30Z", website="site_la", visitor="b")  # 01:30 PST
    seed.event(at="2026-11-01T09:45Z", website="site_la", visitor="b")  # 01:45 PST
    seed.flush()
    q = make_query("pageviews", "site_la", start_date="2026-11-01", end_date="2026-11-01")
    points = series(pageviews(con.cursor(), q))
    # 25 real hours; the repeated 01:00 is two buckets told apart by their offsets.
    assert len(points) == 25
    assert points[1:3] == [("2026-11-01T01:00:00-07:00", 1, 1), ("2026-11-01T01:00:00-08:00", 2, 1)]
    assert points[3][0] == "2026-11-01T02:00:00-08:00"
    # The events time series keeps its plain local labels: the repeated hour shows twice.
    q = make_query("event_timeseries", "site_la", event_name="x", start_date="2026-11-01", end_date="2026-11-01")
    labels = [p["date"] for p in event_timeseries(con.cursor(), q).data["series"]]
    assert labels[1:3] == ["2026-11-01 01:00:00", "2026-11-01 01:00:00"]


def test_kathmandu_quarter_hour_offset(db):
    con, seed = db
    seed.website("site_np", "Asia/Kathmandu")
    for at in ("2026-03-02T04:14Z", "2026-03-02T04:15Z", "2026-03-02T18:14Z", "2026-03-02T18:15Z"):
        seed.event(at=at, website="site_np", visitor=at)
    seed.flush()
    c = con.cursor()
    # +05:45: 04:14Z = 09:59, 04:15Z = 10:00, 18:14Z = 23:59 on the 2nd; 18:15Z = 00:00 on the 3rd.
    days = series(pageviews(c, make_query("pageviews", "site_np", tz="Asia/Kathmandu", granularity="day",
                                          start_date="2026-03-02", end_date="2026-03-03")))
    assert days == [("2026-03-02", 3, 3), ("2026-03-03", 1, 1)]
    hours = series(pageviews(c, make_query("pageviews", "site_np", tz="Asia/Kathmandu",
                                           start_date="2026-03-02", end_date="2026-03-02")))
    assert len(hours) == 24
    assert [p for p in hours if p[1]] == [
        ("2026-03-02T09:00:00+05:45", 1, 1),
        ("2026-03-02T10:00:00+05:45", 1, 1),
        ("2026-03-02T23:00:00+05:45", 1, 1),
    ]


@pytest.mark.parametrize(
    "tz,start,end",
    [
        ("America/Los_Angeles", date(2026, 3, 6), date(2026, 3, 10)),
        ("America/Los_Angeles", date(2026, 10, 30), date(2026, 11, 2)),
        ("Asia/Kathmandu", date(2026, 3, 1), date(2026, 3, 3)),
        ("Australia/Lord_Howe", date(2026, 4, 3), date(2026, 4, 6)),
        ("America/Santiago", date(2026, 9, 4), date(2026, 9, 7)),
    ],
)
def test_buckets_agree_with_duckdb_icu(db, tz, start, end):
    """Our offset-CASE bucketing equals DuckDB's ICU ``AT TIME ZONE`` on every row."""
    con, seed = db
    seed.website("site_x", tz)
    t = datetime.combine(start, datetime.min.time()) - timedelta(days=1)
    n = 0
    while t < datetime.combine(end, datetime.min.time()) + timedelta(days=2):
        seed.event(at=t, website="site_x", visitor=f"v{n % 7}", session=f"s{n}")
        t += timedelta(minutes=37)
        n += 1
    seed.flush()
    c = con.cursor()
    q = make_query("pageviews", "site_x", tz=tz, start_date=start.isoformat(), end_date=end.isoformat())
    local = "(created_at AT TIME ZONE 'UTC' AT TIME ZONE $tz)"
    reference = {
        "day": f"CAST({local} AS DATE)",
        "month": f"CAST(date_trunc('month', {local}) AS DATE)",
        # The UTC instant where the local hour began: local hour start − (local − utc).
        "hour": f"date_trunc('hour', {local}) - ({local} - created_at)",
    }
    lo, hi = (datetime.combine(d, datetime.min.time()) for d in (start, end + timedelta(days=1)))
    for granularity, expr in reference.items():
        rows = c.execute(
            f"SELECT {expr} AS k, count(*), count(DISTINCT visitor_id) FROM events"
            f" WHERE CAST({local} AS DATE) >= $lo AND CAST({local} AS DATE) < $hi GROUP BY k",
            {"tz": tz, "lo": lo.date(), "hi": hi.date()},
        ).fetchall()
        expected = {k: (a, b) for k, a, b in rows}
        assert series_counts(c, q, granularity) == expected, granularity
        # And every key falls on a zero-filled bucket.
        assert set(expected) <= set(bucket_keys(q, granularity))


def test_months(cur):
    # 15 Jan – 20 Mar 2026 = 65 days → month. February: the previous-period rows (3
    # pageviews, u0 and p1); March: 60 + 40 pageviews, u0..u5 and u9.
    result = pageviews(cur, make_query("pageviews", start_date="2026-01-15", end_date="2026-03-20"))
    assert result.data["granularity"] == "month"
    assert series(result) == [("2026-01", 0, 0), ("2026-02", 3, 2), ("2026-03", 100, 7)]


def test_compare_series_aligned_by_index(cur):
    # Custom comparison Mon 9 – Fri 13 March: 8 pageviews and 4 visitors per weekday;
    # the primary's 6th and 7th buckets have no comparison bucket → 0.
    result = pageviews(cur, make_query("pageviews", start_date="2026-03-02", end_date="2026-03-08",
                                       compare_mode="custom", compare_start_date="2026-03-09",
                                       compare_end_date="2026-03-13"))
    compare = [(p["date"], p["pageviews"], p["visitors"]) for p in result.data["compare_series"]]
    assert compare == [
        ("2026-03-02", 8, 4),
        ("2026-03-03", 8, 4),
        ("2026-03-04", 8, 4),
        ("2026-03-05", 8, 4),
        ("2026-03-06", 8, 4),
        ("2026-03-07", 0, 0),
        ("2026-03-08", 0, 0),
    ]
    assert result.body()["compare"] == {
        "mode": "custom",
        "primary_range": ["2026-03-02", "2026-03-08"],
        "comparison_range": ["2026-03-09", "2026-03-13"],
    }


def test_compare_series_previous_period_and_longer_comparison(cur):
    # Previous period 23 Feb – 1 Mar: Wed 25 Feb (index 2) has 3 pageviews by 2 visitors.
    result = pageviews(cur, make_query("pageviews", start_date="2026-03-02", end_date="2026-03-08",
                                       compare_mode="previous_period"))
    assert [p["pageviews"] for p in result.data["compare_series"]] == [0, 0, 3, 0, 0, 0, 0]
    assert [p["date"] for p in result.data["compare_series"]][2] == "2026-03-04"
    # A 14-day comparison keeps only its first 7 buckets.
    result = pageviews(cur, make_query("pageviews", start_date="2026-03-02", end_date="2026-03-08",
                                       compare_mode="custom", compare_start_date="2026-02-23",
                                       compare_end_date="2026-03-08"))
    assert [p["pageviews"] for p in result.data["compare_series"]] == [0, 0, 3, 0, 0, 0, 0]


def test_filters_apply_to_series(cur):
    result = pageviews(cur, make_query("pageviews", start_date="2026-03-02", end_date="2026-03-03",
                                       granularity="day", filter_device="mobile"))
    # Mobile = i 4 (3 pageviews) and 5 (1) each weekday.
    assert series(result) == [("2026-03-02", 4, 2), ("2026-03-03", 4, 2)]


def test_event_timeseries(cur):
    q = make_query("event_timeseries", event_name="signup_click", start_date="2026-03-02", end_date="2026-03-02")
    result = event_timeseries(cur, q)
    assert result.data["granularity"] == "hour"
    assert [(p["date"], p["pageviews"], p["visitors"]) for p in result.data["series"] if p["pageviews"]] == [
        ("2026-03-02 10:00:00", 1, 1),
        ("2026-03-02 12:00:00", 1, 1),
        ("2026-03-02 14:00:00", 1, 1),
    ]
    assert result.data["series"][0]["date"] == "2026-03-02 00:00:00"
    q = make_query("event_timeseries", event_name="signup_click", start_date="2026-03-06",
                   end_date="2026-03-10", granularity="day")
    # Fri 3 (u0, u2, u4), weekend 0, Mon–Tue of week 2: 2 (u0, u2).
    assert [(p["date"], p["pageviews"], p["visitors"]) for p in event_timeseries(cur, q).data["series"]] == [
        ("2026-03-06", 3, 3),
        ("2026-03-07", 0, 0),
        ("2026-03-08", 0, 0),
        ("2026-03-09", 2, 2),
        ("2026-03-10", 2, 2),
    ]
    assert set(event_timeseries(cur, q).data) == {"series", "granularity"}


def test_bucket_keys_and_labels_are_pure():
    q = ReportQuery(website_id="w", timezone="UTC", start=date(2025, 11, 20), end=date(2026, 2, 2))
    assert bucket_keys(q, "month") == [date(2025, 11, 1), date(2025, 12, 1), date(2026, 1, 1), date(2026, 2, 1)]
    assert bucket_label(date(2026, 2, 1), "month", q) == "2026-02"
    assert bucket_label(date(2026, 2, 1), "day", q) == "2026-02-01"
    np = ReportQuery(website_id="w", timezone="Asia/Kathmandu", start=date(2026, 3, 2), end=date(2026, 3, 2))
    key = datetime(2026, 3, 2, 4, 15)
    assert bucket_label(key, "hour", np) == "2026-03-02T10:00:00+05:45"
    assert bucket_label(key, "hour", np, style="plain") == "2026-03-02 10:00:00"
    assert bucket_keys(np, "hour")[0] == datetime(2026, 3, 1, 18, 15)
