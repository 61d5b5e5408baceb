"""The DuckDB :class:`~sparklytics.stores.analytics.AnalyticsStore`.

Each report is a sync function ``report(cursor, q)`` in ``reports/`` holding its SQL,
or, for the compositions (stats, series, breakdowns, share), the query side's report over
:class:`DuckDBRows`; this class runs it on a read cursor of its own in a worker thread
(:meth:`Database.read`), under the report's time budget, so the Trio loop never waits
on DuckDB and a slow report is interrupted instead of holding a reader.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from datetime import datetime
from typing import Any

from sparklytics.goals import Goal
from sparklytics.queries import breakdowns, share, stats, timeseries
from sparklytics.queries.goals import AttributionOptions
from sparklytics.queries.grouping import GroupRow, Grouping
from sparklytics.queries.imported import with_imports
from sparklytics.queries.journey import JourneyOptions
from sparklytics.queries.report_query import ReportQuery
from sparklytics.queries.result import ReportResult
from sparklytics.queries.retention import RetentionOptions
from sparklytics.stores.analytics import QueryBudgets
from sparklytics.stores.duckdb.database import Database
from sparklytics.stores.duckdb.sql import Cursor

from .reports import bots, campaigns, events, export, funnels, grouped
from .reports import goals as goal_reports
from .reports import journey, realtime, retention, sessions
from .reports.imported import DuckDBImportedRows
from .reports.rows import DuckDBRows


class DuckDBAnalyticsStore:
    def __init__(self, db: Database, budgets: QueryBudgets) -> None:
        self._db = db
        self._budgets = budgets

    async def _run(self, report: Callable[[Cursor], Any], budget_ms: int | None = None) -> Any:
        return await self._db.read(report, timeout=(budget_ms or self._budgets.default) / 1000)

    async def stats(self, q: ReportQuery) -> ReportResult:
        return await self._run(lambda cur: with_imports(stats.stats, DuckDBRows(cur), DuckDBImportedRows(cur), q))

    async def pageviews(self, q: ReportQuery) -> ReportResult:
        return await self._run(lambda cur: with_imports(timeseries.pageviews, DuckDBRows(cur), DuckDBImportedRows(cur), q))

    async def metrics(self, q: ReportQuery) -> ReportResult:
        return await self._run(lambda cur: with_imports(breakdowns.metrics, DuckDBRows(cur), DuckDBImportedRows(cur), q))

    async def realtime(self, q: ReportQuery, *, now: datetime | None = None) -> ReportResult:
        return await self._run(lambda cur: realtime.realtime(cur, q, now=now))

    async def events(self, q: ReportQuery) -> ReportResult:
        return await self._run(lambda cur: events.events_list(cur, q))

    async def event_properties(self, q: ReportQuery) -> ReportResult:
        return await self._run(lambda cur: events.event_properties(cur, q))

    async def event_timeseries(self, q: ReportQuery) -> ReportResult:
        return await self._run(lambda cur: timeseries.event_timeseries(DuckDBRows(cur), q))

    async def sessions(self, q: ReportQuery) -> ReportResult:
        return await self._run(lambda cur: sessions.sessions_list(cur, q))

    async def session(self, website_id: str, session_id: str) -> ReportResult | None:
        return await self._run(lambda cur: sessions.session_detail(cur, website_id, session_id))

    async def goal_stats(self, q: ReportQuery, goal: Goal) -> ReportResult:
        return await self._run(lambda cur: goal_reports.goal_stats(cur, q, goal))

    async def goal_conversions(self, q: ReportQuery, goals: Sequence[Goal]) -> ReportResult:
        return await self._run(lambda cur: goal_reports.goal_conversions(cur, q, goals))

    async def attribution(self, q: ReportQuery, goal: Goal, options: AttributionOptions) -> ReportResult:
        return await self._run(lambda cur: goal_reports.attribution(cur, q, goal, options))

    async def revenue_summary(self, q: ReportQuery, goal: Goal, options: AttributionOptions) -> ReportResult:
        return await self._run(lambda cur: goal_reports.revenue_summary(cur, q, goal, options))

    async def link_stats(self, q: ReportQuery, goals: Sequence[Goal]) -> ReportResult:
        return await self._run(lambda cur: campaigns.link_stats(cur, q, goals))

    async def pixel_stats(self, q: ReportQuery) -> ReportResult:
        return await self._run(lambda cur: campaigns.pixel_stats(cur, q))

    async def bot_summary(self, q: ReportQuery) -> ReportResult:
        return await self._run(lambda cur: bots.bot_summary(cur, q))

    async def bot_report(self, q: ReportQuery) -> ReportResult:
        return await self._run(lambda cur: bots.bot_report(cur, q))

    async def funnel(self, q: ReportQuery, funnel: Mapping[str, Any]) -> ReportResult:
        return await self._run(lambda cur: funnels.funnel_results(cur, q, funnel), self._budgets.funnel)

    async def journey(self, q: ReportQuery, options: JourneyOptions) -> ReportResult:
        return await self._run(lambda cur: journey.journey(cur, q, options), self._budgets.journey)

    async def retention(self, q: ReportQuery, options: RetentionOptions) -> ReportResult:
        return await self._run(lambda cur: retention.retention(cur, q, options), self._budgets.retention)

    async def export(self, q: ReportQuery) -> AsyncIterator[bytes]:
        async for chunk in self._db.stream(lambda cur: export.export_csv(cur, q)):
            yield chunk

    async def grouped(self, q: ReportQuery, grouping: Grouping) -> list[GroupRow]:
        return await self._run(lambda cur: grouped.grouped(cur, q, grouping))

    async def first_event_at(self, website_id: str) -> datetime | None:
        return await self._run(lambda cur: grouped.first_event_at(cur, website_id))

    async def visitor_events_at(self, website_id: str, visitor_id: str, created_at: str) -> int:
        return await self._run(lambda cur: grouped.visitor_events_at(cur, website_id, visitor_id, created_at))

    async def share_stats(self, q: ReportQuery) -> ReportResult:
        return await self._run(lambda cur: share.share_stats(DuckDBRows(cur), q))

    async def share_pageviews(self, q: ReportQuery) -> ReportResult:
        return await self._run(lambda cur: share.share_pageviews(DuckDBRows(cur), q))

    async def share_metrics(self, q: ReportQuery) -> ReportResult:
        return await self._run(lambda cur: share.share_metrics(DuckDBRows(cur), q))

    async def share_overview(self, q: ReportQuery) -> ReportResult:
        return await self._run(lambda cur: share.overview(DuckDBRows(cur), q))
