"""Stats and breakdowns from one row per session instead of the range's events.

A report's session figures need each session once (its visitor, bot verdict, pageview
count, duration, landing values) and, per session, how many of its events and
pageviews fall inside the range (per path, for the pages report). Session summaries
(:func:`.sessionize.session_summaries`) hold all of it, with the counts per UTC hour,
so a range of whole UTC hours cuts a session exactly without its events.

:func:`summaries` gives the summaries of the sessions that may touch the range: from
the closed days' table (:mod:`.closed_sessions`) for the days before the first day that
is not built (or stale), derived at read time by the same SQL for the rest, split at
that day's midnight ``T`` (an instant; the range's edges in the site's zone are others,
so any whole-hour zone works). The rest is derived from the events of
``[T - SESSION_TIMEOUT, range end + MARGIN)``, keeping the sessions that start at ``T``
or later: an event after ``T`` belongs to an earlier session only when that session had
an event in the 30 minutes before it. With nothing built, ``T`` is the scan's start
and this is the read-time path's derivation.

When it applies (:func:`applies`): the hourly rollup's conditions (no filter, goal or
condition; whole-hour range and zone) and a metric these summaries carry. The
figures equal the read-time path's (``tests/stores/test_clickhouse_sessions_table.py``).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, timedelta
from typing import Any

from sparklytics.queries.report_query import ReportQuery, time_bounds
from sparklytics.sessions import SESSION_TIMEOUT
from sparklytics.stores.clickhouse import rollup_series
from sparklytics.stores.clickhouse.closed_sessions import DAY, STALE, current_builds
from sparklytics.stores.clickhouse.scope import MARGIN
from sparklytics.stores.clickhouse.sessionize import session_summaries

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

_CLOSED = """
SELECT * EXCEPT (build, day) FROM sessions
WHERE website_id = {website_id:String} AND day >= {first_day:Date} AND day < {open_day:Date}
  AND has({builds:Array(UInt64)}, build) AND first_seen >= {scan_start:DateTime64(6)}
"""
_OPEN_EVENTS = (
    "SELECT * FROM events WHERE website_id = {website_id:String}"
    " AND created_at >= {open_scan:DateTime64(6)} AND created_at < {scan_end:DateTime64(6)}"
)
_IN_RANGE = (
    "arraySum(arrayMap((h, n) -> if(h >= {{utc_start:DateTime64(6)}} AND h < {{utc_end:DateTime64(6)}}, n, 0),"
    " hours, {counts}))"
)


def applies(q: ReportQuery, metric: str | None = None) -> bool:
    """Whether ``q`` (and the breakdown ``metric``, if any) can be answered here."""
    return rollup_series.covers(q) and (metric is None or metric in DIMENSIONS or metric == PAGE)


def summaries(fetch: Fetch, q: ReportQuery) -> tuple[str, dict]:
    """A SELECT of the summaries of the sessions that start in the read-time path's scan
    before the range ends, and its parameters (module docstring)."""
    utc_start, utc_end = time_bounds(q)
    scan_start, scan_end = utc_start - MARGIN, utc_end + MARGIN
    first_day, last_day = scan_start.date(), (utc_end - timedelta(microseconds=1)).date()
    open_day, builds = _first_open_day(current_builds(fetch, q.website_id, last_day), first_day, last_day)
    split = datetime.combine(open_day, datetime.min.time())
    params: dict = {
        "website_id": q.website_id, "utc_start": utc_start, "utc_end": utc_end, "scan_start": scan_start,
        "scan_end": scan_end, "first_day": first_day, "open_day": open_day, "builds": builds,
        "open_from": max(split, scan_start),
        "open_scan": scan_start if split <= scan_start else split - SESSION_TIMEOUT,
    }
    if split >= utc_end:
        return _CLOSED, params
    open_part = f"SELECT * FROM ({session_summaries(_OPEN_EVENTS)}) WHERE first_seen >= {{open_from:DateTime64(6)}}"
    if not builds:
        return open_part, params
    return f"{_CLOSED}\nUNION ALL\n{open_part}", params


def _first_open_day(current: dict[date, int], first_day: date, last_day: date) -> tuple[date, list[int]]:
    """The first day of ``[first_day, last_day]`` not built (the day after the last when
    all are), and the builds of the days before it. Days before the first the manifest
    names hold no events (the Scheduler builds from a website's first day, and events
    stored later for older days mark those days stale), so they count as built, empty."""
    known_from = min(current, default=None)
    builds = []
    day = first_day
    while day <= last_day:
        if known_from is not None and day >= known_from:
            build = current.get(day, STALE)
            if build == STALE:
                return day, builds
            builds.append(build)
        elif known_from is None:
            return day, builds
        day += DAY
    return day, builds


def with_range_counts(source: str, q: ReportQuery) -> str:
    """``source``'s summaries with the range's pageviews and events of each (the
    humans' unless bots are included) as ``rp`` and ``re``, and ``duration``."""
    prefix = "hour_" if q.include_bots else "hour_human_"
    return f"""
SELECT *, {_IN_RANGE.format(counts=prefix + "pageviews")} AS rp, {_IN_RANGE.format(counts=prefix + "events")} AS re,
       dateDiff('microsecond', first_seen, last_seen) / 1e6 AS duration
FROM ({source})
"""


def totals_sql(ranged: str, sessions: str) -> str:
    """Stats' pageviews, visitors, sessions, bounces and average duration: a session
    counts with an event in the range (a visitor too, bot verdict or not, as the
    read-time path counts the visitors of every matching event)."""
    return f"""
SELECT sum(rp), uniqExactIf(visitor_id, re > 0), countIf(re > 0 AND {sessions}),
       countIf(re > 0 AND {sessions} AND pageview_count = 1), avgOrNullIf(duration, re > 0 AND {sessions})
FROM ({ranged})
"""


def per_value_sql(ranged: str, metric: str, sessions: str) -> str:
    """``per`` as the read-time breakdowns read it: per (value, session) the range's
    events and pageviews and the session's facts."""
    facts = "visitor_id AS visitor, pageview_count, is_bot, duration"
    if metric != PAGE:
        value = DIMENSIONS[metric]
        return f"""
per AS (
    SELECT {value} AS value, session_id, re AS n_events, rp AS n_pageviews, {facts}
    FROM ({ranged})
    WHERE re > 0 AND {value} IS NOT NULL
)
"""
    return f"""
per AS (
    SELECT path AS value, session_id, sum(views) AS n_events, sum(views) AS n_pageviews,
           any(visitor_id) AS visitor, any(pageview_count) AS pageview_count, any(is_bot) AS is_bot,
           any(duration) AS duration
    FROM (SELECT * FROM ({ranged}) WHERE re > 0 AND {sessions})
    ARRAY JOIN page_keys.1 AS path, page_keys.2 AS hour, page_views AS views
    WHERE hour >= {{utc_start:DateTime64(6)}} AND hour < {{utc_end:DateTime64(6)}}
    GROUP BY value, session_id
)
"""
