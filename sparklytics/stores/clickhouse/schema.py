"""The ClickHouse tables, created on every shard (no Keeper, so no ``ON CLUSTER``).

* ``events_local`` (MergeTree, one per shard) holds the events a shard owns; ``events``
  (``Distributed``) is the cluster-wide table inserts and reports use. The sharding key
  is ``cityHash64(website_id, visitor_id)``: a visitor's events of one day sit on one
  shard whichever app node took them (sessions are derived at read time, see
  ``docs/clickhouse-sessions.md``).
* ``ingest_cursor_local`` / ``ingest_cursor``: each app node's recovery point (its WAL
  position) and its next event id, one row per commit, keyed by ``node_id``; the
  newest row of a node is its cursor.
* ``hourly_overview_local`` / ``hourly_overview`` and the view feeding it: the overview
  rollup (:mod:`.rollup`).

``non_replicated_deduplication_window`` makes a plain MergeTree remember the last
blocks' ``insert_deduplication_token``: the EventStore sends the node and WAL position
as the token, so a batch replayed after a crash is dropped instead of doubled.

Columns: the event's (``sparklytics.events.EVENT_COLUMNS``) without ``session_id``
(derived at read time), plus ``previous_visitor_id`` (yesterday's visitor id, which
continues a session across midnight at read time) and ``node_id`` (ids count per node).
"""

from __future__ import annotations

from sparklytics.stores.clickhouse import rollup
from sparklytics.stores.clickhouse.connection import ClickHouseClient

DEDUP_WINDOW = 10_000  # blocks remembered per table: far more than a WAL replay spans

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


def _events_local() -> str:
    columns = ",\n    ".join(f"{name} {kind}" for name, kind in EVENT_TABLE_COLUMNS)
    return f"""
CREATE TABLE IF NOT EXISTS events_local (
    {columns}
)
ENGINE = MergeTree
PARTITION BY toYYYYMM(created_at)
ORDER BY (website_id, toDate(created_at), visitor_id, created_at)
SETTINGS non_replicated_deduplication_window = {DEDUP_WINDOW}
"""


_INGEST_CURSOR_LOCAL = f"""
CREATE TABLE IF NOT EXISTS ingest_cursor_local (
    node_id String,
    segment UInt64,
    offset UInt64,
    next_event_id UInt64,
    committed_at DateTime64(3, 'UTC') DEFAULT now64(3)
)
ENGINE = ReplacingMergeTree
ORDER BY (node_id, segment, offset)
SETTINGS non_replicated_deduplication_window = {DEDUP_WINDOW}
"""


def _distributed(name: str, local: str, cluster: str, database: str, key: str) -> str:
    return (
        f"CREATE TABLE IF NOT EXISTS {name} AS {local}"
        f" ENGINE = Distributed({cluster}, {database}, {local}, {key})"
    )


def apply(client: ClickHouseClient) -> None:
    """Create what is missing on every shard (idempotent; names are identifiers we own)."""
    settings = client.settings
    # Sent from the server's default database: the request's own may not exist yet.
    client.on_every_shard(f"CREATE DATABASE IF NOT EXISTS {settings.database}", settings={"database": "default"})
    for sql in (
        _events_local(),
        _INGEST_CURSOR_LOCAL,
        _distributed("events", "events_local", settings.cluster, settings.database,
                     "cityHash64(website_id, visitor_id)"),
        _distributed("ingest_cursor", "ingest_cursor_local", settings.cluster, settings.database,
                     "cityHash64(node_id)"),
    ):
        client.on_every_shard(sql)
    rollup.create(client, settings.cluster, settings.database)
