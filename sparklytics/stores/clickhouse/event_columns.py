"""The columns of the ClickHouse events table, in insert order.

Columns: the event's (``sparklytics.events.EVENT_COLUMNS``) without ``session_id``
(derived at read time), plus ``previous_visitor_id`` (yesterday's visitor id, which
continues a session across midnight at read time) and ``node_id`` (ids count per node).

Their own module: the schema creates the tables and the session SQL (which the
schema's session table is made from) lists the columns.
"""

from __future__ import annotations

# (name, type) in insert order: the order of EventRow minus session_id, plus the two.
EVENT_TABLE_COLUMNS: tuple[tuple[str, str], ...] = (
    ("id", "UInt64"),
    ("website_id", "LowCardinality(String)"),
    ("tenant_id", "Nullable(String)"),
    ("visitor_id", "String"),
    ("event_type", "LowCardinality(String)"),
    ("url", "String"),
    ("path", "String"),
    ("hostname", "Nullable(String)"),
    ("referrer_url", "Nullable(String)"),
    ("referrer_domain", "Nullable(String)"),
    ("channel", "LowCardinality(Nullable(String))"),
    ("event_name", "Nullable(String)"),
    ("event_data", "Nullable(String)"),
    ("country", "LowCardinality(Nullable(String))"),
    ("region", "Nullable(String)"),
    ("city", "Nullable(String)"),
    ("browser", "LowCardinality(Nullable(String))"),
    ("browser_version", "Nullable(String)"),
    ("os", "LowCardinality(Nullable(String))"),
    ("os_version", "Nullable(String)"),
    ("device_type", "LowCardinality(Nullable(String))"),
    ("screen", "Nullable(String)"),
    ("language", "LowCardinality(Nullable(String))"),
    ("utm_source", "Nullable(String)"),
    ("utm_medium", "Nullable(String)"),
    ("utm_campaign", "Nullable(String)"),
    ("utm_term", "Nullable(String)"),
    ("utm_content", "Nullable(String)"),
    ("link_id", "Nullable(String)"),
    ("pixel_id", "Nullable(String)"),
    ("user_agent", "Nullable(String)"),
    ("is_bot", "Bool"),
    ("bot_score", "UInt8"),
    ("bot_reason", "Nullable(String)"),
    ("created_at", "DateTime64(6, 'UTC')"),
    ("previous_visitor_id", "Nullable(String)"),
    ("node_id", "LowCardinality(String)"),
)
EVENT_TABLE_NAMES: tuple[str, ...] = tuple(name for name, _ in EVENT_TABLE_COLUMNS)
