"""The compiler: parsing into ReportQuery, every QueryError, time bounds, WHERE SQL."""

from __future__ import annotations

import base64
import json
import re
from dataclasses import replace
from datetime import date, datetime, timezone

import pytest

from sparklytics.queries.errors import QueryError
from sparklytics.queries.report_query import (
    FILTERS,
    ROUTES,
    Compare,
    ReportQuery,
    SessionCursor,
    decode_cursor,
    describe_filters,
    encode_cursor,
    minus_one_year,
    offset_segments,
    parse_report_query,
    time_bounds,
)
from sparklytics.stores.duckdb.where import FILTER_SQL, compile_where, local_offset_sql, session_where

from .conftest import NOW, make_query

BASE = ReportQuery(website_id="site_a", timezone="UTC", start=date(2026, 3, 2), end=date(2026, 3, 8))
BOUNDS = {"website_id": "site_a", "utc_start": datetime(2026, 3, 2), "utc_end": datetime(2026, 3, 9)}
HEAD = "e.website_id = $website_id AND e.created_at >= $utc_start AND e.created_at < $utc_end"
SOURCE_HEAD = (
    "e.session_id IN (SELECT src.session_id FROM sessions src WHERE src.website_id = $website_id"
    " AND src.last_seen >= $utc_start AND src.first_seen < $utc_end AND"
)


# ---------------------------------------------------------------------------------------
# compile_where: input → exact SQL + params
# ---------------------------------------------------------------------------------------

WHERE_CASES = [
    ("no filters", BASE, {}, f"{HEAD} AND e.is_bot = FALSE", {}),
    ("bots included", replace(BASE, include_bots=True), {}, HEAD, {}),
    (
        "page is a substring of path",
        replace(BASE, filters=(("filter_page", "/blog"),)),
        {},
        f"{HEAD} AND e.is_bot = FALSE AND contains(e.path, $filter_page)",
        {"filter_page": "/blog"},
    ),
    (
        "hostname any case",
        replace(BASE, filters=(("filter_hostname", "Blog.Example.com"),)),
        {},
        f"{HEAD} AND e.is_bot = FALSE AND lower(e.hostname) = lower($filter_hostname)",
        {"filter_hostname": "Blog.Example.com"},
    ),
    (
        "device tests the event, referrer the visit's source (Decision 21)",
        replace(BASE, filters=(("filter_referrer", "google.com"), ("filter_device", "mobile"))),
        {},
        f"{HEAD} AND e.is_bot = FALSE AND e.device_type = $filter_device AND {SOURCE_HEAD}"
        " coalesce(src.referrer_domain, '(direct)') = $filter_referrer)",
        {"filter_referrer": "google.com", "filter_device": "mobile"},
    ),
    (
        "source filters share one semi-join, prefixed",
        replace(BASE, filters=(("filter_utm_source", "hn"), ("filter_channel", "Referral"))),
        {"prefix": "a_"},
        f"{HEAD} AND e.is_bot = FALSE AND {SOURCE_HEAD}".replace("$", "$a_")
        + " src.utm_source = $a_filter_utm_source AND src.channel = $a_filter_channel)",
        {"a_filter_utm_source": "hn", "a_filter_channel": "Referral"},
    ),
    (
        "no alias, prefixed params",
        replace(BASE, filters=(("filter_country", "US"),)),
        {"table_alias": "", "prefix": "c_"},
        "website_id = $c_website_id AND created_at >= $c_utc_start AND created_at < $c_utc_end"
        " AND is_bot = FALSE AND country = $c_filter_country",
        {"c_filter_country": "US"},
    ),
]


@pytest.mark.parametrize(
    "query,kwargs,sql,extra", [c[1:] for c in WHERE_CASES], ids=[c[0] for c in WHERE_CASES]
)
def test_compile_where(query, kwargs, sql, extra):
    got_sql, got_params = compile_where(query, **kwargs)
    prefix = kwargs.get("prefix", "")
    assert got_sql == sql
    assert got_params == {f"{prefix}{k}": v for k, v in BOUNDS.items()} | extra


@pytest.mark.parametrize(
    "key,clause",
    [
        ("filter_country", "e.country = $filter_country"),
        ("filter_page", "contains(e.path, $filter_page)"),
        ("filter_referrer", f"{SOURCE_HEAD} coalesce(src.referrer_domain, '(direct)') = $filter_referrer)"),
        ("filter_browser", "e.browser = $filter_browser"),
        ("filter_os", "e.os = $filter_os"),
        ("filter_device", "e.device_type = $filter_device"),
        ("filter_language", "e.language = $filter_language"),
        ("filter_utm_source", f"{SOURCE_HEAD} src.utm_source = $filter_utm_source)"),
        ("filter_utm_medium", f"{SOURCE_HEAD} src.utm_medium = $filter_utm_medium)"),
        ("filter_utm_campaign", f"{SOURCE_HEAD} src.utm_campaign = $filter_utm_campaign)"),
        ("filter_region", "e.region = $filter_region"),
        ("filter_city", "e.city = $filter_city"),
        ("filter_hostname", "lower(e.hostname) = lower($filter_hostname)"),
        ("filter_channel", f"{SOURCE_HEAD} src.channel = $filter_channel)"),
    ],
)
def test_each_of_the_14_filters(key, clause):
    sql, params = compile_where(replace(BASE, include_bots=True, filters=((key, "x"),)))
    assert sql == f"{HEAD} AND {clause}"
    assert params[key] == "x"


def test_registry_has_the_13_contract_filters_and_channel():
    assert len(FILTERS) == 14 and "filter_channel" in FILTERS


def test_every_filter_of_the_registry_has_its_duckdb_sql():
    assert FILTER_SQL.keys() == FILTERS.keys()


def test_filter_values_never_enter_the_sql(db):
    con, seed = db
    seed.event(at="2026-03-02T10:00Z", website="site_a", path="/x")
    seed.flush()
    evil = "x') OR TRUE --"
    q = replace(BASE, filters=(("filter_page", evil), ("filter_country", "' OR 1=1 --")))
    sql, params = compile_where(q)
    assert evil not in sql and "1=1" not in sql
    assert con.execute(f"SELECT count(*) FROM events e WHERE {sql}", params).fetchone() == (0,)


def test_describe_filters():
    q = replace(BASE, filters=(("filter_page", "/blog"), ("filter_hostname", "a.com")))
    assert describe_filters(q) == ["page contains '/blog'", "hostname is 'a.com' (any case)"]


def test_session_where():
    assert session_where(BASE) == ("s.website_id = $website_id AND s.is_bot = FALSE", {"website_id": "site_a"})
    assert session_where(replace(BASE, include_bots=True), "x") == (
        "x.website_id = $website_id",
        {"website_id": "site_a"},
    )


# ---------------------------------------------------------------------------------------
# Time bounds and offsets
# ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "tz,start,end,utc_start,utc_end",
    [
        ("UTC", date(2026, 3, 2), date(2026, 3, 8), datetime(2026, 3, 2), datetime(2026, 3, 9)),
        # PST (−8) on 2 March; 9 March 00:00 is already PDT (−7): 7 days minus one hour.
        ("America/Los_Angeles", date(2026, 3, 2), date(2026, 3, 8), datetime(2026, 3, 2, 8), datetime(2026, 3, 9, 7)),
        # Spring-forward day is 23 hours long, fall-back day 25.
        ("America/Los_Angeles", date(2026, 3, 8), date(2026, 3, 8), datetime(2026, 3, 8, 8), datetime(2026, 3, 9, 7)),
        ("America/Los_Angeles", date(2026, 11, 1), date(2026, 11, 1), datetime(2026, 11, 1, 7), datetime(2026, 11, 2, 8)),
        # +05:45: local midnight is 18:15 UTC the day before.
        ("Asia/Kathmandu", date(2026, 3, 2), date(2026, 3, 2), datetime(2026, 3, 1, 18, 15), datetime(2026, 3, 2, 18, 15)),
        # Santiago jumps 00:00 → 01:00 on 6 Sep 2026: the day starts at 01:00 −03 = 04:00Z.
        ("America/Santiago", date(2026, 9, 6), date(2026, 9, 6), datetime(2026, 9, 6, 4), datetime(2026, 9, 7, 3)),
        # Havana repeats 00:00–01:00 on 1 Nov 2026: the earliest midnight (−04) wins.
        ("America/Havana", date(2026, 11, 1), date(2026, 11, 1), datetime(2026, 11, 1, 4), datetime(2026, 11, 2, 5)),
    ],
)
def test_time_bounds(tz, start, end, utc_start, utc_end):
    assert time_bounds(replace(BASE, timezone=tz, start=start, end=end)) == (utc_start, utc_end)


def test_offset_segments_find_the_transitions():
    # LA 1 March – 29 Nov 2026: PST, PDT from 8 March 10:00Z, PST from 1 Nov 09:00Z.
    assert offset_segments("America/Los_Angeles", datetime(2026, 3, 1, 8), datetime(2026, 11, 30, 8)) == (
        (datetime(2026, 3, 1, 8), -8 * 3600),
        (datetime(2026, 3, 8, 10), -7 * 3600),
        (datetime(2026, 11, 1, 9), -8 * 3600),
    )
    assert offset_segments("Asia/Kathmandu", datetime(2026, 1, 1), datetime(2027, 1, 1)) == (
        (datetime(2026, 1, 1), 20700),
    )
    # Lord Howe moves by 30 minutes.
    assert offset_segments("Australia/Lord_Howe", datetime(2026, 1, 1), datetime(2026, 12, 30)) == (
        (datetime(2026, 1, 1), 39600),
        (datetime(2026, 4, 4, 15), 37800),
        (datetime(2026, 10, 3, 15, 30), 39600),
    )


def test_local_offset_sql():
    assert local_offset_sql(BASE, "e.created_at") == ("$tz_o0", {"tz_o0": 0})
    la = replace(BASE, timezone="America/Los_Angeles")
    assert local_offset_sql(la, "e.created_at") == (
        "CASE WHEN e.created_at < $tz_t1 THEN $tz_o0 ELSE $tz_o1 END",
        {"tz_t1": datetime(2026, 3, 8, 10), "tz_o0": -28800, "tz_o1": -25200},
    )


# ---------------------------------------------------------------------------------------
# parse_report_query: happy paths
# ---------------------------------------------------------------------------------------


def test_defaults_are_the_last_seven_local_days():
    q = make_query("stats")
    assert (q.start, q.end, q.timezone, q.include_bots, q.filters, q.compare) == (
        date(2026, 3, 2), date(2026, 3, 8), "UTC", False, (), None,
    )
    # 05:00 UTC on 8 March is still 7 March 21:00 in Los Angeles.
    q = make_query("stats", "site_la", now=datetime(2026, 3, 8, 5, tzinfo=timezone.utc))
    assert (q.start, q.end, q.timezone) == (date(2026, 3, 1), date(2026, 3, 7), "America/Los_Angeles")


@pytest.mark.parametrize(
    "params,start,end",
    [
        ({"start_date": " 2026-02-01 ", "end_date": "2026-02-03"}, date(2026, 2, 1), date(2026, 2, 3)),
        ({"start_date": "2026-03-05"}, date(2026, 3, 5), date(2026, 3, 8)),
        ({"start_date": " ", "end_date": ""}, date(2026, 3, 2), date(2026, 3, 8)),
    ],
)
def test_dates_and_their_defaults(params, start, end):
    q = make_query("stats", **params)
    assert (q.start, q.end) == (start, end)


DATED_ROUTES = [name for name, policy in ROUTES.items() if policy.dates != "none"]


@pytest.mark.parametrize("route", DATED_ROUTES)
@pytest.mark.parametrize(
    "params,message",
    [
        ({"start_date": "garbage", "end_date": "2026-03-08"}, "invalid start_date (expected YYYY-MM-DD)"),
        ({"start_date": "2026-02-30", "end_date": "2026-03-08"}, "invalid start_date (expected YYYY-MM-DD)"),
        ({"start_date": "2026-3-2", "end_date": "2026-03-08"}, "invalid start_date (expected YYYY-MM-DD)"),
        ({"start_date": "2026-03-02", "end_date": "2026-03-31x"}, "invalid end_date (expected YYYY-MM-DD)"),
        ({"start_date": "2026-03-02", "end_date": "20260308"}, "invalid end_date (expected YYYY-MM-DD)"),
    ],
)
def test_a_date_that_is_not_a_real_day_is_refused_on_every_route(route, params, message):
    """Decision 19: no silent fallback to the default range, whatever the route."""
    extra = {"type": "page", "event_name": "signup"}
    with pytest.raises(QueryError) as err:
        make_query(route, **params, **extra)
    assert err.value.message == message


def test_timezone_precedence():
    assert make_query("stats", "site_la").timezone == "America/Los_Angeles"
    assert make_query("stats", "site_la", timezone="Asia/Kathmandu").timezone == "Asia/Kathmandu"
    assert make_query("stats", "site_la", timezone="  ").timezone == "America/Los_Angeles"
    # A stored zone that is not a real zone falls back to UTC (the user did not send it).
    q = make_query("stats", tz="Not/AZone")
    assert (q.timezone, q.website_timezone) == ("UTC", "Not/AZone")


def test_include_bots():
    assert make_query("stats").include_bots is False
    assert make_query("stats", bots_default=True).include_bots is True
    for raw, expected in [("true", True), ("TRUE", True), ("1", True), ("false", False), ("0", False), ("", False)]:
        assert make_query("events", include_bots=raw).include_bots is expected
    assert make_query("stats", bots_default=True, include_bots="False").include_bots is False
    # Share routes use the policy default whatever is sent; export always includes bots.
    assert make_query("share_stats", include_bots="true").include_bots is False
    assert make_query("share_stats", bots_default=True, include_bots="false").include_bots is True
    assert make_query("export", start_date="2026-03-02", end_date="2026-03-02").include_bots is True


def test_filters_parsed_in_registry_order_and_blank_ignored():
    q = make_query("metrics", type="page", filter_hostname="a.com", filter_page="/x", filter_os="")
    assert q.filters == (("filter_page", "/x"), ("filter_hostname", "a.com"))
    # Routes without filters ignore them, even unknown ones.
    assert make_query("share_stats", filter_page="/x", filter_nope="1").filters == ()
    # Only stats checks the country code's shape.
    assert make_query("metrics", type="page", filter_country="us").filters == (("filter_country", "us"),)


def test_the_supported_dates_and_bucket_counts_are_inclusive():
    q = make_query("stats", start_date="1970-01-01", end_date="2199-12-31", timezone="Pacific/Kiritimati")
    assert (q.start, q.end) == (date(1970, 1, 1), date(2199, 12, 31))
    # Kiritimati kept UTC−10:40 until 1979 and has been UTC+14 since 1995.
    assert time_bounds(q) == (datetime(1970, 1, 1, 10, 40), datetime(2199, 12, 31, 10))
    assert make_query("pageviews", granularity="hour", start_date="2025-01-01", end_date="2026-02-20").granularity == "hour"
    assert make_query("pageviews", start_date="1970-01-01", end_date="2199-12-31").granularity == "month"


def test_strict_routes_trim_filters_and_default_funnels_to_thirty_days():
    q = make_query("funnel_results", filter_page=" /pricing ", filter_city="Paris")
    assert (q.start, q.end) == (date(2026, 2, 7), date(2026, 3, 8))
    assert q.filters == (("filter_page", "/pricing"), ("filter_city", "Paris"))
    q = make_query("journey", start_date="2026-02-01", end_date="2026-05-31", filter_country=" " + "x" * 64)
    assert (q.start, q.end, q.filters) == (date(2026, 2, 1), date(2026, 5, 31), (("filter_country", "x" * 64),))


@pytest.mark.parametrize(
    "days,granularity",
    [(1, "hour"), (2, "hour"), (3, "day"), (60, "day"), (61, "month")],
)
def test_auto_granularity(days, granularity):
    start = date(2026, 1, 1)
    end = date.fromordinal(start.toordinal() + days - 1)
    q = make_query("pageviews", start_date=start.isoformat(), end_date=end.isoformat())
    assert q.granularity == granularity


def test_explicit_granularity_and_unknown_falls_back_to_auto():
    assert make_query("pageviews", granularity="month").granularity == "month"
    assert make_query("pageviews", granularity="hour").granularity == "hour"
    assert make_query("pageviews", granularity="week").granularity == "day"


def test_compare_ranges():
    # Primary Mon 2 – Sun 8 March (7 days).
    assert make_query("stats", compare_mode="previous_period").compare == Compare(
        "previous_period", date(2026, 2, 23), date(2026, 3, 1)
    )
    assert make_query("stats", compare_mode="previous_year").compare == Compare(
        "previous_year", date(2025, 3, 2), date(2025, 3, 8)
    )
    assert make_query("stats", compare_mode="none").compare is None
    assert make_query("stats", compare_mode="").compare is None
    # Custom: 14 days = exactly 2 × 7 is allowed.
    q = make_query("stats", compare_mode="custom", compare_start_date="2026-02-01", compare_end_date="2026-02-14")
    assert q.compare == Compare("custom", date(2026, 2, 1), date(2026, 2, 14))
    # Routes without compare ignore it.
    assert make_query("sessions", compare_mode="previous_year").compare is None


def test_previous_year_leap_day():
    assert minus_one_year(date(2028, 2, 29)) == date(2027, 2, 28)
    assert minus_one_year(date(2028, 3, 1)) == date(2027, 3, 1)
    q = make_query("stats", compare_mode="previous_year", start_date="2028-02-29", end_date="2028-02-29")
    assert q.compare == Compare("previous_year", date(2027, 2, 28), date(2027, 2, 28))


def test_metric_limit_offset():
    q = make_query("metrics", type="referrer")
    assert (q.metric, q.limit, q.offset) == ("referrer", 10, 0)
    assert make_query("metrics", type="page", limit="0").limit == 1
    assert make_query("metrics", type="page", limit="-3").limit == 1
    assert make_query("metrics", type="page", limit="500").limit == 100
    assert make_query("metrics", type="page", offset="-4").offset == 0
    assert make_query("metrics", type="page", offset="20").offset == 20
    assert make_query("sessions").limit == 50
    assert make_query("sessions", limit="200").limit == 200


def test_event_name_is_trimmed():
    assert make_query("event_properties", event_name="  signup  ").event_name == "signup"


# ---------------------------------------------------------------------------------------
# parse_report_query: every QueryError
# ---------------------------------------------------------------------------------------

RANGE = {"start_date": "2026-03-01", "end_date": "2026-03-08"}

ERROR_CASES = [
    ("stats", {"start_date": "2026-03-05", "end_date": "2026-03-04"}, "end_date must be on or after start_date", "end_date"),
    ("stats", {"compare_mode": "yesterday"}, "compare_mode must be one of: none, previous_period, previous_year, custom", "compare_mode"),
    ("stats", {"compare_mode": "custom", "compare_start_date": "2026-02-01", "compare_end_date": "2026-02-15"},
     "comparison range cannot exceed primary range duration x 2", "compare_end_date"),
    ("pageviews", {"compare_mode": "custom", "compare_start_date": "2026-02-01"},
     "compare_start_date and compare_end_date are required for custom compare_mode", "compare_start_date"),
    ("metrics", {"type": "page", "compare_mode": "custom", "compare_start_date": "2026/02/01", "compare_end_date": "2026-02-02"},
     "invalid compare_start_date (expected YYYY-MM-DD)", "compare_start_date"),
    ("stats", {"compare_mode": "custom", "compare_start_date": "2026-02-05", "compare_end_date": "2026-02-01"},
     "compare_end_date must be on or after compare_start_date", "compare_end_date"),
    ("metrics", {"type": "visits"}, "invalid metric type: visits", "type"),
    ("metrics", {}, "type parameter is required", "type"),
    ("share_metrics", {"type": " "}, "type parameter is required", "type"),
    ("metrics", {"type": "page", "limit": "ten"}, "limit must be an integer", "limit"),
    ("metrics", {"type": "page", "offset": "1.5"}, "offset must be an integer", "offset"),
    ("sessions", {"limit": "0"}, "limit must be between 1 and 200", "limit"),
    ("sessions", {"limit": "201"}, "limit must be between 1 and 200", "limit"),
    ("sessions", {"limit": "many"}, "limit must be between 1 and 200", "limit"),
    ("sessions", {"cursor": "not base64 at all!"}, "invalid cursor", "cursor"),
    ("sessions", {"cursor": base64.b64encode(b"not json").decode()}, "invalid cursor", "cursor"),
    ("sessions", {"cursor": base64.b64encode(b'{"ls": "2026-03-02 10:00:00"}').decode()}, "invalid cursor", "cursor"),
    ("sessions", {"cursor": base64.b64encode(b'{"ls": "yesterday", "sid": "a"}').decode()}, "invalid cursor", "cursor"),
    ("sessions", {"cursor": base64.b64encode(b'["ls", "sid"]').decode()}, "invalid cursor", "cursor"),
    ("sessions", {"cursor": base64.b64encode(b'{"ls": "2026-03-02 10:00:00+02:00", "sid": "a"}').decode()},
     "invalid cursor", "cursor"),
    ("stats", {"include_bots": "yes"}, "include_bots must be one of: true, false, 1, 0", "include_bots"),
    ("events", {"include_bots": "2"}, "include_bots must be one of: true, false, 1, 0", "include_bots"),
    ("events", {"start_date": "2025-12-08", "end_date": "2026-03-08"}, "date range too large: 91 days (max 90)", "start_date"),
    ("event_timeseries", {"event_name": "a", "start_date": "2025-01-01", "end_date": "2026-03-08"},
     "date range too large: 432 days (max 90)", "start_date"),
    ("share_overview", {"start_date": "2025-12-08", "end_date": "2026-03-08"}, "share date range too large: 91 days (max 90)", "start_date"),
    ("export", {"start_date": "2025-12-08", "end_date": "2026-03-08"}, "date range too large: 91 days (max 90)", "start_date"),
    ("stats", {"timezone": "Mars/Olympus_Mons"}, "invalid timezone", "timezone"),
    ("pageviews", {"timezone": "../../etc/passwd"}, "invalid timezone", "timezone"),
    ("events", {"timezone": "   "}, "timezone cannot be empty when provided", "timezone"),
    ("stats", {"filter_country": "us"}, "filter_country must be ISO 3166-1 alpha-2 (2 chars)", "filter_country"),
    ("stats", {"filter_country": "USA"}, "filter_country must be ISO 3166-1 alpha-2 (2 chars)", "filter_country"),
    ("stats", {"filter_pgae": "/x"}, "unknown filter: filter_pgae", "filter_pgae"),
    ("event_properties", {}, "event_name query parameter is required", "event_name"),
    ("event_timeseries", {"event_name": "  "}, "event_name must not be empty", "event_name"),
    ("event_properties", {"event_name": "x" * 256}, "event_name must be 255 characters or fewer", "event_name"),
    ("export", {"end_date": "2026-03-08"}, "start_date is required", "start_date"),
    ("export", {"start_date": "2026-03-08"}, "end_date is required", "end_date"),
    ("export", {"start_date": "08/03/2026", "end_date": "2026-03-08"}, "invalid start_date (expected YYYY-MM-DD)", "start_date"),
    ("export", {"start_date": "2026-03-08", "end_date": "2026-03-07"}, "end_date must be on or after start_date", "end_date"),
    ("export", {"start_date": "2026-03-08", "end_date": "2026-03-08", "format": "xlsx"},
     "unsupported format: xlsx; only 'csv' is supported", "format"),
    ("stats", {"start_date": "0001-01-01"}, "start_date must be between 1970-01-01 and 2199-12-31", "start_date"),
    ("pageviews", {"end_date": "9999-12-31"}, "end_date must be between 1970-01-01 and 2199-12-31", "end_date"),
    ("retention", {"start_date": "2026-03-01", "end_date": "9999-12-31"},
     "end_date must be between 1970-01-01 and 2199-12-31", "end_date"),
    ("stats", {"compare_mode": "custom", "compare_start_date": "1969-12-31", "compare_end_date": "2026-01-01"},
     "compare_start_date must be between 1970-01-01 and 2199-12-31", "compare_start_date"),
    ("pageviews", {"granularity": "hour", "start_date": "2025-01-01", "end_date": "2026-02-21"},
     "granularity hour covers at most 416 days (got 417); use a longer granularity", "granularity"),
    ("pageviews", {"granularity": "day", "start_date": "2000-01-01", "end_date": "2027-05-19"},
     "granularity day covers at most 10000 days (got 10001); use a longer granularity", "granularity"),
    ("funnel_results", {"start_date": "2026-3-1"}, "invalid start_date (expected YYYY-MM-DD)", "start_date"),
    ("funnel_results", {"end_date": "tomorrow"}, "invalid end_date (expected YYYY-MM-DD)", "end_date"),
    ("funnel_results", {"start_date": "2025-12-08"}, "date range too large: 91 days (max 90)", "start_date"),
    ("funnel_results", {"timezone": " "}, "timezone cannot be empty when provided", "timezone"),
    ("journey", {"end_date": "2026-03-08"}, "start_date is required", "start_date"),
    ("retention", {"start_date": "2026-03-08"}, "end_date is required", "end_date"),
    ("journey", {**RANGE, "filter_page": "  "}, "filter_page cannot be empty when provided", "filter_page"),
    ("retention", {**RANGE, "filter_country": ""}, "filter_country cannot be empty when provided", "filter_country"),
    ("retention", {**RANGE, "filter_device": "x" * 65}, "filter_device is too long (max 64 characters)", "filter_device"),
    ("funnel_results", {"filter_hostname": "h" * 256}, "filter_hostname is too long (max 255 characters)", "filter_hostname"),
]


@pytest.mark.parametrize("route,params,message,field", ERROR_CASES, ids=[f"{c[0]}:{c[2]}" for c in ERROR_CASES])
def test_query_errors(route, params, message, field):
    with pytest.raises(QueryError, match=rf"^{re.escape(message)}$") as info:
        make_query(route, **params)
    assert info.value.message == message
    assert info.value.field == field


def test_unknown_route_is_a_programming_error():
    with pytest.raises(ValueError, match=r"^unknown route 'statz'$"):
        parse_report_query({}, route="statz", website_id="w", now=NOW)


# ---------------------------------------------------------------------------------------
# Sessions cursor
# ---------------------------------------------------------------------------------------


def test_cursor_round_trip_and_lenient_alphabets():
    sid = "00ff3c2d4e5f6a7b"
    text = encode_cursor("2026-03-06 13:00:00.123456", sid)
    assert "=" not in text and "+" not in text and "/" not in text
    assert json.loads(base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))) == {
        "ls": "2026-03-06 13:00:00.123456",
        "sid": sid,
    }
    assert decode_cursor(text) == SessionCursor("2026-03-06 13:00:00.123456", sid)
    standard = base64.b64encode(json.dumps({"ls": "2026-03-06 13:00:00", "sid": sid}).encode()).decode()
    assert decode_cursor(standard) == SessionCursor("2026-03-06 13:00:00", sid)
    assert make_query("sessions", cursor=text).cursor == SessionCursor("2026-03-06 13:00:00.123456", sid)
    # A session id is 16 lowercase hex characters.
    for bad in ("x", "u3-d4", "00FF3C2D4E5F6A7B", "00ff3c2d4e5f6a7"):
        with pytest.raises(QueryError, match="invalid cursor"):
            decode_cursor(encode_cursor("2026-03-06 13:00:00", bad))
