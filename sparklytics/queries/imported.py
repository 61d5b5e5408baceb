"""``with_imported=true``: the overview reports plus the aggregates imported from
another tool (Plausible CE's CSV export, ``sparklytics import``).

Imported data are daily sums per value (``imported_totals``, ``imported_breakdowns``),
not events, so they are added to what the events give, as Plausible adds its
``imported_*`` tables:

* stats: pageviews, visitors, sessions (imported visits), bounces and the duration
  sum are added; bounce rate and average duration are recomputed over all sessions.
* pageview series: each day (and month) adds that day's imported pageviews and
  visitors; hourly buckets cannot hold daily sums and get none.
* breakdowns: a value's imported visitors, pageviews, events, visits, bounces and
  duration are added to its row (values only one side has appear too), then the rows
  are ranked and paged again by the breakdown's own order. Dimensions with imported
  data: page, entry_page, exit_page, referrer, channel, utm_source, utm_medium,
  utm_campaign, country, region, city, browser, os, device, event_name.

**Visitors are summed per day**: a visitor who came on two imported days counts
twice, and one counted in both the imported and the collected data of a day too —
distinct visitors across imported days are an approximation, exactly as in
Plausible. Imported days are the exporting site's local days, used as they are
whatever ``timezone`` the report asks for.

Imported data are left out (and ``imports_included`` is false) when the query has a
filter (an export has no per-filter sums), for a rolling ``period=24h`` and where a
report has none in its range. A response asked ``with_imported=true`` carries
``"meta": {"imports_included": bool}`` beside ``data``.

Backends supply the three fetches of :class:`ImportedRows`; the merging is here, so
every backend adds alike.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

from .report_query import ReportQuery
from .result import ReportResult
from .rows import BreakdownRow, PeriodTotals, ReportRows, SeriesCounts

IMPORTED_DIMENSIONS = frozenset({
    "page", "entry_page", "exit_page", "referrer", "channel", "utm_source", "utm_medium", "utm_campaign",
    "country", "region", "city", "browser", "os", "device", "event_name",
})
# Every native row of a breakdown, to merge before paging (imported mode only).
_ALL_ROWS = 2**31 - 1

# (visitors, pageviews, visits, bounces, visit_duration, days with data)
ImportedTotals = tuple[int, int, int, int, int, int]
# {value: (visitors, pageviews, events, visits, bounces, visit_duration)}
ImportedValues = dict[str, tuple[int, int, int, int, int, int]]


class ImportedRows(Protocol):
    def imported_totals(self, q: ReportQuery) -> ImportedTotals:
        """The sums of ``imported_totals`` over ``q``'s local days."""

    def imported_series(self, q: ReportQuery, granularity: str) -> SeriesCounts:
        """``{day or first of month: (pageviews, visitors)}`` (``day``/``month`` only)."""

    def imported_values(self, q: ReportQuery, dimension: str, values: list[str] | None = None) -> ImportedValues:
        """Per value of ``dimension`` over ``q``'s days (only ``values`` when given)."""


def with_imports(report: Callable[[ReportRows, ReportQuery], ReportResult], rows: ReportRows,
                 imported: ImportedRows, q: ReportQuery) -> ReportResult:
    """``report`` over ``rows``, plus the imported data when ``q`` asks for them."""
    if not q.with_imported:
        return report(rows, q)
    merged = WithImported(rows, imported)
    result = report(merged, q)
    return ReportResult(result.data, {**result.extras, "meta": {"imports_included": merged.included}})


def applies(q: ReportQuery) -> bool:
    return q.with_imported and not q.has_filters and q.window is None


class WithImported:
    """A :class:`ReportRows` adding the imported rows to those of ``rows``; ``included``
    says whether any imported row was added."""

    def __init__(self, rows: ReportRows, imported: ImportedRows) -> None:
        self._rows = rows
        self._imported = imported
        self.included = False

    def period_totals(self, q: ReportQuery) -> PeriodTotals:
        pageviews, visitors, sessions, bounces, avg = self._rows.period_totals(q)
        if not applies(q):
            return pageviews, visitors, sessions, bounces, avg
        i_visitors, i_pageviews, i_visits, i_bounces, i_duration, days = self._imported.imported_totals(q)
        if not days:
            return pageviews, visitors, sessions, bounces, avg
        self.included = True
        all_sessions = sessions + i_visits
        duration = (avg or 0.0) * sessions + i_duration
        return (
            pageviews + i_pageviews,
            visitors + i_visitors,
            all_sessions,
            bounces + i_bounces,
            duration / all_sessions if all_sessions else None,
        )

    def series_counts(self, q: ReportQuery, granularity: str, *, custom_event: str | None = None) -> SeriesCounts:
        counts = self._rows.series_counts(q, granularity, custom_event=custom_event)
        if custom_event is not None or granularity == "hour" or not applies(q):
            return counts
        extra = self._imported.imported_series(q, granularity)
        if extra:
            self.included = True
        merged = dict(counts)
        for key, (pageviews, visitors) in extra.items():
            count, seen = merged.get(key, (0, 0))
            merged[key] = (count + pageviews, seen + visitors)
        return merged

    def top_rows(self, q: ReportQuery, metric: str, limit: int, offset: int) -> tuple[list[BreakdownRow], int]:
        if metric not in IMPORTED_DIMENSIONS or not applies(q):
            return self._rows.top_rows(q, metric, limit, offset)
        extra = self._imported.imported_values(q, metric)
        if not extra:
            return self._rows.top_rows(q, metric, limit, offset)
        self.included = True
        native, _total = self._rows.top_rows(q, metric, _ALL_ROWS, 0)
        merged = {row[0]: row for row in native}
        for value, counts in extra.items():
            merged[value] = _add(merged.get(value), value, counts)
        ranked = sorted(merged.values(), key=_ORDER.get(metric, _by_visitors))
        total = len(ranked)
        page = [(*row[:4], total, *row[5:]) for row in ranked[offset:offset + limit]]
        return page, total

    def previous_values(self, q: ReportQuery, metric: str, values: list[str]) -> dict[str, tuple[int, int]]:
        previous = self._rows.previous_values(q, metric, values)
        if metric not in IMPORTED_DIMENSIONS or not applies(q) or not values:
            return previous
        merged = dict(previous)
        for value, (visitors, pageviews, *_rest) in self._imported.imported_values(q, metric, values).items():
            seen, viewed = merged.get(value, (0, 0))
            merged[value] = (seen + visitors, viewed + pageviews)
        return merged


def _add(row: BreakdownRow | None, value: str, counts: tuple[int, int, int, int, int, int]) -> BreakdownRow:
    """A breakdown row (``rows.BreakdownRow`` layout) with the imported counts added."""
    visitors, pageviews, events, visits, bounces, duration = counts
    if row is None:
        return (value, visitors, pageviews, events, 0, visits, bounces, duration / visits if visits else None)
    _value, n_visitors, n_pageviews, n_events, total, sessions, n_bounces, avg = row
    all_sessions = sessions + visits
    all_duration = (avg or 0.0) * sessions + duration
    return (
        value,
        n_visitors + visitors,
        n_pageviews + pageviews,
        n_events + events,
        total,
        all_sessions,
        n_bounces + bounces,
        all_duration / all_sessions if all_sessions else avg,
    )


def _by_visitors(row: BreakdownRow) -> tuple:
    return (-row[1], -row[2], row[0])


# The breakdowns' own orders (``stores/duckdb/reports/breakdowns.py``: ``_ORDER``).
_ORDER: dict[str, Callable[[BreakdownRow], tuple]] = {
    "page": lambda row: (-row[2], -row[1], row[0]),
    "event_name": lambda row: (-row[3], -row[1], row[0]),
}
