"""Journeys (``/journey``): the DuckDB SQL.

What the report counts and how it is shaped: :mod:`sparklytics.queries.journey`.

Speed (1M events, 30 days, anchor ``/`` = 94k sessions, 2 cores: ≈ 90 ms): the anchors
come from one time-bounded scan with the anchor test pushed into it; only those
sessions' events are then read (hash join on ``session_id``, events after/before the
anchor). Each session's branch is a bounded top-N aggregate (``min_by(node, key,
depth)``) instead of numbering the rows with a window and listing them (≈ 170 ms: the
sort of 226k rows and the ordered ``list()`` dominated). Only sessions with at least
one node are grouped; the empty branch is ``total − sessions with nodes``, merged in
Python, so there is no outer join back to the anchors.
"""

from __future__ import annotations

from sparklytics.queries.journey import BRANCH_LIMIT, JourneyOptions, shape_branches
from sparklytics.queries.report_query import ReportQuery
from sparklytics.queries.result import ReportResult
from sparklytics.stores.duckdb.sql import Cursor, fetch_all
from sparklytics.stores.duckdb.where import compile_where

# The node of an events row; must give exactly what normalize_page gives for a path.
_NODE = (
    "CASE WHEN e.event_type = 'pageview'"
    " THEN coalesce(nullif(rtrim(lower(e.path), '/'), ''), '/')"
    " ELSE e.event_name END"
)
_IS_NODE = "(e.event_type = 'pageview' OR (e.event_type = 'event' AND e.event_name IS NOT NULL))"
_ANCHOR_MATCH = {
    "page": "e.event_type = 'pageview' AND coalesce(nullif(rtrim(lower(e.path), '/'), ''), '/') = $anchor",
    "event": "e.event_type = 'event' AND e.event_name = $anchor",
}
_KEY = "struct_pack(t := e.created_at, i := e.id)"
# next: the first max_depth nodes after the anchor; previous: the last max_depth before
# it (max_by lists them newest first, so reverse to chronological order).
_BRANCH = {
    "next": (f"min_by({_NODE}, {_KEY}, $max_depth)", ">"),
    "previous": (f"list_reverse(max_by({_NODE}, {_KEY}, $max_depth))", "<"),
}

_JOURNEY_SQL = f"""
WITH anchors AS (
    SELECT e.session_id, min({_KEY}) AS at
    FROM events e
    WHERE {{where}} AND {{anchor_match}}
    GROUP BY e.session_id
),
branches AS (
    SELECT e.session_id, {{branch}} AS nodes
    FROM events e JOIN anchors a ON a.session_id = e.session_id
    WHERE {{where}} AND {_IS_NODE} AND {_KEY} {{before_or_after}} a.at
    GROUP BY e.session_id
),
top AS (
    SELECT nodes, count(*) AS sessions, sum(count(*)) OVER () AS sessions_with_nodes
    FROM branches
    GROUP BY nodes
    ORDER BY sessions DESC, nodes ASC
    LIMIT {BRANCH_LIMIT}
)
SELECT (SELECT count(*) FROM anchors) AS total, top.nodes, top.sessions, top.sessions_with_nodes
FROM (SELECT 1) one LEFT JOIN top ON TRUE
"""


def journey(cur: Cursor, q: ReportQuery, options: JourneyOptions) -> ReportResult:
    """``GET /journey``: the top branches next to (or before) the anchor, per session."""
    where, params = compile_where(q, "e")
    branch, before_or_after = _BRANCH[options.direction]
    sql = _JOURNEY_SQL.format(
        where=where,
        anchor_match=_ANCHOR_MATCH[options.anchor_type],
        branch=branch,
        before_or_after=before_or_after,
    )
    rows = fetch_all(cur, sql, {**params, "anchor": options.anchor_value, "max_depth": options.max_depth})
    total = int(rows[0][0])
    top = [(list(nodes), int(sessions)) for _, nodes, sessions, _ in rows if nodes is not None]
    with_nodes = int(rows[0][3] or 0)
    return ReportResult(
        {
            "anchor": {"type": options.anchor_type, "value": options.anchor_value},
            "direction": options.direction,
            "max_depth": options.max_depth,
            "total_anchor_sessions": total,
            "branches": shape_branches(top, total - with_nodes, total),
        }
    )


