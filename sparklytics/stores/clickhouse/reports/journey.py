"""Journeys (``/journey``) in ClickHouse SQL, per read-time session.

What the report counts and how it is shaped: :mod:`sparklytics.queries.journey`. The
anchor of a session is its first matching row of ``m``; its branch is the first (next)
or last (previous) ``max_depth`` nodes after or before it, in time order, from one
``groupArray`` sorted by ``(created_at, node_id, id)``. Only sessions with a node are
grouped; the empty branch is the anchors minus those, as in the DuckDB report.
"""

from __future__ import annotations

from sparklytics.queries.journey import BRANCH_LIMIT, JourneyOptions, shape_branches
from sparklytics.queries.report_query import ReportQuery
from sparklytics.queries.result import ReportResult

from . import Fetch, Scope

# A page node as normalize_page gives it: lower case, no trailing slash, "/" for root.
_PAGE = "if(trimRight(lower(path), '/') = '', '/', trimRight(lower(path), '/'))"
_NODE = f"if(event_type = 'pageview', {_PAGE}, assumeNotNull(event_name))"
_IS_NODE = "(event_type = 'pageview' OR (event_type = 'event' AND event_name IS NOT NULL))"
_ANCHOR_MATCH = {
    "page": f"event_type = 'pageview' AND {_PAGE} = {{anchor:String}}",
    "event": "event_type = 'event' AND event_name = {anchor:String}",
}
_KEY = "(created_at, node_id, id)"
_SLICE = {
    "next": ("arraySlice(ordered, 1, {max_depth:UInt32})", ">"),
    "previous": ("arraySlice(ordered, greatest(1, toInt64(length(ordered)) - {max_depth:UInt32} + 1))", "<"),
}


def _ctes(anchor_match: str, direction: str) -> str:
    """``anchors`` and ``branches``, to follow the scope's ``WITH``."""
    branch, before_or_after = _SLICE[direction]
    return f"""
, anchors AS (
    SELECT session_id, min({_KEY}) AS at FROM m WHERE {anchor_match} GROUP BY session_id
),
branches AS (
    SELECT session_id, {branch} AS nodes
    FROM (
        SELECT m.session_id AS session_id,
               arrayMap(x -> x.2, arraySort(x -> x.1, groupArray(((m.created_at, m.node_id, m.id), {_NODE}))))
                   AS ordered
        FROM m INNER JOIN anchors AS a ON a.session_id = m.session_id
        WHERE {_IS_NODE} AND (m.created_at, m.node_id, m.id) {before_or_after} a.at
        GROUP BY m.session_id
    )
)
"""


_TOP = f"""
SELECT nodes, count() AS sessions, sum(count()) OVER () AS sessions_with_nodes
FROM branches
GROUP BY nodes
ORDER BY sessions DESC, nodes ASC
LIMIT {BRANCH_LIMIT}
"""


async def journey(fetch: Fetch, scoped: Scope, q: ReportQuery, options: JourneyOptions) -> ReportResult:
    """The top branches next to (or before) the anchor, per session."""
    scope, params = await scoped(q)
    params.update({"anchor": options.anchor_value, "max_depth": options.max_depth})
    with_ctes = scope.rstrip() + _ctes(_ANCHOR_MATCH[options.anchor_type], options.direction)
    [[total]] = await fetch(with_ctes + "SELECT count() FROM anchors", params)
    rows = await fetch(with_ctes + _TOP, params) if int(total) else []
    with_nodes = int(rows[0][2]) if rows else 0
    top = [(list(nodes), int(sessions)) for nodes, sessions, _ in rows]
    return ReportResult(
        {
            "anchor": {"type": options.anchor_type, "value": options.anchor_value},
            "direction": options.direction,
            "max_depth": options.max_depth,
            "total_anchor_sessions": int(total),
            "branches": shape_branches(top, int(total) - with_nodes, int(total)),
        }
    )
