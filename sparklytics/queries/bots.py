"""Bot summary and bot report: how much of a website's traffic is bots, and why
(API.md §1.12, ``GET …/bot-summary`` and ``GET …/bot/report``).

Both count every event of the range (bots and humans; no dimension filters; default the
last 7 local days, at most 90). ``bot_rate`` is bots over all events, a fraction with 4
decimals (0.0 without events). ``top_reasons`` are the 10 most frequent
``bot_reason`` codes of the bot events (a missing reason is ``unknown``), most first,
then by code; ``top_user_agents`` the 10 most frequent user agents of the bot events.
The report's ``timeseries`` has one entry per local ``hour`` or ``day`` bucket that
has events (empty buckets are left out, as the contract says), oldest first.

The DuckDB SQL is in ``stores/duckdb/reports/bots.py``.
"""

from __future__ import annotations

from collections.abc import Sequence

from sparklytics.queries.report_query import ReportQuery, time_bounds
from sparklytics.queries.result import ReportResult, round_half_up
from sparklytics.queries.timeseries import bucket_label

TOP = 10

# (bot_events, human_events)
Split = tuple[int, int]


def shape_split(split: Split) -> dict:
    bots, humans = split
    total = bots + humans
    return {"bot_events": bots, "human_events": humans, "bot_rate": round_half_up(bots / total, 4) if total else 0.0}


def shape_summary(q: ReportQuery, split: Split, reasons: Sequence[tuple[str, int]]) -> ReportResult:
    utc_start, utc_end = time_bounds(q)
    return ReportResult(
        {
            "website_id": q.website_id,
            "start_date": utc_start.isoformat() + "Z",
            "end_date": utc_end.isoformat() + "Z",
            **shape_split(split),
            "top_reasons": [{"code": code, "count": count} for code, count in reasons],
        }
    )


def shape_report(
    q: ReportQuery,
    split: Split,
    buckets: Sequence[tuple[object, int, int]],
    reasons: Sequence[tuple[str, int]],
    user_agents: Sequence[tuple[str, int]],
) -> ReportResult:
    granularity = q.granularity or "day"
    return ReportResult(
        {
            "split": shape_split(split),
            "timeseries": [
                {"period_start": bucket_label(key, granularity, q), "bot_events": bots, "human_events": humans}
                for key, bots, humans in buckets
            ],
            "top_reasons": [{"code": code, "count": count} for code, count in reasons],
            "top_user_agents": [{"value": value, "count": count} for value, count in user_agents],
        }
    )
