"""The ClickHouse :class:`~sparklytics.stores.analytics.AnalyticsStore` (cloud mode).

Every statement goes out on one ``httpx.AsyncClient`` (Trio-native, the loop never
waits on ClickHouse), with the report's time budget as ``max_execution_time``: a
report that outruns it is stopped by the server and raises ``QueryTimeout``.

Stats, series, breakdowns and share are the query side's compositions over the four
:class:`~sparklytics.queries.rows.ReportRows` fetches, which are synchronous. They run
in a worker thread (bounded by a limiter), each fetch hopping back to the loop for its
request (``trio.from_thread.run``): the compositions are shared with DuckDB unchanged
and only the SQL is ClickHouse's (:mod:`.rows`). The sessions list and detail run in a
worker thread the same way: they ask ClickHouse which sessions are stored before they
read them (:mod:`.reports.sessions`).

The imported aggregates of ``with_imported=true`` live beside the metadata, in
PostgreSQL (``stores/postgres/imported_reports.py`` says why): the store is given their
async fetches (``imported``), and the compositions reach them from their worker thread
the way they reach ClickHouse, hopping back to the loop for each one.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from datetime import datetime
from typing import Any, Protocol

import trio

from sparklytics.goals import Goal
from sparklytics.queries import breakdowns, share, stats, timeseries
from sparklytics.queries.goals import AttributionOptions
from sparklytics.queries.grouping import GroupRow, Grouping
from sparklytics.queries.imported import ImportedTotals, ImportedValues, with_imports
from sparklytics.queries.journey import JourneyOptions
from sparklytics.queries.report_query import ReportQuery
from sparklytics.queries.result import ReportResult
from sparklytics.queries.retention import RetentionOptions
from sparklytics.queries.rows import ReportRows, SeriesCounts
from sparklytics.stores.analytics import QueryBudgets
from sparklytics.stores.clickhouse.event_sessions import scope_of
from sparklytics.stores.clickhouse.connection import AsyncClickHouse, ClickHouseError, ClickHouseSettings
from sparklytics.stores.clickhouse.rows import ClickHouseRows, Fetch as SyncFetch
from sparklytics.stores.errors import QueryTimeout, StorageFault

from .reports import Fetch, bots, campaigns, events, export, funnels, grouped, journey, realtime, retention, sessions
from .reports import goals as goal_reports

_TIMEOUT_EXCEEDED = "(TIMEOUT_EXCEEDED)"
_COMPOSITION_THREADS = 4


class ImportedSource(Protocol):
    """The :class:`~sparklytics.queries.imported.ImportedRows` fetches, awaited on the
    loop (``PostgresImportedRows`` in cloud mode)."""

    async def imported_totals(self, q: ReportQuery) -> ImportedTotals: ...

    async def imported_series(self, q: ReportQuery, granularity: str) -> SeriesCounts: ...

    async def imported_values(self, q: ReportQuery, dimension: str, values: list[str] | None = None) -> ImportedValues: ...


class _ImportedFromThread:
    """:class:`~sparklytics.queries.imported.ImportedRows` for a composition running in
    a worker thread: each fetch runs on the loop (``trio.from_thread.run``)."""

    def __init__(self, source: ImportedSource) -> None:
        self._source = source

    def imported_totals(self, q: ReportQuery) -> ImportedTotals:
        return trio.from_thread.run(self._source.imported_totals, q)

    def imported_series(self, q: ReportQuery, granularity: str) -> SeriesCounts:
        return trio.from_thread.run(self._source.imported_series, q, granularity)

    def imported_values(self, q: ReportQuery, dimension: str, values: list[str] | None = None) -> ImportedValues:
        return trio.from_thread.run(self._source.imported_values, q, dimension, values)


class ClickHouseAnalyticsStore:
    def __init__(self, settings: ClickHouseSettings, budgets: QueryBudgets, *, event_id_key: str,
                 imported: ImportedSource, rollups: bool = True) -> None:
        self._client = AsyncClickHouse(settings)
        self._rollups = rollups  # off only to measure or test the read-time path against it
        self._event_id_key = event_id_key  # the install's secret behind public event ids
        self._imported = _ImportedFromThread(imported)
        self._budgets = budgets
        self._threads = trio.CapacityLimiter(_COMPOSITION_THREADS)

    async def aclose(self) -> None:
        await self._client.aclose()

    async def ping(self) -> None:
        """One query through the Distributed table, so every shard must answer (/health)."""
        await self._rows("SELECT count() FROM events WHERE created_at < toDateTime64('1970-01-02', 3, 'UTC')", {}, 2000)

    async def _rows(self, sql: str, params: dict, budget_ms: int | None = None) -> list[list[Any]]:
        seconds = (budget_ms or self._budgets.default) / 1000
        try:
            return await self._client.rows(sql, params, settings={"max_execution_time": seconds})
        except ClickHouseError as error:
            if _TIMEOUT_EXCEEDED in str(error):
                raise QueryTimeout(seconds) from None
            if error.unavailable:
                raise StorageFault(str(error)) from error
            raise

    def _budgeted(self, budget_ms: int) -> Fetch:
        """A fetch under ``budget_ms`` instead of the default budget."""
        return lambda sql, params: self._rows(sql, params, budget_ms)

    async def _in_thread(self, work: Callable[[SyncFetch], Any]) -> Any:
        """``work(fetch)`` in a worker thread, ``fetch`` running each statement on the loop."""
        def fetch(sql: str, params: dict) -> list[list[Any]]:
            return trio.from_thread.run(self._rows, sql, params)

        return await trio.to_thread.run_sync(lambda: work(fetch), limiter=self._threads)

    async def _scope(self, q: ReportQuery, facts: Sequence[str] = (), *, sessions: bool = True,
                     rows: str | None = None, converted: Goal | None = None) -> tuple[str, dict]:
        """A report's ``WITH ev, sess, m``: its sessions from the stored ones (which days
        are stored is asked from a worker thread), or derived at read time."""
        return await self._in_thread(
            lambda fetch: scope_of(fetch, q, facts, sessions=sessions, rows=rows, converted=converted,
                                   stored=self._rollups))

    async def _compose(self, report: Callable[[ReportRows, ReportQuery], ReportResult], q: ReportQuery) -> ReportResult:
        return await self._in_thread(
            lambda fetch: with_imports(report, ClickHouseRows(fetch, rollups=self._rollups), self._imported, q)
        )

    async def stats(self, q: ReportQuery) -> ReportResult:
        return await self._compose(stats.stats, q)

    async def pageviews(self, q: ReportQuery) -> ReportResult:
        return await self._compose(timeseries.pageviews, q)

    async def metrics(self, q: ReportQuery) -> ReportResult:
        return await self._compose(breakdowns.metrics, q)

    async def realtime(self, q: ReportQuery, *, now: datetime | None = None) -> ReportResult:
        return await realtime.realtime(self._rows, q, now=now)

    async def events(self, q: ReportQuery) -> ReportResult:
        return await self._in_thread(lambda fetch: events.events_list(fetch, q, stored=self._rollups))

    async def event_properties(self, q: ReportQuery) -> ReportResult:
        return await events.event_properties(self._rows, self._scope, q)

    async def event_timeseries(self, q: ReportQuery) -> ReportResult:
        return await self._compose(timeseries.event_timeseries, q)

    async def sessions(self, q: ReportQuery) -> ReportResult:
        return await self._in_thread(lambda fetch: sessions.sessions_list(fetch, q, stored=self._rollups))

    async def session(self, website_id: str, session_id: str) -> ReportResult | None:
        return await self._in_thread(lambda fetch: sessions.session_detail(
            fetch, website_id, session_id, self._event_id_key, stored=self._rollups))

    async def goal_stats(self, q: ReportQuery, goal: Goal) -> ReportResult:
        return await self._in_thread(lambda fetch: goal_reports.goal_stats(fetch, q, goal, stored=self._rollups))

    async def goal_conversions(self, q: ReportQuery, goals: Sequence[Goal]) -> ReportResult:
        return await self._in_thread(
            lambda fetch: goal_reports.goal_conversions(fetch, q, goals, stored=self._rollups))

    async def attribution(self, q: ReportQuery, goal: Goal, options: AttributionOptions) -> ReportResult:
        return await goal_reports.attribution(self._rows, self._scope, q, goal, options)

    async def revenue_summary(self, q: ReportQuery, goal: Goal, options: AttributionOptions) -> ReportResult:
        return await goal_reports.revenue_summary(self._rows, self._scope, q, goal, options)

    async def link_stats(self, q: ReportQuery, goals: Sequence[Goal]) -> ReportResult:
        return await campaigns.link_stats(self._rows, self._scope, q, goals)

    async def pixel_stats(self, q: ReportQuery) -> ReportResult:
        return await campaigns.pixel_stats(self._rows, self._scope, q)

    async def bot_summary(self, q: ReportQuery) -> ReportResult:
        return await bots.bot_summary(self._rows, self._scope, q)

    async def bot_report(self, q: ReportQuery) -> ReportResult:
        return await bots.bot_report(self._rows, self._scope, q)

    async def funnel(self, q: ReportQuery, funnel: Mapping[str, Any]) -> ReportResult:
        return await funnels.funnel_results(self._budgeted(self._budgets.funnel), self._scope, q, funnel)

    async def journey(self, q: ReportQuery, options: JourneyOptions) -> ReportResult:
        return await journey.journey(self._budgeted(self._budgets.journey), self._scope, q, options)

    async def retention(self, q: ReportQuery, options: RetentionOptions) -> ReportResult:
        return await retention.retention(self._budgeted(self._budgets.retention), self._scope, q, options)

    async def export(self, q: ReportQuery) -> AsyncIterator[bytes]:
        chunks = await export.export_csv(self._rows, self._client.stream, q, self._event_id_key)
        async for chunk in chunks:
            yield chunk

    async def grouped(self, q: ReportQuery, grouping: Grouping) -> list[GroupRow]:
        return await grouped.grouped(self._rows, self._scope, q, grouping)

    async def first_event_at(self, website_id: str) -> datetime | None:
        rows = await self._rows(
            "SELECT min(created_at), count() FROM events WHERE website_id = {website_id:String}",
            {"website_id": website_id},
        )
        [(first, count)] = rows
        return datetime.fromisoformat(first) if count else None

    async def visitor_events_at(self, website_id: str, visitor_id: str, created_at: str) -> int:
        [(count,)] = await self._rows(
            "SELECT count() FROM events WHERE website_id = {website_id:String} AND visitor_id = {visitor_id:String}"
            " AND created_at = {created_at:DateTime64(6)}",
            {"website_id": website_id, "visitor_id": visitor_id, "created_at": datetime.fromisoformat(created_at)},
        )
        return int(count)

    async def share_stats(self, q: ReportQuery) -> ReportResult:
        return await self._compose(share.share_stats, q)

    async def share_pageviews(self, q: ReportQuery) -> ReportResult:
        return await self._compose(share.share_pageviews, q)

    async def share_metrics(self, q: ReportQuery) -> ReportResult:
        return await self._compose(share.share_metrics, q)

    async def share_overview(self, q: ReportQuery) -> ReportResult:
        return await self._compose(share.overview, q)
