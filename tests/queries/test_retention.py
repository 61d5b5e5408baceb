"""Retention: day/week/month cohorts, global first-seen, zero-filled periods, summary, DST."""

from __future__ import annotations

import re
from datetime import date

import pytest

from sparklytics.queries.errors import QueryError
from sparklytics.queries.retention import (
    RetentionOptions,
    add_periods,
    elapsed_periods,
    parse_retention_options,
    period_start,
)
from sparklytics.stores.duckdb.reports.retention import retention

from .conftest import make_query


def run(cur, website="site_r", **params):
    return retention(cur, make_query("retention", website, **params), parse_retention_options(params)).data


def grid(data):
    """``{cohort_start: (cohort_size, [retained per offset])}``."""
    return {
        row["cohort_start"]: (row["cohort_size"], [p["retained"] for p in row["periods"]])
        for row in data["rows"]
    }


@pytest.fixture
def site(db):
    """``site_r`` (UTC) and ``site_la`` (Los Angeles) and the seed; events per test."""
    con, seed = db
    seed.website("site_r")
    seed.website("site_la", "America/Los_Angeles")
    return con, seed


def seen(seed, visitor, *times, website="site_r", **kw):
    """One single-pageview session of ``visitor`` at each of ``times``."""
    for n, at in enumerate(times):
        seed.event(at=at, website=website, visitor=visitor, session=f"{visitor}-{n}", **kw)


@pytest.fixture
def weeks(site):
    """Weekly data for the range Mon 2 – Sun 15 March 2026 (two cohort weeks).

    ====  =================  ============================================
    who   first seen         later
    ====  =================  ============================================
    a     Mon 2 Mar          Tue 10 Mar (week +1), Tue 24 Mar (week +3)
    b     Wed 4 Mar          Thu 5 Mar (same week)
    c     Sun 8 Mar 23:00    Mon 9 Mar (week +1)
    d     Wed 11 Mar         Mon 16 Mar (week +1, after end_date)
    f     Thu 12 Mar         –
    e     Wed 25 Feb         Tue 3 Mar (seen before the range: no cohort)
    ====  =================  ============================================
    """
    con, seed = site
    seen(seed, "a", "2026-03-02T09:00Z", "2026-03-10T09:00Z", "2026-03-24T09:00Z")
    seen(seed, "b", "2026-03-04T09:00Z", "2026-03-05T09:00Z")
    seen(seed, "c", "2026-03-08T23:00Z", "2026-03-09T09:00Z")
    seen(seed, "d", "2026-03-11T09:00Z", "2026-03-16T09:00Z")
    seen(seed, "f", "2026-03-12T09:00Z")
    seen(seed, "e", "2026-02-25T09:00Z", "2026-03-03T09:00Z")
    seed.flush()
    return con


def test_week_cohorts(weeks):
    data = run(weeks, start_date="2026-03-02", end_date="2026-03-15", max_periods="4")
    assert (data["granularity"], data["max_periods"]) == ("week", 4)
    assert data["rows"][0] == {
        "cohort_start": "2026-03-02",
        "cohort_size": 3,  # a, b, c (e was first seen in February)
        "periods": [
            {"offset": 0, "retained": 3, "rate": 1.0},
            {"offset": 1, "retained": 2, "rate": 0.6667},  # a, c
            {"offset": 2, "retained": 0, "rate": 0.0},  # zero-filled
            {"offset": 3, "retained": 1, "rate": 0.3333},  # a on 24 March, after end_date
        ],
    }
    assert grid(data)["2026-03-09"] == (2, [2, 1, 0, 0])  # d, f; d back on 16 March
    # Only the 2 March cohort has begun its week +1 by 15 March; offset 4 does not exist.
    assert data["summary"] == {"avg_period1_rate": 0.6667, "avg_period4_rate": None}


def test_week_is_the_default_with_8_periods(weeks):
    data = run(weeks, start_date="2026-03-02", end_date="2026-03-15")
    assert (data["granularity"], data["max_periods"]) == ("week", 8)
    assert grid(data) == {
        "2026-03-02": (3, [3, 2, 0, 1, 0, 0, 0, 0]),
        "2026-03-09": (2, [2, 1, 0, 0, 0, 0, 0, 0]),
    }
    assert data["summary"] == {"avg_period1_rate": 0.6667, "avg_period4_rate": 0.0}  # none reached week +4


def test_weekly_cohort_starts_on_monday_before_the_range(weeks):
    data = run(weeks, start_date="2026-03-04", end_date="2026-03-08", max_periods="2")
    # a (2 March) is seen before a Wednesday start: b and c remain; the label is the week's Monday.
    assert grid(data) == {"2026-03-02": (2, [2, 1])}


def test_a_filter_matching_every_event_gives_the_unfiltered_answer(weeks):
    # Without filters activity comes from sessions, with filters from events.
    plain = run(weeks, start_date="2026-03-02", end_date="2026-03-15")
    filtered = run(weeks, start_date="2026-03-02", end_date="2026-03-15", filter_hostname="EXAMPLE.com")
    assert filtered == plain


def test_day_cohorts(site):
    con, seed = site
    seen(seed, "g", "2026-03-02T10:00Z", "2026-03-03T10:00Z")
    seen(seed, "h", "2026-03-02T11:00Z", "2026-03-04T10:00Z")
    seen(seed, "i", "2026-03-03T10:00Z", "2026-03-05T10:00Z")
    seen(seed, "j", "2026-03-04T10:00Z", "2026-03-05T10:00Z")
    seed.flush()
    data = run(con, start_date="2026-03-02", end_date="2026-03-04", cohort_granularity="day", max_periods="3")
    assert grid(data) == {
        "2026-03-02": (2, [2, 1, 1]),
        "2026-03-03": (1, [1, 0, 1]),  # i back on 5 March, after end_date
        "2026-03-04": (1, [1, 1, 0]),
    }
    # Day +1 has begun for the cohorts of 2 and 3 March: (0.5 + 0.0) / 2.
    assert data["summary"] == {"avg_period1_rate": 0.25, "avg_period4_rate": None}


def test_a_session_across_midnight_is_active_on_both_days(site):
    con, seed = site
    seed.event(at="2026-03-02T12:00Z", website="site_r", visitor="w", session="w-1")
    seed.visit(at="2026-03-03T23:50Z", pages=["/", "/a"], gap_minutes=20, website="site_r", visitor="w", session="w-2")
    seed.flush()
    for params in ({}, {"filter_page": "/"}):  # from sessions, from events
        data = run(con, start_date="2026-03-02", end_date="2026-03-02", cohort_granularity="day",
                   max_periods="4", **params)
        assert grid(data) == {"2026-03-02": (1, [1, 1, 1, 0])}


def test_month_cohorts(site):
    con, seed = site
    seen(seed, "k", "2026-01-20T10:00Z", "2026-02-05T10:00Z", "2026-05-10T10:00Z")
    seen(seed, "l", "2026-01-31T23:59Z")
    seen(seed, "m", "2026-02-01T00:00Z", "2026-03-02T10:00Z")
    seen(seed, "old", "2026-01-10T10:00Z", "2026-01-20T10:00Z")  # first seen before 15 January
    seed.flush()
    data = run(con, start_date="2026-01-15", end_date="2026-02-28", cohort_granularity="month", max_periods="5")
    assert grid(data) == {
        "2026-01-01": (2, [2, 1, 0, 0, 1]),  # k, l; k in February and May
        "2026-02-01": (1, [1, 1, 0, 0, 0]),  # m in March
    }
    row = data["rows"][0]
    assert [p["rate"] for p in row["periods"]] == [1.0, 0.5, 0.0, 0.0, 0.5]
    # Month +1 has begun only for January; month +4 for no cohort by 28 February.
    assert data["summary"] == {"avg_period1_rate": 0.5, "avg_period4_rate": 0.0}


def test_summary_averages_cohorts_that_reached_the_offset(site):
    con, seed = site
    seen(seed, "n1", "2026-03-01T10:00Z", "2026-03-05T10:00Z")  # back on day +4
    seen(seed, "n2", "2026-03-02T10:00Z")
    seen(seed, "n3", "2026-03-03T10:00Z", "2026-03-07T10:00Z")  # day +4 is after end_date
    seed.flush()
    data = run(con, start_date="2026-03-01", end_date="2026-03-06", cohort_granularity="day", max_periods="5")
    assert grid(data) == {
        "2026-03-01": (1, [1, 0, 0, 0, 1]),
        "2026-03-02": (1, [1, 0, 0, 0, 0]),
        "2026-03-03": (1, [1, 0, 0, 0, 1]),
    }
    # Day +4 begins by 6 March for the 1 and 2 March cohorts only: (1.0 + 0.0) / 2.
    assert data["summary"] == {"avg_period1_rate": 0.0, "avg_period4_rate": 0.5}
    single = run(con, start_date="2026-03-01", end_date="2026-03-06", cohort_granularity="day", max_periods="1")
    assert grid(single)["2026-03-01"] == (1, [1])
    assert single["summary"] == {"avg_period1_rate": 0.0, "avg_period4_rate": None}


def test_filters_choose_members_and_activity_but_not_first_seen(site):
    con, seed = site
    seen(seed, "p", "2026-03-02T10:00Z", country="DE")
    seed.event(at="2026-03-10T10:00Z", website="site_r", visitor="p", session="p-us", country="US")
    seed.event(at="2026-03-17T10:00Z", website="site_r", visitor="p", session="p-de", country="DE")
    seed.event(at="2026-03-03T10:00Z", website="site_r", visitor="q", session="q-us", country="US")
    seed.event(at="2026-03-04T10:00Z", website="site_r", visitor="q", session="q-de", country="DE")
    seed.event(at="2026-03-02T12:00Z", website="site_r", visitor="s", session="s-us", country="US")
    seed.event(at="2026-03-10T12:00Z", website="site_r", visitor="s", session="s-de", country="DE")
    seed.flush()
    data = run(con, start_date="2026-03-02", end_date="2026-03-15", max_periods="3", filter_country="DE")
    # p, q and s each have a DE event in the range; s's cohort is its first visit (US, 2 March).
    # Week +1: only s was active in DE (p's 10 March visit is US); week +2: p on 17 March.
    assert grid(data) == {"2026-03-02": (3, [3, 1, 1])}
    everyone = run(con, start_date="2026-03-02", end_date="2026-03-15", max_periods="3")
    assert grid(everyone) == {"2026-03-02": (3, [3, 2, 1])}  # p and s both back in week +1


def test_bots(site):
    con, seed = site
    seen(seed, "bot", "2026-03-02T10:00Z", "2026-03-10T10:00Z", bot=True)
    seed.event(at="2026-03-02T11:00Z", website="site_r", visitor="t", session="t-bot", bot=True)
    seed.event(at="2026-03-10T11:00Z", website="site_r", visitor="t", session="t-human")
    seed.flush()
    # t's first-seen is global (its flagged visit); only its human visit is activity.
    assert grid(run(con, start_date="2026-03-02", end_date="2026-03-15", max_periods="2")) == {
        "2026-03-02": (1, [1, 1])
    }
    with_bots = run(con, start_date="2026-03-02", end_date="2026-03-15", max_periods="2", include_bots="true")
    assert grid(with_bots) == {"2026-03-02": (2, [2, 2])}


def test_dst_moves_a_first_visit_to_another_local_day(site):
    con, seed = site
    # America/Los_Angeles: PST (UTC−8) until Sun 8 March 10:00Z, then PDT (UTC−7).
    seen(seed, "z", "2026-03-08T07:30Z", "2026-03-08T17:00Z", website="site_la")  # Sat 7 Mar 23:30 PST
    seen(seed, "x", "2026-03-08T09:30Z", "2026-03-09T06:30Z", "2026-03-10T06:59Z", website="site_la")
    seen(seed, "y", "2026-03-09T07:30Z", website="site_la")  # Mon 9 Mar 00:30 PDT (23:30 in PST)
    seed.flush()
    local = run(con, "site_la", start_date="2026-03-08", end_date="2026-03-09", cohort_granularity="day",
                max_periods="2")
    # x: 8 Mar 01:30 PST, again 23:30 PDT the same day, then 9 Mar 23:59 PDT (day +1).
    # z was first seen on the 7th (local): in no cohort.
    assert grid(local) == {"2026-03-08": (1, [1, 1]), "2026-03-09": (1, [1, 0])}
    utc = run(con, "site_la", timezone="UTC", start_date="2026-03-08", end_date="2026-03-09",
              cohort_granularity="day", max_periods="2")
    # In UTC z joins 8 March; x is back on 9 March 06:30Z (day +1).
    assert grid(utc) == {"2026-03-08": (2, [2, 1]), "2026-03-09": (1, [1, 0])}


def test_no_visitors_no_rows(site):
    con, _ = site
    data = run(con, start_date="2026-03-02", end_date="2026-03-08")
    assert data == {
        "granularity": "week",
        "max_periods": 8,
        "rows": [],
        "summary": {"avg_period1_rate": 0.0, "avg_period4_rate": 0.0},
    }


def test_periods():
    assert period_start(date(2026, 3, 8), "week") == date(2026, 3, 2)  # Sunday → Monday
    assert period_start(date(2026, 3, 9), "week") == date(2026, 3, 9)
    assert period_start(date(2026, 3, 31), "month") == date(2026, 3, 1)
    assert add_periods(date(2026, 11, 1), 3, "month") == date(2027, 2, 1)
    assert add_periods(date(2026, 3, 2), 2, "week") == date(2026, 3, 16)
    assert elapsed_periods(date(2026, 3, 2), date(2026, 3, 15), "week") == 1
    assert elapsed_periods(date(2025, 12, 1), date(2026, 2, 1), "month") == 2
    assert elapsed_periods(date(2026, 3, 4), date(2026, 3, 4), "day") == 0


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"cohort_granularity": "year"}, "cohort_granularity must be one of: day, week, month"),
        ({"cohort_granularity": "day", "max_periods": "31"}, "max_periods must be between 1 and 30 for daily granularity"),
        ({"max_periods": "13"}, "max_periods must be between 1 and 12 for weekly granularity"),
        ({"max_periods": "0"}, "max_periods must be between 1 and 12 for weekly granularity"),
        ({"cohort_granularity": "month", "max_periods": "13"}, "max_periods must be between 1 and 12 for monthly granularity"),
        ({"cohort_granularity": "month", "max_periods": "1.5"}, "max_periods must be between 1 and 12 for monthly granularity"),
    ],
)
def test_option_errors(params, message):
    with pytest.raises(QueryError, match=f"^{re.escape(message)}$"):
        parse_retention_options(params)


def test_option_defaults():
    assert parse_retention_options({}) == RetentionOptions("week", 8)
    assert parse_retention_options({"cohort_granularity": " day "}) == RetentionOptions("day", 30)
    assert parse_retention_options({"cohort_granularity": "month", "max_periods": ""}) == RetentionOptions("month", 12)
    assert parse_retention_options({"cohort_granularity": "", "max_periods": "12"}) == RetentionOptions("week", 12)
