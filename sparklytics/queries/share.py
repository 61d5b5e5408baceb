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

The DuckDB SQL is in ``stores/duckdb/reports/share.py``.
"""

from __future__ import annotations

OVERVIEW_METRICS = ("page", "referrer", "browser", "country", "os", "device")
OVERVIEW_LIMIT = 10
