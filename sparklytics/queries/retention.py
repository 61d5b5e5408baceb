"""Retention: cohorts of new visitors and how many come back (API.md §1.11).

``GET /api/websites/{id}/retention?start_date=…&end_date=…&cohort_granularity=week``

Semantics, for the required local-day range ``[start_date, end_date]``:

* **Cohort members** are visitors active in the range (an event matching the filters,
  not a bot unless bots are included) whose *global* first-seen lies in the range.
  First-seen is the visitor's earliest ``sessions.first_seen`` on the website, over
  every session (any filter, bot or not): a visitor seen before ``start_date`` is in
  no cohort. (A session's ``first_seen`` is the time of its first event, so the
  events add nothing to this minimum.)
* **Cohort** = first-seen truncated to its local day, week (weeks start on Monday)
  or month in the report's time zone. ``cohort_start`` is that period's first day, so
  a weekly or monthly cohort may start before ``start_date``; it still holds only
  visitors first seen inside the range.
* **Periods.** "``max_periods`` periods" means offsets ``0 … max_periods − 1``: offset
  *k* is the *k*-th day/week/month after the cohort's own. Every row has exactly
  ``max_periods`` entries, zero-filled. Offset 0 is the whole cohort (rate 1.0).
  Offset *k* ≥ 1 counts the members active (matching the filters) in that period;
  activity is read through the end of the last period any cohort can show (the
  latest cohort's offset ``max_periods − 1``), which is never later than ``end_date``
  + ``max_periods`` periods. ``rate`` = retained / cohort_size.
* **Summary.** ``avg_period1_rate`` (``avg_period4_rate``) is the mean offset-1
  (offset-4) rate over the cohorts whose offset 1 (4) period has begun on or before
  ``end_date``; 0.0 when no cohort qualifies. Offset 1 exists only when
  ``max_periods`` ≥ 2, offset 4 only when ``max_periods`` ≥ 5: ``avg_period4_rate``
  is ``null`` when ``max_periods`` ≤ 4, and ``avg_period1_rate`` is 0.0 when
  ``max_periods`` = 1.

Who can return: an anonymous visitor's id is keyed by a salt that changes at 00:00 UTC
(Decision 6), so the same person on a later day is a new visitor. Returns in later
days, weeks or months are those of visitors the site identifies (``identify()`` sends
``visitor_id``) and of sessions that run across midnight; the dashboard says so. This
is the price of not linking anonymous visits across days (Plausible offers no
retention for that reason; Umami links a month with a monthly salt).

Contract decisions (API.md is silent):

* Rates and averages are rounded half-up to 4 decimals; averages are taken over the
  unrounded rates. Rows are cohorts with at least one member, oldest first.
* A blank ``cohort_granularity`` or ``max_periods`` takes the default; a
  ``max_periods`` that is not an integer gets the range message (``max_periods must
  be between 1 and 12 for weekly granularity``). They are checked before the date
  range and filters.
* Without filters, activity comes from ``sessions`` (``is_bot`` of the session):
  a session is active in every local period from its first to its last event. This
  is exact because a session never pauses for more than 30 minutes (the Writer's
  session timeout), shorter than any period. With filters, activity is read from the
  matching events.

The DuckDB SQL is in ``stores/duckdb/reports/retention.py``.
"""

from __future__ import annotations

import calendar
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta

from sparklytics.queries.errors import QueryError
from sparklytics.queries.report_query import parse_bounded_int
from sparklytics.queries.result import round_half_up

DEFAULT_GRANULARITY = "week"


@dataclass(frozen=True, slots=True)
class _Granularity:
    default_periods: int
    min_periods: int
    max_periods: int
    adjective: str


GRANULARITIES: dict[str, _Granularity] = {
    "day": _Granularity(30, 1, 30, "daily"),
    "week": _Granularity(8, 1, 12, "weekly"),
    "month": _Granularity(12, 1, 12, "monthly"),
}


@dataclass(frozen=True, slots=True)
class RetentionOptions:
    """The retention report's own parameters, validated."""

    granularity: str = DEFAULT_GRANULARITY  # day | week | month
    max_periods: int = GRANULARITIES[DEFAULT_GRANULARITY].default_periods


def parse_retention_options(params: Mapping[str, str]) -> RetentionOptions:
    """Validate ``cohort_granularity`` and ``max_periods``.

    Raises:
        QueryError: with the exact API.md §1.11 message.
    """
    granularity = (params.get("cohort_granularity") or "").strip() or DEFAULT_GRANULARITY
    if granularity not in GRANULARITIES:
        raise QueryError("cohort_granularity must be one of: day, week, month", "cohort_granularity")
    spec = GRANULARITIES[granularity]
    out_of_range = QueryError(
        f"max_periods must be between {spec.min_periods} and {spec.max_periods} for {spec.adjective} granularity",
        "max_periods",
    )
    periods = parse_bounded_int(params.get("max_periods"), spec.min_periods, spec.max_periods, out_of_range)
    return RetentionOptions(granularity, spec.default_periods if periods is None else periods)


def period_start(day: date, granularity: str) -> date:
    """The first day of the day/week (Monday)/month holding ``day``."""
    if granularity == "week":
        return day - timedelta(days=day.weekday())
    if granularity == "month":
        return day.replace(day=1)
    return day


def add_periods(start: date, n: int, granularity: str) -> date:
    """``start`` (a period's first day) moved ``n`` periods later."""
    if granularity == "week":
        return start + timedelta(weeks=n)
    if granularity == "month":
        months = start.year * 12 + start.month - 1 + n
        year, month = divmod(months, 12)
        return date(year, month + 1, min(start.day, calendar.monthrange(year, month + 1)[1]))
    return start + timedelta(days=n)


def elapsed_periods(cohort_start: date, end: date, granularity: str) -> int:
    """The highest offset of the cohort whose period has begun on or before ``end``."""
    if granularity == "week":
        return (end - cohort_start).days // 7
    if granularity == "month":
        return (end.year - cohort_start.year) * 12 + end.month - cohort_start.month
    return (end - cohort_start).days


def shape_retention(counts: list[tuple[date, int, int]], options: RetentionOptions, end: date) -> dict:
    """The response ``data`` from ``(cohort_start, offset, visitors)`` counts (pure).

    Offset 0 carries the cohort size; missing offsets are zero-filled.
    """
    unit, periods = options.granularity, options.max_periods
    cells: dict[date, dict[int, int]] = {}
    for cohort_start, offset, visitors in counts:
        cells.setdefault(cohort_start, {})[offset] = visitors
    rows = []
    reached: dict[int, list[float]] = {1: [], 4: []}
    for cohort_start in sorted(cells):
        retained = cells[cohort_start]
        size = retained[0]
        rates = [retained.get(k, 0) / size for k in range(periods)]
        rows.append(
            {
                "cohort_start": cohort_start.isoformat(),
                "cohort_size": size,
                "periods": [
                    {"offset": k, "retained": retained.get(k, 0), "rate": round_half_up(rates[k], 4)}
                    for k in range(periods)
                ],
            }
        )
        elapsed = elapsed_periods(cohort_start, end, unit)
        for k, seen in reached.items():
            if k < periods and elapsed >= k:
                seen.append(rates[k])
    return {
        "granularity": unit,
        "max_periods": periods,
        "rows": rows,
        "summary": {
            "avg_period1_rate": _mean(reached[1]),
            "avg_period4_rate": _mean(reached[4]) if periods > 4 else None,
        },
    }


def _mean(rates: list[float]) -> float:
    return round_half_up(sum(rates) / len(rates), 4) if rates else 0.0
