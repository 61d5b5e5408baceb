"""``POST /api/v2/query`` (Plausible's Stats API v2) against our own routes, on the
hand-built dataset of ``tests.queries.fixtures.seed_main_dataset`` (its docstring lists
every row; the primary week is Mon 2 – Sun 8 March 2026 on ``site_utc``, whose domain is
``site_utc.example``). Every metric, dimension and filter operator is asked through the
v2 route and compared with the numbers our own routes (stats, pageviews, metrics,
events, goals) give on the same data, through the same app.

A few columns the seed leaves empty are filled here for the dimensions only v2 groups
by: Chrome events carry ``browser_version`` 126.0, the others 125.0; ``os_version`` is
14 on Mac OS X; the i=0 landing pageviews (utm google/cpc/brand) carry
``utm_content`` ad-1 and ``utm_term`` analytics.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.api.helpers import assert_error
from tests.queries.fixtures import Seed, open_db, seed_main_dataset

SITE = "site_utc.example"
WEEK = ["2026-03-02", "2026-03-08"]
WEEK_PARAMS = "start_date=2026-03-02&end_date=2026-03-08"


@pytest.fixture(scope="module")
def seeded_file(tmp_path_factory) -> Path:
    """The shared dataset in a DuckDB file, built once for the module."""
    path = tmp_path_factory.mktemp("v2") / "sparklytics.db"
    con = open_db(path)
    seed_main_dataset(Seed(con))
    con.execute("UPDATE events SET browser_version = CASE WHEN browser = 'Chrome' THEN '126.0' ELSE '125.0' END WHERE browser IS NOT NULL")
    con.execute("UPDATE events SET os_version = '14' WHERE os = 'Mac OS X'")
    con.execute("UPDATE events SET utm_content = 'ad-1', utm_term = 'analytics' WHERE utm_source = 'google'")
    con.close()
    return path


@pytest.fixture
def data_dir(tmp_path: Path, seeded_file: Path) -> Path:
    """A data directory holding a copy of the seeded file (each test may write goals)."""
    directory = tmp_path / "data"
    directory.mkdir()
    shutil.copy(seeded_file, directory / "sparklytics.db")
    return directory


async def v2(client, **body) -> dict:
    response = await client.post("/api/v2/query", json={"site_id": SITE, "date_range": WEEK, **body})
    assert response.status_code == 200, await response.get_data(as_text=True)
    return await response.get_json()


async def route(client, path: str) -> dict:
    response = await client.get(f"/api/websites/site_utc/{path}")
    assert response.status_code == 200, await response.get_data(as_text=True)
    return (await response.get_json())["data"]


def table(body: dict) -> dict:
    """``{tuple(dimensions): metrics}`` of a v2 answer."""
    return {tuple(row["dimensions"]): row["metrics"] for row in body["results"]}


# ---------------------------------------------------------------------------------------
# Metrics without dimensions
# ---------------------------------------------------------------------------------------


async def test_every_aggregate_metric_equals_stats(client):
    body = await v2(client, metrics=["visitors", "visits", "pageviews", "views_per_visit", "bounce_rate", "visit_duration", "events"])
    stats = await route(client, f"stats?{WEEK_PARAMS}")
    (row,) = body["results"]
    assert row["dimensions"] == []
    visitors, visits, pageviews, views_per_visit, bounce_rate, duration, events = row["metrics"]
    assert (visitors, visits, pageviews) == (stats["visitors"], stats["sessions"], stats["pageviews"])
    assert bounce_rate == round(stats["bounce_rate"] * 100, 1) == 48.4
    assert duration == round(stats["avg_duration_seconds"]) == 116
    assert views_per_visit == round(60 / 31, 2)
    assert events == 60 + 16  # pageviews and custom events, the link click included
    assert body["meta"] == {}
    assert body["query"] == {
        "site_id": SITE, "metrics": ["visitors", "visits", "pageviews", "views_per_visit", "bounce_rate", "visit_duration", "events"],
        "date_range": ["2026-03-02T00:00:00+00:00", "2026-03-08T23:59:59+00:00"], "filters": [], "dimensions": [],
        "order_by": [["visitors", "desc"]], "include": {}, "pagination": {"limit": 10000, "offset": 0},
    }


async def test_site_id_may_be_our_id_and_ranges_may_be_date_times(client):
    by_id = await client.post("/api/v2/query", json={"site_id": "site_utc", "metrics": ["pageviews"], "date_range": WEEK})
    assert (await by_id.get_json())["results"][0]["metrics"] == [60]
    # Thursday 10:00–10:59:59 UTC written with a +02:00 offset: u0's session (3 pageviews).
    body = await v2(client, metrics=["pageviews"], date_range=["2026-03-05T12:00:00+02:00", "2026-03-05T12:59:59+02:00"])
    assert body["results"][0]["metrics"] == [3]
    assert body["query"]["date_range"] == ["2026-03-05T10:00:00+00:00", "2026-03-05T10:59:59+00:00"]


async def test_shorthand_ranges_and_all(client):
    stats_all = await route(client, "stats?start_date=2025-03-03&end_date=2026-03-13")
    body = await v2(client, metrics=["pageviews", "visitors"], date_range="all")
    assert body["results"][0]["metrics"] == [stats_all["pageviews"], stats_all["visitors"]]
    assert body["query"]["date_range"][0] == "2025-03-03T00:00:00+00:00"
    for shorthand in ("day", "7d", "28d", "30d", "91d", "month", "6mo", "12mo", "year"):
        assert (await v2(client, metrics=["visitors"], date_range=shorthand))["results"][0]["metrics"][0] >= 0


# ---------------------------------------------------------------------------------------
# Dimensions against the breakdowns
# ---------------------------------------------------------------------------------------

SESSION_DIMENSIONS = [
    ("visit:browser", "browser", {}),
    ("visit:os", "os", {}),
    ("visit:device", "device", {"desktop": "Desktop", "mobile": "Mobile"}),
    ("visit:country", "country", {}),
    ("visit:country_name", "country", {"US": "United States", "DE": "Germany", "FR": "France"}),
    ("visit:region", "region", {}),
    ("visit:city", "city", {}),
    ("visit:source", "referrer", {"(direct)": "Direct / None"}),
    ("visit:referrer", "referrer", {"(direct)": "Direct / None"}),
    ("visit:channel", "channel", {}),
    ("visit:utm_source", "utm_source", {}),
    ("visit:utm_medium", "utm_medium", {}),
    ("visit:utm_campaign", "utm_campaign", {}),
    ("visit:entry_page", "entry_page", {}),
    ("visit:exit_page", "exit_page", {}),
]


@pytest.mark.parametrize("dimension,metric_type,labels", SESSION_DIMENSIONS, ids=[d[0] for d in SESSION_DIMENSIONS])
async def test_visit_dimensions_equal_the_breakdown(client, dimension, metric_type, labels):
    body = await v2(client, metrics=["visitors", "pageviews", "bounce_rate", "visit_duration", "visits"], dimensions=[dimension])
    rows = (await route(client, f"metrics?type={metric_type}&limit=100&{WEEK_PARAMS}"))["rows"]
    expected = {
        (labels.get(r["value"], r["value"]),): [r["visitors"], r["pageviews"], r["bounce_rate"], round(r["avg_duration_seconds"])]
        for r in rows
    }
    assert {key: metrics[:4] for key, metrics in table(body).items()} == expected
    assert body["results"][0]["metrics"][0] == max(r["visitors"] for r in rows)  # visitors desc


async def test_event_page_equals_the_page_breakdown(client):
    body = await v2(client, metrics=["visitors", "pageviews", "bounce_rate", "visit_duration"], dimensions=["event:page"])
    rows = (await route(client, f"metrics?type=page&{WEEK_PARAMS}"))["rows"]
    got = table(body)
    for r in rows:
        assert got[(r["value"],)] == [r["visitors"], r["pageviews"], r["bounce_rate"], round(r["avg_duration_seconds"])]
    # Pages with events but no pageview (the link click's /go/promo) are groups too, as in Plausible.
    assert set(got) - {(r["value"],) for r in rows} == {("/go/promo",)}


async def test_event_name_equals_the_custom_events_list(client):
    body = await v2(client, metrics=["visitors", "events"], dimensions=["event:name"])
    listed = (await route(client, f"events?{WEEK_PARAMS}"))["rows"]
    got = table(body)
    for r in listed:
        assert got[(r["event_name"],)] == [r["visitors"], r["count"]]
    assert got[("pageview",)] == [6, 60]


async def test_event_hostname_equals_the_hostname_filter(client):
    got = table(await v2(client, metrics=["visitors", "pageviews"], dimensions=["event:hostname"]))
    for host in ("example.com", "blog.example.com"):
        stats = await route(client, f"stats?filter_hostname={host}&{WEEK_PARAMS}")
        assert got[(host,)] == [stats["visitors"], stats["pageviews"]]


async def test_versions_and_the_other_utm_tags(client):
    # Every Chrome event has 126.0: the version groups equal the browser groups.
    browsers = {r["value"]: r for r in (await route(client, f"metrics?type=browser&{WEEK_PARAMS}"))["rows"]}
    versions = table(await v2(client, metrics=["visitors", "pageviews"], dimensions=["visit:browser", "visit:browser_version"]))
    assert versions == {
        ("Chrome", "126.0"): [browsers["Chrome"]["visitors"], browsers["Chrome"]["pageviews"]],
        ("Firefox", "125.0"): [browsers["Firefox"]["visitors"], browsers["Firefox"]["pageviews"]],
    }
    mac = (await route(client, f"stats?filter_os=Mac%20OS%20X&{WEEK_PARAMS}"))
    assert table(await v2(client, metrics=["visitors"], dimensions=["visit:os_version"])) == {("14",): [mac["visitors"]]}
    # Only i=0's landing pageviews carry utm_content / utm_term: one visitor, five visits.
    for dimension, value in (("visit:utm_content", "ad-1"), ("visit:utm_term", "analytics")):
        assert table(await v2(client, metrics=["visitors", "visits"], dimensions=[dimension])) == {(value,): [1, 5]}


async def test_several_dimensions_at_once(client):
    got = table(await v2(client, metrics=["visitors", "pageviews"], dimensions=["visit:country", "visit:browser"]))
    for country in ("US", "DE", "FR"):
        rows = (await route(client, f"metrics?type=browser&filter_country={country}&{WEEK_PARAMS}"))["rows"]
        for r in rows:
            assert got[(country, r["value"])] == [r["visitors"], r["pageviews"]]
    assert sum(metrics[1] for metrics in got.values()) == 60


async def test_custom_properties_equal_the_properties_report(client):
    body = await v2(
        client, metrics=["events", "visitors"], dimensions=["event:props:plan"],
        filters=[["is", "event:name", ["signup_click"]]],
    )
    properties = (await route(client, f"events/properties?event_name=signup_click&{WEEK_PARAMS}"))["properties"]
    plans = {p["property_value"]: p["count"] for p in properties if p["property_key"] == "plan"}
    assert {key[0]: metrics[0] for key, metrics in table(body).items()} == plans == {"pro": 5, "free": 10}


# ---------------------------------------------------------------------------------------
# Time dimensions against the series
# ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("dimension,granularity", [("time:day", "day"), ("time:month", "month"), ("time", "day")])
async def test_time_buckets_equal_the_series(client, dimension, granularity):
    body = await v2(client, metrics=["pageviews", "visitors"], dimensions=[dimension], include={"time_labels": True})
    series = (await route(client, f"pageviews?granularity={granularity}&{WEEK_PARAMS}"))["series"]
    label = (lambda d: d + "-01") if granularity == "month" else (lambda d: d)
    assert table(body) == {(label(p["date"]),): [p["pageviews"], p["visitors"]] for p in series if p["pageviews"] or p["visitors"]}
    assert body["meta"]["time_labels"] == [label(p["date"]) for p in series]
    assert [r["dimensions"][0] for r in body["results"]] == sorted(r["dimensions"][0] for r in body["results"])


async def test_hours_and_weeks(client):
    day = ["2026-03-05", "2026-03-05"]
    series = (await route(client, "pageviews?granularity=hour&start_date=2026-03-05&end_date=2026-03-05"))["series"]
    body = await v2(client, metrics=["pageviews", "visitors"], date_range=day, dimensions=["time:hour"], include={"time_labels": True})
    assert table(body) == {
        (p["date"].replace("T", " ").removesuffix("Z"),): [p["pageviews"], p["visitors"]] for p in series if p["visitors"]
    }
    assert len(body["meta"]["time_labels"]) == 24 and body["meta"]["time_labels"][10] == "2026-03-05 10:00:00"
    weeks = await v2(client, metrics=["pageviews"], date_range=["2026-03-04", "2026-03-13"], dimensions=["time:week"], include={"time_labels": True})
    # The first week starts with the range (Wed 4 March), the next on Monday 9 March.
    assert table(weeks) == {("2026-03-04",): [36], ("2026-03-09",): [40]}
    assert weeks["meta"]["time_labels"] == ["2026-03-04", "2026-03-09"]


async def test_local_hours_on_the_dst_day(client):
    body = await client.post("/api/v2/query", json={
        "site_id": "site_la.example", "metrics": ["pageviews"], "date_range": ["2026-03-08", "2026-03-08"],
        "dimensions": ["time:hour"], "include": {"time_labels": True},
    })
    body = await body.get_json()
    # Sun 8 March in Los Angeles has 23 hours; the clock jumps from 02:00 to 03:00.
    assert table(body) == {("2026-03-08 01:00:00",): [1], ("2026-03-08 03:00:00",): [1], ("2026-03-08 23:00:00",): [1]}
    assert len(body["meta"]["time_labels"]) == 23 and "2026-03-08 02:00:00" not in body["meta"]["time_labels"]


# ---------------------------------------------------------------------------------------
# Filters: every operator
# ---------------------------------------------------------------------------------------


async def numbers(client, filters: list) -> list[int]:
    return (await v2(client, metrics=["visitors", "pageviews", "events"], filters=filters))["results"][0]["metrics"]


async def stats_numbers(client, params: str) -> list[int]:
    stats = await route(client, f"stats?{params}&{WEEK_PARAMS}")
    return [stats["visitors"], stats["pageviews"]]


async def test_is_and_contains_equal_the_route_filters(client):
    cases = [
        (["is", "visit:country", ["US"]], "filter_country=US"),
        (["contains", "event:page", ["/pri"]], "filter_page=/pri"),
        (["is", "visit:browser", ["Firefox"]], "filter_browser=Firefox"),
        (["is", "visit:os", ["Windows"]], "filter_os=Windows"),
        (["is", "visit:device", ["Mobile"]], "filter_device=mobile"),
        (["is", "visit:region", ["Berlin"]], "filter_region=Berlin"),
        (["is", "visit:city", ["Paris"]], "filter_city=Paris"),
        (["is", "visit:source", ["google.com"]], "filter_referrer=google.com"),
        (["is", "visit:source", ["Direct / None"]], "filter_referrer=(direct)"),
        (["is", "visit:channel", ["Email"]], "filter_channel=Email"),
        (["is", "visit:utm_source", ["newsletter"]], "filter_utm_source=newsletter"),
        (["is", "visit:utm_medium", ["cpc"]], "filter_utm_medium=cpc"),
        (["is", "visit:utm_campaign", ["spring"]], "filter_utm_campaign=spring"),
        (["is", "event:hostname", ["blog.example.com"]], "filter_hostname=blog.example.com"),
        (["is", "visit:country_name", ["Germany"]], "filter_country=DE"),
    ]
    for v2_filter, params in cases:
        assert (await numbers(client, [v2_filter]))[:2] == await stats_numbers(client, params), v2_filter


async def test_negations_and_regular_expressions(client):
    total = await numbers(client, [])
    us = await numbers(client, [["is", "visit:country", ["US"]]])
    blog = await numbers(client, [["contains", "event:page", ["/blog"]]])
    assert (await numbers(client, [["is_not", "visit:country", ["US"]]]))[1:] == [total[1] - us[1], total[2] - us[2]]
    assert (await numbers(client, [["contains_not", "event:page", ["/blog"]]]))[1:] == [total[1] - blog[1], total[2] - blog[2]]
    docs_or_pricing = await numbers(client, [["matches", "event:page", ["^/(docs|pricing)$"]]])
    separately = [await numbers(client, [["is", "event:page", [page]]]) for page in ("/docs", "/pricing")]
    assert docs_or_pricing[1:] == [separately[0][1] + separately[1][1], separately[0][2] + separately[1][2]]
    assert (await numbers(client, [["matches_not", "event:page", ["^/(docs|pricing)$"]]]))[1:] == [
        total[1] - docs_or_pricing[1], total[2] - docs_or_pricing[2]
    ]
    insensitive = await numbers(client, [["contains", "visit:browser", ["fire"], {"case_sensitive": False}]])
    assert insensitive[:2] == await stats_numbers(client, "filter_browser=Firefox")
    assert (await numbers(client, [["contains", "visit:browser", ["fire"]]]))[1] == 0


async def test_and_or_not(client):
    us, paris = (await stats_numbers(client, "filter_country=US"), await stats_numbers(client, "filter_city=Paris"))
    either = await numbers(client, [["or", [["is", "visit:country", ["US"]], ["is", "visit:city", ["Paris"]]]]])
    assert either[:2] == [us[0] + paris[0], us[1] + paris[1]]
    both = await numbers(client, [["and", [["is", "visit:country", ["US"]], ["is", "visit:browser", ["Chrome"]]]]])
    assert both[:2] == await stats_numbers(client, "filter_country=US&filter_browser=Chrome")
    neither = await numbers(client, [["not", ["or", [["is", "visit:country", ["US"]], ["is", "visit:city", ["Paris"]]]]]])
    assert neither[1] == 60 - us[1] - paris[1]
    # Two top-level filters are an implicit "and".
    assert await numbers(client, [["is", "visit:country", ["US"]], ["is", "visit:browser", ["Chrome"]]]) == both


async def test_has_done_and_has_not_done(client):
    # i = 0, 2, 4 click signup in every session: 15 sessions, 45 pageviews; the others 15.
    done = await v2(client, metrics=["visitors", "visits", "pageviews"], filters=[["has_done", ["is", "event:name", ["signup_click"]]]])
    assert done["results"][0]["metrics"] == [3, 15, 45]
    not_done = await v2(client, metrics=["visitors", "visits", "pageviews"], filters=[["has_not_done", ["is", "event:name", ["signup_click"]]]])
    assert not_done["results"][0]["metrics"] == [4, 16, 15]


# ---------------------------------------------------------------------------------------
# Goals, conversion rates, revenue, percentage
# ---------------------------------------------------------------------------------------


@pytest.fixture
async def goals(client) -> dict[str, str]:
    made = {}
    for body in (
        {"name": "Signup", "goal_type": "event", "match_value": "signup_click", "value_mode": "fixed", "fixed_value": 2.5, "currency": "EUR"},
        {"name": "Docs", "goal_type": "page_view", "match_value": "/docs"},
        {"name": "Pricing", "goal_type": "page_view", "match_value": "/pricing", "value_mode": "fixed", "fixed_value": 1, "currency": "USD"},
    ):
        response = await client.post("/api/websites/site_utc/goals", json=body)
        assert response.status_code == 201, await response.get_data(as_text=True)
        made[body["name"]] = (await response.get_json())["data"]["id"]
    return made


async def test_goal_dimension_equals_the_conversions_panel(client, goals):
    body = await v2(client, metrics=["visitors", "events", "conversion_rate", "total_revenue", "average_revenue"], dimensions=["event:goal"])
    panel = {r["name"]: r for r in (await route(client, f"goals/conversions?{WEEK_PARAMS}"))["rows"]}
    got = table(body)
    for name, row in panel.items():
        visitors, events, rate, total, average = got[(name,)]
        assert (visitors, events) == (row["visitors"], row["conversions"])
        assert round(rate, 1) == row["conversion_rate"]
        if row["revenue"] is None:
            assert total is None and average is None
        else:
            assert total["value"] == row["revenue"] and total["currency"] == row["currency"]
            assert average["value"] == round(row["revenue"] / row["conversions"], 2)
    assert got[("Signup",)][3] == {"value": 37.5, "currency": "EUR", "short": "€37.5", "long": "€37.50"}


async def test_goal_filters_conversion_rates_and_revenue(client, goals):
    signup = await v2(client, metrics=["visitors", "events", "conversion_rate", "total_revenue"], filters=[["is", "event:goal", ["Signup"]]])
    goal_stats = await route(client, f"goals/{goals['Signup']}/stats?{WEEK_PARAMS}")
    visitors, events, rate, revenue = signup["results"][0]["metrics"]
    assert events == goal_stats["conversions"] == 15
    assert visitors == (await route(client, f"stats?filter_goal={goals['Signup']}&{WEEK_PARAMS}"))["visitors"]
    assert rate == round(100 * visitors / 7, 2) and revenue["value"] == 37.5
    # By country: the converting visitors over each country's visitors.
    body = await v2(client, metrics=["visitors", "group_conversion_rate"], dimensions=["visit:country"], filters=[["is", "event:goal", ["Signup"]]])
    countries = {r["value"]: r["visitors"] for r in (await route(client, f"metrics?type=country&{WEEK_PARAMS}"))["rows"]}
    for (country,), (converting, rate) in table(body).items():
        assert rate == round(100 * converting / countries[country], 2)
    assert table(body) == {("US",): [2, 66.67], ("DE",): [1, 50.0]}
    # Two currencies: no revenue, and Plausible's warning says why.
    mixed = await v2(client, metrics=["total_revenue"], filters=[["contains", "event:goal", ["i"]]])
    assert mixed["results"][0]["metrics"] == [None]
    assert mixed["meta"]["metric_warnings"]["total_revenue"]["code"] == "no_single_revenue_currency"


async def test_percentage(client):
    body = await v2(client, metrics=["visitors", "percentage"], dimensions=["visit:country"])
    assert table(body) == {("US",): [3, 42.86], ("DE",): [2, 28.57], ("FR",): [1, 14.29]}


# ---------------------------------------------------------------------------------------
# Ordering, include, pagination
# ---------------------------------------------------------------------------------------


async def test_order_by_total_rows_and_pagination(client):
    everything = await v2(client, metrics=["pageviews"], dimensions=["event:page"], order_by=[["event:page", "asc"]])
    pages = [r["dimensions"][0] for r in everything["results"]]
    assert pages == sorted(pages) and len(pages) == 5
    page = await v2(
        client, metrics=["pageviews"], dimensions=["event:page"], order_by=[["event:page", "asc"]],
        include={"total_rows": True}, pagination={"limit": 2, "offset": 1},
    )
    assert page["results"] == everything["results"][1:3]
    assert page["meta"] == {"total_rows": 5}
    imports = await v2(client, metrics=["pageviews"], include={"imports": True})
    assert imports["meta"] == {"imports_included": False} and imports["results"][0]["metrics"] == [60]
    assert page["query"]["pagination"] == {"limit": 2, "offset": 1} and page["query"]["include"] == {"total_rows": True}
    by_pageviews = await v2(client, metrics=["pageviews", "visitors"], dimensions=["event:page"], order_by=[["pageviews", "desc"], ["visitors", "asc"]])
    assert [r["metrics"] for r in by_pageviews["results"]][:3] == [[20, 2], [15, 2], [15, 3]]


# ---------------------------------------------------------------------------------------
# Errors (400 with Plausible's message in our envelope)
# ---------------------------------------------------------------------------------------

ERRORS = [
    ({"metrics": ["visitors"]}, "#: Required property date_range was not present."),
    ({"date_range": "7d"}, "#: Required property metrics was not present."),
    ({"metrics": ["visitors"], "date_range": "7d", "extra": 1}, "#: Schema does not allow additional properties."),
    ({"metrics": ["visitors", "baa"], "date_range": "7d"}, '#/metrics/1: Invalid metric "baa"'),
    ({"metrics": ["scroll_depth"], "date_range": "7d", "dimensions": ["event:page"]}, '#/metrics/0: Invalid metric "scroll_depth"'),
    ({"metrics": [], "date_range": "7d"}, "#/metrics: Expected a minimum of 1 items but got 0."),
    ({"metrics": ["visitors", "visitors"], "date_range": "7d"}, "#/metrics: Expected items to be unique but they were not."),
    ({"metrics": ["visitors"], "date_range": "bad_period"}, '#/date_range: Invalid date range "bad_period"'),
    ({"metrics": ["visitors"], "date_range": ["2026-03-08", "2026-03-01"]}, '#/date_range: Invalid date range ["2026-03-08", "2026-03-01"]'),
    ({"metrics": ["visitors"], "date_range": "7d", "dimensions": ["badproperty"]}, '#/dimensions/0: Invalid dimension "badproperty"'),
    ({"metrics": ["visitors"], "date_range": "7d", "dimensions": ["event:props:"]}, '#/dimensions/0: Invalid dimension "event:props:"'),
    ({"metrics": ["visitors"], "date_range": "7d", "filters": [["is", "visit:nope", ["x"]]]}, '#/filters/0: Invalid filter ["is", "visit:nope", ["x"]]'),
    ({"metrics": ["visitors"], "date_range": "7d", "filters": [["equals", "event:page", ["/"]]]}, '#/filters/0: Invalid filter ["equals", "event:page", ["/"]]'),
    ({"metrics": ["visitors"], "date_range": "7d", "filters": [["matches", "event:page", ["("]]]}, '#/filters/0: Invalid filter ["matches", "event:page", ["("]]'),
    ({"metrics": ["visitors"], "date_range": "7d", "filters": [["matches", "event:page", ["(?=a)"]]]}, "Invalid filters. A `matches` pattern is not valid RE2 syntax: Invalid Input Error: invalid perl operator: (?="),
    ({"metrics": ["visitors"], "date_range": "7d", "filters": [["is", "visit:country", ["USA"]]]}, "Invalid visit:country filter, visit:country needs to be a valid 2-letter country code."),
    ({"metrics": ["conversion_rate"], "date_range": "7d"}, "Metric `conversion_rate` can only be queried with event:goal filters or dimensions."),
    ({"metrics": ["group_conversion_rate"], "date_range": "7d", "dimensions": ["visit:country"]}, "Metric `group_conversion_rate` can only be queried with event:goal filters or dimensions."),
    ({"metrics": ["views_per_visit"], "date_range": "7d", "filters": [["is", "event:page", ["/"]]]}, "Metric `views_per_visit` cannot be queried with a filter on `event:page`."),
    ({"metrics": ["views_per_visit"], "date_range": "7d", "dimensions": ["visit:country"]}, "Metric `views_per_visit` cannot be queried with `dimensions`."),
    ({"metrics": ["visitors", "bounce_rate"], "date_range": "7d", "dimensions": ["event:name"]}, "Session metric(s) `bounce_rate` cannot be queried along with event dimensions."),
    ({"metrics": ["visitors"], "date_range": "7d", "include": {"time_labels": True}}, "Invalid include.time_labels: requires a time dimension."),
    ({"metrics": ["visitors"], "date_range": "7d", "order_by": [["pageviews", "desc"]]}, 'Invalid order_by entry ["pageviews", "desc"]. Entry is not a queried metric or dimension.'),
    ({"metrics": ["visitors"], "date_range": "7d", "filters": [["is", "event:goal", ["Nope"]]]}, "Invalid filters. The goal `Nope` is not configured for this site. Find out how to configure goals here: https://plausible.io/docs/stats-api#filtering-by-goals"),
    ({"metrics": ["visitors"], "date_range": "7d", "filters": [["not", ["is", "event:goal", ["Nope"]]]]}, "Invalid filters. Dimension `event:goal` can only be filtered at the top level."),
    ({"metrics": ["visitors"], "date_range": "7d", "filters": [["has_done", ["has_done", ["is", "event:page", ["/"]]]]]}, "Invalid filters. Behavioral filters (has_done, has_not_done) cannot be nested."),
    ({"metrics": ["visitors"], "date_range": "7d", "filters": [["has_done", ["is", "visit:country", ["US"]]]]}, "Invalid filters. Behavioral filters (has_done, has_not_done) can only be used with event dimension filters."),
    ({"metrics": ["conversion_rate"], "date_range": "7d", "dimensions": ["event:goal"], "filters": [["or", [["is", "event:props:plan", ["pro"]]]]]}, "Invalid filters. When `conversion_rate` or `group_conversion_rate` metrics are used, custom property filters can only be used on top level."),
    ({"metrics": "visitors", "date_range": "7d"}, "#/metrics: Type mismatch. Expected Array but got String."),
    ({"metrics": ["visitors"], "date_range": "7d", "dimensions": {}}, "#/dimensions: Type mismatch. Expected Array but got Object."),
    ({"metrics": ["visitors"], "date_range": "7d", "pagination": {"limit": "9"}}, "#/pagination/limit: Type mismatch. Expected Integer but got String."),
    ({"metrics": ["visitors"], "date_range": "7d", "pagination": {"limit": 0}}, "#/pagination/limit: Expected the value to be >= 1"),
    ({"metrics": ["visitors"], "date_range": "7d", "pagination": {"limit": 10001}}, "#/pagination/limit: Expected the value to be <= 10000"),
]


async def test_each_error_message(client):
    # One server for the whole table: each case is a request, its body named on failure.
    for body, message in ERRORS:
        response = await client.post("/api/v2/query", json={"site_id": SITE, **body})
        assert response.status_code == 400, body
        await assert_error(response, 400, "validation_error", message)


async def test_site_errors_and_malformed_bodies(client):
    missing = await client.post("/api/v2/query", json={"metrics": ["visitors"], "date_range": "7d"})
    message = "Missing site ID. Please provide the required site_id parameter with your request."
    await assert_error(missing, 400, "validation_error", message, field="site_id")
    unknown = await client.post("/api/v2/query", json={"site_id": "nope.example", "metrics": ["visitors"], "date_range": "7d"})
    error = await assert_error(unknown, 404, "not_found")
    assert error["message"].startswith("Invalid API key or site ID.")
    await assert_error(await client.post("/api/v2/query", data=b"{", headers={"Content-Type": "application/json"}), 400, "invalid_json")
    await assert_error(await client.post("/api/v2/query", data=b"x", headers={"Content-Type": "text/plain"}), 415, "unsupported_media_type")
    await assert_error(await client.post("/api/v2/query", json=[1]), 400, "validation_error", "#: Type mismatch. Expected Object but got Array.")
    await assert_error(
        await client.post("/api/v2/query", json={"site_id": 7, "metrics": ["visitors"], "date_range": "7d"}),
        400, "validation_error", "#/site_id: Type mismatch. Expected String but got Integer.",
    )
    await assert_error(await client.get("/api/v2/query"), 405, "method_not_allowed")


async def test_malformed_values_are_4xx_never_5xx(client):
    bad_values = {
        "metrics": [None, 7, [["visitors"]], [{}], ["visitors", None]],
        "date_range": [None, 7, [], ["2026-01-01"], ["2026-02-30", "2026-03-01"], ["0001-01-01T00:00:00+05:00", "2026-01-01T00:00:00Z"],
                       ["2026-01-01T00:00:00", "2026-01-02T00:00:00"], "0d", "9999mo", "-7d", {"a": 1}],
        "dimensions": [None, "time", [None], [["x"]], ["time", "time:day"], ["event:props:"]],
        "filters": [7, [7], [[]], [["and"]], [["and", []]], [["not"]], [["or", [7]]], [["is", "event:page"]],
                    [["is", "event:page", "x"]], [["is", "event:page", [1]]], [["is", "event:page", ["/"], 7]],
                    [["is", "event:page", ["/"], {"other": True}]], [["has_done"]], [["has_done", 7]], [["is", "time", ["x"]]],
                    [["is", "event:goal", ["x"], {"case_sensitive": "no"}]], [["matches", "event:page", ["a{99999}"]]]],
        "order_by": [7, [7], [["visitors"]], [["visitors", "up"]], [[["visitors"], "asc"]]],
        "include": [7, {"nope": True}, {"time_labels": 1}],
        "pagination": [7, {"limit": None}, {"offset": -1}, {"limit": True}, {"page": 1}],
    }
    for key, values in bad_values.items():
        for value in values:
            body = {"site_id": SITE, "metrics": ["visitors"], "date_range": WEEK, key: value}
            response = await client.post("/api/v2/query", json=body)
            assert 400 <= response.status_code < 500, (body, await response.get_data(as_text=True))
    long_hours = {"site_id": SITE, "metrics": ["visitors"], "date_range": "all", "dimensions": ["time:hour"], "include": {"time_labels": True}}
    # "all" starts 2025-03-03: more hours than the 416 days a series may label.
    error = await assert_error(await client.post("/api/v2/query", json=long_hours), 400, "validation_error")
    assert error["message"].startswith("Invalid include.time_labels: time:hour covers at most 416 days (got ")
