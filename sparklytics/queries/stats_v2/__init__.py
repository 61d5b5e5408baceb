"""Plausible's Stats API v2 (``POST /api/v2/query``) on our query model.

A v2 query is parsed once (:func:`parse.parse_v2_query`) into a :class:`ReportQuery`
(the range, and the filters as a ``condition`` tree) plus a
:class:`~sparklytics.queries.grouping.Grouping`, so it runs through the same
AnalyticsStore and WHERE compiler as every other report; :mod:`.shape` turns the
store's group totals into Plausible's ``{results, meta, query}``.

Modules: :mod:`.catalogue` (names: metrics, dimensions, their rules),
:mod:`.dates` (``date_range``), :mod:`.filters` (the ``filters`` tree),
:mod:`.parse` (the whole body), :mod:`.shape` (metrics and the response).
"""

from .parse import V2Context, V2Query, check_shape, parse_v2_query
from .shape import denominator_queries, shape_response

__all__ = ["V2Context", "V2Query", "check_shape", "denominator_queries", "parse_v2_query", "shape_response"]
