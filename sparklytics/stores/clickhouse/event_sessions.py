"""A report's events with their stored sessions: :func:`.scope.report_scope`'s ``ev``,
``sess`` and ``m`` from the session summaries instead of windows over the events.

The read-time scope sessionizes every event of the scan: a sort by visitor and time and
window passes, on the node that asked (windows do not run per shard), 5 s for a month
of 1M events and past any budget at 10M. The reports that need each event's session
(funnels, journeys, retention, attribution and revenue, conditions, goals on a URL or a
property value, property breakdowns) read that scope.

Here the sessions come from the summaries (:func:`.session_reports.unfiltered_parts`:
the closed days' table, the rest derived, as the overview reads them), and each event
finds its session by an ``ASOF JOIN``: among the sessions holding its raw visitor id,
the one where that id's first event came last, not after the event. A raw id's
events of one session are a run (no 30-minute pause) and its sessions do not overlap, so
the latest start at or before an event is the event's session. A session holds its kept
visitor id from its first event on, and a raw id it took over at midnight from that id's
first event in it (``adopted_visitors``/``adopted_firsts``, Decision 6).

What stays the read-time path's: ``sess`` holds the sessions that start in the scan
(``MARGIN`` around the range), so an event of a session that started earlier (one
running for over a day: only bots) finds none and is left out, where the read-time path
counts a session cut at the scan's start. The figures are the read-time path's
otherwise (``tests/stores/test_clickhouse_sessions_table.py``, and the contract suite,
which reads this scope with nothing stored: every session derived).
"""

from __future__ import annotations

from collections.abc import Iterable

from sparklytics.goals import Goal
from sparklytics.queries.report_query import ReportQuery
from sparklytics.stores.clickhouse import rollup_series, session_reports
from sparklytics.stores.clickhouse.scope import events_only, filter_tests, report_scope
from sparklytics.stores.clickhouse.session_reports import Fetch, Part, unfiltered_parts
from sparklytics.stores.clickhouse.sessionize import SESSION_FACTS

_SESSION_COLUMNS = ", ".join(["website_id", "session_id", *(name for name, _ in SESSION_FACTS),
                              "adopted_visitors", "adopted_firsts"])

_EVENTS = "SELECT * FROM events AS e WHERE e.website_id = {{website_id:String}} AND {tests}"
_SCAN = "e.created_at >= {scan_start:DateTime64(6)} AND e.created_at < {scan_end:DateTime64(6)}"
_RANGE = "e.created_at >= {utc_start:DateTime64(6)} AND e.created_at < {utc_end:DateTime64(6)}"


def _sessions(parts: list[Part], only: str = "1") -> str:
    """One row per session of the parts that passes ``only`` (a test on the summary),
    with every fact."""
    return "\nUNION ALL\n".join(
        f"SELECT {_SESSION_COLUMNS} FROM {source} WHERE {where} AND {only}" for source, where in parts
    )


def _with_sessions(tests: str, facts: Iterable[str], sessions: str = "sess") -> str:
    """The events that pass ``tests`` (on their own columns, alias ``e``), each with
    ``session_visitor``, ``session_id`` and the ``s_`` columns of ``facts``, from
    ``sessions`` (``sess``, or a subquery of some of them: the others' events are left out).

    The join is keyed by a 64-bit hash of the raw visitor id: a fifth faster than the id
    at 1M events. Two of a range's million visitors hash alike about once in 37 million
    ranges; then, where their sessions' times interleave, one's events may join the
    other's session."""
    carried = "".join(f", s.{name} AS s_{name}" for name in sorted(facts))
    return f"""
SELECT e.* EXCEPT (raw_key), s.visitor_id AS session_visitor, s.session_id AS session_id{carried}
FROM (SELECT *, cityHash64(visitor_id) AS raw_key FROM ({_EVENTS.format(tests=tests)})) AS e
ASOF INNER JOIN (
    SELECT *, cityHash64(first_of.1) AS raw_key, first_of.2 AS raw_first
    FROM {sessions}
    ARRAY JOIN arrayConcat([(visitor_id, first_seen)], arrayZip(adopted_visitors, adopted_firsts)) AS first_of
) AS s
ON e.raw_key = s.raw_key AND e.created_at >= s.raw_first
"""


def scope_of(fetch: Fetch, q: ReportQuery, facts: Iterable[str] = (), *, sessions: bool = True,
             rows: str | None = None, converted: Goal | None = None, stored: bool = True) -> tuple[str, dict]:
    """:func:`.scope.report_scope` for ``q``, its sessions from the summaries (``stored``:
    the store keeps them; the read-time store derives them from the events).

    ``converted``: the report reads only the rows of sessions that converted on that
    goal in the range (any others may come too). With stored sessions, ``m`` then joins
    only those sessions (a goal with keys, a range of whole UTC hours), and so does
    ``filter_goal``: its sessions are found without reading ``ev``."""
    if not stored:
        return report_scope(q, facts, sessions=sessions, rows=rows)
    tests = filter_tests(q, facts, rows)
    if not sessions and not tests.needs_sessions:
        return events_only(tests), tests.params
    parts, params = unfiltered_parts(fetch, q)
    tests.params.update(params)
    # The keys count per UTC hour: they tell the range's conversions when its edges are
    # whole hours.
    keyed = rollup_series.whole_hours(q)
    only = [session_reports.converting(goal, param) for goal, param in ((q.goal, "goal_filter"), (converted, "converted"))
            if goal is not None and keyed and session_reports.goal_has_keys(goal)]
    for _, bound in only:
        tests.params.update(bound)
    goal_tests = tests.goal_tests() if q.goal is not None and not (keyed and session_reports.goal_has_keys(q.goal)) else []
    in_range = _with_sessions(_RANGE, tests.needed)
    where = " AND ".join(goal_tests + tests.session_tests(in_range)) or "1"
    matched = _with_sessions(" AND ".join(tests.event), tests.needed,
                             f"({_sessions(parts, ' AND '.join(test for test, _ in only))})" if only else "sess")
    sql = f"""
WITH sess AS ({_sessions(parts)}),
ev AS ({_with_sessions(_SCAN, ())}),
m AS (
    SELECT * FROM ({matched}) AS e
    WHERE {where}
)
"""
    return sql, tests.params
