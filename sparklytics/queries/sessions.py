"""Sessions: ``GET /sessions`` and ``GET /sessions/{session_id}`` (API.md §1.7).

List: sessions having ≥ 1 matching event in the local-day range (filters and bots as
everywhere; a bot session is also dropped by ``sessions.is_bot`` unless bots are
included), ordered ``last_seen DESC, session_id DESC``, ``limit`` 1..200 (default 50).
The cursor is URL-safe base64 (no padding) of JSON ``{"ls": last_seen, "sid":
session_id}`` of the last row; the next page starts strictly after it. Decoding accepts
standard or URL-safe base64 with or without padding (``filters.decode_cursor``).

Session object: ``session_id``, ``visitor_id``, ``first_seen``, ``last_seen``
(``CAST … AS VARCHAR``, UTC), ``duration_seconds`` (int, whole seconds of last − first),
``pageview_count`` (pageview events, from ``sessions``), ``event_count`` (all events,
from ``sessions``), ``entry_page`` / ``exit_page``, ``country``, ``browser``, ``os``,
``device_type``.

Decisions: ``entry_page``/``exit_page`` are the *paths* of the session's first/last
pageview (``sessions.entry_path``/``exit_path``, Decision 3; ``null`` for a session
without pageviews) rather than the full URL of the first/last event. ``country``,
``browser``, ``os``, ``device_type`` are the session's landing values kept on the
``sessions`` row: the first non-NULL value among its events (a server-made event
without geo/UA does not blank them).

Detail: the same Session plus ``events`` (oldest first, ≤ 2 000, ``truncated`` when
there are more) of ``{"id", "event_type", "url", "event_name", "event_data" (raw JSON
text), "created_at"}``. It is a direct lookup by id: no date range, filters or bot
policy. :func:`session_detail` returns ``None`` for an unknown id (→ 404 ``Session not
found``).

Results: :func:`sessions_list` → ``ReportResult([Session], {"pagination": {"limit",
"next_cursor", "has_more"}})``; :func:`session_detail` → ``ReportResult({"session",
"events", "truncated"})`` or ``None``.

The DuckDB SQL is in ``stores/duckdb/reports/sessions.py``.
"""

from __future__ import annotations

from sparklytics.enrich.ids import public_session_id

DETAIL_EVENTS_LIMIT = 2_000
_DETAIL_EVENT_KEYS = ("id", "event_type", "url", "event_name", "event_data", "created_at")


def shape_session(row: tuple) -> dict:
    """One Session object from a row of ``_SESSION_COLUMNS`` (pure)."""
    return {
        "session_id": public_session_id(row[0]),
        "visitor_id": row[1],
        "first_seen": row[2],
        "last_seen": row[3],
        "duration_seconds": int(row[4]),
        "pageview_count": int(row[5]),
        "event_count": int(row[6]),
        "entry_page": row[7],
        "exit_page": row[8],
        "country": row[9],
        "browser": row[10],
        "os": row[11],
        "device_type": row[12],
    }
