"""Breakdowns (``/metrics``, share metrics): the DuckDB SQL.

What the report counts and how it is shaped: :mod:`sparklytics.queries.breakdowns`.

Speed (figures: 1M events, 30 days, 2 cores; ``bench/RESULTS.md``):

* Session-level without filters read ``sessions`` alone (~⅓ of the rows, no join):
  a session has matching events in a whole-day range exactly when it overlaps it
  (``stats._UNFILTERED_SESSIONS``). Its pageviews in the range are its
  ``pageview_count``, except for the few sessions straddling a range edge, whose
  pageviews are counted from the events between the edge and their farthest
  first/last seen (found by a cheap first query, so that scan stays zonemap-pruned).
  Over the route at 1M: browser 135 → 49 ms, referrer 184 → 57, entry page 117 → 51;
  at 10M: browser 1 536 → 486, referrer 2 079 → 611.
* With filters, the matching events are grouped per session first, then joined to
  ``sessions``.
* Page without filters: pageviews are counted from the events (one cheap pass), and the
  sessions of each candidate path come from ``sessions.pageview_paths`` — no (path,
  session) DISTINCT over events and no events → sessions join
  (``_PAGE_FROM_SESSIONS_SQL``). 10M events: 1 252 → ~740 ms in-process.
* Event-level: counts per value in one cheap pass (``count(*) OVER ()`` gives the
  total); only the values that can be on the requested page (``_EVENT_DIM_SQL``) go on
  to the (value, session) DISTINCT and the ``sessions`` join, which gives visitors
  (a session has one visitor), bounces and durations. The matching rows are a ``NOT
  MATERIALIZED`` CTE: re-scanning the compressed columns with pushed-down filters
  measured cheaper than materializing them. Page over the route: 169 → 110 ms at 1M,
  1 966 → 1 201 ms at 10M (with the UBIGINT session ids of migration 0002).

The comparison period is one more query restricted to the values on the page.
"""

from __future__ import annotations

from sparklytics.queries.report_query import ReportQuery
from sparklytics.stores.duckdb.sql import Cursor, fetch_all, fetch_one
from sparklytics.stores.duckdb.where import compile_where, session_where

from .visitor_counts import CARRIED, UNSETTLED_OR_STRADDLING, visitor_counting, with_edges

# type → SQL expression over events alias ``e`` (event level) or sessions alias ``s``.
_EVENT_DIMENSIONS: dict[str, str] = {
    "page": "e.path",
    "event_name": "e.event_name",
}
_SESSION_DIMENSIONS: dict[str, str] = {
    "referrer": "COALESCE(s.referrer_domain, '(direct)')",
    "channel": "s.channel",
    "utm_source": "s.utm_source",
    "utm_medium": "s.utm_medium",
    "utm_campaign": "s.utm_campaign",
    "country": "s.country",
    "region": "s.region",
    "city": "s.city",
    "browser": "s.browser",
    "os": "s.os",
    "device": "s.device_type",
    "screen": "s.screen",
    "language": "s.language",
    "entry_page": "s.entry_path",
    "exit_page": "s.exit_path",
}
DIMENSIONS: dict[str, str] = {**_EVENT_DIMENSIONS, **_SESSION_DIMENSIONS}

_ORDER = {
    "page": "pageviews DESC, visitors DESC, value ASC",
    "event_name": "events DESC, visitors DESC, value ASC",
}
_DEFAULT_ORDER = "visitors DESC, pageviews DESC, value ASC"

# Rows a dimension looks at, beyond the query's own filters.
_ROW_CONDITION = {"page": "e.event_type = 'pageview'"}

# Event-level rows rank by their count first (pageviews for page, events for
# event_name); visitors only break ties. So only values whose count reaches the count
# of the page's last row can be on the page: the exact distinct work (sessions, then
# their visitors) runs for those candidates only, about half of the rows for pages.
# Both event-level statements below are built from these two pieces around their own
# ``counts`` and ``per_value``.
_CANDIDATES = """
candidates AS (
    SELECT *
    FROM counts
    WHERE events >= coalesce(
        (SELECT events FROM counts ORDER BY events DESC LIMIT 1 OFFSET ($offset + $limit - 1)), 0)
),"""

_PAGE_OF_CANDIDATES = """
SELECT c.value, coalesce(v.visitors, 0) AS visitors, c.pageviews, c.events, c.total,
       coalesce(v.sessions, 0) AS sessions, coalesce(v.bounces, 0) AS bounces, v.avg_duration
FROM candidates c
LEFT JOIN per_value v ON v.value = c.value
ORDER BY {order}
LIMIT $limit OFFSET $offset
"""

_EVENT_DIM_SQL = (
    """
WITH base AS NOT MATERIALIZED (
    SELECT {dim} AS value, e.session_id, e.event_type
    FROM events e
    WHERE {where} AND {dim} IS NOT NULL
),
counts AS (
    SELECT value,
           count(*) AS events,
           count(*) FILTER (WHERE event_type = 'pageview') AS pageviews,
           count(*) OVER () AS total
    FROM base
    GROUP BY value
),"""
    + _CANDIDATES
    + """
value_sessions AS (
    SELECT DISTINCT b.value, b.session_id
    FROM base b
    WHERE b.value IN (SELECT value FROM candidates)
),
per_value AS (
    SELECT vs.value,
           count(DISTINCT s.visitor_id) AS visitors,
           count(*) AS sessions,
           count(*) FILTER (WHERE s.pageview_count = 1) AS bounces,
           avg(epoch(s.last_seen - s.first_seen)) AS avg_duration
    FROM value_sessions vs
    JOIN sessions s ON s.session_id = vs.session_id
    WHERE {session_where} AND s.last_seen >= $utc_start AND s.first_seen < $utc_end
    GROUP BY vs.value
)"""
    + _PAGE_OF_CANDIDATES
)

# Page without filters: pageviews ranked from the events, then the sessions having
# each candidate path from ``sessions.pageview_paths`` (no events → sessions join);
# sessions straddling an edge of the range take their paths from the events inside it.
_PAGE_FROM_SESSIONS_SQL = (
    """
WITH counts AS (
    SELECT e.path AS value, count(*) AS events, count(*) AS pageviews, count(*) OVER () AS total
    FROM events e
    WHERE {where}
    GROUP BY e.path
),"""
    + _CANDIDATES
    + """
overlapping AS NOT MATERIALIZED (
    SELECT s.session_id, {visitor_id} AS visitor_id, s.pageview_count, s.pageview_paths,
           s.first_seen < $utc_start OR s.last_seen >= $utc_end AS straddles,
           epoch(s.last_seen - s.first_seen) AS duration{visit_columns}
    FROM sessions s
    WHERE {session_where} AND s.last_seen >= $utc_start AND s.first_seen < $utc_end
),
edge_paths AS (
    SELECT DISTINCT e.path AS value, e.session_id FROM events e WHERE {where} AND e.created_at <= $head_end
    UNION
    SELECT DISTINCT e.path AS value, e.session_id FROM events e WHERE {where} AND e.created_at >= $tail_start
),
value_sessions AS (
    SELECT value, visitor_id, pageview_count, duration{carried}
    FROM (
        SELECT unnest(pageview_paths) AS value, {unnest_prev}visitor_id, pageview_count, duration{unsettled}
        FROM overlapping
        WHERE NOT straddles
    )
    WHERE value IN (SELECT value FROM candidates)
    UNION ALL
    SELECT ep.value, o.visitor_id, o.pageview_count, o.duration{edge_carried}
    FROM edge_paths ep
    JOIN overlapping o ON o.session_id = ep.session_id
    WHERE o.straddles AND ep.value IN (SELECT value FROM candidates)
),
counted_values AS (
    SELECT value,
           {visitors} AS counted,
           count(*) AS sessions,
           count(*) FILTER (WHERE pageview_count = 1) AS bounces,
           avg(duration) AS avg_duration
    FROM value_sessions
    GROUP BY value
),
unsettled_values AS ({unsettled_values}),
per_value AS (
    SELECT c.value, c.counted + coalesce(u.visitors, 0) AS visitors, c.sessions, c.bounces, c.avg_duration
    FROM counted_values c LEFT JOIN unsettled_values u ON u.value = c.value
)"""
    + _PAGE_OF_CANDIDATES
)


# The distinct visitors of each candidate path among the rows of unsettled visitors
# (with every visitor having a session straddling an edge of the range).
_UNSETTLED_PATHS = """
    SELECT value, count(DISTINCT visitor_id) AS visitors
    FROM (
        SELECT unnest(s.pageview_paths) AS value, s.visitor_id
        FROM sessions s
        WHERE {session_where} AND s.last_seen >= $utc_start AND s.first_seen < $utc_end
          AND s.first_seen >= $utc_start AND s.last_seen < $utc_end AND {unsettled}
        UNION ALL
        SELECT ep.value, s.visitor_id
        FROM edge_paths ep JOIN sessions s ON s.session_id = ep.session_id
        WHERE {session_where} AND s.last_seen >= $utc_start AND s.first_seen < $utc_end
          AND (s.first_seen < $utc_start OR s.last_seen >= $utc_end)
    )
    WHERE value IN (SELECT value FROM candidates)
    GROUP BY value"""

_EVENT_DIM_PREV_SQL = """
SELECT {dim} AS value,
       count(DISTINCT e.visitor_id) AS visitors,
       count(*) FILTER (WHERE e.event_type = 'pageview') AS pageviews
FROM events e
WHERE {where} AND {dim} IN (SELECT unnest($values))
GROUP BY value
"""

_EVENT_DIM_TOTAL_SQL = """
SELECT count(DISTINCT {dim}) FROM events e WHERE {where}
"""

# Session-level, with filters: the sessions having matching events, with the count of
# their matching pageviews.
_MATCHED_SESSIONS = """
WITH per_session AS (
    SELECT e.session_id, count(*) FILTER (WHERE e.event_type = 'pageview') AS pageviews
    FROM events e
    WHERE {where}
    GROUP BY e.session_id
),
base AS (
    SELECT {dim} AS value, s.visitor_id, ps.pageviews, s.pageview_count,
           epoch(s.last_seen - s.first_seen) AS duration
    FROM per_session ps
    JOIN sessions s ON s.session_id = ps.session_id
    WHERE {session_where} AND s.last_seen >= $utc_start AND s.first_seen < $utc_end
      AND {dim} IS NOT NULL {restrict}
)
"""

# Session-level, no filters: the sessions overlapping the range. Pageviews of sessions
# straddling an edge come from their events inside the range; $head_end / $tail_start
# bound those scans (see ``visitor_counts.with_edges`` and the module docstring).
_OVERLAPPING_SESSIONS = """
WITH overlapping AS NOT MATERIALIZED (
    SELECT {dim} AS value, s.session_id, {visitor_id} AS visitor_id, s.pageview_count,
           s.first_seen < $utc_start OR s.last_seen >= $utc_end AS straddles,
           epoch(s.last_seen - s.first_seen) AS duration{visit_columns}
    FROM sessions s
    WHERE {session_where} AND s.last_seen >= $utc_start AND s.first_seen < $utc_end
      AND {dim} IS NOT NULL {restrict}
),
edge_pageviews AS (
    SELECT e.session_id, count(*) FILTER (WHERE e.event_type = 'pageview') AS pageviews
    FROM events e
    WHERE {where} AND e.created_at <= $head_end
    GROUP BY e.session_id
    UNION ALL
    SELECT e.session_id, count(*) FILTER (WHERE e.event_type = 'pageview') AS pageviews
    FROM events e
    WHERE {where} AND e.created_at >= $tail_start
    GROUP BY e.session_id
),
base AS (
    SELECT value, visitor_id, pageview_count AS pageviews, pageview_count, duration{carried}
    FROM overlapping
    WHERE NOT straddles
    UNION ALL
    SELECT o.value, o.visitor_id, coalesce(sum(ep.pageviews), 0), o.pageview_count, o.duration{carried_o}
    FROM overlapping o LEFT JOIN edge_pageviews ep ON ep.session_id = o.session_id
    WHERE o.straddles
    GROUP BY o.session_id, o.value, o.visitor_id, o.pageview_count, o.duration{carried_o}
)
"""


# The visitors of each value: those ``per_value`` counts (all, or the settled ones),
# plus those of ``unsettled_values`` (``visitor_counts``).
_SESSION_DIM_SQL = """,
unsettled_values AS ({unsettled_values}),
per_value AS (
    SELECT value,
           {visitors} AS counted,
           sum(pageviews) AS pageviews,
           count(*) AS sessions,
           count(*) FILTER (WHERE pageview_count = 1) AS bounces,
           avg(duration) AS avg_duration
    FROM base
    GROUP BY value
)
SELECT p.value, p.counted + coalesce(u.visitors, 0) AS visitors, p.pageviews, p.sessions AS events,
       count(*) OVER () AS total, p.sessions, p.bounces, p.avg_duration
FROM per_value p LEFT JOIN unsettled_values u ON u.value = p.value
"""

# The distinct visitors of each value among the rows of unsettled visitors.
_UNSETTLED_VALUES = """
    SELECT {dim} AS value, count(DISTINCT s.visitor_id) AS visitors
    FROM sessions s
    WHERE {session_where} AND s.last_seen >= $utc_start AND s.first_seen < $utc_end
      AND {dim} IS NOT NULL {restrict} AND {unsettled}
    GROUP BY value"""
_NO_VALUES = "SELECT NULL::VARCHAR AS value, 0 AS visitors WHERE FALSE"

_DISTINCT_VISITORS = "count(DISTINCT visitor_id)"


def _session_base(cur: Cursor, q: ReportQuery, metric: str, restrict: str = "") -> tuple[str, dict]:
    """The ``base`` CTE of a session-level breakdown, then ``unsettled_values`` and
    ``per_value`` (ending in the final SELECT without its ORDER), and the parameters."""
    dim = DIMENSIONS[metric]
    where, params = compile_where(q, "e")
    s_where, s_params = session_where(q, "s")
    params = {**params, **s_params}
    if q.has_filters:
        sql = _MATCHED_SESSIONS.format(dim=dim, where=where, session_where=s_where, restrict=restrict)
        return sql + _SESSION_DIM_SQL.format(unsettled_values=_NO_VALUES, visitors=_DISTINCT_VISITORS), params
    counting = visitor_counting(cur, q, metric, params)
    sql = _OVERLAPPING_SESSIONS.format(
        dim=dim, where=where, session_where=s_where, restrict=restrict,
        visitor_id="NULL" if counting else "s.visitor_id",
        visit_columns=counting.columns() if counting else "",
        carried=CARRIED if counting else "",
        carried_o=CARRIED.replace(", ", ", o.") if counting else "",
    )
    if counting is None:
        tail = _SESSION_DIM_SQL.format(unsettled_values=_NO_VALUES, visitors=_DISTINCT_VISITORS)
    else:
        unsettled = counting.unsettled_sessions()
        values = _NO_VALUES if unsettled == "FALSE" else _UNSETTLED_VALUES.format(
            dim=dim, session_where=s_where, restrict=restrict, unsettled=unsettled
        )
        tail = _SESSION_DIM_SQL.format(unsettled_values=values, visitors=counting.settled())
    return sql + tail, with_edges(cur, params, s_where)


def _page_from_sessions(cur: Cursor, q: ReportQuery, where: str, s_where: str, order: str, params: dict) -> str:
    """``_PAGE_FROM_SESSIONS_SQL`` counting visitors from the sessions' previous visits
    of each path when it can (a straddling session counts by its paths inside the range:
    its visitor is counted with the DISTINCT)."""
    counting = visitor_counting(cur, q, "page", params, unsettled=UNSETTLED_OR_STRADDLING)
    if counting is None:
        return _PAGE_FROM_SESSIONS_SQL.format(
            where=where, session_where=s_where, order=order, visitor_id="s.visitor_id", visit_columns="", carried="",
            unnest_prev="", unsettled="", edge_carried="", visitors=_DISTINCT_VISITORS, unsettled_values=_NO_VALUES,
        )
    unsettled = counting.unsettled_sessions()
    values = _NO_VALUES if unsettled == "FALSE" else _UNSETTLED_PATHS.format(session_where=s_where, unsettled=unsettled)
    return _PAGE_FROM_SESSIONS_SQL.format(
        where=where, session_where=s_where, order=order, visitor_id="NULL", visit_columns=counting.columns(),
        carried=CARRIED, unnest_prev="unnest(prev) AS prev, ", unsettled=", unsettled", edge_carried=", NULL, TRUE",
        visitors=counting.settled(), unsettled_values=values,
    )


def _event_fragments(q: ReportQuery, metric: str) -> tuple[str, str, dict]:
    where, params = compile_where(q, "e")
    if metric in _ROW_CONDITION:
        where += f" AND {_ROW_CONDITION[metric]}"
    s_where, s_params = session_where(q, "s")
    return where, s_where, {**params, **s_params}


def top_rows(cur: Cursor, q: ReportQuery, metric: str, limit: int, offset: int) -> tuple[list[tuple], int]:
    """The page of raw rows and the total number of distinct values.

    Each row: ``(value, visitors, pageviews, events, total, sessions, bounces,
    avg_duration)``.
    """
    dim = DIMENSIONS[metric]
    order = _ORDER.get(metric, _DEFAULT_ORDER)
    if metric in _SESSION_DIMENSIONS:
        base, params = _session_base(cur, q, metric)
        sql = base + f"ORDER BY {order}\nLIMIT $limit OFFSET $offset"
        total_sql = f"SELECT count(*) FROM ({base})"
    else:
        where, s_where, params = _event_fragments(q, metric)
        if metric == "page" and not q.has_filters:
            sql = _page_from_sessions(cur, q, where, s_where, order, params)
            params = with_edges(cur, params, s_where)
        else:
            sql = _EVENT_DIM_SQL.format(dim=dim, where=where, session_where=s_where, order=order)
        total_sql = _EVENT_DIM_TOTAL_SQL.format(dim=dim, where=where)
    params = {**params, "limit": limit, "offset": offset}
    rows = fetch_all(cur, sql, params)
    if rows:
        total = int(rows[0][4])
    elif offset > 0:
        total = int(fetch_one(cur, total_sql, params)[0])
    else:
        total = 0
    return rows, total


def previous_values(cur: Cursor, q: ReportQuery, metric: str, values: list[str]) -> dict[str, tuple[int, int]]:
    """``{value: (visitors, pageviews)}`` over ``q``'s range for the given values only."""
    if not values:
        return {}
    dim = DIMENSIONS[metric]
    if metric in _SESSION_DIMENSIONS:
        base, params = _session_base(cur, q, metric, restrict=f"AND {dim} IN (SELECT unnest($values))")
        sql = f"SELECT value, visitors, pageviews FROM ({base})"
    else:
        where, _s_where, params = _event_fragments(q, metric)
        sql = _EVENT_DIM_PREV_SQL.format(dim=dim, where=where)
    return {r[0]: (int(r[1]), int(r[2])) for r in fetch_all(cur, sql, {**params, "values": values})}
