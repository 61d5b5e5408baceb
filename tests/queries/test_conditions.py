"""Conditions (operators, and/or/not, has_done) compiled by ``where.py``: exact SQL, and
the rows they keep on the shared dataset (``fixtures.seed_main_dataset``)."""

from __future__ import annotations

from dataclasses import replace

import pytest

from sparklytics.goals import Goal
from sparklytics.queries.conditions import AllOf, AnyOf, GoalMatch, HasDone, Match, Not, leaves
from sparklytics.stores.duckdb.where import compile_where, condition_sql

from .conftest import make_query

WEEK = {"start_date": "2026-03-02", "end_date": "2026-03-08"}
SOURCE = (
    "e.session_id IN (SELECT src.session_id FROM sessions src WHERE src.website_id = $website_id"
    " AND src.last_seen >= $utc_start AND src.first_seen < $utc_end AND {})"
)

SQL_CASES = [
    ("is, two values", Match("country", "is", ("US", "DE")), "(e.country = $c0_0 OR e.country = $c0_1)", {"c0_0": "US", "c0_1": "DE"}),
    ("is_not keeps NULL", Match("browser", "is_not", ("Chrome",)), "(e.browser IS NULL OR NOT e.browser = $c0_0)", {"c0_0": "Chrome"}),
    ("contains", Match("page", "contains", ("/blog",)), "contains(e.path, $c0_0)", {"c0_0": "/blog"}),
    ("contains_not", Match("page", "contains_not", ("/a", "/b")), "(e.path IS NULL OR NOT (contains(e.path, $c0_0) OR contains(e.path, $c0_1)))", {"c0_0": "/a", "c0_1": "/b"}),
    ("matches (RE2)", Match("page", "matches", ("^/d",)), "regexp_matches(e.path, $c0_0)", {"c0_0": "^/d"}),
    ("matches_not", Match("page", "matches_not", ("^/d",)), "(e.path IS NULL OR NOT regexp_matches(e.path, $c0_0))", {"c0_0": "^/d"}),
    ("any case", Match("hostname", "is", ("Example.COM",), case_sensitive=False), "lower(e.hostname) = lower($c0_0)", {"c0_0": "Example.COM"}),
    ("a pattern ignores case with RE2's flag", Match("page", "matches", (r"^/\D",), case_sensitive=False), "regexp_matches(e.path, $c0_0)", {"c0_0": r"(?i)^/\D"}),
    ("source dimension: sessions semi-join", Match("referrer", "is", ("google.com",)), SOURCE.format("coalesce(src.referrer_domain, '(direct)') = $c0_0"), {"c0_0": "google.com"}),
    ("custom property", Match("props:plan", "is", ("pro",)), "json_extract_string(e.event_data, $c0_key) = $c0_0", {"c0_key": "/plan", "c0_0": "pro"}),
    (
        "and / or / not",
        AllOf((AnyOf((Match("country", "is", ("US",)), Match("city", "is", ("Paris",)))), Not(Match("os", "is", ("Windows",))))),
        "((e.country = $c0_0 OR e.city = $c1_0) AND NOT e.os = $c2_0)",
        {"c0_0": "US", "c1_0": "Paris", "c2_0": "Windows"},
    ),
    (
        "has_not_done",
        HasDone(Match("name", "is", ("signup_click",)), negated=True),
        "e.session_id NOT IN (SELECT hd.session_id FROM events hd WHERE hd.website_id = $website_id"
        " AND hd.created_at >= $utc_start AND hd.created_at < $utc_end AND"
        " CASE WHEN hd.event_type = 'pageview' THEN 'pageview' ELSE hd.event_name END = $c0_0)",
        {"c0_0": "signup_click"},
    ),
]


@pytest.mark.parametrize("condition,sql,params", [c[1:] for c in SQL_CASES], ids=[c[0] for c in SQL_CASES])
def test_condition_sql(condition, sql, params):
    assert condition_sql(condition) == (sql, params)


def test_compile_where_appends_the_condition_after_the_registry_filters():
    q = replace(make_query("stats", filter_device="mobile", **WEEK), condition=Match("page", "is", ("/docs",)))
    sql, params = compile_where(q, prefix="p_")
    assert sql.endswith("AND e.device_type = $p_filter_device AND e.path = $p_c0_0")
    assert params["p_c0_0"] == "/docs" and q.has_filters


def test_a_condition_leaf_must_be_known():
    with pytest.raises(ValueError):
        Match("nope", "is", ("x",))
    with pytest.raises(ValueError):
        Match("page", "equals", ("x",))
    assert list(leaves(AllOf((Match("page", "is", ("/",)), Not(Match("os", "is", ("Mac",))))))) == [
        Match("page", "is", ("/",)), Match("os", "is", ("Mac",))
    ]


def _count(cur, condition, **filters) -> tuple[int, int]:
    """(pageviews, events) of the primary week that ``condition`` keeps."""
    q = replace(make_query("stats", **WEEK, **filters), condition=condition)
    sql, params = compile_where(q)
    return cur.execute(
        f"SELECT count(*) FILTER (WHERE e.event_type = 'pageview'), count(*) FROM events e WHERE {sql}", params
    ).fetchone()


SIGNUP = Goal(
    id="goal_a", website_id="site_utc", name="Signup", goal_type="event", match_value="signup_click",
    match_operator="equals", value_mode="none", fixed_value=None, value_property_key=None, currency=None,
    created_at="", updated_at="",
)

ROW_CASES = [
    # Per day: i=0 3 pv + 1 event, i=1 1, i=2 3 + 1, i=3 1, i=4 3 + 1, i=5 1; u9's link click on Thursday.
    ("everything", None, (60, 76)),
    ("is US (i=0..2)", Match("country", "is", ("US",)), (35, 45)),
    ("is_not US keeps the link click (no country)", Match("country", "is_not", ("US",)), (25, 31)),
    ("contains /blog", Match("page", "contains", ("/blog",)), (15, 15)),
    ("contains_not /blog", Match("page", "contains_not", ("/blog",)), (45, 61)),
    ("matches ^/(docs|pricing)$", Match("page", "matches", ("^/(docs|pricing)$",)), (35, 50)),
    ("matches_not ^/(docs|pricing)$", Match("page", "matches_not", ("^/(docs|pricing)$",)), (25, 26)),
    ("matches ^/DOCS$ in any case", Match("page", "matches", ("^/DOCS$",), case_sensitive=False), (20, 25)),
    ("Chrome or Paris", AnyOf((Match("browser", "is", ("Chrome",)), Match("city", "is", ("Paris",)))), (40, 50)),
    ("not (Chrome or Paris)", Not(AnyOf((Match("browser", "is", ("Chrome",)), Match("city", "is", ("Paris",))))), (20, 25)),
    ("visit source google.com: all of i=0's events", Match("referrer", "is", ("google.com",)), (15, 20)),
    ("property plan is free (i=2, 4)", Match("props:plan", "is", ("free",)), (0, 10)),
    ("goal Signup", GoalMatch((SIGNUP,)), (0, 15)),
    ("has_done signup: i=0, 2, 4's sessions", HasDone(Match("name", "is", ("signup_click",))), (45, 60)),
    ("has_not_done signup", HasDone(Match("name", "is", ("signup_click",)), negated=True), (15, 16)),
]


@pytest.mark.parametrize("condition,expected", [c[1:] for c in ROW_CASES], ids=[c[0] for c in ROW_CASES])
def test_rows_a_condition_keeps(cur, condition, expected):
    assert _count(cur, condition) == expected


def test_the_registry_filter_and_its_condition_agree(cur):
    assert _count(cur, None, filter_page="/pri") == _count(cur, Match("page", "contains", ("/pri",)))
    assert _count(cur, None, filter_channel="Email") == _count(cur, Match("channel", "is", ("Email",)))
