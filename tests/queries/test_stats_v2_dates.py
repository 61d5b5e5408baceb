"""``date_range`` of the Stats API v2 → local days or a UTC window (pure)."""

from __future__ import annotations

from datetime import date, datetime, timezone

import pytest

from sparklytics.queries.errors import QueryError
from sparklytics.queries.stats_v2.dates import DateRange, echo, parse_date_range

# Thursday 5 March 2026, 23:30 UTC: already Friday 6 March in Berlin.
NOW = datetime(2026, 3, 5, 23, 30, tzinfo=timezone.utc)
FIRST_EVENT = datetime(2025, 3, 3, 9, 0)


@pytest.mark.parametrize(
    "value,start,end",
    [
        ("day", date(2026, 3, 5), date(2026, 3, 5)),
        ("7d", date(2026, 2, 26), date(2026, 3, 4)),
        ("28d", date(2026, 2, 5), date(2026, 3, 4)),
        ("30d", date(2026, 2, 3), date(2026, 3, 4)),
        ("91d", date(2025, 12, 4), date(2026, 3, 4)),
        ("month", date(2026, 3, 1), date(2026, 3, 31)),
        ("year", date(2026, 1, 1), date(2026, 12, 31)),
        ("6mo", date(2025, 9, 1), date(2026, 2, 28)),
        ("12mo", date(2025, 3, 1), date(2026, 2, 28)),
        ("all", date(2025, 3, 3), date(2026, 3, 5)),
        (["2026-01-01", "2026-01-31"], date(2026, 1, 1), date(2026, 1, 31)),
    ],
)
def test_ranges_in_utc(value, start, end):
    assert parse_date_range(value, "UTC", NOW, FIRST_EVENT) == DateRange(start, end)


def test_today_is_the_websites_today():
    assert parse_date_range("day", "Europe/Berlin", NOW, None) == DateRange(date(2026, 3, 6), date(2026, 3, 6))
    assert parse_date_range("all", "UTC", NOW, None) == DateRange(date(2026, 3, 5), date(2026, 3, 5))


def test_date_times_are_an_exact_window_with_the_last_second_included():
    found = parse_date_range(["2026-03-05T12:00:00+02:00", "2026-03-05T12:59:59+02:00"], "UTC", NOW, None)
    assert found == DateRange(date(2026, 3, 5), date(2026, 3, 5), (datetime(2026, 3, 5, 10), datetime(2026, 3, 5, 11)))
    assert echo(found, "UTC") == ["2026-03-05T10:00:00+00:00", "2026-03-05T10:59:59+00:00"]


def test_echo_is_the_first_and_last_local_second():
    found = parse_date_range(["2026-03-08", "2026-03-08"], "America/Los_Angeles", NOW, None)
    # The DST day: midnight is -08:00, the last second -07:00.
    assert echo(found, "America/Los_Angeles") == ["2026-03-08T00:00:00-08:00", "2026-03-08T23:59:59-07:00"]


@pytest.mark.parametrize(
    "value",
    ["bad_period", "0d", "24h", "realtime", None, 7, ["2026-03-02"], ["2026-03-08", "2026-03-01"], ["2026-02-30", "2026-03-01"],
     ["2026-03-01T00:00:00", "2026-03-02T00:00:00"], ["0001-01-01T00:00:00+05:00", "2026-01-01T00:00:00Z"], ["1960-01-01", "1960-01-02"]],
)
def test_invalid_ranges(value):
    with pytest.raises(QueryError, match=r"^#/date_range: Invalid date range "):
        parse_date_range(value, "UTC", NOW, None)
