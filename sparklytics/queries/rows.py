"""What a backend fetches for the overview reports, so that it fetches nothing else.

Stats, the pageview series, breakdowns and the share overview are compositions: the
current and previous period, the primary and comparison series, a page of rows and the
comparison values of just those rows. The compositions and the shaping live on the
query side (:mod:`.stats`, :mod:`.timeseries`, :mod:`.breakdowns`, :mod:`.share`), so
every backend answers alike; a backend supplies only these four fetches, each one
bounded scan over the range of the query it is given.
"""

from __future__ import annotations

from typing import Protocol

from .report_query import ReportQuery

# (pageviews, visitors, sessions, bounces, avg_duration_seconds or None)
PeriodTotals = tuple[int, int, int, int, float | None]
# {bucket key: (count, visitors)} for the buckets that have rows; keys as
# ``timeseries.bucket_keys`` makes them (local dates, or naive UTC hours).
SeriesCounts = dict[object, tuple[int, int]]
# (value, visitors, pageviews, events, total, sessions, bounces, avg_duration)
BreakdownRow = tuple


class ReportRows(Protocol):
    def period_totals(self, q: ReportQuery) -> PeriodTotals:
        """The stats totals of ``q``'s range (Decisions 1 and 2: see :mod:`.stats`)."""

    def series_counts(self, q: ReportQuery, granularity: str, *, custom_event: str | None = None) -> SeriesCounts:
        """Pageviews (or occurrences of ``custom_event``) and visitors per local bucket."""

    def top_rows(self, q: ReportQuery, metric: str, limit: int, offset: int) -> tuple[list[BreakdownRow], int]:
        """One page of the breakdown by ``metric`` and the number of distinct values."""

    def previous_values(self, q: ReportQuery, metric: str, values: list[str]) -> dict[str, tuple[int, int]]:
        """``{value: (visitors, pageviews)}`` over ``q``'s range, for ``values`` only."""
