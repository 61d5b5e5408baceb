"""When a subscription runs next: one day, seven days or one calendar month later on the
wall clock of its time zone (API.md §1.14).

The step is taken on local time, not on UTC: a daily report created at 08:00 in
Europe/Berlin runs at 08:00 Berlin time before and after the change to summer time,
which is 07:00 UTC one day and 06:00 UTC the next. A local time that does not exist
(the skipped hour of a spring change) moves forward by the gap, as a wall clock does;
an ambiguous one (the repeated hour of an autumn change) takes its first occurrence.
Monthly steps keep the day of the month, or take the month's last day when it is
shorter (31 January → 28 February).
"""

from __future__ import annotations

import calendar
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

SCHEDULES = ("daily", "weekly", "monthly")


def next_run(after: datetime, schedule: str, zone: str) -> datetime:
    """The run one ``schedule`` step after ``after`` (naive UTC), as naive UTC."""
    tz = ZoneInfo(zone)
    local = after.replace(tzinfo=timezone.utc).astimezone(tz).replace(tzinfo=None)
    match schedule:
        case "daily":
            wall = local + timedelta(days=1)
        case "weekly":
            wall = local + timedelta(days=7)
        case "monthly":
            wall = _add_month(local)
        case _:
            raise ValueError(f"unknown schedule {schedule!r}")
    return _wall_to_utc(wall, tz)


def _add_month(local: datetime) -> datetime:
    year, month = (local.year + 1, 1) if local.month == 12 else (local.year, local.month + 1)
    day = min(local.day, calendar.monthrange(year, month)[1])
    return local.replace(year=year, month=month, day=day)


def _wall_to_utc(wall: datetime, tz: ZoneInfo) -> datetime:
    """The UTC instant a wall clock in ``tz`` shows ``wall``: the first one if it shows
    it twice; if never (a gap), ``fold=0`` reads it with the offset before the gap,
    which lands the length of the gap later (02:30 → 03:30 on a spring change)."""
    return wall.replace(tzinfo=tz, fold=0).astimezone(timezone.utc).replace(tzinfo=None)
