"""Distinct visitors over the sessions overlapping a range, counted without a DISTINCT.

The columns and why the count is exact: :mod:`sparklytics.stores.duckdb.visits`. A
report whose rows are the non-bot sessions overlapping its range (no filters) selects
:meth:`VisitorCounting.columns` from ``sessions s`` into its rows (not the visitor id:
reading that column is most of a DISTINCT's cost), carries ``prev`` and ``unsettled``
through and aggregates :meth:`VisitorCounting.settled` over them; then adds the
distinct visitors of the few rows :meth:`VisitorCounting.unsettled_sessions` selects,
read in a query of their own.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sparklytics.queries.report_query import ReportQuery
from sparklytics.stores.duckdb.sql import Cursor, fetch_one
from sparklytics.stores.duckdb.visits import ANY_VALUE_COLUMN, PATHS_COLUMN, PREVIOUS_VISIT_COLUMNS

# Visitors with a session in the range whose columns are not settled are counted with
# a DISTINCT. Bot sessions too: a session that became a bot since its visitor was
# settled is still counted in its later sessions' columns. They are found by their
# ``visitor_key`` (a 16-bit hash of the visitor id, ``visits.visitor_key``): a scan of
# that narrow column is ≈ 4x cheaper than of the ids, and another visitor sharing a key
# only goes to the DISTINCT too, which stays exact. A row without a key (written by
# something other than the Writer) always does.
_UNSETTLED = "u.prev_known = FALSE"
_IN_RANGE_WHERE = """
    WHERE u.website_id = $website_id AND u.last_seen >= $utc_start AND u.first_seen < $utc_end
      AND ({condition})"""
# The page breakdown counts the sessions straddling an edge by the paths they viewed
# inside the range only, which their later sessions' columns do not know: their
# visitors go to the DISTINCT too.
UNSETTLED_OR_STRADDLING = "u.prev_known = FALSE OR u.first_seen < $utc_start OR u.last_seen >= $utc_end"

CARRIED = ", prev, unsettled"


@dataclass(frozen=True, slots=True)
class VisitorCounting:
    prev_column: str
    unsettled: str | None  # which sessions in the range make their visitor unsettled, if any is

    def unsettled_sessions(self, also_keys: str = "") -> str:
        """The condition on ``sessions s`` selecting the rows of unsettled visitors
        (``FALSE`` when none is); ``also_keys``: a query of more keys to add."""
        keys = []
        if self.unsettled is not None:
            keys.append(f"SELECT u.visitor_key FROM sessions u {_IN_RANGE_WHERE.format(condition=self.unsettled)}")
        if also_keys:
            keys.append(also_keys)
        if not keys:
            return "FALSE"
        return f"(s.visitor_key IS NULL OR s.visitor_key IN ({' UNION ALL '.join(keys)}))"

    def columns(self, also_keys: str = "") -> str:
        """``, prev, unsettled`` over ``sessions s``."""
        return f", s.{self.prev_column} AS prev, {self.unsettled_sessions(also_keys)} AS unsettled"

    def settled(self, start: str = "$utc_start") -> str:
        """The aggregate counting the visitors whose first row in the range (starting
        at ``start``, an SQL expression) is this one, among settled visitors."""
        return f"count(*) FILTER (WHERE NOT unsettled AND (prev IS NULL OR prev < {start}))"


def visitor_counting(
    cur: Cursor, q: ReportQuery, dimension: str | None, params: dict, *, unsettled: str = _UNSETTLED
) -> VisitorCounting | None:
    """How to count ``q``'s visitors of each value of ``dimension`` (``None``: of any
    value), or None when the columns cannot say (filters, bots included, a dimension
    without a column). ``params`` are the query's, with ``website_id`` and the range;
    ``unsettled``: which sessions in the range send their visitor to the DISTINCT."""
    if q.has_filters or q.include_bots:
        return None
    if dimension is None:
        column = ANY_VALUE_COLUMN
    elif dimension in PREVIOUS_VISIT_COLUMNS:
        column = PREVIOUS_VISIT_COLUMNS[dimension][0]
    elif dimension == "page":
        column = PATHS_COLUMN  # a list: one entry per path of ``pageview_paths``
    else:
        return None
    range_params = {key: params[key] for key in ("website_id", "utc_start", "utc_end")}
    where = _IN_RANGE_WHERE.format(condition=unsettled)
    any_unsettled = fetch_one(cur, f"SELECT count(*) FROM sessions u {where}", range_params)[0] > 0
    return VisitorCounting(column, unsettled if any_unsettled else None)

# How far the sessions straddling each edge of the range reach into it.
_EDGES = """
SELECT max(s.last_seen) FILTER (WHERE s.first_seen < $utc_start),
       min(s.first_seen) FILTER (WHERE s.last_seen >= $utc_end)
FROM sessions s
WHERE {session_where} AND s.last_seen >= $utc_start AND s.first_seen < $utc_end
  AND (s.first_seen < $utc_start OR s.last_seen >= $utc_end)
"""
_TICK = timedelta(microseconds=1)  # TIMESTAMP resolution


def with_edges(cur: Cursor, params: dict, s_where: str) -> dict:
    """``params`` plus ``head_end``/``tail_start``: how far the sessions straddling each
    edge of the range reach into it (empty windows when none straddles)."""
    head_end, tail_start = fetch_one(cur, _EDGES.format(session_where=s_where), params)
    head_end = head_end or params["utc_start"] - _TICK
    tail_start = max(tail_start or params["utc_end"], head_end + _TICK)  # never count an event twice
    return {**params, "head_end": head_end, "tail_start": tail_start}


# Whether every matching (non-bot) event of the range belongs to a stored session that
# overlaps it: the events of the non-bot sessions inside the range and of those
# straddling an edge (counted in the edge windows) add up to all of them, or the rest
# are in bot sessions (a session turns bot after its first events; counted only then,
# a probe of every event's session). The retention purge takes sessions with their
# events, so only a session whose events are gone makes them differ (the range's events
# then come short), and the report then counts on the events.
_COVERAGE_SQL = """
WITH matching AS (
    SELECT count(*) AS events, count(*) FILTER (WHERE e.event_type = 'pageview') AS pageviews
    FROM events e
    WHERE {where}
)
SELECT (SELECT events FROM matching), (SELECT pageviews FROM matching),
       (SELECT coalesce(sum(s.event_count), 0) FROM sessions s
        WHERE {session_where} AND s.first_seen >= $utc_start AND s.last_seen < $utc_end)
     + (SELECT count(*) FROM events e
        WHERE {where} AND e.created_at <= $head_end AND e.session_id IN ({straddling}))
     + (SELECT count(*) FROM events e
        WHERE {where} AND e.created_at >= $tail_start AND e.session_id IN ({straddling}))
"""
# (Two edge windows, not one OR: each range is pushed into the scan's zonemaps.)
_STRADDLING = """
    SELECT s.session_id FROM sessions s
    WHERE {session_where} AND s.last_seen >= $utc_start AND s.first_seen < $utc_end
      AND (s.first_seen < $utc_start OR s.last_seen >= $utc_end)"""

# The bot sessions overlapping the range.
BOT_SESSIONS = """
SELECT b.session_id FROM sessions b
WHERE b.website_id = $website_id AND b.is_bot AND b.last_seen >= $utc_start AND b.first_seen < $utc_end"""

_IN_BOT_SESSIONS_SQL = "SELECT count(*) FROM events e WHERE {where} AND e.session_id IN ({bot_sessions})"


@dataclass(frozen=True, slots=True)
class Coverage:
    covered: bool  # the visitors of the events are those of the sessions and of ``in_bot_sessions``
    in_bot_sessions: int  # matching events in bot sessions (their visitors need a DISTINCT)
    pageviews: int  # matching pageviews


def event_coverage(cur: Cursor, where: str, s_where: str, params: dict) -> Coverage:
    """How the range's matching events relate to the stored sessions overlapping it."""
    params = with_edges(cur, params, s_where)
    sql = _COVERAGE_SQL.format(where=where, session_where=s_where, straddling=_STRADDLING.format(session_where=s_where))
    events, pageviews, in_sessions = fetch_one(cur, sql, params)
    if events == in_sessions:
        return Coverage(True, 0, pageviews)
    in_bot_sessions = fetch_one(cur, _IN_BOT_SESSIONS_SQL.format(where=where, bot_sessions=BOT_SESSIONS), params)[0]
    return Coverage(events == in_sessions + in_bot_sessions, in_bot_sessions, pageviews)
