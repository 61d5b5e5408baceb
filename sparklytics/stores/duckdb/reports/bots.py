"""Bot summary and bot report (``/bot-summary``, ``/bot/report``): the DuckDB SQL.

What they count and how they are shaped: :mod:`sparklytics.queries.bots`.

Speed: the split and the top reasons (and the report's buckets and user agents) are
aggregates over the range's rows, bounded by website and UTC time like every report
(zonemap pruning); the reason and user-agent groupings read the bot rows only.
"""

from __future__ import annotations

from sparklytics.queries.bots import TOP, Split, shape_report, shape_summary
from sparklytics.queries.report_query import ReportQuery
from sparklytics.queries.result import ReportResult
from sparklytics.stores.duckdb.sql import Cursor, fetch_all, fetch_one
from sparklytics.stores.duckdb.where import compile_where, local_offset_sql

from .timeseries import BUCKET_SQL, normalize_bucket

_SPLIT_SQL = "SELECT count(*) FILTER (WHERE e.is_bot), count(*) FILTER (WHERE NOT e.is_bot) FROM events e WHERE {where}"

_TOP_SQL = """
SELECT {value} AS value, count(*) AS n
FROM events e
WHERE {where} AND e.is_bot {extra}
GROUP BY value
ORDER BY n DESC, value
LIMIT {top}
"""

_BUCKETS_SQL = """
SELECT {bucket} AS bucket, count(*) FILTER (WHERE is_bot), count(*) FILTER (WHERE NOT is_bot)
FROM (SELECT e.created_at, e.is_bot, {offset} AS tz_off FROM events e WHERE {where}) t
GROUP BY bucket
ORDER BY bucket
"""


def _where(q: ReportQuery) -> tuple[str, dict]:
    # Every event counts, bots included: the split is the point.
    return compile_where(q, "e")


def _split(cur: Cursor, q: ReportQuery) -> Split:
    where, params = _where(q)
    bots, humans = fetch_one(cur, _SPLIT_SQL.format(where=where), params)
    return int(bots), int(humans)


def _top(cur: Cursor, q: ReportQuery, value: str, extra: str = "") -> list[tuple[str, int]]:
    where, params = _where(q)
    rows = fetch_all(cur, _TOP_SQL.format(value=value, where=where, extra=extra, top=TOP), params)
    return [(name, int(count)) for name, count in rows]


def _reasons(cur: Cursor, q: ReportQuery) -> list[tuple[str, int]]:
    return _top(cur, q, "coalesce(e.bot_reason, 'unknown')")


def bot_summary(cur: Cursor, q: ReportQuery) -> ReportResult:
    return shape_summary(q, _split(cur, q), _reasons(cur, q))


def bot_report(cur: Cursor, q: ReportQuery) -> ReportResult:
    granularity = q.granularity or "day"
    where, params = _where(q)
    offset, offset_params = local_offset_sql(q, "e.created_at")
    rows = fetch_all(
        cur, _BUCKETS_SQL.format(bucket=BUCKET_SQL[granularity], offset=offset, where=where), {**params, **offset_params}
    )
    buckets = [(normalize_bucket(key, granularity), int(bots), int(humans)) for key, bots, humans in rows]
    user_agents = _top(cur, q, "e.user_agent", "AND e.user_agent IS NOT NULL")
    return shape_report(q, _split(cur, q), buckets, _reasons(cur, q), user_agents)
