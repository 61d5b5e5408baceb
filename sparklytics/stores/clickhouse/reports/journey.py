"""Journeys (``/journey``) in ClickHouse SQL, per read-time session.

What the report counts and how it is shaped: :mod:`sparklytics.queries.journey`. The
anchor of a session is its first matching row of ``m``; its branch is the first (next)
or last (previous) ``max_depth`` nodes after or before it, in time order, from one
``groupArray`` sorted by ``(created_at, node_id, id)``. One statement reads ``m`` once
(its node rows only): each reading of a scope joins the events to their sessions.
"""

from __future__ import annotations

from sparklytics.goals import Goal
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
    "next": ("arraySlice(after, 1, {max_depth:UInt32})", ">"),
    "previous": ("arraySlice(after, greatest(1, toInt64(length(after)) - {max_depth:UInt32} + 1))", "<"),
}

# Per session with an anchor, in one pass over its node rows: the anchor's key, the
# nodes after (or before) it in time order, the branch sliced from them; then the
# branches counted, with every anchored session and those of the empty branch. Non-empty
# branches sort first: the top ``BRANCH_LIMIT`` of them come back.
_BRANCHES = f"""
SELECT nodes, count() AS sessions, sum(count()) OVER () AS anchored,
       sum(if(empty(nodes), count(), 0)) OVER () AS without_nodes
FROM (
    SELECT {{branch}} AS nodes
    FROM (
        SELECT arrayMap(x -> x.2, arrayFilter(x -> x.1 {{before_or_after}} at, arraySort(x -> x.1, rows))) AS after
        FROM (
            SELECT minIf({_KEY}, {{anchor_match}}) AS at, groupArray(({_KEY}, {_NODE})) AS rows
            FROM m
            GROUP BY session_id
            HAVING countIf({{anchor_match}}) > 0
        )
    )
)
GROUP BY nodes
ORDER BY empty(nodes), sessions DESC, nodes ASC
LIMIT {BRANCH_LIMIT}
"""


async def journey(fetch: Fetch, scoped: Scope, q: ReportQuery, options: JourneyOptions) -> ReportResult:
    """The top branches next to (or before) the anchor, per session."""
    # A custom event's anchor is an event goal's match: only the sessions holding one are
    # joined (a page anchor compares the path normalized, which no goal matches).
    anchor_goal = None
    if options.anchor_type == "event":
        anchor_goal = Goal(id="anchor", website_id=q.website_id, name="anchor", goal_type="event",
                           match_value=options.anchor_value)
    scope, params = await scoped(q, rows=_IS_NODE, converted=anchor_goal)
    params.update({"anchor": options.anchor_value, "max_depth": options.max_depth})
    branch, before_or_after = _SLICE[options.direction]
    sql = scope + _BRANCHES.format(branch=branch, before_or_after=before_or_after,
                                   anchor_match=_ANCHOR_MATCH[options.anchor_type])
    rows = await fetch(sql, params)
    total, empty = (int(rows[0][2]), int(rows[0][3])) if rows else (0, 0)
    top = [(list(nodes), int(sessions)) for nodes, sessions, _, _ in rows if nodes]
    return ReportResult(
        {
            "anchor": {"type": options.anchor_type, "value": options.anchor_value},
            "direction": options.direction,
            "max_depth": options.max_depth,
            "total_anchor_sessions": total,
            "branches": shape_branches(top, empty, total),
        }
    )
