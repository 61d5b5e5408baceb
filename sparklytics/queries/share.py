"""Public share routes: ``GET /api/share/{share_id}/stats|pageviews|metrics|overview`` (§1.16).

Parse with ``route="share_stats"`` / ``"share_pageviews"`` / ``"share_metrics"`` /
``"share_overview"``: strict dates (Decision 19), a range of at most 90 local days
(``share date range too large: N days (max 90)``), no filters, no compare,
``include_bots`` = the website's policy default, ``timezone`` honoured (Decision 4).

Shapes (``ReportResult.body()`` gives the whole response):

* :func:`share_stats` → ``{"data": Stats}`` (the Stats object of :mod:`.stats`).
* :func:`share_pageviews` → ``{"data": {"series", "granularity"}}`` (no compare_series).
* :func:`share_metrics` → ``{"data": {"type", "rows"}, "pagination": {...}}`` (no
  ``compare`` key).
* :func:`overview` → ``{"data": {"stats", "pageviews": {"series", "granularity"},
  "metrics": {"page", "referrer", "browser", "country", "os", "device"}}}``, each metric
  ``{"rows": [...]}`` with its top 10.

No SQL of its own: the reports compose the stats, series and breakdown fetches of
:class:`~sparklytics.queries.rows.ReportRows`.
"""

from __future__ import annotations

from sparklytics.queries.breakdowns import metrics_data
from sparklytics.queries.report_query import ReportQuery
from sparklytics.queries.result import ReportResult
from sparklytics.queries.rows import ReportRows
from sparklytics.queries.stats import stats_data
from sparklytics.queries.timeseries import pageviews_data

OVERVIEW_METRICS = ("page", "referrer", "browser", "country", "os", "device")
OVERVIEW_LIMIT = 10


def share_stats(rows: ReportRows, q: ReportQuery) -> ReportResult:
    return ReportResult(stats_data(rows, q))


def share_pageviews(rows: ReportRows, q: ReportQuery) -> ReportResult:
    return ReportResult(_series(rows, q))


def share_metrics(rows: ReportRows, q: ReportQuery) -> ReportResult:
    data, page = metrics_data(rows, q)
    return ReportResult(data, {"pagination": page})


def overview(rows: ReportRows, q: ReportQuery) -> ReportResult:
    metrics = {}
    for metric in OVERVIEW_METRICS:
        data, _ = metrics_data(rows, q, metric=metric, limit=OVERVIEW_LIMIT, offset=0)
        metrics[metric] = {"rows": data["rows"]}
    return ReportResult({"stats": stats_data(rows, q), "pageviews": _series(rows, q), "metrics": metrics})


def _series(rows: ReportRows, q: ReportQuery) -> dict:
    data = pageviews_data(rows, q)
    return {"series": data["series"], "granularity": data["granularity"]}
