"""Next runs on the subscription's wall clock, across DST changes in three zones."""

from __future__ import annotations

from datetime import datetime, timezone
from zoneinfo import ZoneInfo

import pytest

from sparklytics.notifications.schedule import next_run


def local(instant: datetime, zone: str) -> datetime:
    return instant.replace(tzinfo=timezone.utc).astimezone(ZoneInfo(zone)).replace(tzinfo=None)


@pytest.mark.parametrize(
    "zone,first_utc,utc_hours",
    [
        # 08:00 Berlin: 07:00 UTC in winter, 06:00 UTC from 29 March 2026.
        ("Europe/Berlin", datetime(2026, 3, 27, 7), [7, 6, 6]),
        # 08:00 New York: 13:00 UTC until 8 March 2026, then 12:00 UTC.
        ("America/New_York", datetime(2026, 3, 6, 13), [13, 12, 12]),
        # 08:00 Sydney: 21:00 UTC (previous day) in summer time, 22:00 UTC after 5 April 2026.
        ("Australia/Sydney", datetime(2026, 4, 2, 21), [21, 22, 22]),
    ],
)
def test_a_daily_report_stays_at_the_same_local_hour_across_a_dst_change(zone, first_utc, utc_hours) -> None:
    runs = [first_utc]
    for _ in range(3):
        runs.append(next_run(runs[-1], "daily", zone))
    assert [local(r, zone).hour for r in runs] == [8, 8, 8, 8]
    assert [r.hour for r in runs[1:]] == utc_hours


def test_weekly_and_monthly_steps() -> None:
    assert next_run(datetime(2026, 3, 24, 7), "weekly", "Europe/Berlin") == datetime(2026, 3, 31, 6)
    assert next_run(datetime(2026, 1, 31, 9), "monthly", "UTC") == datetime(2026, 2, 28, 9)
    assert next_run(datetime(2026, 12, 15, 9), "monthly", "UTC") == datetime(2027, 1, 15, 9)
    # 02:30 local on 28 March does not exist on 29 March in Berlin: 03:30 CEST instead.
    assert local(next_run(datetime(2026, 3, 28, 1, 30), "daily", "Europe/Berlin"), "Europe/Berlin") == datetime(2026, 3, 29, 3, 30)
    # 02:30 on 25 October happens twice in Berlin: the first one (CEST, 00:30 UTC).
    assert next_run(datetime(2026, 10, 24, 0, 30), "daily", "Europe/Berlin") == datetime(2026, 10, 25, 0, 30)


def test_unknown_schedule() -> None:
    with pytest.raises(ValueError):
        next_run(datetime(2026, 1, 1), "hourly", "UTC")
