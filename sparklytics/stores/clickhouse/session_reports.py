"""Stats and breakdowns from one row per session instead of the range's events.

A report's session figures need each session once (its visitor, bot verdict, pageview
count, duration, landing values) and, per session, how many of its events and
pageviews fall inside the range (per path, for the pages report). Session summaries
(:func:`.sessionize.session_summaries`) hold all of it, with the counts per UTC hour,
so a range of whole UTC hours cuts a session exactly without its events.

:func:`parts` gives the summaries of the sessions that may touch the range: from
the closed days' table (:mod:`.closed_sessions`) for the days before the first day that
is not built (or stale), derived at read time by the same SQL for the rest, split at
that day's midnight ``T`` (an instant; the range's edges in the site's zone are others,
so any whole-hour zone works). The rest is derived from the events of
``[T - SESSION_TIMEOUT, range end + MARGIN)``, keeping the sessions that start at ``T``
or later: an event after ``T`` belongs to an earlier session only when that session had
an event in the 30 minutes before it. With nothing built, ``T`` is the scan's start
and this is the read-time path's derivation.

When it applies (:func:`applies`): a whole-hour range and zone, a metric these
summaries carry, no condition, and no ``filter_goal`` or one on a path or event name
(the sessions with a matching key in the range). Filters: a source filter tests the session's
own value, as the read-time path does; a client or place filter (country, browser, …)
tests each event, and a summary holds its session's first known value, which is every
event's unless the session is *mixed* in that column (``sessionize.MIXED_COLUMNS``):
the summaries answer only when no session of the range is (:func:`mixed_in_range`, one
narrow count first). The page filter reads a summary's (path, hour) keys (``PAGE_FILTER``);
the hostname filter tests a column a summary does not keep.
The figures equal the read-time path's (``tests/stores/test_clickhouse_sessions_table.py``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date, datetime, timedelta
from typing import Any

from sparklytics.goals import Goal
from sparklytics.queries.goals import match_test
from sparklytics.queries.report_query import FILTERS, ReportQuery, time_bounds
from sparklytics.sessions import SESSION_TIMEOUT
from sparklytics.stores.clickhouse import rollup_series
from sparklytics.stores.clickhouse.closed_sessions import DAY, STALE, current_builds
from sparklytics.stores.clickhouse.scope import (
    FILTER_TESTS, MARGIN, bucket_sql, in_range, local_offset, session_filter,
)
from sparklytics.stores.clickhouse.sessionize import BOTS_AND_HUMANS, MIXED_COLUMNS, session_summaries

Fetch = Callable[[str, dict], list[list[Any]]]

# Session-level metric → the summary column its value is (the referrer names a visit
# without one "(direct)"); "page" is per path, from the (path, hour) counts.
DIMENSIONS = {
    "referrer": "ifNull(referrer_domain, '(direct)')", "channel": "channel", "utm_source": "utm_source",
    "utm_medium": "utm_medium", "utm_campaign": "utm_campaign", "country": "country", "region": "region",
    "city": "city", "browser": "browser", "os": "os", "device": "device_type", "screen": "screen",
    "language": "language", "entry_page": "entry_path", "exit_page": "exit_path",
}
PAGE = "page"
EVENT_NAME = "event_name"  # per custom event name, from the (name, hour) counts

# Each part of the range is aggregated by itself and the partial figures merged: the
# closed part reads the ``Distributed`` table directly, so each shard aggregates its own
# sessions and sends states, not rows (visitors are sets, merged exactly).
_CLOSED = (
    "sessions",
    "website_id = {website_id:String} AND day >= {first_day:Date} AND day < {open_day:Date}"
    " AND has({builds:Array(UInt64)}, build) AND first_seen >= {scan_start:DateTime64(6)}",
)
_OPEN_EVENTS = (
    "SELECT * FROM events WHERE website_id = {website_id:String}"
    " AND created_at >= {open_scan:DateTime64(6)} AND created_at < {scan_end:DateTime64(6)}"
)
_OPEN = (f"({session_summaries(_OPEN_EVENTS)})", "first_seen >= {open_from:DateTime64(6)}")
Part = tuple[str, str]  # (FROM source, WHERE condition)


def _range_sum(counts: str) -> str:
    """A session's hourly ``counts`` summed over the hours inside the range."""
    return f"arraySum(arrayMap((h, n) -> if({in_range('h')}, n, 0), hours, {counts}))"


def _per_key_in_range(keys: str, counts: str) -> str:
    """Per session, its counts in the range per path (or event name): a key recurs only
    in a session of several hours (the keys are (key, hour)), so most sessions skip the
    reduction."""
    return (
        f"if(length(hours) = 1, ({keys}.1, {counts}),"
        f" arrayReduce('sumMap', [arrayFilter((p, h) -> {in_range('h')}, {keys}.1, {keys}.2)],"
        f" [arrayFilter((v, h) -> {in_range('h')}, {counts}, {keys}.2)]))"
    )


_PAGES_IN_RANGE = _per_key_in_range("page_keys", "page_views")
_NAMES_IN_RANGE = _per_key_in_range("name_keys", "name_counts")

# The page filter tests each event's path: a session passes with a (path, hour) key in
# the range, of a pageview or another event, whose path contains the value; its range
# pageviews are those of the matching paths.
PAGE_FILTER = "filter_page"


def _matches(key: str) -> str:
    """The (path, hour) ``key``'s path contains the page filter's value."""
    return f"position({key}.1, {{filter_page:String}}) > 0"


def _matched(key: str) -> str:
    """The (path, hour) ``key`` matches the page filter inside the range."""
    return f"{_matches(key)} AND {in_range(f'{key}.2')}"


_PAGE_MATCH = f"(arrayExists(k -> {_matched('k')}, page_keys) OR arrayExists(k -> {_matched('k')}, event_keys))"
_MATCHED_PAGEVIEWS = f"arraySum(arrayMap((k, n) -> if({_matched('k')}, n, 0), page_keys, page_views))"


def _answered(key: str) -> bool:
    return FILTERS[key].session or FILTER_TESTS[key][0] in MIXED_COLUMNS or key == PAGE_FILTER


def _page_filtered(q: ReportQuery) -> bool:
    return any(key == PAGE_FILTER for key, _ in q.filters)


def applies(q: ReportQuery, metric: str | None = None) -> bool:
    """Whether ``q`` (and the breakdown ``metric``, if any) can be answered here, provided
    no session of its range is mixed in a column it filters (:func:`mixed_in_range`)."""
    return (
        rollup_series.whole_hours(q) and q.condition is None
        and (q.goal is None or goal_has_keys(q.goal))
        and all(_answered(key) for key, _ in q.filters)
        and (metric is None or metric in DIMENSIONS or metric == PAGE
             or (metric == EVENT_NAME and not _page_filtered(q)))  # a name's keys hold no path
    )


def _mixed_mask(q: ReportQuery) -> int:
    """The ``mixed`` bits of the columns ``q``'s event-level filters test, and without
    bots under a page filter the bit of sessions with bot and human events."""
    columns = {FILTER_TESTS[key][0] for key, _ in q.filters if not FILTERS[key].session}
    mask = sum(1 << n for n, name in enumerate(MIXED_COLUMNS) if name in columns)
    if _page_filtered(q) and not q.include_bots:
        mask |= BOTS_AND_HUMANS
    return mask


_MIXED_IN_RANGE = (
    "SELECT count() AS n FROM {source} WHERE {where} AND bitAnd(mixed, {{mixed_mask:UInt16}}) != 0"
    " AND first_seen < {{utc_end:DateTime64(6)}} AND last_seen >= {{utc_start:DateTime64(6)}}"
)


def mixed_in_range(fetch: Fetch, q: ReportQuery, *, keyed_counts: bool = False) -> bool:
    """Whether a session active in ``q``'s range is mixed in a column ``q`` filters by
    event (then only the events can say which of its events match), or, when the report
    reads ``keyed_counts`` (goals) without bots, has both bot and human events."""
    mask = _mixed_mask(q)
    if keyed_counts and not q.include_bots:
        mask |= BOTS_AND_HUMANS
    if not mask:
        return False
    parts_, params = unfiltered_parts(fetch, q)
    branches = " UNION ALL ".join(_MIXED_IN_RANGE.format(source=source, where=where) for source, where in parts_)
    [[found]] = fetch(f"SELECT sum(n) FROM ({branches})", {**params, "mixed_mask": mask})
    return int(found) > 0


def parts(fetch: Fetch, q: ReportQuery) -> tuple[list[Part], dict]:
    """The source and condition of each part of the sessions that start in the read-time
    path's scan before the range ends (closed, open or both) and pass ``q``'s filters,
    and the parameters (module docstring)."""
    parts_, params = unfiltered_parts(fetch, q)
    tests = []
    for key, value in q.filters:
        params[key] = value
        if key == PAGE_FILTER:
            # A bot session's keys count its bot events too: only humans' sessions
            # pass without bots (one with both kinds sends the report to the events).
            tests.append(f"{_PAGE_MATCH} AND {session_filter(q, '')}")
            continue
        column, test = FILTER_TESTS[key]
        tests.append(test.format(col=column, param=f"{{{key}:String}}"))
    if q.goal is not None:
        test, bound = converting(q.goal, "goal_filter")
        tests.append(test)
        params.update(bound)
    filtered = "".join(f" AND {test}" for test in tests)
    return [(source, where + filtered) for source, where in parts_], params


def history_parts(fetch: Fetch, website_id: str, now: datetime) -> tuple[list[Part], dict]:
    """Every session of the website: the stored days before the first day not built, and
    the rest derived from the events from 30 minutes before that day's midnight on."""
    current = current_builds(fetch, website_id, date(1970, 1, 1), now.date())
    if _built_from(current, date(1970, 1, 1)) is not None:
        first_day = min(current)
    else:  # nothing built: every session is derived, from the first event on
        [[first, count]] = fetch(
            "SELECT toDate(min(created_at)), count() FROM events WHERE website_id = {website_id:String}",
            {"website_id": website_id},
        )
        first_day = date.fromisoformat(first) if int(count) else now.date()
    open_day, builds = _first_open_day(current, first_day, now.date())
    split = datetime.combine(open_day, datetime.min.time())
    params = {
        "website_id": website_id, "first_day": first_day, "open_day": open_day, "builds": builds,
        "scan_start": datetime.combine(first_day, datetime.min.time()) - SESSION_TIMEOUT,
        "open_scan": split - SESSION_TIMEOUT, "open_from": split, "scan_end": now + MARGIN,
    }
    return [_CLOSED, _OPEN], params


def unfiltered_parts(fetch: Fetch, q: ReportQuery) -> tuple[list[Part], dict]:
    """The parts of the sessions that start in the read-time path's scan before the
    range ends, whatever ``q`` filters, and their parameters."""
    utc_start, utc_end = time_bounds(q)
    scan_start, scan_end = utc_start - MARGIN, utc_end + MARGIN
    first_day, last_day = scan_start.date(), (utc_end - timedelta(microseconds=1)).date()
    open_day, builds = _first_open_day(current_builds(fetch, q.website_id, first_day, last_day), first_day, last_day)
    split = datetime.combine(open_day, datetime.min.time())
    params: dict = {
        "website_id": q.website_id, "utc_start": utc_start, "utc_end": utc_end, "scan_start": scan_start,
        "scan_end": scan_end, "first_day": first_day, "open_day": open_day, "builds": builds,
        "open_from": max(split, scan_start),
        "open_scan": scan_start if split <= scan_start else split - SESSION_TIMEOUT,
    }
    found = [_CLOSED]  # without builds it reads nothing: a part always answers
    if split < utc_end:
        found.append(_OPEN)
    return found, params


def _built_from(current: dict[date, int], first_day: date) -> date | None:
    """The first day ever built, as far as ``current`` (from :func:`current_builds`
    asked from ``first_day``) tells: its extra day before ``first_day``, else the first
    day built now (a day built once and stale now may hide an earlier one: then the
    answer is later than the truth, which only costs a derivation)."""
    return min((day for day, build in current.items() if build != STALE or day < first_day), default=None)


def _first_open_day(current: dict[date, int], first_day: date, last_day: date) -> tuple[date, list[int]]:
    """The first day of ``[first_day, last_day]`` not built (the day after the last when
    all are), and the builds of the days before it. A day before the first day ever built
    that the manifest does not name holds no events: the Scheduler builds from a website's
    first day, and events stored later for an older day mark it (and its neighbours)
    stale. So it counts as built, empty; any other day not built ends the stored part."""
    built_from = _built_from(current, first_day)
    builds = []
    day = first_day
    while day <= last_day:
        build = current.get(day)
        if build is None and built_from is not None and day < built_from:
            day += DAY
            continue
        if build is None or build == STALE:
            return day, builds
        builds.append(build)
        day += DAY
    return day, builds


def ranged(q: ReportQuery) -> str:
    """The ``WITH`` of a part: each session's range pageviews (of the matching paths
    under a page filter) and events (the humans' unless bots are included) as ``rp`` and
    ``re``, and its ``duration``."""
    prefix = "hour_" if q.include_bots else "hour_human_"
    pageviews = _MATCHED_PAGEVIEWS if _page_filtered(q) else _range_sum(prefix + "pageviews")
    return (
        f"WITH {pageviews} AS rp, {_range_sum(prefix + 'events')} AS re,"
        " dateDiff('microsecond', first_seen, last_seen) / 1e6 AS duration"
    )


def totals_sql(q: ReportQuery, parts_: list[Part], sessions: str) -> str:
    """Stats' pageviews, visitors, sessions, bounces and average duration: a session
    counts with an event in the range (a visitor too, bot verdict or not, as the
    read-time path counts the visitors of every matching event)."""
    branches = "\nUNION ALL\n".join(f"""{ranged(q)}
SELECT sum(rp) AS p, uniqExactIfState(visitor_id, re > 0) AS v, countIf(re > 0 AND {sessions}) AS s,
       countIf(re > 0 AND {sessions} AND pageview_count = 1) AS b, sumIf(duration, re > 0 AND {sessions}) AS d
FROM {source} WHERE {where}""" for source, where in parts_)
    return f"""
SELECT sum(p), uniqExactIfMerge(v), sum(s), sum(b), if(sum(s) = 0, NULL, sum(d) / sum(s))
FROM ({branches})
"""


def series_sql(q: ReportQuery, parts_: list[Part], granularity: str, *,
               custom_event: str | None = None) -> tuple[str, dict]:
    """Pageviews (or ``custom_event``'s occurrences) and visitors per local bucket, from
    each session's counts per UTC hour of the range (a whole-hour zone puts each hour in
    one bucket): a visitor counts in a bucket where one of its sessions has a counted
    event (a human's unless bots are included), as the read-time path counts the
    visitors of a bucket's events. A custom event's counts are keyed ones: as for goals,
    only human sessions count without bots."""
    prefix = "hour_" if q.include_bots else "hour_human_"
    offset, params = local_offset(q, "at")
    if custom_event is not None:  # per (name, hour) key of that name: its occurrences
        params["event_name"] = custom_event
        hourly = "ARRAY JOIN arrayZip(name_keys, name_counts) AS key"
        keep = f"key.1.1 = {{event_name:String}} AND {in_range('key.1.2')} AND {session_filter(q, '')}"
        h, pv = "key.1.2", "key.2"
    elif _page_filtered(q):  # per matching (path, hour) key: its pageviews (none for other events)
        hourly = (
            "ARRAY JOIN arrayConcat(arrayMap((k, n) -> (k.1, k.2, toUInt64(n)), page_keys, page_views),"
            " arrayMap(k -> (k.1, k.2, toUInt64(0)), event_keys)) AS key"
        )
        keep = _matched("key")
        h, pv = "key.2", "key.3"
    else:
        hourly = f"ARRAY JOIN hours AS h, {prefix}pageviews AS pv, {prefix}events AS ev"
        keep = f"ev > 0 AND {in_range('h')}"
        h, pv = "h", "pv"
    branches = "\nUNION ALL\n".join(f"""
SELECT {bucket_sql(granularity, "at")} AS bucket, sum(views) AS n, uniqExactState(visitor_id) AS v
FROM (
    SELECT visitor_id, {h} AS at, {pv} AS views, {offset} AS tz_off
    FROM {source} {hourly}
    WHERE {where} AND {keep}
)
GROUP BY bucket""" for source, where in parts_)
    return f"SELECT bucket, sum(n), uniqExactMerge(v) FROM ({branches}) GROUP BY bucket", params


def per_value_sql(q: ReportQuery, parts_: list[Part], metric: str, sessions: str) -> str:
    """``per`` for a breakdown: per value its visitors' set, range pageviews, events,
    sessions, bounces and summed duration, merged over the parts. A session-level
    value is the session's own (one per session); a path is each path the session
    viewed in the range, an event name each name of its custom events there. Per path,
    visitors are told apart by a 64-bit hash of their id (docs/decisions.md: per-path
    visitor sets were 1.8 of the report's 2.3 s of ClickHouse time at 10M, 0.8 s keyed
    by the hash)."""
    visitor = "visitor_id"
    if metric == PAGE:
        visitor = "sipHash64(visitor_id)"
        value, events, pageviews = "by_path.1", "by_path.2", "by_path.2"
        extra = f", {_PAGES_IN_RANGE} AS pages_in_range"
        join = "ARRAY JOIN arrayZip(pages_in_range.1, pages_in_range.2) AS by_path"
        test = f"re > 0 AND {_matches('by_path')}" if _page_filtered(q) else "re > 0"
    elif metric == EVENT_NAME:
        value, events, pageviews = "by_name.1", "by_name.2", "0"
        extra = f", {_NAMES_IN_RANGE} AS names_in_range"
        join = "ARRAY JOIN arrayZip(names_in_range.1, names_in_range.2) AS by_name"
        test = "re > 0"
    else:
        value, events, pageviews, extra, join = DIMENSIONS[metric], "1", "rp", "", ""
        test = f"re > 0 AND {value} IS NOT NULL"
    branches = "\nUNION ALL\n".join(f"""{ranged(q)}{extra}
SELECT {value} AS value, uniqExactState({visitor}) AS v, sum({pageviews}) AS p, sum({events}) AS e, count() AS s,
       countIf(pageview_count = 1) AS b, sum(duration) AS d
FROM {source} {join}
WHERE {where} AND {test} AND {sessions}
GROUP BY value""" for source, where in parts_)
    return f"""
WITH per AS (
    SELECT value, uniqExactMerge(v) AS visitors, sum(p) AS pageviews, sum(e) AS events, sum(s) AS sessions,
           sum(b) AS bounces, sum(d) / sum(s) AS avg_duration
    FROM ({branches})
    GROUP BY value
)
"""


TOP = """
SELECT value, visitors, pageviews, events, count() OVER () AS total, sessions, bounces, avg_duration
FROM per
ORDER BY {order}
LIMIT {{limit:UInt64}} OFFSET {{offset:UInt64}}
"""
TOTAL = "SELECT count() FROM per"
PREVIOUS = "SELECT value, visitors, pageviews FROM per WHERE has({values:Array(String)}, value)"


# Goals (the stats of one, the conversions panel): a page goal counts a session's
# pageviews of matching paths, an event goal its custom events of matching names, from
# the (key, hour) counts inside the range. A goal on the URL as sent, or valued by an
# event property, needs the events. The keys count a bot's events too, so without bots
# a bot's session counts nothing (``session_filter``; one with both kinds of events
# sent the report to the events), as none of its events is in the read-time rows.
def goals_apply(q: ReportQuery, goals: Sequence[Goal]) -> bool:
    """Whether the summaries can count ``goals`` over ``q`` (see :func:`mixed_in_range`
    with ``keyed_counts``): conversions, not a value read from a property."""
    return applies(q) and not _page_filtered(q) and all(goal_has_keys(goal) for goal in goals)


def _goal_keys(goal: Goal) -> tuple[str, str] | None:
    test, _ = match_test(goal.goal_type, goal.match_operator, goal.match_value, "unused")
    return {"path": ("page_keys", "page_views"), "event_name": ("name_keys", "name_counts")}.get(test.column)


def converting(goal: Goal, param: str) -> tuple[str, dict]:
    """A summary's test that its session has an event matching ``goal`` in the range (a
    bot's among them, as ``filter_goal`` picks them on the read-time path), the goal's
    value bound as ``param``; for a goal with keys (:func:`goal_has_keys`)."""
    count, bound = _goal_count(goal, param)
    return f"{count} > 0", bound


def goal_has_keys(goal: Goal) -> bool:
    """Whether summaries count ``goal``'s matches: a path or custom event name, not a URL."""
    return _goal_keys(goal) is not None


def _goal_count(goal: Goal, param: str) -> tuple[str, dict]:
    """A session's matching events of ``goal`` inside the range, its value bound as ``param``."""
    test, bound = match_test(goal.goal_type, goal.match_operator, goal.match_value, param)
    keys, counts = _goal_keys(goal)
    compare = f"k.1 = {{{param}:String}}" if test.operator == "equals" else f"position(k.1, {{{param}:String}}) > 0"
    return f"arraySum(arrayMap((k, n) -> if({compare} AND {in_range('k.2')}, n, 0), {keys}, {counts}))", bound


def event_names_sql(q: ReportQuery, parts_: list[Part], limit: int, *, named: bool = False) -> str:
    """The custom events list: per name its occurrences in the range and its visitors,
    with how many names there are, most frequent first; ``named``: only the names of
    the parameter ``names`` (the previous period's counts). Counted from the keys, so,
    as for goals, only human sessions without bots (:func:`mixed_in_range` with
    ``keyed_counts``)."""
    only = "has({names:Array(String)}, by_name.1)" if named else "1"
    branches = "\nUNION ALL\n".join(f"""{ranged(q)}, {_NAMES_IN_RANGE} AS names_in_range
SELECT by_name.1 AS name, sum(by_name.2) AS n, uniqExactState(visitor_id) AS v
FROM {source} ARRAY JOIN arrayZip(names_in_range.1, names_in_range.2) AS by_name
WHERE {where} AND re > 0 AND {session_filter(q, '')} AND {only}
GROUP BY name""" for source, where in parts_)
    return f"""
SELECT name, sum(n) AS events, uniqExactMerge(v) AS visitors, count() OVER () AS total
FROM ({branches})
GROUP BY name
ORDER BY events DESC, name ASC
LIMIT {limit}
"""


def goal_totals_sql(q: ReportQuery, parts_: list[Part], goal: Goal) -> tuple[str, dict]:
    """The goal's conversions, converting sessions, sessions and events of the range."""
    count, bound = _goal_count(goal, "goal_match")
    branches = "\nUNION ALL\n".join(f"""{ranged(q)}, {count} AS gc
SELECT sum(gc) AS c, countIf(gc > 0) AS cs, countIf(re > 0) AS s, sum(re) AS e
FROM {source} WHERE {where} AND {session_filter(q, '')}""" for source, where in parts_)
    return f"SELECT sum(c), sum(cs), sum(s), sum(e) FROM ({branches})", bound


def goal_counts_sql(q: ReportQuery, parts_: list[Part], goals: Sequence[Goal]) -> tuple[str, dict]:
    """The range's visitors, then per goal its converting visitors, conversions and
    revenue (a fixed value per conversion; none for the others, a property's values
    included: they are in the events)."""
    params: dict = {}
    inner, outer = ["uniqExactIfState(visitor_id, re > 0) AS v"], ["uniqExactIfMerge(v)"]
    counts = []
    for n, goal in enumerate(goals):
        count, bound = _goal_count(goal, f"g{n}_match")
        params.update(bound)
        counts.append(f"{count} AS g{n}")
        value = float(goal.fixed_value or 0.0) if goal.value_mode == "fixed" else 0.0
        params[f"g{n}_value"] = value
        inner += [f"uniqExactIfState(visitor_id, g{n} > 0) AS v{n}", f"sum(g{n}) AS c{n}"]
        outer += [f"uniqExactIfMerge(v{n})", f"sum(c{n})", f"sum(c{n}) * {{g{n}_value:Float64}}"]
    with_counts = "".join(f", {count}" for count in counts)
    branches = "\nUNION ALL\n".join(f"""{ranged(q)}{with_counts}
SELECT {", ".join(inner)}
FROM {source} WHERE {where} AND {session_filter(q, '')}""" for source, where in parts_)
    return f"SELECT {', '.join(outer)} FROM ({branches})", params
