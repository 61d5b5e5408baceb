"""``AnalyticsStore``: the reports, asked by the API and answered by a backend.

One method per report. Each takes a parsed :class:`ReportQuery` (and the report's own
options, when it has any), runs the backend's own SQL within the report's time budget
and returns the shaped result — the same :class:`ReportResult` whichever engine
answered, because every backend hands its rows to the same pure shapers in
:mod:`sparklytics.queries`. Nothing above this seam sees a cursor or a row.

Errors: :class:`~sparklytics.queries.errors.QueryError` for a request the data refuses
(an export over 500 000 rows), :class:`~sparklytics.stores.errors.QueryTimeout` when a
report outran its budget (:class:`QueryBudgets`).

``stats``, ``pageviews`` and ``metrics`` add the imported daily aggregates when
``q.with_imported`` (and say so in ``meta``): the merge is backend-free
(:mod:`sparklytics.queries.imported`), a backend supplies its ``ImportedRows`` fetches.

A new report is a method here, a shaper in ``queries/`` and one implementation per
backend; the contract suite (``tests/stores/test_analytics.py``) holds every backend to
the same numbers.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from sparklytics.goals import Goal
from sparklytics.queries.goals import AttributionOptions
from sparklytics.queries.grouping import GroupRow, Grouping
from sparklytics.queries.journey import STATEMENT_TIMEOUT_MS as JOURNEY_TIMEOUT_MS
from sparklytics.queries.journey import JourneyOptions
from sparklytics.queries.report_query import ReportQuery
from sparklytics.queries.result import ReportResult
from sparklytics.queries.retention import RetentionOptions

__all__ = ["AnalyticsStore", "QueryBudgets"]

FUNNEL_TIMEOUT_MS = 5_000


@dataclass(frozen=True, slots=True)
class QueryBudgets:
    """How long each kind of report may run (milliseconds) before it is interrupted.

    ``default`` is ``SPARKLYTICS_QUERY_TIMEOUT_MS`` and ``retention`` its own setting;
    funnel results and journeys have the contract's fixed 5 s.
    """

    default: int
    retention: int
    funnel: int = FUNNEL_TIMEOUT_MS
    journey: int = JOURNEY_TIMEOUT_MS


class AnalyticsStore(Protocol):
    async def stats(self, q: ReportQuery) -> ReportResult:
        """``GET …/stats``: the period's totals and the previous (or compared) period's."""

    async def pageviews(self, q: ReportQuery) -> ReportResult:
        """``GET …/pageviews``: the zero-filled series (and ``compare_series``)."""

    async def metrics(self, q: ReportQuery) -> ReportResult:
        """``GET …/metrics``: one page of a breakdown by ``q.metric``."""

    async def realtime(self, q: ReportQuery, *, now: datetime | None = None) -> ReportResult:
        """``GET …/realtime``: active visitors and the latest events of the 30 minutes
        before ``now`` (the clock unless given)."""

    async def events(self, q: ReportQuery) -> ReportResult:
        """``GET …/events``: custom event names with counts and the previous period's."""

    async def event_properties(self, q: ReportQuery) -> ReportResult:
        """``GET …/events/properties``: the property keys and values of ``q.event_name``."""

    async def event_timeseries(self, q: ReportQuery) -> ReportResult:
        """``GET …/events/timeseries``: occurrences of ``q.event_name`` per bucket."""

    async def sessions(self, q: ReportQuery) -> ReportResult:
        """``GET …/sessions``: one cursor page of sessions, newest first."""

    async def session(self, website_id: str, session_id: str) -> ReportResult | None:
        """``GET …/sessions/{id}``: one session and its events, or ``None``."""

    async def goal_stats(self, q: ReportQuery, goal: Goal) -> ReportResult:
        """``GET …/goals/{id}/stats``: conversions, converting and total sessions, the rate
        and its trend against the period before."""

    async def goal_conversions(self, q: ReportQuery, goals: Sequence[Goal]) -> ReportResult:
        """``GET …/goals/conversions``: every goal's converting visitors, conversions and
        revenue in one scan, with the previous (or compared) period's."""

    async def attribution(self, q: ReportQuery, goal: Goal, options: AttributionOptions) -> ReportResult:
        """``GET …/attribution``: the goal's conversions and revenue per channel."""

    async def revenue_summary(self, q: ReportQuery, goal: Goal, options: AttributionOptions) -> ReportResult:
        """``GET …/revenue/summary``: the goal's conversions and revenue."""

    async def link_stats(self, q: ReportQuery, goals: Sequence[Goal]) -> ReportResult:
        """``GET …/links[/{id}[/stats]]``: per link with a click in the range, its clicks,
        unique visitors, and the conversions and revenue of ``goals`` in the sessions
        holding a click (Decision 16)."""

    async def pixel_stats(self, q: ReportQuery) -> ReportResult:
        """``GET …/pixels[/{id}[/stats]]``: per pixel with a view in the range, its views
        and unique visitors."""

    async def bot_summary(self, q: ReportQuery) -> ReportResult:
        """``GET …/bot-summary``: bot and human events, the rate, the top reasons."""

    async def bot_report(self, q: ReportQuery) -> ReportResult:
        """``GET …/bot/report``: the split, per-bucket counts, top reasons and bot user agents."""

    async def funnel(self, q: ReportQuery, funnel: Mapping[str, Any]) -> ReportResult:
        """``GET …/funnels/{id}/results``: how many sessions reach each step in order."""

    async def journey(self, q: ReportQuery, options: JourneyOptions) -> ReportResult:
        """``GET …/journey``: the paths that lead to or from an anchor."""

    async def retention(self, q: ReportQuery, options: RetentionOptions) -> ReportResult:
        """``GET …/retention``: returning visitors per cohort and period."""

    def export(self, q: ReportQuery) -> AsyncIterator[bytes]:
        """``GET …/export``: the range's events as CSV chunks, header first.

        The first chunk is produced only after the size check, so a refused export
        raises before any byte is sent.
        """

    async def grouped(self, q: ReportQuery, grouping: Grouping) -> list[GroupRow]:
        """Totals per group of ``grouping``'s dimensions, unordered (``POST /api/v2/query``;
        definitions in :mod:`sparklytics.queries.grouping`)."""

    async def first_event_at(self, website_id: str) -> datetime | None:
        """When the website's oldest stored event happened (naive UTC), ``None`` without
        events: where Plausible's ``date_range: "all"`` starts."""

    async def visitor_events_at(self, website_id: str, visitor_id: str, created_at: str) -> int:
        """How many stored events the visitor has at exactly ``created_at`` (ISO 8601,
        naive UTC, as in :class:`~sparklytics.events.EventRow`): how an import that was
        stopped learns whether the batch it was sending landed."""

    async def share_stats(self, q: ReportQuery) -> ReportResult:
        """``GET /api/share/{id}/stats``: stats without the compare object."""

    async def share_pageviews(self, q: ReportQuery) -> ReportResult:
        """``GET /api/share/{id}/pageviews``: the series alone."""

    async def share_metrics(self, q: ReportQuery) -> ReportResult:
        """``GET /api/share/{id}/metrics``: one breakdown page."""

    async def share_overview(self, q: ReportQuery) -> ReportResult:
        """``GET /api/share/{id}/overview``: stats, series and the top rows in one answer."""
