"""The ClickHouse event store: a node's batches and its WAL cursor, exactly once.

ClickHouse has no multi-statement transaction, so a commit is two inserts that are each
idempotent: the events (through the ``Distributed`` table, in the foreground, so the
answer means every shard has its part) and then the node's cursor row, both carrying
``<node>:<segment>:<offset>`` as ``insert_deduplication_token``. Event ids count per
node (``node_id`` is stored beside them) from the cursor's ``next_event_id``, so the rows
a commit may have left without its cursor — a node killed between the two inserts, or
an insert that failed on one shard after landing on another — are exactly this node's
rows with ids from ``next_event_id`` on. A replay does not regroup the WAL into the
batches it had (the Buffer drains what is there), so the same token cannot be relied
on to drop them: after a start or a failed commit, the next commit first deletes those
rows on every shard, then inserts under a token that also names the attempt (a token
seen before would make the shards drop the new rows as duplicates). Found by
``tests/cloud/test_faults.py`` (kill -9 during ingest doubled a three-request batch).

Sessions are not resolved here: several app nodes take one visitor's events, and no
node's memory is the truth, so the reports derive sessions at read time from the
events (:mod:`.sessionize`, ``docs/clickhouse-sessions.md``), or from the sessions of
closed days stored once (:class:`.closed_sessions.SessionBuilder`, which the Scheduler
runs, not the Writer). The store therefore keeps nothing in memory and a recompute's
``roll_up_bot_sessions`` has nothing to write (a session's verdict is its events').

DDL and deletions run on each shard (no Keeper); each deletion or update of events
rebuilds the overview rollup's hours it touched (:mod:`.rollup`) and marks the closed
days' sessions it touched stale (:mod:`.closed_sessions`), as does a commit of events
older than today. Every :class:`ClickHouseError` leaves as a
:class:`~sparklytics.stores.errors.StorageFault` (``prepare``: a ``StartupError``).
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from typing import TypeVar

from actors.runtime import StartupError
from sparklytics.bot_controls import BotSample
from sparklytics.clock import utc_now
from sparklytics.enrich.bots import BotVerdict
from sparklytics.events import EventRow
from sparklytics.stores.clickhouse import closed_sessions, rollup, schema
from sparklytics.stores.clickhouse.event_columns import EVENT_TABLE_NAMES
from sparklytics.stores.clickhouse.connection import ClickHouseClient, ClickHouseError, ClickHouseSettings, encode_rows
from sparklytics.stores.clickhouse.faults import storage_faults
from sparklytics.stores.clickhouse.sessionize import sessionized_events
from sparklytics.stores.events import EventStoreStatistics, PageAfter
from sparklytics.wal import WalPosition

T = TypeVar("T")

_SESSION_ID = EventRow._fields.index("session_id")
_INSERT_EVENTS = f"INSERT INTO events ({', '.join(EVENT_TABLE_NAMES)}) FORMAT JSONCompactEachRow"
_INSERT_CURSOR = "INSERT INTO ingest_cursor (node_id, segment, offset, next_event_id) FORMAT JSONCompactEachRow"
# A recompute reads at most this much time after its cursor per call (as DuckDB's).
RECOMPUTE_SLICE = timedelta(hours=6)
_EPOCH = datetime(1970, 1, 1)
_KEY = "sipHash64(node_id, id)"
_RECOMPUTE_PAGE = f"""
SELECT toUnixTimestamp64Micro(created_at), {_KEY} AS key, visitor_id, user_agent, path, is_bot, bot_score, bot_reason
FROM events
WHERE website_id = {{website_id:String}} AND created_at >= {{after_at:DateTime64(6)}}
  AND created_at < {{slice_end:DateTime64(6)}}
  AND (created_at > {{after_at:DateTime64(6)}} OR {{first_page:UInt8}} = 1 OR {_KEY} > {{after_key:UInt64}})
ORDER BY created_at, key
LIMIT {{limit:UInt64}}
"""
_RECOMPUTE_UPDATE = f"""
ALTER TABLE events_local UPDATE
    is_bot = toBool(transform({_KEY}, {{keys:Array(UInt64)}}, {{bots:Array(UInt8)}}, toUInt8(is_bot))),
    bot_score = transform({_KEY}, {{keys:Array(UInt64)}}, {{scores:Array(UInt8)}}, bot_score),
    bot_reason = nullIf(transform({_KEY}, {{keys:Array(UInt64)}}, {{reasons:Array(String)}}, ifNull(bot_reason, '')), '')
WHERE website_id = {{website_id:String}}
  AND created_at >= {{first:DateTime64(6)}} AND created_at <= {{last:DateTime64(6)}}
  AND has({{keys:Array(UInt64)}}, {_KEY})
"""
# Sessions with an event in the window, derived from the events around it.
SESSION_MARGIN = timedelta(days=1)
_SESSIONS_IN_WINDOW = (
    "SELECT uniqExact(session_id) FROM ("
    + sessionized_events(
        "SELECT * FROM events WHERE website_id = {website_id:String}"
        " AND created_at >= {scan_start:DateTime64(6)} AND created_at < {scan_end:DateTime64(6)}"
    )
    + ") WHERE created_at >= {start:DateTime64(6)} AND created_at < {end:DateTime64(6)}"
)

_ABOVE_CURSOR = "node_id = {node_id:String} AND id >= {next_id:UInt64}"
_DELETE_ABOVE_CURSOR = f"DELETE FROM events_local WHERE {_ABOVE_CURSOR}"
_LEFT_ABOVE_CURSOR = (
    f"SELECT website_id, min(created_at), max(created_at) FROM events WHERE {_ABOVE_CURSOR} GROUP BY website_id"
)

_WEBSITES_WITH_SESSIONS = "SELECT DISTINCT website_id FROM session_days"

_READ_CURSOR = """
SELECT segment, offset, next_event_id FROM ingest_cursor
WHERE node_id = {node_id:String}
ORDER BY segment DESC, offset DESC
LIMIT 1
"""


class ClickHouseEventStore:
    """:class:`~sparklytics.stores.EventStore` on a ClickHouse cluster, for one app node."""

    def __init__(self, settings: ClickHouseSettings) -> None:
        self.settings = settings
        self._client = ClickHouseClient(settings)
        self._node_id = settings.node_id
        self._cursor: tuple[WalPosition, int] | None = None  # (recovery point, next event id)
        # Rows of an earlier attempt may lie above the cursor (a start, a failed commit):
        # deleted before the next insert. The attempt names the insert's token.
        self._unsure_above_cursor = True
        self._attempt = secrets.token_hex(4)

    def prepare(self) -> WalPosition:
        try:
            schema.apply(self._client)
            return self._load_cursor()
        except ClickHouseError as error:
            raise StartupError(f"ClickHouse cannot be used: {error}") from None

    def commit(self, events: Sequence[EventRow], wal_position: WalPosition) -> int:
        with storage_faults():
            position, next_id = self._cursor or self._load_cursor_pair()
            if not events or wal_position <= position:
                return 0
            if self._unsure_above_cursor:
                self._delete_above_cursor(next_id)
                self._unsure_above_cursor = False
            token = f"{self._node_id}:{wal_position.segment}:{wal_position.offset}:{self._attempt}"
            rows = []
            for event_id, event in enumerate(events, start=next_id):
                row = list(event)
                del row[_SESSION_ID]
                row[0] = event_id
                row.append(self._node_id)
                rows.append(row)
            insert = {"insert_deduplication_token": token, "distributed_foreground_insert": 1, **rollup.INSERT_SETTINGS}
            try:
                self._client.execute(_INSERT_EVENTS, data=encode_rows(rows), settings=insert)
                self._reopen_closed_days(events)
                cursor = [self._node_id, wal_position.segment, wal_position.offset, next_id + len(events)]
                self._client.execute(_INSERT_CURSOR, data=encode_rows([cursor]), settings=insert)
            except ClickHouseError:
                self._unsure_above_cursor = True
                self._attempt = secrets.token_hex(4)
                raise
            self._cursor = (wal_position, next_id + len(events))
            return len(events)

    def _reopen_closed_days(self, events: Sequence[EventRow]) -> None:
        """Events of days before today may land in a day whose sessions are stored
        (a WAL drained late, a replay): mark those days stale, before the cursor moves
        (a node that dies in between replays the batch and marks them then)."""
        today = utc_now().date().isoformat()
        late: dict[str, tuple[str, str]] = {}
        for event in events:
            if event.created_at[:10] < today:
                first, last = late.get(event.website_id, (event.created_at, event.created_at))
                late[event.website_id] = (min(first, event.created_at), max(last, event.created_at))
        for website_id, (first, last) in late.items():
            closed_sessions.invalidate(self._client, website_id, datetime.fromisoformat(first),
                                       datetime.fromisoformat(last))

    def purge(self, older_than: datetime, *, limit: int) -> int:
        """Delete the oldest events before ``older_than``, at most ``limit`` unless several
        share the last one's millisecond (one delete per shard cannot stop mid-instant)."""
        with storage_faults():
            found = self._client.rows(
                "SELECT created_at FROM events WHERE created_at < {cutoff:DateTime64(6)}"
                " ORDER BY created_at LIMIT {limit:UInt64}",
                {"cutoff": older_than, "limit": limit},
            )
            if not found:
                return 0
            last = found[-1][0]
            [[count]] = self._client.rows(
                "SELECT count() FROM events WHERE created_at <= {last:DateTime64(6)}", {"last": last}
            )
            self._client.on_every_shard(
                "DELETE FROM events_local WHERE created_at <= {last:DateTime64(6)}", {"last": last}
            )
            self._client.on_every_shard(
                "DELETE FROM hourly_overview_local WHERE hour < toStartOfHour({last:DateTime64(6)})", {"last": last}
            )
            rollup.rebuild_hours(self._client, datetime.fromisoformat(last), datetime.fromisoformat(last))
            cut = datetime.fromisoformat(last)
            closed_sessions.forget_before(self._client, cut.date())
            for [website_id] in self._client.rows(_WEBSITES_WITH_SESSIONS):
                closed_sessions.invalidate(self._client, website_id, cut, cut)
            return int(count)

    def delete_website_events(self, website_id: str) -> None:
        """Delete every event of a deleted website, on every shard."""
        with storage_faults():
            self._client.on_every_shard(
                "DELETE FROM events_local WHERE website_id = {website_id:String}", {"website_id": website_id}
            )
            rollup.forget_website(self._client, website_id)
            closed_sessions.forget_website(self._client, website_id)

    def reclassify_bots(
        self,
        website_id: str,
        start: datetime,
        end: datetime,
        *,
        after: PageAfter | None,
        limit: int,
        classify: Callable[[BotSample], BotVerdict],
    ) -> tuple[int, PageAfter | None]:
        """Like DuckDB's (``bot_recompute``), one page per call in ``(created_at, key)``
        order, where the key is ``sipHash64(node_id, id)`` (ids count per node, so the id
        alone could tie across nodes). The changed verdicts are one ``ALTER … UPDATE``
        per shard, synchronous: a mutation rewrites the parts it touches, so callers
        should ask for large pages."""
        after_at, after_key = after if after is not None else (start, -1)
        slice_end = min(end, after_at + RECOMPUTE_SLICE)
        with storage_faults():
            rows = self._client.rows(_RECOMPUTE_PAGE, {
                "website_id": website_id, "after_at": after_at, "after_key": max(after_key, 0),
                "first_page": int(after_key < 0), "slice_end": slice_end, "limit": limit,
            })
            if not rows:
                return 0, ((slice_end, -1) if slice_end < end else None)
            changed = []
            for at_us, key, visitor, agent, path, is_bot, score, reason in rows:
                verdict = classify(BotSample(visitor, agent, path, at_us / 1e6))
                if (verdict.is_bot, verdict.score, verdict.reason) != (bool(is_bot), score, reason):
                    changed.append((at_us, key, verdict))
            if changed:
                self._client.on_every_shard(_RECOMPUTE_UPDATE, {
                    "website_id": website_id,
                    "first": _from_epoch_us(changed[0][0]),
                    "last": _from_epoch_us(changed[-1][0]),
                    "keys": [key for _, key, _ in changed],
                    "bots": [int(v.is_bot) for _, _, v in changed],
                    "scores": [v.score for _, _, v in changed],
                    "reasons": [v.reason or "" for _, _, v in changed],
                }, settings={"mutations_sync": 1})
                rollup.rebuild_hours(self._client, _from_epoch_us(changed[0][0]), _from_epoch_us(changed[-1][0]),
                                     website_id)
                closed_sessions.invalidate(self._client, website_id, _from_epoch_us(changed[0][0]),
                                           _from_epoch_us(changed[-1][0]))
        if len(rows) == limit:
            return len(rows), (_from_epoch_us(rows[-1][0]), rows[-1][1])
        return len(rows), ((slice_end, -1) if slice_end < end else None)

    def roll_up_bot_sessions(self, website_id: str, start: datetime, end: datetime) -> int:
        """Sessions take their events' verdicts at read time (``sessionize``), so nothing
        is written; the count is the sessions with an event in the window, as DuckDB's."""
        with storage_faults():
            [[count]] = self._client.rows(_SESSIONS_IN_WINDOW, {
                "website_id": website_id, "start": start, "end": end,
                "scan_start": start - SESSION_MARGIN, "scan_end": end + SESSION_MARGIN,
            })
        return int(count)

    def _delete_above_cursor(self, next_id: int) -> None:
        """Drop what an earlier attempt may have left above the cursor, and rebuild the
        rollup hours those rows had reached (the view counted them when they landed)."""
        mine = {"node_id": self._node_id, "next_id": next_id}
        left = self._client.rows(_LEFT_ABOVE_CURSOR, mine)
        self._client.on_every_shard(_DELETE_ABOVE_CURSOR, mine)
        for website_id, first, last in left:
            rollup.rebuild_hours(self._client, datetime.fromisoformat(first), datetime.fromisoformat(last), website_id)
            closed_sessions.invalidate(self._client, website_id, datetime.fromisoformat(first),
                                       datetime.fromisoformat(last))

    def reopen(self) -> WalPosition:
        self._unsure_above_cursor = True
        with storage_faults():
            return self._load_cursor()

    def run_write(self, write: Callable[[], T]) -> T:
        return write()

    def forget_website(self, website_id: str) -> None:
        """Nothing to forget: this store keeps no sessions in memory."""

    def statistics(self) -> EventStoreStatistics:
        return EventStoreStatistics(0, 0, 0)

    def close(self) -> None:
        self._client.close()

    def _load_cursor(self) -> WalPosition:
        return self._load_cursor_pair()[0]

    def _load_cursor_pair(self) -> tuple[WalPosition, int]:
        found = self._client.rows(_READ_CURSOR, {"node_id": self._node_id})
        self._cursor = (WalPosition(found[0][0], found[0][1]), found[0][2]) if found else (WalPosition(0, 0), 1)
        return self._cursor


def _from_epoch_us(epoch_us: int) -> datetime:
    return _EPOCH + timedelta(microseconds=epoch_us)
