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
* ``sessions_local`` / ``sessions`` and ``session_days_local`` / ``session_days``: the
  closed days' sessions and which build of each day counts (:mod:`.closed_sessions`).

``non_replicated_deduplication_window`` makes a plain MergeTree remember the last
blocks' ``insert_deduplication_token``: the EventStore sends the node and WAL position
as the token, so a batch replayed after a crash is dropped instead of doubled.
"""

from __future__ import annotations

from sparklytics.stores.clickhouse import closed_sessions, rollup
from sparklytics.stores.clickhouse.event_columns import EVENT_TABLE_COLUMNS
from sparklytics.stores.clickhouse.connection import ClickHouseClient

DEDUP_WINDOW = 10_000  # blocks remembered per table: far more than a WAL replay spans



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
    closed_sessions.create(client, settings.cluster, settings.database)
