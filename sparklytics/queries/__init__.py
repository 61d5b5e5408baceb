"""The query side of the reports, with no SQL: the parsed query, options and shapers.

:func:`parse_report_query` turns a route's query string into a validated
:class:`ReportQuery` (bad input raises :class:`QueryError` → 400 ``validation_error``).
A store (``sparklytics.stores``) runs the report and hands its rows to the pure shapers
of the report's module here, which build the :class:`ReportResult` every backend
answers alike. Journey and retention have options of their own, parsed by
``journey.parse_journey_options`` and ``retention.parse_retention_options``.

=====================================  ====================  ===========================
route                                  parse route=          AnalyticsStore method
=====================================  ====================  ===========================
GET /api/websites/{id}/stats           ``stats``             ``stats``
GET /api/websites/{id}/pageviews       ``pageviews``         ``pageviews``
GET /api/websites/{id}/metrics         ``metrics``           ``metrics``
GET /api/websites/{id}/realtime        ``realtime``          ``realtime``
GET /api/websites/{id}/events          ``events``            ``events``
GET …/events/properties                ``event_properties``  ``event_properties``
GET …/events/timeseries                ``event_timeseries``  ``event_timeseries``
GET /api/websites/{id}/sessions        ``sessions``          ``sessions``
GET …/sessions/{session_id}            (none)                ``session``
GET …/funnels/{funnel_id}/results      ``funnel_results``    ``funnel``
GET /api/websites/{id}/journey         ``journey``           ``journey``
GET /api/websites/{id}/retention       ``retention``         ``retention``
GET /api/websites/{id}/export          ``export``            ``export``
GET /api/share/{share_id}/stats        ``share_stats``       ``share_stats``
GET /api/share/{share_id}/pageviews    ``share_pageviews``   ``share_pageviews``
GET /api/share/{share_id}/metrics      ``share_metrics``     ``share_metrics``
GET /api/share/{share_id}/overview     ``share_overview``    ``share_overview``
=====================================  ====================  ===========================
"""

from .errors import QueryError
from .export import export_filename
from .report_query import ReportQuery, parse_report_query, time_bounds
from .result import ReportResult

__all__ = ["QueryError", "ReportQuery", "ReportResult", "export_filename", "parse_report_query", "time_bounds"]
