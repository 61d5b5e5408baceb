"""Previous visits: what lets the overview count distinct visitors without a DISTINCT.

Issue 20 asks for the overview at 10M events in ≤ 500 ms; the hash aggregations over
(value, visitor) pairs were most of it. Distinct visitors over a range cannot be summed
from daily distincts, and visitors are not confined to one day (client-supplied
``visitor_id``s and imported ids span days), so every session row carries, per counted
dimension, **when the same visitor's previous visit with the same value ended**:

    prev_<d>(s) = max(last_seen) over the visitor's *non-bot* sessions that come before
                  ``s`` in (first_seen, session_id) order and share ``s``'s value of d

(``prev_seen``: with any value). A visitor has a non-bot session with value v
overlapping [a, b) exactly when exactly one of those sessions — the first in that order
— has ``prev_v < a`` or none, because an earlier session of the visitor overlaps the
range iff it ended at or after ``a``. So the number of visitors of v is a filtered
``count(*)`` over the overlapping sessions (``reports/visitor_counts.py``).

Why on ``sessions`` rather than an hourly rollup table keyed by visitor: the session
level breakdowns already read ``sessions`` alone; the columns are NULL for most rows
(a visitor with one visit) and cost little; any time zone (half-hour offsets, DST days)
works, since the range test is ``prev < utc_start`` at any instant.

**Keeping them exact.** The values are a function of the visitor's sessions, so they are
recomputed per visitor (:func:`settle`), never patched. Finding a visitor's sessions is a
scan of the table (there is no index), too dear for every commit, so a session row the
Writer appends (new or continued) has ``prev_known = FALSE``, and the reports count the
visitors having an *unsettled* session in the range with a plain DISTINCT (few rows) and
the others from the columns. That is exact: a change to a visitor's sessions since its
last settle is an unsettled row (appended, or re-appended with a wider span), a purge or
a bot verdict change unsettles the visitor's remaining rows (:func:`unsettle`), and an
earlier change that does not overlap the range ended before it, so it cannot move a
``prev < a`` test. The Writer settles in the commit transaction once enough rows are
unsettled (:func:`settle_if_due`), so the DISTINCT part stays small.
"""

from __future__ import annotations

import hashlib

import duckdb

# dimension → (column, the session's value of that dimension). The breakdowns of the
# dashboard overview; the others keep their DISTINCT.
PREVIOUS_VISIT_COLUMNS: dict[str, tuple[str, str]] = {
    "referrer": ("prev_referrer_seen", "coalesce(referrer_domain, '(direct)')"),
    "country": ("prev_country_seen", "country"),
    "browser": ("prev_browser_seen", "browser"),
    "device": ("prev_device_seen", "device_type"),
}
PATHS_COLUMN = "prev_paths_seen"
ANY_VALUE_COLUMN = "prev_seen"

# ``visitor_key``: a 16-bit hash of the visitor id, so the reports can find the rows of
# a few visitors without reading the ids (``reports/visitor_counts``). The same in SQL
# (migration, settle) and Python (the Writer's appends).
VISITOR_KEY_SQL = "CAST(('0x' || substr(md5({visitor_id}), 1, 4)) AS USMALLINT)"


def visitor_key(visitor_id: str) -> int:
    """:data:`VISITOR_KEY_SQL` in Python: the Writer stores it with each session row."""
    return int(hashlib.md5(visitor_id.encode()).hexdigest()[:4], 16)

# Unsettled rows at which the Writer settles inside a commit. A settle scans the
# sessions table twice (≈ 0.1–0.3 s at 10M events), so not every commit.
SETTLE_AFTER = 5_000

_ORDER = "ORDER BY first_seen, session_id ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING"


def _previous(partition: str) -> str:
    return (
        "max(last_seen) FILTER (WHERE NOT is_bot) "
        f"OVER (PARTITION BY website_id, visitor_id{partition} {_ORDER})"
    )


_COLUMNS = (ANY_VALUE_COLUMN, *(column for column, _ in PREVIOUS_VISIT_COLUMNS.values()))
_PARTITIONS = ("", *(f", {value}" for _, value in PREVIOUS_VISIT_COLUMNS.values()))

# The columns of every session of the visitors in ``targets`` (a relation of
# (website_id, visitor_id)), recomputed from all their sessions.
_SETTLE_SQL = f"""
UPDATE sessions
SET {", ".join(f"{column} = p.{column}" for column in _COLUMNS)}, prev_known = TRUE,
    visitor_key = {VISITOR_KEY_SQL.format(visitor_id="sessions.visitor_id")}
FROM (
    SELECT website_id, session_id,
           {", ".join(f"{_previous(partition)} AS {column}" for column, partition in zip(_COLUMNS, _PARTITIONS))}
    FROM {{target_sessions}}
) p
WHERE sessions.website_id = p.website_id AND sessions.session_id = p.session_id
"""

# ``prev_paths_seen``: one entry per path of ``pageview_paths``, in its order — for the
# page breakdown, a session "has" each path it viewed.
_SETTLE_PATHS_SQL = """
UPDATE sessions
SET prev_paths_seen = p.prev_paths_seen
FROM (
    SELECT website_id, session_id, list(prev ORDER BY n) AS prev_paths_seen
    FROM (
        SELECT website_id, session_id, n,
               max(last_seen) FILTER (WHERE NOT is_bot) OVER (
                   PARTITION BY website_id, visitor_id, path
                   ORDER BY first_seen, session_id ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS prev
        FROM (
            SELECT website_id, session_id, visitor_id, first_seen, last_seen, is_bot,
                   unnest(pageview_paths) AS path, generate_subscripts(pageview_paths, 1) AS n
            FROM {target_sessions}
        )
    )
    GROUP BY website_id, session_id
) p
WHERE sessions.website_id = p.website_id AND sessions.session_id = p.session_id
"""

_UNSETTLED_VISITORS = "SELECT DISTINCT website_id, visitor_id FROM sessions WHERE NOT prev_known"

ADD_COLUMNS_SQL = (
    "".join(f"ALTER TABLE sessions ADD COLUMN {column} TIMESTAMP;\n" for column in _COLUMNS)
    + "ALTER TABLE sessions ADD COLUMN prev_paths_seen TIMESTAMP[];\n"
    + "ALTER TABLE sessions ADD COLUMN prev_known BOOLEAN NOT NULL DEFAULT FALSE;\n"
    + "ALTER TABLE sessions ADD COLUMN visitor_key USMALLINT;\n"
)
# The migration's backfill: every visitor at once.
SETTLE_ALL_SQL = (
    _SETTLE_PATHS_SQL.replace("{target_sessions}", "sessions") + ";\n"
    + _SETTLE_SQL.replace("{target_sessions}", "sessions")
)
# The sessions of the visitors in ``targets``: their keys pick ~1 row in 65 536 per
# visitor before the ids are compared (a row without a key is always compared).
_TARGET_SESSIONS = """(
    SELECT * FROM sessions
    WHERE visitor_key IS NULL OR visitor_key IN (SELECT visitor_key FROM targets)
) SEMI JOIN targets USING (website_id, visitor_id)"""


def settle(con: duckdb.DuckDBPyConnection) -> None:
    """Recompute the columns of every visitor that has an unsettled session (in the
    caller's transaction)."""
    _settle_visitors(con, _UNSETTLED_VISITORS, {})


def settle_if_due(con: duckdb.DuckDBPyConnection) -> None:
    """:func:`settle` once :data:`SETTLE_AFTER` rows are unsettled. The count reads
    only the row groups holding unsettled rows (zonemaps skip the settled ones)."""
    [(unsettled,)] = con.execute("SELECT count(*) FROM sessions WHERE prev_known = FALSE").fetchall()
    if unsettled >= SETTLE_AFTER:
        settle(con)


def unsettle(con: duckdb.DuckDBPyConnection, visitors_sql: str, params: dict) -> None:
    """Mark every session of the visitors ``visitors_sql`` selects (website_id,
    visitor_id) unsettled: their sessions changed in a way the columns do not show
    (some were deleted, or their bot verdicts changed)."""
    con.execute(
        "UPDATE sessions SET prev_known = FALSE FROM ("
        f"SELECT DISTINCT website_id, visitor_id FROM ({visitors_sql})) v"
        " WHERE sessions.website_id = v.website_id AND sessions.visitor_id = v.visitor_id",
        params,
    )


def _settle_visitors(con: duckdb.DuckDBPyConnection, visitors_sql: str, params: dict) -> None:
    con.execute(
        "CREATE OR REPLACE TEMP TABLE targets AS"
        f" SELECT *, {VISITOR_KEY_SQL.format(visitor_id='visitor_id')} AS visitor_key FROM ({visitors_sql})",
        params,
    )
    if con.execute("SELECT count(*) FROM targets").fetchone()[0]:
        con.execute(_SETTLE_PATHS_SQL.replace("{target_sessions}", _TARGET_SESSIONS))
        con.execute(_SETTLE_SQL.replace("{target_sessions}", _TARGET_SESSIONS))
    con.execute("DROP TABLE targets")
