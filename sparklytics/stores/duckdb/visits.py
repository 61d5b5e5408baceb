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

**Keeping them exact.** The values are a function of the visitor's sessions. The
Writer computes them as it writes each session row, from its memory of the visitor's
earlier sessions (``visitor_history.py``), so rows are stored settled. What changes a
visitor's earlier sessions outside that — a retention purge, a bot verdict change, a
session that starts before the visitor's newest (an import out of time order) —
recomputes that visitor's columns with window functions over its sessions
(:func:`settle_visitors`) in the same transaction. ``prev_known = FALSE`` marks a row
whose columns are not computed; the reports count the visitors of such rows in their
range with a DISTINCT (``reports/visitor_counts.py``), which keeps them exact should any
be stored.
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

_ORDER = "ORDER BY first_seen, session_id ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING"


def _previous(partition: str) -> str:
    return (
        "max(last_seen) FILTER (WHERE NOT is_bot) "
        f"OVER (PARTITION BY website_id, visitor_id{partition} {_ORDER})"
    )


_COLUMNS = (ANY_VALUE_COLUMN, *(column for column, _ in PREVIOUS_VISIT_COLUMNS.values()))
# The timestamp columns, in the order the Writer appends them (``visitor_history.py``).
SETTLED_COLUMNS = _COLUMNS
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
_PATHS_PREVIOUS = """
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
"""

_SETTLE_PATHS_SQL = f"""
UPDATE sessions
SET prev_paths_seen = p.prev_paths_seen
FROM ({_PATHS_PREVIOUS}) p
WHERE sessions.website_id = p.website_id AND sessions.session_id = p.session_id
"""

# Migration 0014: ``sessions`` rewritten into a new table with the columns computed for
# every visitor at once, in its stored order (time order, so zonemaps survive). A
# rewrite rather than ALTER + UPDATE: the UPDATE left every rewritten row group behind
# as free blocks inside the file (54.5 -> 71.1 MB at 1M events); see docs/decisions.md
# for what an upgraded install's file does.
def rewrite_sessions_sql(session_columns: str) -> str:
    """The migration's SQL, given the DDL of the columns ``sessions`` has before it."""
    return f"""
CREATE TABLE sessions_next (
{session_columns},
    {" ".join(f"{column} TIMESTAMP," for column in _COLUMNS)}
    prev_paths_seen TIMESTAMP[],
    prev_known BOOLEAN NOT NULL DEFAULT FALSE,
    visitor_key USMALLINT
);
INSERT INTO sessions_next
SELECT * EXCLUDE (stored_order) FROM (
    SELECT s.*,
           {", ".join(f"{_previous(partition)} AS {column}" for column, partition in zip(_COLUMNS, _PARTITIONS))},
           p.prev_paths_seen, TRUE AS prev_known,
           {VISITOR_KEY_SQL.format(visitor_id="s.visitor_id")} AS visitor_key, s.rowid AS stored_order
    FROM sessions s LEFT JOIN ({_PATHS_PREVIOUS.replace("{target_sessions}", "sessions")}) p
        USING (website_id, session_id)
)
ORDER BY stored_order;
DROP TABLE sessions;
ALTER TABLE sessions_next RENAME TO sessions;
"""
# The sessions of the visitors in ``targets``: their keys pick ~1 row in 65 536 per
# visitor before the ids are compared (a row without a key is always compared).
_TARGET_SESSIONS = """(
    SELECT * FROM sessions
    WHERE visitor_key IS NULL OR visitor_key IN (SELECT visitor_key FROM targets)
) SEMI JOIN targets USING (website_id, visitor_id)"""


def settle_visitors(con: duckdb.DuckDBPyConnection, visitors_sql: str, params: dict) -> None:
    """Recompute the columns of every session of the visitors ``visitors_sql`` selects
    (website_id, visitor_id), in the caller's transaction. Their rows are found by key
    (:data:`_TARGET_SESSIONS`): one scan of ``visitor_key``, then their few rows."""
    con.execute(
        "CREATE OR REPLACE TEMP TABLE targets AS"
        f" SELECT *, {VISITOR_KEY_SQL.format(visitor_id='visitor_id')} AS visitor_key FROM ({visitors_sql})",
        params,
    )
    if con.execute("SELECT count(*) FROM targets").fetchone()[0]:
        con.execute(_SETTLE_PATHS_SQL.replace("{target_sessions}", _TARGET_SESSIONS))
        con.execute(_SETTLE_SQL.replace("{target_sessions}", _TARGET_SESSIONS))
    con.execute("DROP TABLE targets")
