"""The four fetches of :class:`~sparklytics.queries.rows.ReportRows` on one DuckDB cursor."""

from __future__ import annotations

from sparklytics.queries.report_query import ReportQuery
from sparklytics.queries.rows import BreakdownRow, PeriodTotals, SeriesCounts
from sparklytics.stores.duckdb.sql import Cursor

from . import breakdowns, stats, timeseries


class DuckDBRows:
    def __init__(self, cur: Cursor) -> None:
        self._cur = cur

    def period_totals(self, q: ReportQuery) -> PeriodTotals:
        return stats.period_totals(self._cur, q)

    def series_counts(self, q: ReportQuery, granularity: str, *, custom_event: str | None = None) -> SeriesCounts:
        return timeseries.series_counts(self._cur, q, granularity, custom_event=custom_event)

    def top_rows(self, q: ReportQuery, metric: str, limit: int, offset: int) -> tuple[list[BreakdownRow], int]:
        return breakdowns.top_rows(self._cur, q, metric, limit, offset)

    def previous_values(self, q: ReportQuery, metric: str, values: list[str]) -> dict[str, tuple[int, int]]:
        return breakdowns.previous_values(self._cur, q, metric, values)
