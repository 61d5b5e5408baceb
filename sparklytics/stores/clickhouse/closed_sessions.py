"""Closed days' sessions: each UTC day's sessions, summarised once the day is over.

Sessions are derived from the events at read time (:mod:`.sessionize`), which costs a
sort and window passes over every event of a report's range. A day's sessions stop
changing once the day and its last session are over, so they are derived once more,
into ``sessions_local`` (one row per session: :func:`.sessionize.session_summaries`,
kept on the shard of its visitor), and reports read that table for the closed days of
their range and derive only the rest (:mod:`.session_reports`).

**Which rows count: builds and the manifest.** Every build of a (website, day) writes
its rows under a fresh random ``build`` number, then publishes it in ``session_days``
with ``version``, the server time taken *before* it read the events. The current build
of a day is the one with the highest version; ``build = 0`` there means "stale": the
day's events changed after a build (a late event, a delete, a bot recompute), and
readers derive it at read time until it is built again. So builds need no lock:
nodes building the same day at once each write their own rows, the manifest picks one,
and a later build deletes the rows of the builds its version supersedes. A stale mark
written after an event landed has a later version than any build that could have
missed that event, so the mark wins.

**When a day closes.** Day D's sessions can still grow until its last session has had
30 minutes without an event: a build runs only after D + 1 day + ``SESSION_TIMEOUT``,
and is dropped (not published) when one of its sessions saw an event in the last
``SESSION_TIMEOUT`` (a session still going: a bot, or a late night). A session that
starts on D is derived from the events of ``[D - SESSION_TIMEOUT, D + 1 day + MARGIN)``:
an event of D continues an earlier session only if that session had an event in the
30 minutes before it, and a midnight continuation (Decision 6) looks back 30 minutes too.

**What changes a closed day** (each path calls :func:`invalidate` or
:func:`forget_website`): events stored late for it (a WAL drain after an outage, a
replay, ``migrate --to cloud``, an import: the days of the events and the day on each
side, since one event can join or split sessions across midnight), a bot recompute's
changed verdicts, retention's purge and a node's cleanup above its cursor (the days
they touched), a website's delete (all its rows). Rows of a build that was never
published (a node stopped mid-build) stay until the website or its days are deleted;
readers never see them.
"""

from __future__ import annotations

import secrets
from datetime import date, datetime, timedelta

from sparklytics.sessions import SESSION_TIMEOUT
from sparklytics.stores.clickhouse.connection import ClickHouseClient, ClickHouseSettings
from sparklytics.stores.clickhouse.faults import storage_faults
from sparklytics.stores.clickhouse.scope import MARGIN
from sparklytics.stores.clickhouse.sessionize import SUMMARY_VERSION, session_summaries

DAY = timedelta(days=1)
STALE = 0

_EMPTY_SUMMARY = session_summaries("SELECT * FROM events_local WHERE 0")

_TABLE = f"""
CREATE TABLE IF NOT EXISTS sessions_local
ENGINE = MergeTree
PARTITION BY toYYYYMM(day)
ORDER BY (website_id, day, build, session_id)
EMPTY AS SELECT toUInt64(0) AS build, toDate(first_seen) AS day, * FROM ({_EMPTY_SUMMARY})
"""

_MANIFEST = """
CREATE TABLE IF NOT EXISTS session_days_local (
    website_id LowCardinality(String),
    day Date,
    build UInt64,
    version DateTime64(6, 'UTC')
)
ENGINE = MergeTree
ORDER BY (website_id, day, version)
"""

_SCAN = (
    "SELECT * FROM events WHERE website_id = {website_id:String}"
    " AND created_at >= {scan_start:DateTime64(6)} AND created_at < {scan_end:DateTime64(6)}"
)
_BUILD = f"""
INSERT INTO sessions
SELECT {{build:UInt64}}, toDate(first_seen), *
FROM ({session_summaries(_SCAN)})
WHERE first_seen >= {{day_start:DateTime64(6)}} AND first_seen < {{day_end:DateTime64(6)}}
"""
_STILL_GOING = (
    "SELECT count() FROM sessions WHERE website_id = {website_id:String} AND day = {day:Date}"
    " AND build = {build:UInt64} AND last_seen > {quiet_since:DateTime64(6)}"
)
_PUBLISH = (
    "INSERT INTO session_days (website_id, day, build, version)"
    " SELECT {website_id:String}, {day:Date}, {build:UInt64}, {version:DateTime64(6)}"
)
_SUPERSEDED = (
    "SELECT groupUniqArray(build) FROM session_days WHERE website_id = {website_id:String} AND day = {day:Date}"
    " AND version < {version:DateTime64(6)} AND build != 0"
)
_DROP_BUILDS = (
    "DELETE FROM sessions_local WHERE website_id = {website_id:String} AND day = {day:Date}"
    " AND has({builds:Array(UInt64)}, build)"
)
_MARK_STALE = (
    "INSERT INTO session_days (website_id, day, build, version)"
    " SELECT {website_id:String}, arrayJoin({days:Array(Date)}), 0, now64(6)"
)
# The days asked for, and the first day ever built (readers count the days before it
# that the manifest does not name as empty).
_CURRENT = """
SELECT day, argMax(build, version) FROM session_days
WHERE website_id = {website_id:String}
  AND (day BETWEEN {first_day:Date} AND {last_day:Date}
       OR day = (SELECT min(day) FROM session_days WHERE website_id = {website_id:String} AND build != 0))
GROUP BY day
"""
_INSERT = {"distributed_foreground_insert": 1, "insert_deduplicate": 0}


# Columns that came after the table, in the order the summary SELECT gives them (a
# build inserts by position). Rows from before ``summary_version`` read 0 there: their
# days are marked stale and the rows dropped, and the Scheduler builds them again.
ADDED_COLUMNS = (
    ("mixed", "UInt16 DEFAULT 0"),
    ("event_keys", "Array(Tuple(String, DateTime('UTC')))"),
    ("summary_version", "UInt8 DEFAULT 0"),
    ("name_keys", "Array(Tuple(String, DateTime('UTC')))"),
    ("name_counts", "Array(UInt32)"),
    ("adopted_visitors", "Array(String)"),
    ("adopted_firsts", "Array(DateTime64(6, 'UTC'))"),
)
_STALE_OLD_ROWS = f"""
INSERT INTO session_days (website_id, day, build, version)
SELECT website_id, day, 0, now64(6) FROM sessions WHERE summary_version < {SUMMARY_VERSION} GROUP BY website_id, day
"""
_DROP_OLD_ROWS = f"DELETE FROM sessions_local WHERE summary_version < {SUMMARY_VERSION}"


def create(client: ClickHouseClient, cluster: str, database: str) -> None:
    """The session table and its manifest on every shard, each with its ``Distributed``."""
    client.on_every_shard(_TABLE)
    client.on_every_shard(_MANIFEST)
    client.on_every_shard(
        f"CREATE TABLE IF NOT EXISTS sessions AS sessions_local"
        f" ENGINE = Distributed({cluster}, {database}, sessions_local, cityHash64(website_id, visitor_id))"
    )
    for table in ("sessions_local", "sessions"):
        for name, kind in ADDED_COLUMNS:
            client.on_every_shard(f"ALTER TABLE {table} ADD COLUMN IF NOT EXISTS {name} {kind}")
    [[old]] = client.rows(f"SELECT count() FROM sessions WHERE summary_version < {SUMMARY_VERSION}")
    if int(old):
        client.execute(_STALE_OLD_ROWS, settings=_INSERT)
        client.on_every_shard(_DROP_OLD_ROWS)
    client.on_every_shard(
        f"CREATE TABLE IF NOT EXISTS session_days AS session_days_local"
        f" ENGINE = Distributed({cluster}, {database}, session_days_local, cityHash64(website_id))"
    )


def current_builds(client_rows, website_id: str, first_day: date, last_day: date) -> dict[date, int]:
    """Each day's current build from ``first_day`` to ``last_day`` (``STALE`` for a
    stale day), and the first day ever built, whatever its current build; days the
    manifest never named are absent. ``client_rows`` runs one query."""
    found = client_rows(_CURRENT, {"website_id": website_id, "first_day": first_day, "last_day": last_day})
    return {date.fromisoformat(day): int(build) for day, build in found}


# Per website its first day due: from its first event or oldest manifest day, whichever
# is older, to the last closable day, the first whose current build is missing or stale.
# One statement for every website (GLOBAL: the manifest is read once, not per shard).
_DUE = """
SELECT website_id, min(day) FROM (
    SELECT website_id,
           arrayJoin(arrayMap(n -> addDays(min(first), n),
                              range(toUInt32(greatest(0, dateDiff('day', min(first), {last_day:Date}) + 1))))) AS day
    FROM (
        SELECT website_id, toDate(min(created_at)) AS first FROM events GROUP BY website_id
        UNION ALL
        SELECT website_id, min(day) AS first FROM session_days GROUP BY website_id
    )
    GROUP BY website_id
)
WHERE (website_id, day) GLOBAL NOT IN (
    SELECT website_id, day FROM session_days GROUP BY website_id, day HAVING argMax(build, version) != 0
)
GROUP BY website_id
ORDER BY website_id
"""


def due_days(client: ClickHouseClient, now: datetime) -> list[tuple[str, date]]:
    """Each website's first day that may be built at ``now`` and is not built (or stale)."""
    last_day = (now - DAY - SESSION_TIMEOUT).date()
    return [(website_id, date.fromisoformat(day)) for website_id, day in client.rows(_DUE, {"last_day": last_day})]


def build_day(client: ClickHouseClient, website_id: str, day: date) -> bool:
    """Derive ``day``'s sessions into the table and publish them; False when the day
    is not over yet (or a session of it still is)."""
    [[now]] = client.rows("SELECT now64(6, 'UTC')")
    version = datetime.fromisoformat(now)
    day_start = datetime.combine(day, datetime.min.time())
    if version < day_start + DAY + SESSION_TIMEOUT:
        return False
    build = secrets.randbits(63) or 1
    params = {
        "website_id": website_id, "build": build, "day": day, "version": version,
        "day_start": day_start, "day_end": day_start + DAY,
        "scan_start": day_start - SESSION_TIMEOUT, "scan_end": day_start + DAY + MARGIN,
        "quiet_since": version - SESSION_TIMEOUT,
    }
    client.execute(_BUILD, params, settings=_INSERT)
    [[going]] = client.rows(_STILL_GOING, params)
    if int(going):
        client.on_every_shard(_DROP_BUILDS, {**params, "builds": [build]})
        return False
    client.execute(_PUBLISH, params, settings=_INSERT)
    [[superseded]] = client.rows(_SUPERSEDED, params)
    if superseded:
        client.on_every_shard(_DROP_BUILDS, {**params, "builds": [int(b) for b in superseded]})
    return True


class SessionBuilder:
    """Stores the closed days' sessions, a day per call, for the Scheduler.

    A build is derived data and needs no lock (see the module's docstring), so it runs
    beside the Writer, not in it: a day takes 8–18 s at 10M events, and the Writer's
    commits go on meanwhile. The builder has a client of its own, used from one worker
    thread at a time. ClickHouse errors leave as ``StorageFault``.
    """

    def __init__(self, settings: ClickHouseSettings) -> None:
        self._client = ClickHouseClient(settings)

    def build_next_day(self) -> bool:
        """Store the sessions of one closed day not stored (or stale): the first due day
        of the first website whose day can be built; False when none could be. A day
        whose session is still going leaves its website for a later call."""
        with storage_faults():
            [[now]] = self._client.rows("SELECT now64(6, 'UTC')")
            for website_id, day in due_days(self._client, datetime.fromisoformat(now)):
                if build_day(self._client, website_id, day):
                    return True
        return False

    def close(self) -> None:
        self._client.close()


def invalidate(client: ClickHouseClient, website_id: str, first: datetime, last: datetime) -> None:
    """Mark stale the days of ``[first, last]`` and the day on each side (an event can
    join or split sessions across midnight)."""
    days = []
    day = first.date() - DAY
    while day <= last.date() + DAY:
        days.append(day.isoformat())  # quoted in the array parameter
        day += DAY
    client.execute(_MARK_STALE, {"website_id": website_id, "days": days}, settings=_INSERT)


def forget_website(client: ClickHouseClient, website_id: str) -> None:
    """Drop a deleted website's sessions and manifest on every shard."""
    for table in ("sessions_local", "session_days_local"):
        client.on_every_shard(f"DELETE FROM {table} WHERE website_id = {{website_id:String}}",
                              {"website_id": website_id})


def forget_before(client: ClickHouseClient, day: date) -> None:
    """Retention: drop every website's sessions of the days before ``day``."""
    client.on_every_shard("DELETE FROM sessions_local WHERE day < {day:Date}", {"day": day})
