"""Sessions derived at read time from the events, by the rules of ``sparklytics.sessions``.

Why at read time (``docs/clickhouse-sessions.md``): any app node may take any of a
visitor's events, so no node can keep the open sessions; the events themselves, sharded
by ``(website_id, visitor_id)``, are the only state every node agrees on. Window
functions then give the same sessions whichever node wrote which event.

:func:`sessionized_events` turns a SELECT of event rows (all ``EVENT_TABLE_NAMES``) into
the same rows plus ``session_visitor`` (the visitor id the session is kept under) and
``session_id``:

1. Per raw visitor id, an event more than 30 minutes after the previous one starts a
   run (``SESSION_TIMEOUT``).
2. Midnight (Decision 6): a run whose first event carries ``previous_visitor_id`` (the
   id under yesterday's salt) continues that visitor's session when the previous id has
   an event at most 30 minutes before the run's start; the run is then kept under the
   previous id, as the Writer's rule keeps it.
3. Per kept visitor id the 30-minute rule again gives the sessions; the id is the
   contract's (SHA-256 of visitor, website, first URL and first time in ms; the same
   bytes as ``sparklytics.enrich.ids.session_id``, read as a big-endian UInt64).

:func:`session_rows` aggregates those into one row per session with the columns of
``SESSION_COLUMNS`` that reports read: counts, entry and exit paths, the landing event's
source and ``entry_page`` (Decision 21: first pageview, else first event with a referrer
or UTM tag, else first event), the first known client and place values, the bot verdict.

:func:`session_summaries` gives the same facts per session straight from rules 1 and 2
(one GROUP BY, the id hashed once per session instead of per event), with the session's
counts per UTC hour: the rows of the closed days' table (:mod:`.closed_sessions`) and of
the open part of a range (:mod:`.session_reports`).
"""

from __future__ import annotations

from sparklytics.sessions import CLIENT_COLUMNS, SESSION_TIMEOUT, SOURCE_COLUMNS
from sparklytics.stores.clickhouse.event_columns import EVENT_TABLE_NAMES

TIMEOUT_US = int(SESSION_TIMEOUT.total_seconds() * 1_000_000)
_COLUMNS = ", ".join(EVENT_TABLE_NAMES)
_ORDER = "created_at, node_id, id"


def _gap(partition: str) -> str:
    return (
        f"if(dateDiff('microsecond', lagInFrame(created_at, 1, toDateTime64(0, 6, 'UTC')) OVER"
        f" (PARTITION BY website_id, {partition} ORDER BY {_ORDER} ROWS BETWEEN 1 PRECEDING AND CURRENT ROW),"
        f" created_at) > {TIMEOUT_US}, 1, 0)"
    )


def _running(flag: str, partition: str) -> str:
    return f"sum({flag}) OVER (PARTITION BY website_id, {partition} ORDER BY {_ORDER} ROWS UNBOUNDED PRECEDING)"


def _contract_id(visitor: str, first_url: str, first_at: str) -> str:
    """The contract's session id (``sparklytics.enrich.ids.session_id``) in SQL."""
    return (
        f"reinterpretAsUInt64(reverse(substring(SHA256(concat("
        f"{visitor}, website_id, {first_url}, toString(toUnixTimestamp64Milli({first_at})))), 1, 8)))"
    )


def sessionized_events(source: str) -> str:
    """A SELECT of ``source``'s rows with ``session_visitor`` and ``session_id``."""
    return f"""
SELECT {_COLUMNS}, session_visitor, {_contract_id("session_visitor", "first_url", "first_at")} AS session_id
FROM (
    SELECT *,
           first_value(url) OVER w AS first_url,
           first_value(created_at) OVER w AS first_at
    FROM ({_numbered_sessions(source)})
    WINDOW w AS (PARTITION BY website_id, session_visitor, session_n ORDER BY {_ORDER}
                 ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING)
)
"""


def _numbered_sessions(source: str) -> str:
    """``source``'s rows with ``session_visitor`` and ``session_n``, the session's number
    among that visitor's: ``(website_id, session_visitor, session_n)`` names a session
    without hashing anything (rules 1 and 2)."""
    return f"""
        SELECT *, {_running("session_start", "session_visitor")} AS session_n
        FROM (
            SELECT *, {_gap("session_visitor")} AS session_start
            FROM (
                SELECT {", ".join(f"r.{name} AS {name}" for name in EVENT_TABLE_NAMES)},
                       if(a.adopted_by != '', a.adopted_by, r.visitor_id) AS session_visitor
                FROM (
                    SELECT *, {_running("run_start", "visitor_id")} AS run_n
                    FROM (SELECT *, {_gap("visitor_id")} AS run_start FROM ({source}))
                ) AS r
                LEFT JOIN (
                    SELECT DISTINCT h.website_id AS website_id, h.visitor_id AS visitor_id, h.run_n AS run_n,
                           h.previous AS adopted_by
                    FROM (
                        SELECT website_id, visitor_id, run_n, min(created_at) AS start_at,
                               ifNull(argMin(previous_visitor_id, ({_ORDER})), '') AS previous
                        FROM (
                            SELECT website_id, visitor_id, created_at, node_id, id, previous_visitor_id,
                                   {_running("run_start", "visitor_id")} AS run_n
                            FROM (SELECT *, {_gap("visitor_id")} AS run_start FROM ({source}))
                        )
                        GROUP BY website_id, visitor_id, run_n
                        HAVING previous != ''
                    ) AS h
                    INNER JOIN ({source}) AS p ON p.website_id = h.website_id AND p.visitor_id = h.previous
                    WHERE p.created_at <= h.start_at
                      AND dateDiff('microsecond', p.created_at, h.start_at) <= {TIMEOUT_US}
                ) AS a ON a.website_id = r.website_id AND a.visitor_id = r.visitor_id AND a.run_n = r.run_n
            )
        )
"""


_LANDING_RANK = (
    "multiIf(event_type = 'pageview', 0, "
    + " OR ".join(f"{name} IS NOT NULL" for name in SOURCE_COLUMNS if name != "channel")
    + ", 1, 2)"
)


_LANDING_KEY = f"({_LANDING_RANK}, {_ORDER})"
_PAGEVIEW_PATH = "toNullable(if(event_type = 'pageview', path, NULL))"

# A session's facts as aggregates over its events: (name, expression). Each works as a
# GROUP BY aggregate (:func:`session_rows`) and as a window over the session's rows
# (:func:`with_session_facts`). No alias refers to another, so both forms hold.
SESSION_FACTS: tuple[tuple[str, str], ...] = (
    ("visitor_id", "any(session_visitor)"),
    ("first_seen", "min(created_at)"),
    ("last_seen", "max(created_at)"),
    ("pageview_count", "countIf(event_type = 'pageview')"),
    ("event_count", "count()"),
    ("entry_page", f"argMin(url, {_LANDING_KEY})"),
    ("entry_path", f"argMinIf({_PAGEVIEW_PATH}, ({_ORDER}), event_type = 'pageview')"),
    ("exit_path", f"argMaxIf({_PAGEVIEW_PATH}, ({_ORDER}), event_type = 'pageview')"),
    ("is_bot", "max(is_bot)"),
    ("bot_score", "max(bot_score)"),
    ("bot_reason", f"argMaxIf(bot_reason, (bot_score, {_ORDER}), bot_reason IS NOT NULL)"),
    *((name, f"argMin({name}, {_LANDING_KEY})") for name in SOURCE_COLUMNS),
    *((name, f"argMinIf({name}, ({_ORDER}), {name} IS NOT NULL)") for name in CLIENT_COLUMNS),
)


def session_rows(sessionized: str) -> str:
    """One row per session of the SELECT ``sessionized`` (from :func:`sessionized_events`)."""
    facts = ",\n       ".join(f"{expression} AS {name}" for name, expression in SESSION_FACTS)
    return f"""
SELECT session_id, website_id,
       {facts}
FROM ({sessionized})
GROUP BY website_id, session_id
"""


def with_session_facts(sessionized: str, names: set[str]) -> str:
    """The rows of ``sessionized`` each with its session's facts ``names`` as ``s_<name>``
    columns (windows over the session: one pass, no join back to :func:`session_rows`).
    Only the facts asked for: each is an aggregate over every row of the range."""
    facts = "".join(
        f",\n       {expression} OVER session AS s_{name}" for name, expression in SESSION_FACTS if name in names
    )
    return f"""
SELECT *{facts}
FROM ({sessionized})
WINDOW session AS (PARTITION BY website_id, session_id)
"""


# What a per-session summary adds to the facts, so that a report can cut a session at
# any whole UTC hour without its events: per hour of activity the pageviews and events
# (all, and the humans'), and per (path, hour) the pageviews. The flags are columns of
# their own: a fact's alias (``is_bot``) would shadow the event's column.
_FLAGS = "toStartOfHour(created_at) AS hour_of, toUInt32(event_type = 'pageview') AS pv_flag, toUInt32(NOT is_bot) AS human_flag"
_HOURLY = "sumMap([hour_of], [pv_flag], [toUInt32(1)], [pv_flag * human_flag], [human_flag])"
HOURLY_COLUMNS = ("hours", "hour_pageviews", "hour_events", "hour_human_pageviews", "hour_human_events")
_PAGES = "sumMapIf([(path, hour_of)], [pv_flag], pv_flag = 1)"

# The client and place columns an event-level filter tests. A session's fact is its
# first known value, which is every event's value unless the session is *mixed* in that
# column (two values, or a value and none): bit ``i`` of ``mixed`` says so for
# ``MIXED_COLUMNS[i]``, and a filtered report reads a summary only when no session of
# its range is mixed in a column it filters (:mod:`.session_reports`). A visitor id is
# keyed by address and browser, so a mixed session is rare: a client-supplied id, an
# import, a phone changing networks.
# Bit ``BOTS_AND_HUMANS`` marks a session with both bot and human events: its per-path
# counts (``page_keys``, ``event_keys``) do not tell them apart, so a page filter
# without bots needs its events.
MIXED_COLUMNS = ("country", "region", "city", "browser", "os", "device_type", "language")
BOTS_AND_HUMANS = 1 << len(MIXED_COLUMNS)
_MIX_VALUES = ", ".join(f"tuple({name}) AS mix_{name}" for name in MIXED_COLUMNS)
_MIXED = " + ".join(
    [f"toUInt16(uniqExact(mix_{name}) > 1) * {1 << n}" for n, name in enumerate(MIXED_COLUMNS)]
    + [f"toUInt16(min(human_flag) = 0 AND max(human_flag) = 1) * {BOTS_AND_HUMANS}"]
)
# The (path, hour) of the session's other events, so a page filter sees them too.
_EVENT_KEYS = "groupUniqArrayIf((path, hour_of), pv_flag = 0)"
# Per (event name, hour) the session's custom events, for the event-name breakdown.
_NAMES = "sumMapIf([(assumeNotNull(event_name), hour_of)], [toUInt32(1)], pv_flag = 0 AND event_name IS NOT NULL)"
# The raw visitor ids a session took over at midnight (Decision 6), each with its first
# event in the session, so a report can give any event its stored session
# (:mod:`.event_sessions`). The kept id's first event is the session's own first: a run
# is kept under the previous id only after an event of that id.
_ADOPTED = "minMapIf([visitor_id], [created_at], visitor_id != session_visitor)"
# What a summary row holds changes with this number; rows of an older one are built again
# (``closed_sessions.create``).
SUMMARY_VERSION = 4


def session_summaries(source: str) -> str:
    """One row per session of ``source``'s events: its contract id, the facts of
    ``SESSION_FACTS``, ``first_url``, and the hourly counts (``HOURLY_COLUMNS``,
    ``page_keys``/``page_views``, ``mixed``, ``event_keys``, ``summary_version``,
    ``name_keys``/``name_counts``, ``adopted_visitors``/``adopted_firsts``). One GROUP BY, no per-event window or hash: the id is
    hashed once per session. The same SELECT fills the closed days' table
    (:mod:`.closed_sessions`) and derives the open part of a range at read time, so
    the two cannot disagree."""
    facts = ",\n           ".join(f"{expression} AS {name}" for name, expression in SESSION_FACTS)
    hourly = ", ".join(f"hourly.{n} AS {name}" for n, name in enumerate(HOURLY_COLUMNS, start=1))
    return f"""
SELECT website_id, {_contract_id("session_visitor", "first_url", "first_seen")} AS session_id,
       {", ".join(name for name, _ in SESSION_FACTS)},
       {hourly}, pages.1 AS page_keys, pages.2 AS page_views, mixed, event_keys,
       toUInt8({SUMMARY_VERSION}) AS summary_version, names.1 AS name_keys, names.2 AS name_counts,
       adopted.1 AS adopted_visitors, adopted.2 AS adopted_firsts
FROM (
    SELECT website_id, session_visitor, argMin(url, ({_ORDER})) AS first_url, {facts},
           {_HOURLY} AS hourly, {_PAGES} AS pages, {_MIXED} AS mixed, {_EVENT_KEYS} AS event_keys,
           {_NAMES} AS names, {_ADOPTED} AS adopted
    FROM (SELECT *, {_FLAGS}, {_MIX_VALUES} FROM ({_numbered_sessions(source)}))
    GROUP BY website_id, session_visitor, session_n
)
"""
