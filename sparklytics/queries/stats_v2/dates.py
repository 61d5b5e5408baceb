"""``date_range`` of a v2 query → our local days (or a UTC window), as Plausible reads it.

In the website's time zone, with "today" its local date: ``day`` is today; ``Nd``
(``7d``, ``28d``, ``30d``, ``91d`` …) the N whole days before today; ``month`` and
``year`` the current calendar month and year; ``Nmo`` (``6mo``, ``12mo``) the N whole
months before the current one; ``all`` from the day of the website's first event to
today. A pair of ISO 8601 dates is an inclusive day range; a pair of ISO 8601 date-times
with offsets is that exact span (the end second included).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone

from zoneinfo import ZoneInfo

from sparklytics.queries.errors import QueryError
from sparklytics.queries.report_query import SUPPORTED_DATES, is_valid_timezone, local_midnight_utc

_SHORTHAND = re.compile(r"^(\d{1,4})(d|mo)$")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


@dataclass(frozen=True, slots=True)
class DateRange:
    """Inclusive local days, and the naive-UTC ``[start, end)`` window of a date-time pair."""

    start: date
    end: date
    window: tuple[datetime, datetime] | None = None


def invalid(value: object) -> QueryError:
    return QueryError(f"#/date_range: Invalid date range {inspect(value)}", "date_range")


def inspect(value: object) -> str:
    """A JSON value the way Plausible's messages print it (Elixir's ``inspect``)."""
    return json.dumps(value, ensure_ascii=False)


def json_type(value: object) -> str:
    """The JSON schema name of ``value``'s type, as schema errors print it."""
    if isinstance(value, bool):
        return "Boolean"
    for kind, name in ((dict, "Object"), (list, "Array"), (str, "String"), (int, "Integer"), (float, "Number")):
        if isinstance(value, kind):
            return name
    return "Null"


def parse_date_range(value: object, tz_name: str, now: datetime, first_event: datetime | None) -> DateRange:
    """The range ``value`` names; ``first_event`` (naive UTC) anchors ``all``."""
    tz = ZoneInfo(tz_name if is_valid_timezone(tz_name) else "UTC")
    today = now.astimezone(tz).date()
    if isinstance(value, list) and len(value) == 2 and all(isinstance(v, str) for v in value):
        found = _pair(value, tz)
    elif isinstance(value, str):
        found = _shorthand(value, today, tz, first_event)
    else:
        found = None
    if found is None:
        raise invalid(value)
    low, high = SUPPORTED_DATES
    if not low <= found.start <= found.end <= high:
        raise invalid(value)
    return found


def _shorthand(value: str, today: date, tz: ZoneInfo, first_event: datetime | None) -> DateRange | None:
    if value == "day":
        return DateRange(today, today)
    if value == "month":
        return DateRange(today.replace(day=1), _month_end(today))
    if value == "year":
        return DateRange(date(today.year, 1, 1), date(today.year, 12, 31))
    if value == "all":
        first = first_event.replace(tzinfo=timezone.utc).astimezone(tz).date() if first_event else today
        return DateRange(min(first, today), today)
    match = _SHORTHAND.match(value)
    if match is None or int(match.group(1)) == 0:
        return None
    n, unit = int(match.group(1)), match.group(2)
    if unit == "d":
        return DateRange(today - timedelta(days=n), today - timedelta(days=1))
    this_month = today.replace(day=1)
    return DateRange(_add_months(this_month, -n), this_month - timedelta(days=1))


def _pair(value: list[str], tz: ZoneInfo) -> DateRange | None:
    if all(_DATE.match(v) for v in value):
        try:
            start, end = (date.fromisoformat(v) for v in value)
        except ValueError:
            return None
        return DateRange(start, end) if start <= end else None
    try:
        first, last = (datetime.fromisoformat(v.replace("Z", "+00:00")) for v in value)
        if first.tzinfo is None or last.tzinfo is None or first > last:
            return None
        start = first.astimezone(timezone.utc).replace(tzinfo=None)
        # The end second is included (Plausible's ranges end at ``…:59``).
        end = last.astimezone(timezone.utc).replace(tzinfo=None) + timedelta(seconds=1)
        start_day = first.astimezone(tz).date()
        end_day = (end - timedelta(microseconds=1)).replace(tzinfo=timezone.utc).astimezone(tz).date()
    except (ValueError, OverflowError):  # not a date-time, or beyond year 1 … 9999 once shifted
        return None
    return DateRange(start_day, end_day, (start, end))


def echo(found: DateRange, tz_name: str) -> list[str]:
    """The ``query.date_range`` Plausible answers: first and last second, local, ISO 8601."""
    tz = ZoneInfo(tz_name if is_valid_timezone(tz_name) else "UTC")
    if found.window is not None:
        start, end = found.window
    else:
        start = local_midnight_utc(found.start, tz)
        end = local_midnight_utc(found.end + timedelta(days=1), tz)
    last = end - timedelta(seconds=1)
    return [_local(start, tz), _local(last, tz)]


def _local(instant: datetime, tz: ZoneInfo) -> str:
    return instant.replace(tzinfo=timezone.utc, microsecond=0).astimezone(tz).isoformat()


def _month_end(day: date) -> date:
    return _add_months(day.replace(day=1), 1) - timedelta(days=1)


def _add_months(first_of_month: date, months: int) -> date:
    index = first_of_month.year * 12 + first_of_month.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


__all__ = ["DateRange", "echo", "inspect", "invalid", "json_type", "parse_date_range"]
