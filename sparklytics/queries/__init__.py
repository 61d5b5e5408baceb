"""The query layer: one compiler (:mod:`.filters`) and one module per report.

Every report is a plain sync function ``report(cur, q) -> ReportResult`` taking a DuckDB
cursor and a :class:`ReportQuery` built by :func:`parse_report_query`; the API layer
runs it with ``await db.read(lambda cur: report(cur, q), timeout=…)`` and answers
``result.body()``. Bad input raises :class:`QueryError` (→ 400 ``validation_error``).
Funnel results, journey and retention also take options of their own (the funnel's
steps, the anchor, the cohort size), parsed or loaded by the API layer and passed as a
third argument; their modules are imported by name (``queries.journey``).

=====================================  ====================  =========================
route                                  parse route=          report
=====================================  ====================  =========================
GET /api/websites/{id}/stats           ``stats``             :func:`stats.stats`
GET /api/websites/{id}/pageviews       ``pageviews``         :func:`timeseries.pageviews`
GET /api/websites/{id}/metrics         ``metrics``           :func:`breakdowns.metrics`
GET /api/websites/{id}/realtime        ``realtime``          :func:`realtime.realtime`
GET /api/websites/{id}/events          ``events``            :func:`events.events_list`
GET …/events/properties                ``event_properties``  :func:`events.event_properties`
GET …/events/timeseries                ``event_timeseries``  :func:`events.event_timeseries`
GET /api/websites/{id}/sessions        ``sessions``          :func:`sessions.sessions_list`
GET …/sessions/{session_id}            (none)                :func:`sessions.session_detail`
GET …/funnels/{funnel_id}/results      ``funnel_results``    :func:`funnels.funnel_results`
GET /api/websites/{id}/journey         ``journey``           :func:`journey.journey`
GET /api/websites/{id}/retention       ``retention``         :func:`retention.retention`
GET /api/websites/{id}/export          ``export``            :func:`export.export_csv`
GET /api/share/{share_id}/stats        ``share_stats``       :func:`share.share_stats`
GET /api/share/{share_id}/pageviews    ``share_pageviews``   :func:`share.share_pageviews`
GET /api/share/{share_id}/metrics      ``share_metrics``     :func:`share.share_metrics`
GET /api/share/{share_id}/overview     ``share_overview``    :func:`share.overview`
=====================================  ====================  =========================
"""

from .breakdowns import metrics
from .errors import QueryError
from .events import event_properties, event_timeseries, events_list
from .export import export_csv, export_filename
from .filters import ReportQuery, compile_where, parse_report_query, time_bounds
from .realtime import realtime
from .result import ReportResult
from .sessions import session_detail, sessions_list
from .share import overview, share_metrics, share_pageviews, share_stats
from .stats import stats
from .timeseries import pageviews

__all__ = [
    "QueryError",
    "ReportQuery",
    "ReportResult",
    "compile_where",
    "event_properties",
    "event_timeseries",
    "events_list",
    "export_csv",
    "export_filename",
    "metrics",
    "overview",
    "pageviews",
    "parse_report_query",
    "realtime",
    "session_detail",
    "sessions_list",
    "share_metrics",
    "share_pageviews",
    "share_stats",
    "stats",
    "time_bounds",
]
