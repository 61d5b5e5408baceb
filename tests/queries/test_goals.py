"""The goal side of the query layer: options, ``filter_goal`` and the pure shapers."""

from __future__ import annotations

import pytest

from sparklytics.goals import Goal
from sparklytics.queries.errors import QueryError
from sparklytics.queries.goals import AttributionOptions, parse_attribution_options, shape_goal_stats
from sparklytics.queries.report_query import describe_filters

from .conftest import make_query

SIGNUP = Goal(id="g1", website_id="site_utc", name="Signup", goal_type="event", match_value="signup")


@pytest.mark.parametrize(
    "params,expected",
    [
        ({"goal_id": "g1"}, AttributionOptions("g1", "last_touch")),
        ({"goal_id": " g1 ", "model": ""}, AttributionOptions("g1", "last_touch")),
        ({"goal_id": "g1", "model": "first_touch"}, AttributionOptions("g1", "first_touch")),
    ],
)
def test_attribution_options(params, expected):
    assert parse_attribution_options(params) == expected


@pytest.mark.parametrize(
    "params,message,field",
    [
        ({}, "goal_id is required", "goal_id"),
        ({"goal_id": "  "}, "goal_id is required", "goal_id"),
        ({"goal_id": "g1", "model": "linear"}, "model must be one of: first_touch, last_touch", "model"),
    ],
)
def test_attribution_option_errors(params, message, field):
    with pytest.raises(QueryError) as caught:
        parse_attribution_options(params)
    assert (str(caught.value), caught.value.field) == (message, field)


def test_filter_goal_carries_the_goal_the_caller_found():
    query = make_query("stats", filter_goal="g1", goal=SIGNUP)
    assert query.goal == SIGNUP and query.has_filters
    assert describe_filters(query) == ["visit converted on goal 'Signup'"]
    assert make_query("stats", filter_goal=" ").goal is None


def test_filter_goal_naming_no_goal_is_a_400():
    for goal in (None, SIGNUP):
        with pytest.raises(QueryError, match=r"^filter_goal does not name a goal of this website$"):
            make_query("stats", filter_goal="nope", goal=goal)


def test_routes_without_filters_ignore_filter_goal():
    assert make_query("share_stats", filter_goal="nope").goal is None


def test_trend_is_null_unless_the_previous_rate_is_positive():
    # Previous period with events but no conversion: rate 0.0, trend null.
    data = shape_goal_stats("g1", (2, 1, 4, 9), (0, 0, 3, 5))
    assert (data["conversion_rate"], data["prev_conversions"], data["prev_conversion_rate"]) == (0.25, 0, 0.0)
    assert data["trend_pct"] is None
    # Rate 0.25 against 0.5: −50 %.
    assert shape_goal_stats("g1", (2, 1, 4, 9), (1, 1, 2, 2))["trend_pct"] == -50.0
    # No sessions at all: rate 0.0, not a division by zero.
    assert shape_goal_stats("g1", (0, 0, 0, 0), (0, 0, 0, 0))["conversion_rate"] == 0.0
