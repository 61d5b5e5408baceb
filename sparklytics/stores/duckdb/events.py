"""The DuckDB event store: events, their sessions and the WAL cursor in one transaction.

Only the Writer actor calls :class:`DuckDBEventStore`, in a worker thread, on the single
writer connection. One commit is one transaction: the events (DuckDB appender, the fast
bulk path) with their ids, the new and continued sessions and the WAL cursor (table
``ingest_cursor``) all commit together (see ``wal.py`` for why that makes replay exact).
The session rules are ``sparklytics.sessions``; this module holds their SQL. Each
session row is written with its visitor's previous visits, computed from the Writer's
memory of the visitor (``visitor_history.py``, ``visits.py``).

Event ids come from a counter kept beside the WAL cursor (``ingest_cursor.next_event_id``),
assigned here at commit, so a replayed record gets its ids once, when it is committed.

``sessions`` has no key (it cost 16 MB per 1M events as an ART index): a continued
session's old row is deleted and its new row appended in the same transaction. The
delete is cut to rows whose ``last_seen`` is within 30 minutes of the batch's first
event, which is all a continued session can have, so zonemaps skip the older rows.

Every ``duckdb.Error`` leaves as :class:`~sparklytics.stores.errors.StorageFault`; a
``duckdb.FatalException`` (DuckDB invalidated the whole instance, e.g. a checkpoint on
a full disk) as one that ``needs_reopen``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from typing import TypeVar

import duckdb

from sparklytics.events import EVENT_COLUMNS, EventRow
from sparklytics.sessions import SESSION_COLUMNS, SESSION_TIMEOUT, SessionCache, SessionState, resolve_sessions, sessions_to_load
from sparklytics.bot_controls import BotSample
from sparklytics.enrich.bots import BotVerdict
from sparklytics.stores.duckdb import bot_recompute, schema, visits, websites
from sparklytics.stores.duckdb.visitor_history import COLUMNS as PREVIOUS_VISIT_COLUMNS
from sparklytics.stores.duckdb.visitor_history import VisitorHistories
from sparklytics.stores.duckdb.database import Database, unusable_database
from sparklytics.stores.duckdb.retention import purge_batch
from sparklytics.stores.errors import StorageFault
from sparklytics.stores.events import EventStoreStatistics, PageAfter
from sparklytics.wal import WalPosition

T = TypeVar("T")

_ID, _SESSION_ID, _VISITOR_ID, _CREATED_AT = (
    EventRow._fields.index(name) for name in ("id", "session_id", "visitor_id", "created_at")
)

_LOOKUP_SESSIONS = f"""
SELECT {", ".join(SESSION_COLUMNS)}
FROM sessions
WHERE website_id = $website_id
  AND list_contains($visitors, visitor_id)
  AND last_seen >= $since
QUALIFY row_number() OVER (PARTITION BY visitor_id ORDER BY last_seen DESC) = 1
"""


_DELETE_CONTINUED = """
DELETE FROM sessions
WHERE website_id = $website_id AND last_seen >= $since AND list_contains($ids, session_id)
"""


class DuckDBEventStore:
    """:class:`~sparklytics.stores.EventStore` on the DuckDB file of ``db``."""

    def __init__(self, db: Database, *, session_cache_max_entries: int) -> None:
        self._db = db
        self._cache = SessionCache(session_cache_max_entries)
        self._histories = VisitorHistories(session_cache_max_entries)

    def prepare(self) -> WalPosition:
        con = self._db.writer
        try:
            schema.apply_migrations(con)
            websites.purge_tombstones(con)
            self._histories.load(con)
            return read_cursor(con)
        except duckdb.Error as error:  # damaged blocks show up once the tables are read
            raise unusable_database(self._db.path, error) from None

    def commit(self, events: Sequence[EventRow], wal_position: WalPosition) -> int:
        with _storage_faults():
            return commit_events(self._db.writer, self._cache, self._histories, events, wal_position)

    def purge(self, older_than: datetime, *, limit: int) -> int:
        with _storage_faults():
            deleted, visitors = purge_batch(self._db.writer, older_than, limit)
        self._histories.forget_visitors(visitors)
        return deleted

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
        with _storage_faults():
            return bot_recompute.reclassify_events(
                self._db.writer, website_id, start, end, after=after, limit=limit, classify=classify
            )

    def roll_up_bot_sessions(self, website_id: str, start: datetime, end: datetime) -> int:
        with _storage_faults():
            updated = bot_recompute.roll_up_sessions(self._db.writer, website_id, start, end)
        self._cache.forget_website(website_id)
        self._histories.forget(website_id)
        return updated

    def reopen(self) -> WalPosition:
        with _storage_faults():
            self._db.reopen()
            self._cache = SessionCache(self._cache.max_entries)
            self._histories = VisitorHistories(self._histories.max_entries)
            self._histories.load(self._db.writer)
            return read_cursor(self._db.writer)

    def run_write(self, write: Callable[[], T]) -> T:
        try:
            return write()
        except duckdb.FatalException as error:
            raise _fault(error) from error

    def forget_website(self, website_id: str) -> None:
        self._cache.forget_website(website_id)
        self._histories.forget(website_id)

    def statistics(self) -> EventStoreStatistics:
        return EventStoreStatistics(len(self._cache), self._cache.hits, self._cache.misses)


def read_cursor(con: duckdb.DuckDBPyConnection) -> WalPosition:
    segment, offset = con.execute('SELECT segment, "offset" FROM ingest_cursor WHERE id = 1').fetchone()
    return WalPosition(segment, offset)


def commit_events(
    con: duckdb.DuckDBPyConnection,
    cache: SessionCache,
    histories: VisitorHistories,
    events: Sequence[EventRow],
    wal_position: WalPosition,
) -> int:
    """Insert ``events`` and move the cursor to ``wal_position``; return the rows inserted.

    A ``wal_position`` at or before the stored cursor was committed already (a retry
    after a reply was lost): nothing is written and 0 is returned.
    """
    if not events or wal_position <= read_cursor(con):
        return 0
    times = [_utc(event.created_at) for event in events]
    known = _open_sessions(con, cache, events, times)
    resolution = resolve_sessions(events, times, known)
    settled = histories.settled_rows(con, resolution.changed)
    with schema.transaction(con):
        [(next_id,)] = con.execute("SELECT next_event_id FROM ingest_cursor WHERE id = 1").fetchall()
        rows = []
        for event_id, event, at, session_id, visitor_id in zip(
            range(next_id, next_id + len(events)), events, times, resolution.session_ids, resolution.visitor_ids
        ):
            row = list(event)
            row.pop()  # previous_visitor_id is not stored
            row[_ID], row[_SESSION_ID], row[_VISITOR_ID], row[_CREATED_AT] = event_id, session_id, visitor_id, at
            rows.append(row)
        appender = con.appender("events", columns=list(EVENT_COLUMNS))
        appender.append_rows(rows)
        appender.flush()
        _delete_continued(con, resolution.continued, min(times))
        sessions = con.appender("sessions", columns=[*SESSION_COLUMNS, *PREVIOUS_VISIT_COLUMNS])
        sessions.append_rows(settled.rows)
        sessions.flush()
        if settled.unplaced:
            visits.settle_visitors(
                con,
                "SELECT unnest($websites) AS website_id, unnest($visitors) AS visitor_id",
                {"websites": [key[0] for key in settled.unplaced], "visitors": [key[1] for key in settled.unplaced]},
            )
        con.execute(
            'UPDATE ingest_cursor SET segment = $segment, "offset" = $offset, next_event_id = $next_id WHERE id = 1',
            {"segment": wal_position.segment, "offset": wal_position.offset, "next_id": next_id + len(events)},
        )
    for key, state in resolution.current.items():
        cache.put(key, state)
    histories.keep(settled)
    return len(events)


def _utc(created_at: str | datetime) -> datetime:
    return datetime.fromisoformat(created_at) if isinstance(created_at, str) else created_at


def _open_sessions(
    con: duckdb.DuckDBPyConnection, cache: SessionCache, events: Sequence[EventRow], times: list[datetime]
) -> dict[tuple[str, str], SessionState]:
    """The open sessions the batch may continue: the cache's, then one lookup per website."""
    lookup = sessions_to_load(cache, events, times)
    known = dict(lookup.cached)
    for website, visitors in lookup.missing.items():
        rows = con.execute(
            _LOOKUP_SESSIONS, {"website_id": website, "visitors": sorted(visitors), "since": lookup.since[website]}
        ).fetchall()
        for row in rows:
            state = SessionState.from_row(row)
            known[(state.website_id, state.visitor_id)] = state
    return known


def _delete_continued(con: duckdb.DuckDBPyConnection, continued: dict[str, set[int]], first_event_at: datetime) -> None:
    """Delete the stored rows of the sessions this batch continued (rewritten after)."""
    since = first_event_at - SESSION_TIMEOUT
    for website_id, ids in continued.items():
        con.execute(_DELETE_CONTINUED, {"website_id": website_id, "since": since, "ids": sorted(ids)})


def _fault(error: duckdb.Error) -> StorageFault:
    return StorageFault(str(error), needs_reopen=isinstance(error, duckdb.FatalException))


@contextmanager
def _storage_faults() -> Iterator[None]:
    """Raise DuckDB's errors as :class:`StorageFault` (the Writer knows no engine)."""
    try:
        yield
    except duckdb.Error as error:
        raise _fault(error) from error
