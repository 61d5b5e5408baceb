"""Realtime: ``GET /api/websites/{id}/realtime`` (API.md §1.5).

Window = ``[now − 30 min, now]`` in UTC (``now`` is a parameter so tests need no clock).

* ``active_visitors`` — distinct ``visitor_id`` of ``sessions`` rows of the website whose
  ``last_seen`` lies in the window (bot sessions excluded unless ``include_bots``).
* ``recent_events`` — the newest 100 events in the window (bots excluded unless
  ``include_bots``), newest first, each ``{"event_type", "event_name", "url",
  "referrer_domain", "country", "browser", "device_type", "ts"}`` (``event_name`` is
  NULL for pageviews, the custom event's name otherwise) with ``ts`` = ``CAST(created_at AS
  VARCHAR)`` (UTC, API.md §0.3).
* ``pagination`` — ``{"limit": 100, "total_in_window"}`` = every event in the window.

Filters, dates and time zone do not apply (route ``realtime`` parses none of them).

Result: ``ReportResult({"active_visitors", "recent_events", "pagination"})``.

The DuckDB SQL is in ``stores/duckdb/reports/realtime.py``.
"""

from __future__ import annotations

from datetime import timedelta

REALTIME_WINDOW = timedelta(minutes=30)
REALTIME_LIMIT = 100
_RECENT_KEYS = ("event_type", "event_name", "url", "referrer_domain", "country", "browser", "device_type", "ts")
