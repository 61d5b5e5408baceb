"""Custom events: ``/events``, ``/events/properties``, ``/events/timeseries`` (API.md §1.6).

Only rows with ``event_type = 'event'`` (and a non-NULL ``event_name``) count. Ranges are
local days (Decision 4), at most 90; filters and ``include_bots`` apply as everywhere.

* :func:`events_list` → ``{"rows": [{"event_name", "count", "visitors", "prev_count"?}],
  "total"}``: up to 200 names by count desc, name asc; ``total`` = distinct names in the
  range. ``prev_count`` is the count over the equal-length period just before; the key
  is omitted (decision) when the name did not occur in that period at all.
* :func:`event_properties` → ``{"event_name", "total_occurrences", "sample_size",
  "properties": [{"property_key", "property_value", "count"}]}``: the newest
  ≤ 10 000 occurrences (ties broken by id) are sampled; for each whose ``event_data``
  is a valid JSON *object*, every top-level key is expanded, the value read with JSON
  string extraction (strings unquoted, numbers/booleans as text, objects/arrays as
  JSON text) and JSON nulls skipped. ≤ 500 rows by key asc, count desc, value asc.
  ``sample_size = min(total_occurrences, 10000)``.
* :func:`event_timeseries` (in :mod:`.timeseries`) → ``{"series", "granularity"}``.

The DuckDB SQL is in ``stores/duckdb/reports/events.py``.
"""

from __future__ import annotations

EVENTS_LIMIT = 200
SAMPLE_LIMIT = 10_000
PROPERTIES_LIMIT = 500


def shape_event_rows(rows: list[tuple], previous: dict[str, int]) -> list[dict]:
    """Rows of ``/events`` from ``(name, count, visitors, total)`` tuples (pure)."""
    out = []
    for name, n, visitors, _total in rows:
        row = {"event_name": name, "count": int(n), "visitors": int(visitors)}
        if name in previous:
            row["prev_count"] = previous[name]
        out.append(row)
    return out
