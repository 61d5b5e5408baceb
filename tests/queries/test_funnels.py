"""Funnel results on hand-built sessions: ordering, matching, filters, time zones, bots.

Every test seeds its own few sessions on Monday 2 March 2026 (UTC website
``site_f``) unless it says otherwise; the expected counts are read off the seed.
"""

from __future__ import annotations

from sparklytics.queries.funnels import shape_results
from sparklytics.stores.duckdb.reports.funnels import funnel_results

from .conftest import make_query

DAY = {"start_date": "2026-03-02", "end_date": "2026-03-02"}


def step(step_type: str, match_value: str, match_operator: str = "equals", label: str | None = None) -> dict:
    return {"step_type": step_type, "match_value": match_value, "match_operator": match_operator, "label": label or match_value}


def funnel(*steps: dict) -> dict:
    return {
        "id": "fun_test",
        "name": "Test funnel",
        "steps": [{**s, "step_order": n} for n, s in enumerate(steps, start=1)],
    }


def reached(con, the_funnel: dict, website: str = "site_f", **params: str) -> list[int]:
    query = make_query("funnel_results", website, **{**DAY, **params})
    data = funnel_results(con.cursor(), query, the_funnel).data
    return [s["sessions_reached"] for s in data["steps"]]


HOME_PRICING_SIGNUP = funnel(step("page_view", "/"), step("page_view", "/pricing"), step("event", "signup"))


def test_a_step_counts_only_after_the_previous_one(db):
    con, seed = db
    seed.website("site_f")
    # s1 does all three in order; s2 stops after pricing; s3 sees pricing *before*
    # home; s4 signs up before its first home view; s5 never views home.
    seed.visit(at="2026-03-02T10:00Z", pages=["/", "/pricing"], visitor="v1", session="s1", website="site_f")
    seed.event(at="2026-03-02T10:02Z", type="event", name="signup", visitor="v1", session="s1", website="site_f")
    seed.visit(at="2026-03-02T10:00Z", pages=["/", "/pricing"], visitor="v2", session="s2", website="site_f")
    seed.visit(at="2026-03-02T10:00Z", pages=["/pricing", "/"], visitor="v3", session="s3", website="site_f")
    seed.event(at="2026-03-02T10:00Z", type="event", name="signup", visitor="v4", session="s4", website="site_f")
    seed.visit(at="2026-03-02T10:01Z", pages=["/"], visitor="v4", session="s4", website="site_f")
    seed.visit(at="2026-03-02T10:00Z", pages=["/pricing"], visitor="v5", session="s5", website="site_f")
    seed.flush()
    assert reached(con, HOME_PRICING_SIGNUP) == [4, 2, 1]


def test_full_response_shape_and_rates(db):
    con, seed = db
    seed.website("site_f")
    seed.visit(at="2026-03-02T10:00Z", pages=["/", "/pricing"], visitor="v1", session="s1", website="site_f")
    seed.event(at="2026-03-02T10:02Z", type="event", name="signup", visitor="v1", session="s1", website="site_f")
    seed.visit(at="2026-03-02T10:00Z", pages=["/", "/pricing"], visitor="v2", session="s2", website="site_f")
    seed.visit(at="2026-03-02T10:00Z", pages=["/"], visitor="v3", session="s3", website="site_f")
    seed.visit(at="2026-03-02T10:00Z", pages=["/"], visitor="v4", session="s4", website="site_f")
    seed.flush()
    query = make_query("funnel_results", "site_f", **DAY)
    assert funnel_results(con.cursor(), query, HOME_PRICING_SIGNUP).body() == {
        "data": {
            "funnel_id": "fun_test",
            "name": "Test funnel",
            "total_sessions_entered": 4,
            "final_conversion_rate": 0.25,
            "steps": [
                {"step_order": 1, "label": "/", "sessions_reached": 4, "drop_off_count": 2, "drop_off_rate": 0.5,
                 "conversion_rate_from_start": 1.0, "conversion_rate_from_previous": 1.0},
                {"step_order": 2, "label": "/pricing", "sessions_reached": 2, "drop_off_count": 1, "drop_off_rate": 0.5,
                 "conversion_rate_from_start": 0.5, "conversion_rate_from_previous": 0.5},
                {"step_order": 3, "label": "signup", "sessions_reached": 1, "drop_off_count": 0, "drop_off_rate": 0.0,
                 "conversion_rate_from_start": 0.25, "conversion_rate_from_previous": 0.5},
            ],
        }
    }


def test_later_steps_must_follow_the_previous_step_not_just_the_first(db):
    con, seed = db
    seed.website("site_f")
    # Signup happens between home and pricing: after step 1 but before step 2.
    seed.event(at="2026-03-02T10:00Z", path="/", visitor="v1", session="s1", website="site_f")
    seed.event(at="2026-03-02T10:01Z", type="event", name="signup", visitor="v1", session="s1", website="site_f")
    seed.event(at="2026-03-02T10:02Z", path="/pricing", visitor="v1", session="s1", website="site_f")
    seed.flush()
    assert reached(con, HOME_PRICING_SIGNUP) == [1, 1, 0]


def test_steps_at_the_same_instant_are_not_in_order(db):
    con, seed = db
    seed.website("site_f")
    seed.event(at="2026-03-02T10:00:00Z", path="/", visitor="v1", session="s1", website="site_f")
    seed.event(at="2026-03-02T10:00:00Z", path="/pricing", visitor="v1", session="s1", website="site_f")
    seed.flush()
    assert reached(con, HOME_PRICING_SIGNUP) == [1, 0, 0]


def test_one_event_serves_one_step_and_the_earliest_match_is_taken(db):
    con, seed = db
    seed.website("site_f")
    # Two "contains /" steps: s1 has two pageviews so reaches both; s2 has one.
    # s3 repeats home after pricing: the earliest home counts, so it reaches pricing.
    seed.visit(at="2026-03-02T10:00Z", pages=["/a", "/b"], visitor="v1", session="s1", website="site_f")
    seed.visit(at="2026-03-02T10:00Z", pages=["/a"], visitor="v2", session="s2", website="site_f")
    seed.visit(at="2026-03-02T10:00Z", pages=["/", "/pricing", "/"], visitor="v3", session="s3", website="site_f")
    seed.flush()
    twice = funnel(step("page_view", "/", "contains"), step("page_view", "/", "contains"))
    assert reached(con, twice) == [3, 2]
    assert reached(con, funnel(step("page_view", "/"), step("page_view", "/pricing"))) == [1, 1]


def test_page_steps_equals_and_contains_on_the_path(db):
    con, seed = db
    seed.website("site_f")
    for n, page in enumerate(["/docs", "/docs/api", "/blog/read-the-docs", "/pricing"]):
        seed.visit(at="2026-03-02T10:00Z", pages=[page, "/thanks"], visitor=f"v{n}", session=f"s{n}", website="site_f")
    seed.flush()
    thanks = step("page_view", "/thanks")
    assert reached(con, funnel(step("page_view", "/docs"), thanks)) == [1, 1]
    assert reached(con, funnel(step("page_view", "/docs", "contains"), thanks)) == [2, 2]
    assert reached(con, funnel(step("page_view", "docs", "contains"), thanks)) == [3, 3]


def test_page_steps_match_relative_and_absolute_urls_by_path(db):
    con, seed = db
    seed.website("site_f")
    # The tracker may send an absolute URL (with a query) or a bare path.
    seed.event(at="2026-03-02T10:00Z", url="https://example.com/pricing?ref=x", path="/pricing", visitor="v1", session="s1", website="site_f")
    seed.event(at="2026-03-02T10:00Z", url="/pricing", path="/pricing", visitor="v2", session="s2", website="site_f")
    seed.event(at="2026-03-02T10:00Z", url="https://example.com/pricing", path="/pricing", visitor="v3", session="s3", website="site_f")
    seed.event(at="2026-03-02T10:00Z", url="/pricing/", path="/pricing/", visitor="v4", session="s4", website="site_f")
    for n in range(1, 5):
        seed.event(at="2026-03-02T10:05Z", type="event", name="buy", visitor=f"v{n}", session=f"s{n}", website="site_f")
    seed.flush()
    buy = step("event", "buy")
    assert reached(con, funnel(step("page_view", "/pricing"), buy)) == [3, 3]
    # An equals value is normalized like a stored URL: no leading slash, a query.
    assert reached(con, funnel(step("page_view", "pricing"), buy)) == [3, 3]
    assert reached(con, funnel(step("page_view", "/pricing?plan=pro"), buy)) == [3, 3]
    assert reached(con, funnel(step("page_view", "/pricing", "contains"), buy)) == [4, 4]


def test_a_match_value_starting_with_http_matches_the_full_url(db):
    con, seed = db
    seed.website("site_f")
    seed.event(at="2026-03-02T10:00Z", url="https://example.com/pricing?ref=x", path="/pricing", visitor="v1", session="s1", website="site_f")
    seed.event(at="2026-03-02T10:00Z", url="/pricing", path="/pricing", visitor="v2", session="s2", website="site_f")
    seed.event(at="2026-03-02T10:00Z", url="https://example.com/pricing", path="/pricing", visitor="v3", session="s3", website="site_f")
    for n in range(1, 4):
        seed.event(at="2026-03-02T10:05Z", type="event", name="buy", visitor=f"v{n}", session=f"s{n}", website="site_f")
    seed.flush()
    buy = step("event", "buy")
    assert reached(con, funnel(step("page_view", "https://example.com/pricing"), buy)) == [1, 1]
    assert reached(con, funnel(step("page_view", "https://example.com/pricing", "contains"), buy)) == [2, 2]


def test_event_steps_match_event_names_and_only_custom_events(db):
    con, seed = db
    seed.website("site_f")
    seed.event(at="2026-03-02T10:00Z", type="event", name="signup", visitor="v1", session="s1", website="site_f")
    seed.event(at="2026-03-02T10:00Z", type="event", name="signin", visitor="v2", session="s2", website="site_f")
    # A pageview of /signup is not a signup event, and a custom event on /pricing
    # is not a pageview of /pricing.
    seed.event(at="2026-03-02T10:00Z", path="/signup", visitor="v3", session="s3", website="site_f")
    seed.event(at="2026-03-02T10:00Z", type="event", name="click", path="/pricing", visitor="v4", session="s4", website="site_f")
    for n in range(1, 5):
        seed.event(at="2026-03-02T10:05Z", type="event", name="done", visitor=f"v{n}", session=f"s{n}", website="site_f")
    seed.flush()
    done = step("event", "done")
    assert reached(con, funnel(step("event", "signup"), done)) == [1, 1]
    assert reached(con, funnel(step("event", "sign", "contains"), done)) == [2, 2]
    assert reached(con, funnel(step("page_view", "/pricing"), done)) == [0, 0]


def test_filters_narrow_the_events_that_count(db):
    con, seed = db
    seed.website("site_f")
    seed.visit(at="2026-03-02T10:00Z", pages=["/", "/pricing"], visitor="v1", session="s1", website="site_f", country="US", browser="Chrome")
    seed.visit(at="2026-03-02T10:00Z", pages=["/", "/pricing"], visitor="v2", session="s2", website="site_f", country="DE", browser="Chrome")
    seed.visit(at="2026-03-02T10:00Z", pages=["/"], visitor="v3", session="s3", website="site_f", country="US", browser="Firefox")
    seed.flush()
    home_pricing = funnel(step("page_view", "/"), step("page_view", "/pricing"))
    assert reached(con, home_pricing) == [3, 2]
    assert reached(con, home_pricing, filter_country="US") == [2, 1]
    assert reached(con, home_pricing, filter_country="US", filter_browser="Chrome") == [1, 1]
    assert reached(con, home_pricing, filter_country="FR") == [0, 0]


def test_the_time_zone_moves_the_local_day_bounds(db):
    con, seed = db
    seed.website("site_f")
    # New York is UTC-5 on 2 March 2026, so its 2 March is 05:00Z on 2 March to
    # 05:00Z on 3 March. s1 falls wholly on UTC's 3 March but New York's 2 March; s2
    # enters at 04:30Z (NY 23:30 on 2 March) and reaches pricing at 05:30Z (NY 3 March).
    seed.visit(at="2026-03-03T02:00Z", pages=["/", "/pricing"], gap_minutes=60, visitor="v1", session="s1", website="site_f")
    seed.visit(at="2026-03-03T04:30Z", pages=["/", "/pricing"], gap_minutes=60, visitor="v2", session="s2", website="site_f")
    seed.flush()
    home_pricing = funnel(step("page_view", "/"), step("page_view", "/pricing"))
    assert reached(con, home_pricing) == [0, 0]
    assert reached(con, home_pricing, timezone="America/New_York") == [2, 1]
    assert reached(con, home_pricing, start_date="2026-03-03", end_date="2026-03-03") == [2, 2]
    assert reached(con, home_pricing, timezone="America/New_York", start_date="2026-03-03", end_date="2026-03-03") == [0, 0]


def test_the_website_time_zone_is_the_default(db):
    con, seed = db
    seed.website("site_la", "America/Los_Angeles")
    # 2 March 23:30 in Los Angeles (UTC-8) is 3 March 07:30Z.
    seed.visit(at="2026-03-03T07:30Z", pages=["/", "/pricing"], visitor="v1", session="s1", website="site_la")
    seed.flush()
    home_pricing = funnel(step("page_view", "/"), step("page_view", "/pricing"))
    assert reached(con, home_pricing, website="site_la") == [1, 1]
    assert reached(con, home_pricing, website="site_la", timezone="UTC") == [0, 0]


def test_bots_are_excluded_unless_included(db):
    con, seed = db
    seed.website("site_f")
    seed.visit(at="2026-03-02T10:00Z", pages=["/", "/pricing"], visitor="human", session="s1", website="site_f")
    seed.visit(at="2026-03-02T10:00Z", pages=["/", "/pricing"], visitor="bot", session="s2", website="site_f", bot=True)
    seed.flush()
    home_pricing = funnel(step("page_view", "/"), step("page_view", "/pricing"))
    assert reached(con, home_pricing) == [1, 1]
    assert reached(con, home_pricing, include_bots="true") == [2, 2]
    query = make_query("funnel_results", "site_f", bots_default=True, **DAY)
    assert [s["sessions_reached"] for s in funnel_results(con.cursor(), query, home_pricing).data["steps"]] == [2, 2]


def test_no_sessions_gives_zero_rates(db):
    con, seed = db
    seed.website("site_f")
    query = make_query("funnel_results", "site_f", **DAY)
    data = funnel_results(con.cursor(), query, HOME_PRICING_SIGNUP).data
    assert (data["total_sessions_entered"], data["final_conversion_rate"]) == (0, 0.0)
    assert data["steps"][0] == {
        "step_order": 1, "label": "/", "sessions_reached": 0, "drop_off_count": 0, "drop_off_rate": 0.0,
        "conversion_rate_from_start": 0.0, "conversion_rate_from_previous": 0.0,
    }
    assert {s["conversion_rate_from_previous"] for s in data["steps"]} == {0.0}


def test_shape_results_from_counts():
    data = shape_results(funnel(step("page_view", "/pricing", label="Pricing"), step("event", "signup", label="Signup")), [10, 4])
    assert data["total_sessions_entered"] == 10
    assert data["final_conversion_rate"] == 0.4
    assert data["steps"] == [
        {"step_order": 1, "label": "Pricing", "sessions_reached": 10, "drop_off_count": 6, "drop_off_rate": 0.6,
         "conversion_rate_from_start": 1.0, "conversion_rate_from_previous": 1.0},
        {"step_order": 2, "label": "Signup", "sessions_reached": 4, "drop_off_count": 0, "drop_off_rate": 0.0,
         "conversion_rate_from_start": 0.4, "conversion_rate_from_previous": 0.4},
    ]
