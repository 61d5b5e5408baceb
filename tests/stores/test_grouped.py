"""``AnalyticsStore.grouped`` under contract: the general grouping gives our own reports'
numbers on the hand-built dataset (``tests.queries.fixtures.seed_main_dataset``)."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime

import pytest

from sparklytics.goals import Goal
from sparklytics.queries.conditions import Match
from sparklytics.queries.errors import QueryError
from sparklytics.queries.grouping import GroupRow, Grouping
from tests.queries.conftest import make_query

WEEK = {"start_date": "2026-03-02", "end_date": "2026-03-08"}


def by_key(rows: list[GroupRow]) -> dict:
    return {row.key: row for row in rows}


async def test_no_dimension_is_the_stats_totals(store):
    (row,) = await store.grouped(make_query("stats", **WEEK), Grouping())
    stats = (await store.stats(make_query("stats", **WEEK))).data
    assert (row.key, row.pageviews, row.visitors, row.visits, row.events) == ((), 60, 7, 31, 76)
    assert row.visits == stats["sessions"] and row.bounces / row.visits == 15 / 31
    assert round(row.duration, 1) == stats["avg_duration_seconds"]


async def test_a_session_dimension_is_the_breakdown(store):
    rows = by_key(await store.grouped(make_query("stats", **WEEK), Grouping(("browser",))))
    breakdown = (await store.metrics(make_query("metrics", type="browser", **WEEK))).data["rows"]
    for expected in breakdown:
        row = rows[(expected["value"],)]
        assert (row.visitors, row.pageviews) == (expected["visitors"], expected["pageviews"])
        assert round(100 * row.bounces / row.visits, 1) == expected["bounce_rate"]
        assert round(row.duration, 1) == expected["avg_duration_seconds"]
    assert set(rows) == {("Chrome",), ("Firefox",)}


async def test_days_and_weeks_are_the_series(store):
    rows = by_key(await store.grouped(make_query("stats", **WEEK), Grouping(("time:day",))))
    series = (await store.pageviews(make_query("pageviews", **WEEK))).data["series"]
    for point in series:
        row = rows.get((date.fromisoformat(point["date"]),))
        got = (row.pageviews, row.visitors) if row else (0, 0)
        assert got == (point["pageviews"], point["visitors"])
    (week,) = await store.grouped(make_query("stats", **WEEK), Grouping(("time:week",)))
    assert week.key == (date(2026, 3, 2),) and week.pageviews == 60


async def test_local_hours_on_the_dst_day(store):
    # site_la, Sun 8 March: 01:30 PST and 03:30 PDT (w3), 23:59 PDT (w4).
    q = make_query("stats", "site_la", start_date="2026-03-08", end_date="2026-03-08")
    rows = by_key(await store.grouped(q, Grouping(("time:hour",))))
    assert sorted(rows) == [(datetime(2026, 3, 8, 9),), (datetime(2026, 3, 8, 10),), (datetime(2026, 3, 9, 6),)]


async def test_several_dimensions_props_and_a_condition(store):
    q = replace(make_query("stats", **WEEK), condition=Match("name", "is", ("signup_click",)))
    rows = by_key(await store.grouped(q, Grouping(("country", "props:plan"))))
    assert {key: (row.visitors, row.events) for key, row in rows.items()} == {
        ("US", "pro"): (1, 5), ("US", "free"): (1, 5), ("DE", "free"): (1, 5)
    }


def goal(name: str, kind: str, value: str, **fields) -> Goal:
    base = dict(
        id=f"goal_{name}", website_id="site_utc", name=name, goal_type=kind, match_value=value,
        match_operator="equals", value_mode="none", fixed_value=None, value_property_key=None,
        currency=None, created_at="", updated_at="",
    )
    return Goal(**{**base, **fields})


async def test_goals_and_revenue_are_the_conversions_panel(store):
    goals = (
        goal("Signup", "event", "signup_click", value_mode="fixed", fixed_value=2.5, currency="EUR"),
        goal("Docs", "page_view", "/docs"),
    )
    q = make_query("stats", **WEEK)
    rows = by_key(await store.grouped(q, Grouping(("goal",), goals, revenue=True)))
    panel = (await store.goal_conversions(make_query("goal_conversions", **WEEK), goals)).data["rows"]
    for n, expected in enumerate(goals):
        row, shown = rows[(n,)], next(r for r in panel if r["name"] == expected.name)
        assert (row.visitors, row.events) == (shown["visitors"], shown["conversions"])
    assert rows[(0,)].revenue == 37.5 and rows[(1,)].revenue == 0.0


async def test_first_event_at(store):
    assert await store.first_event_at("site_utc") == datetime(2025, 3, 3, 9, 0)
    assert await store.first_event_at("site_none") is None


async def test_visitor_events_at_counts_one_visitors_events_at_one_instant(store):
    # y1 viewed "/" at 09:00 and "/docs" five minutes later, in microseconds as stored.
    assert await store.visitor_events_at("site_utc", "y1", "2025-03-03T09:00:00") == 1
    assert await store.visitor_events_at("site_utc", "y1", "2025-03-03T09:05:00") == 1
    assert await store.visitor_events_at("site_utc", "y1", "2025-03-03T09:00:00.000001") == 0
    assert await store.visitor_events_at("site_utc", "u0", "2025-03-03T09:00:00") == 0
    assert await store.visitor_events_at("site_la", "y1", "2025-03-03T09:00:00") == 0


async def test_a_pattern_re2_refuses_is_a_query_error_even_over_no_rows(store):
    empty = make_query("stats", start_date="2020-01-01", end_date="2020-01-01")
    with pytest.raises(QueryError, match=r"^Invalid filters\. A `matches` pattern is not valid RE2 syntax: "):
        await store.grouped(replace(empty, condition=Match("page", "matches", ("(?=a)",))), Grouping())


async def test_without_visits_the_event_totals_are_the_same(store):
    q = make_query("stats", **WEEK)
    for dimensions in ((), ("country",), ("page", "time:day"), ("props:plan",)):
        full = by_key(await store.grouped(q, Grouping(dimensions)))
        lean = by_key(await store.grouped(q, Grouping(dimensions, visits=False)))
        assert {k: (r.visitors, r.pageviews, r.events) for k, r in lean.items()} == {
            k: (r.visitors, r.pageviews, r.events) for k, r in full.items()
        }
        assert all((r.visits, r.bounces, r.duration) == (0, 0, None) for r in lean.values())
