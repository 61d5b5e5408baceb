"""The hourly overview rollup: what it holds, how it is fed, and how deletes reach it.

``hourly_overview_local`` (AggregatingMergeTree, one per shard) keeps per website, UTC
hour, bot flag, event type and custom event name the number of events and the
``uniqExactState`` of their visitor ids; a materialized view on ``events_local`` feeds
it from every insert, and ``hourly_overview`` (``Distributed``) reads all shards. Events
are sharded by visitor, so the shards' states never share a visitor of one website, and
merging them (a set union) stays exact. Hours in UTC keep a local day exact for every
zone whose offsets are whole hours (the readers check, :mod:`.rollup_series`).

What it cannot hold: anything a session decides (sessions, bounces, durations, the
session's landing values), since sessions are derived at read time
(``docs/clickhouse-sessions.md``). Visitors are the raw ids; the reader corrects the
few a midnight continuation keeps under yesterday's id.

An insert's block that ClickHouse drops as a duplicate (``insert_deduplication_token``)
must not reach the view either: inserts set ``deduplicate_blocks_in_dependent_materialized_views``
(:data:`INSERT_SETTINGS`) and the rollup keeps its own deduplication window.

The view sees inserts only. Everything that changes or removes stored events (a
website's delete, retention's purge, a bot recompute's update, a retry's cleanup above
a node's cursor) calls :func:`forget_website` or :func:`rebuild_hours` afterwards, on
every shard: the affected hours' rollup rows are deleted and aggregated again from that
shard's events. An event inserted into one of those hours in the instant between the
delete and the re-aggregation's snapshot would be counted twice in the rollup (never in
the events): rebuilds touch past hours (retention, recompute windows) or a node's own
unconfirmed rows, where ingest rarely lands at that moment.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sparklytics.stores.clickhouse.connection import ClickHouseClient, ClickHouseError

DEDUP_WINDOW = 10_000
INSERT_SETTINGS = {"deduplicate_blocks_in_dependent_materialized_views": 1}
HOUR = timedelta(hours=1)
# A re-aggregation is new content even when its bytes equal an earlier block's.
_REAGGREGATE = {"insert_deduplicate": 0}
_ALREADY_EXISTS = "(TABLE_ALREADY_EXISTS)"

_AGGREGATE = """
SELECT website_id, toStartOfHour(created_at) AS hour, is_bot, event_type, ifNull(event_name, '') AS event_name,
       count() AS events, uniqExactState(visitor_id) AS visitors
FROM events_local
{where}
GROUP BY website_id, hour, is_bot, event_type, event_name
"""

_TABLE = f"""
CREATE TABLE IF NOT EXISTS hourly_overview_local (
    website_id LowCardinality(String),
    hour DateTime('UTC'),
    is_bot Bool,
    event_type LowCardinality(String),
    event_name String,
    events SimpleAggregateFunction(sum, UInt64),
    visitors AggregateFunction(uniqExact, String)
)
ENGINE = AggregatingMergeTree
PARTITION BY toYYYYMM(hour)
ORDER BY (website_id, hour, is_bot, event_type, event_name)
SETTINGS non_replicated_deduplication_window = {DEDUP_WINDOW}
"""

_VIEW = "CREATE MATERIALIZED VIEW hourly_overview_mv TO hourly_overview_local AS " + _AGGREGATE.format(
    where=""
)

_HOURS = "hour >= {first_hour:DateTime64(6)} AND hour < {end_hour:DateTime64(6)}"
_EVENT_HOURS = "created_at >= {first_hour:DateTime64(6)} AND created_at < {end_hour:DateTime64(6)}"
_OF_WEBSITE = " AND website_id = {website_id:String}"


def create(client: ClickHouseClient, cluster: str, database: str) -> None:
    """The rollup on every shard. Where the view is new, the shard's events stored before
    it (an install older than the rollup) are aggregated once, by the caller whose
    ``CREATE`` made the view: nodes starting together do not both do it."""
    client.on_every_shard(_TABLE)
    client.on_every_shard(
        f"CREATE TABLE IF NOT EXISTS hourly_overview AS hourly_overview_local"
        f" ENGINE = Distributed({cluster}, {database}, hourly_overview_local)"
    )
    for url in client.settings.shard_urls:
        try:
            client.execute(_VIEW, url=url)
        except ClickHouseError as error:
            if _ALREADY_EXISTS not in str(error):
                raise
            continue
        client.execute("INSERT INTO hourly_overview_local " + _AGGREGATE.format(where=""), url=url,
                       settings=_REAGGREGATE)


def forget_website(client: ClickHouseClient, website_id: str) -> None:
    """Drop a deleted website's rollup rows on every shard."""
    client.on_every_shard("DELETE FROM hourly_overview_local WHERE website_id = {website_id:String}",
                          {"website_id": website_id})


def rebuild_hours(client: ClickHouseClient, first: datetime, last: datetime, website_id: str | None = None) -> None:
    """Aggregate again, on every shard, the hours from ``first``'s to ``last``'s (for one
    website, or all) from the events they hold now."""
    first_hour = first.replace(minute=0, second=0, microsecond=0)
    params: dict = {"first_hour": first_hour, "end_hour": last.replace(minute=0, second=0, microsecond=0) + HOUR}
    hours, event_hours = _HOURS, _EVENT_HOURS
    if website_id is not None:
        params["website_id"] = website_id
        hours += _OF_WEBSITE
        event_hours += _OF_WEBSITE
    client.on_every_shard(f"DELETE FROM hourly_overview_local WHERE {hours}", params)
    client.on_every_shard(
        "INSERT INTO hourly_overview_local " + _AGGREGATE.format(where=f"WHERE {event_hours}"), params,
        settings=_REAGGREGATE,
    )
