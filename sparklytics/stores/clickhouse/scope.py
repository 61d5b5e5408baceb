"""What a report reads on ClickHouse: the website's sessionized events around the range,
their sessions, and the events of the range that match the query.

:func:`report_scope` gives a ``WITH`` clause of three names every report builds on:

* ``ev`` — the website's events from ``MARGIN`` before the range to ``MARGIN`` after it,
  with ``session_visitor`` and ``session_id`` (:mod:`.sessionize`). The margins let a
  session straddling an edge be derived whole, as the DuckDB ``sessions`` row is (a
  session with 24 h of activity without a 30-minute pause would be cut: only bots).
* ``sess`` — one row per session of ``ev`` (landing source, counts, bot verdict).
* ``m`` — the events in ``[utc_start, utc_end)`` that pass the query's filters (humans
  only unless bots are included), each with its session's facts as ``s_`` columns
  (windows over the session, computed before the filters); the source filters
  (Decision 21) test those session columns, the others the event. Each reference to
  ``m`` or ``sess`` derives the sessions again (ClickHouse inlines CTEs; ``AS
  MATERIALIZED`` measured slower), so a report reads ``m`` once where it can.

Values are query parameters (``{name:Type}``), never SQL text; condition trees compile
in :mod:`.conditions`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import timedelta

from sparklytics.queries.goals import match_test
from sparklytics.queries.report_query import FILTERS, ReportQuery, offset_segments, time_bounds
from sparklytics.stores.clickhouse.conditions import condition_sql, facts_of
from sparklytics.stores.clickhouse.sessionize import session_rows, sessionized_events, with_session_facts

MARGIN = timedelta(days=1)

_EQ = "{col} = {param}"
# filter key → (column, test); the column is the session's (s_…) for source filters.
FILTER_TESTS: dict[str, tuple[str, str]] = {
    "filter_country": ("country", _EQ),
    "filter_page": ("path", "position({col}, {param}) > 0"),
    "filter_referrer": ("referrer_domain", "ifNull({col}, '(direct)') = {param}"),
    "filter_browser": ("browser", _EQ),
    "filter_os": ("os", _EQ),
    "filter_device": ("device_type", _EQ),
    "filter_language": ("language", _EQ),
    "filter_utm_source": ("utm_source", _EQ),
    "filter_utm_medium": ("utm_medium", _EQ),
    "filter_utm_campaign": ("utm_campaign", _EQ),
    "filter_region": ("region", _EQ),
    "filter_city": ("city", _EQ),
    "filter_hostname": ("hostname", "lower({col}) = lower({param})"),
    "filter_channel": ("channel", _EQ),
}

_EVENTS_AROUND = (
    "SELECT * FROM events WHERE website_id = {website_id:String}"
    " AND created_at >= {scan_start:DateTime64(6)} AND created_at < {scan_end:DateTime64(6)}"
)


def match_sql(kind: str, operator: str, value: str, param: str, a: str = "") -> tuple[str, dict[str, str]]:
    """SQL (over event columns, prefixed ``a``: an alias and a dot, or nothing) for the
    rows a goal or funnel step matches, its value bound as ``param``; ``match_test``
    decides type and column (Decision 3)."""
    test, bound = match_test(kind, operator, value, param)
    bound_value = f"{{{param}:String}}"
    if test.operator == "equals":
        compare = f"{a}{test.column} = {bound_value}"
    else:
        compare = f"position({a}{test.column}, {bound_value}) > 0"
    return f"{a}event_type = '{test.event_type}' AND ifNull({compare}, 0)", bound


# ``filter_goal``: the sessions with an event in the range that matches the goal.
_CONVERTING_SESSIONS = (
    "e.session_id IN (SELECT session_id FROM ev WHERE created_at >= {{utc_start:DateTime64(6)}}"
    " AND created_at < {{utc_end:DateTime64(6)}} AND {match})"
)


def report_scope(q: ReportQuery, facts: Iterable[str] = (), *, sessions: bool = True,
                 rows: str | None = None) -> tuple[str, dict]:
    """``WITH ev AS (…), sess AS (…), m AS (…)`` for ``q`` and its parameters; ``m``
    carries the session ``facts`` named (``sessionize.SESSION_FACTS``) as ``s_`` columns,
    and those the source filters test.

    ``sessions=False``: the report reads no session column of ``m``, so when nothing of
    ``q`` needs one either (no source filter, goal or condition) ``m`` is just the
    range's matching events, without deriving any session (``ev`` and ``sess`` absent).

    ``rows``: a test on the event's own columns (alias ``e``) keeping only the rows the
    report reads, such as a funnel's steps; the sessions still come from all events."""
    tests = filter_tests(q, facts, rows)
    if not sessions and not tests.needs_sessions:
        return events_only(tests), tests.params
    in_range = (
        f"SELECT * FROM ({with_session_facts('SELECT * FROM ev', tests.needed)})"
        " WHERE created_at >= {utc_start:DateTime64(6)} AND created_at < {utc_end:DateTime64(6)}"
    )
    where = " AND ".join(tests.event + tests.goal_tests() + tests.session_tests(in_range))
    sql = f"""
WITH ev AS ({sessionized_events(_EVENTS_AROUND)}),
sess AS ({session_rows("SELECT * FROM ev")}),
m AS (
    SELECT * FROM ({with_session_facts("SELECT * FROM ev", tests.needed)}) AS e
    WHERE {where}
)
"""
    return sql, tests.params


@dataclass
class FilterTests:
    """What keeps a row of ``m`` (alias ``e``), in two kinds: the ``event`` tests read
    the event's own columns, the session tests its ``s_`` facts (``needed``), a
    condition's rows of the range, or which sessions converted (``goal_tests``)."""

    event: list[str]
    needed: set[str]
    params: dict
    q: ReportQuery
    session: list[str] = field(default_factory=list)

    def goal_tests(self) -> list[str]:
        """``filter_goal``'s test on the read-time path: the row's session has a matching
        event in the range, in ``ev``."""
        if self.q.goal is None:
            return []
        goal = self.q.goal
        match, bound = match_sql(goal.goal_type, goal.match_operator, goal.match_value, "goal_filter")
        self.params.update(bound)
        return [_CONVERTING_SESSIONS.format(match=match)]

    @property
    def needs_sessions(self) -> bool:
        return bool(self.needed or self.session) or self.q.goal is not None or self.q.condition is not None

    def session_tests(self, in_range: str) -> list[str]:
        """The session tests, the condition's over ``in_range`` (a SELECT of the range's
        rows with the ``s_`` facts it reads)."""
        tests = list(self.session)
        if self.q.condition is not None:
            condition, bound = condition_sql(self.q.condition, in_range, match_sql)
            tests.append(condition)
            self.params.update(bound)
        return tests


def filter_tests(q: ReportQuery, facts: Iterable[str] = (), rows: str | None = None) -> FilterTests:
    """``q``'s range, bot, filter, goal and condition tests on ``m``'s rows (and the
    report's own test of them, ``rows``), and the session facts they and the report
    (``facts``) read."""
    utc_start, utc_end = time_bounds(q)
    params: dict = {
        "website_id": q.website_id, "utc_start": utc_start, "utc_end": utc_end,
        "scan_start": utc_start - MARGIN, "scan_end": utc_end + MARGIN,
    }
    tests = FilterTests(["e.created_at >= {utc_start:DateTime64(6)}", "e.created_at < {utc_end:DateTime64(6)}"],
                        set(facts), params, q)
    if not q.include_bots:
        tests.event.append("NOT e.is_bot")
    if rows is not None:
        tests.event.append(f"({rows})")
    for key, value in q.filters:
        column, test = FILTER_TESTS[key]
        if FILTERS[key].session:
            tests.needed.add(column)
            tests.session.append(test.format(col=f"e.s_{column}", param=f"{{{key}:String}}"))
        else:
            tests.event.append(test.format(col=f"e.{column}", param=f"{{{key}:String}}"))
        params[key] = value
    if q.condition is not None:
        tests.needed |= facts_of(q.condition)
    return tests


def events_only(tests: FilterTests) -> str:
    """``m`` as the range's matching events alone (no session test, no fact)."""
    return f"""
WITH m AS (
    SELECT * FROM events AS e
    WHERE e.website_id = {{website_id:String}} AND {" AND ".join(tests.event)}
)
"""


def in_range(column: str) -> str:
    """The instant ``column`` (an SQL expression) falls inside the report's range."""
    return f"{column} >= {{utc_start:DateTime64(6)}} AND {column} < {{utc_end:DateTime64(6)}}"


def session_filter(q: ReportQuery, alias: str = "s") -> str:
    """The sessions a report counts: humans only unless bots are included (``is_bot`` of
    ``alias``, or unqualified when ``alias`` is empty)."""
    if q.include_bots:
        return "1"
    return f"NOT {alias}.is_bot" if alias else "NOT is_bot"


def local_offset(q: ReportQuery, column: str) -> tuple[str, dict]:
    """SQL for the UTC offset in seconds of ``column`` in ``q``'s zone: a constant, or a
    ``multiIf`` over the DST transitions inside the range (as the DuckDB reports do)."""
    segments = offset_segments(q.timezone, *time_bounds(q))
    params: dict = {f"tz_o{i}": seconds for i, (_, seconds) in enumerate(segments)}
    if len(segments) == 1:
        return "{tz_o0:Int32}", params
    branches = []
    for i in range(len(segments) - 1):
        params[f"tz_t{i + 1}"] = segments[i + 1][0]
        branches.append(f"{column} < {{tz_t{i + 1}:DateTime64(6)}}, {{tz_o{i}:Int32}}")
    return f"multiIf({', '.join(branches)}, {{tz_o{len(segments) - 1}:Int32}})", params


_BUCKETS = {
    "hour": "toStartOfHour({column} + toIntervalSecond(tz_off)) - toIntervalSecond(tz_off)",
    "day": "toDate({column} + toIntervalSecond(tz_off))",
    "month": "toStartOfMonth({column} + toIntervalSecond(tz_off))",
}


def bucket_sql(granularity: str, column: str) -> str:
    """A local series bucket of the instant ``column``, given its offset as ``tz_off``."""
    return _BUCKETS[granularity].format(column=column)
