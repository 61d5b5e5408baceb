"""The composed reports (stats, series, breakdowns, share) on a DuckDB cursor, as the
DuckDB store runs them: the query side's report over :class:`DuckDBRows`."""

from __future__ import annotations

from sparklytics.queries import breakdowns, share
from sparklytics.queries import stats as stats_report
from sparklytics.queries import timeseries
from sparklytics.queries.report_query import ReportQuery
from sparklytics.queries.result import ReportResult
from sparklytics.stores.duckdb.reports.rows import DuckDBRows
from sparklytics.stores.duckdb.sql import Cursor


def stats(cur: Cursor, q: ReportQuery) -> ReportResult:
    return stats_report.stats(DuckDBRows(cur), q)


def pageviews(cur: Cursor, q: ReportQuery) -> ReportResult:
    return timeseries.pageviews(DuckDBRows(cur), q)


def event_timeseries(cur: Cursor, q: ReportQuery) -> ReportResult:
    return timeseries.event_timeseries(DuckDBRows(cur), q)


def metrics(cur: Cursor, q: ReportQuery) -> ReportResult:
    return breakdowns.metrics(DuckDBRows(cur), q)


def share_stats(cur: Cursor, q: ReportQuery) -> ReportResult:
    return share.share_stats(DuckDBRows(cur), q)


def share_pageviews(cur: Cursor, q: ReportQuery) -> ReportResult:
    return share.share_pageviews(DuckDBRows(cur), q)


def share_metrics(cur: Cursor, q: ReportQuery) -> ReportResult:
    return share.share_metrics(DuckDBRows(cur), q)


def overview(cur: Cursor, q: ReportQuery) -> ReportResult:
    return share.overview(DuckDBRows(cur), q)
