"""Series counts from the hourly rollup (:mod:`.rollup`), exactly as the read-time SQL
would count them, or ``None`` when the query does not allow it.

A series bucket's figures are its matching events (pageviews, or one custom event's
occurrences) and the distinct visitors of its matching rows. The rollup answers when:

* nothing narrows the events (no filter, goal or condition: those test event and
  session columns the rollup does not keep);
* the range and every UTC offset inside it fall on whole hours, and so do the zone's
  transitions (a local day or hour is then a set of whole UTC hours).

Visitors: the raw path counts the visitor id each session is kept under, and a
midnight continuation (Decision 6) keeps today's events under yesterday's id; the
rollup holds raw ids. Only visitors with an event carrying ``previous_visitor_id``
(the 30-minute grace after the salt rotates), and those previous ids, can differ; the
correction sessionizes just their events over the same scan window as the raw path
and, per bucket, swaps their raw count for their session-visitor count. Their ids never
equal another visitor's session id, so the sum is exact.
"""

from __future__ import annotations

from datetime import datetime

from sparklytics.queries.report_query import ReportQuery, offset_segments, time_bounds
from sparklytics.stores.clickhouse.scope import MARGIN, bucket_sql, in_range, local_offset
from sparklytics.stores.clickhouse.sessionize import sessionized_events

# The visitors whose sessions may be kept under another id, and those ids: computed
# once per statement (a scalar), where an IN subquery would run at each of the
# sessionizing SQL's three reads of the events.
_CONTINUING = (
    "(SELECT groupUniqArray(arrayJoin([visitor_id, assumeNotNull(previous_visitor_id)])) FROM events"
    " WHERE website_id = {website_id:String} AND created_at >= {scan_start:DateTime64(6)}"
    " AND created_at < {scan_end:DateTime64(6)} AND previous_visitor_id IS NOT NULL) AS continuing"
)
_THEIR_EVENTS = (
    "SELECT * FROM events WHERE website_id = {website_id:String}"
    " AND created_at >= {scan_start:DateTime64(6)} AND created_at < {scan_end:DateTime64(6)}"
    " AND has(continuing, visitor_id)"
)


def _rollup_sql(q: ReportQuery, granularity: str, counted: str, rows: str) -> tuple[str, dict]:
    offset, params = local_offset(q, "hour")
    return f"""
SELECT {bucket_sql(granularity, "hour")} AS bucket, sumIf(events, {counted}) AS n, uniqExactMerge(visitors) AS visitors
FROM (
    SELECT *, {offset} AS tz_off FROM hourly_overview
    WHERE website_id = {{website_id:String}} AND {in_range("hour")} AND {_bots(q)} AND {rows}
)
GROUP BY bucket
""", params


def _correction_sql(q: ReportQuery, granularity: str, rows: str) -> tuple[str, dict]:
    offset, params = local_offset(q, "created_at")
    return f"""
WITH {_CONTINUING}
SELECT {bucket_sql(granularity, "created_at")} AS bucket,
       toInt64(uniqExact(session_visitor)) - toInt64(uniqExact(visitor_id)) AS delta
FROM (
    SELECT *, {offset} AS tz_off FROM ({sessionized_events(_THEIR_EVENTS)})
    WHERE {in_range("created_at")} AND {_bots(q)} AND {rows}
)
GROUP BY bucket
HAVING delta != 0
""", params


def _bots(q: ReportQuery) -> str:
    return "1" if q.include_bots else "NOT is_bot"


_PAGEVIEWS = ("event_type = 'pageview'", "1")
_CUSTOM_EVENT = ("1", "event_type = 'event' AND event_name = {event_name:String}")


def covers(q: ReportQuery) -> bool:
    """Whether the rollup answers ``q``'s series exactly (module docstring)."""
    return not q.has_filters and whole_hours(q)


def whole_hours(q: ReportQuery) -> bool:
    """Whether ``q``'s range, every UTC offset inside it and the zone's transitions fall
    on whole hours: a local day or hour of it is then a set of whole UTC hours."""
    utc_start, utc_end = time_bounds(q)
    segments = offset_segments(q.timezone, utc_start, utc_end)
    return all(_whole_hour(at) for at in (utc_start, utc_end, *(start for start, _ in segments))) and all(
        seconds % 3600 == 0 for _, seconds in segments
    )


def series_sql(q: ReportQuery, granularity: str, custom_event: str | None) -> tuple[str, str, dict]:
    """``(rollup SQL, correction SQL, parameters)`` for ``q``'s series: the rollup's
    ``(bucket, n, visitors)`` and the visitor ``(bucket, delta)`` to add."""
    utc_start, utc_end = time_bounds(q)
    counted, rows = _PAGEVIEWS if custom_event is None else _CUSTOM_EVENT
    rollup, params = _rollup_sql(q, granularity, counted, rows)
    correction, correction_params = _correction_sql(q, granularity, rows)
    params.update(correction_params)
    params.update({
        "website_id": q.website_id, "utc_start": utc_start, "utc_end": utc_end,
        "scan_start": utc_start - MARGIN, "scan_end": utc_end + MARGIN,
    })
    if custom_event is not None:
        params["event_name"] = custom_event
    return rollup, correction, params


def _whole_hour(at: datetime) -> bool:
    return at.minute == at.second == at.microsecond == 0
