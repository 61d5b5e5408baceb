"""The goal reports of the AnalyticsStore contract (API.md §1.8, Decisions 3 and 16).

Two datasets: the shared one (``tests.queries.fixtures.seed_main_dataset``) for the
match modes, goal stats and ``filter_goal``, and :func:`seed_shop` below, built for
values and multi-touch attribution. Every expected number is worked out in the test.
"""

from __future__ import annotations

import pytest

from sparklytics.goals import Goal
from sparklytics.queries.goals import AttributionOptions
from tests.queries.conftest import make_query

from .conftest import analytics_on, seeded_file

WEEK = {"start_date": "2026-03-02", "end_date": "2026-03-08"}
SHOP_DAY = {"start_date": "2026-03-04", "end_date": "2026-03-04"}


def goal(goal_id: str, goal_type: str, match_value: str, **kw) -> Goal:
    return Goal(id=goal_id, website_id=kw.pop("website_id", "site_utc"), name=kw.pop("name", goal_id),
                goal_type=goal_type, match_value=match_value, **kw)


PRICING = goal("pricing", "page_view", "/pricing")


def seed_shop(seed) -> None:
    """Website ``shop`` (UTC), Wed 4 March 2026; goal ``purchase`` reads property ``amount``.

    ====  =====  ===================================================  ==============
    who   time   event                                                touch
    ====  =====  ===================================================  ==============
    a     10:00  pageview /, referrer google.com                      google.com / referral
    a     10:05  pageview /pricing, utm newsletter / email            newsletter / email
    a     10:06  purchase {"amount": 12.5}
    a     10:07  pageview /thanks
    a     10:08  purchase {"amount": "7.25"}
    b     11:00  purchase {"amount": "abc"} (before any touch)
    b     11:01  pageview /, utm_source hn (no medium)                hn / utm
    b     11:02  purchase {"amount": true}
    c     12:00  pageview /
    c     12:01  purchase {"amount": 100}
    bot   13:00  purchase {"amount": 1000} (a bot: left out)
    ====  =====  ===================================================  ==============
    """
    seed.website("shop", "UTC")
    e = dict(website="shop")
    seed.event(at="2026-03-04T10:00Z", visitor="a", referrer="google.com", **e)
    seed.event(at="2026-03-04T10:05Z", visitor="a", path="/pricing", utm_source="newsletter", utm_medium="email", **e)
    seed.event(at="2026-03-04T10:06Z", visitor="a", type="event", name="purchase", data={"amount": 12.5}, **e)
    seed.event(at="2026-03-04T10:07Z", visitor="a", path="/thanks", **e)
    seed.event(at="2026-03-04T10:08Z", visitor="a", type="event", name="purchase", data={"amount": "7.25"}, **e)
    seed.event(at="2026-03-04T11:00Z", visitor="b", type="event", name="purchase", data={"amount": "abc"}, **e)
    seed.event(at="2026-03-04T11:01Z", visitor="b", utm_source="hn", **e)
    seed.event(at="2026-03-04T11:02Z", visitor="b", type="event", name="purchase", data={"amount": True}, **e)
    seed.event(at="2026-03-04T12:00Z", visitor="c", **e)
    seed.event(at="2026-03-04T12:01Z", visitor="c", type="event", name="purchase", data={"amount": 100}, **e)
    seed.event(at="2026-03-04T13:00Z", visitor="bot", type="event", name="purchase", data={"amount": 1000}, bot=True, **e)
    seed.flush()


PURCHASE = goal("purchase", "event", "purchase", website_id="shop", value_mode="event_property",
                value_property_key="amount")
THANKS = goal("thanks", "page_view", "/thanks", website_id="shop", value_mode="fixed", fixed_value=9.99)
HOME = goal("home", "page_view", "/", website_id="shop")


@pytest.fixture(scope="module")
def shop_dataset(tmp_path_factory):
    return seeded_file(tmp_path_factory.mktemp("shop"), seed_shop)


@pytest.fixture(params=["duckdb", "clickhouse"])
async def shop(request, shop_dataset):
    async with analytics_on(request.param, shop_dataset, request) as analytics:
        yield analytics


def shop_query(route: str, **params: str):
    return make_query(route, "shop", **SHOP_DAY, **params)


async def test_goal_stats_against_the_period_before(store):
    data = (await store.goal_stats(make_query("goal_stats", **WEEK), PRICING)).body()["data"]
    # /pricing pageviews: i=0 once and i=2 twice a weekday → 15 in 10 sessions of 31.
    # The week before: u0-prev viewed /pricing, p1-prev did not → 1 of 2 sessions.
    assert data == {
        "goal_id": "pricing",
        "conversions": 15,
        "converting_sessions": 10,
        "total_sessions": 31,
        "conversion_rate": pytest.approx(10 / 31),
        "prev_conversions": 1,
        "prev_conversion_rate": 0.5,
        "trend_pct": pytest.approx((10 / 31 - 0.5) / 0.5 * 100),
    }


async def test_previous_fields_are_null_without_events_before(shop):
    data = (await shop.goal_stats(shop_query("goal_stats"), PURCHASE)).body()["data"]
    # a, b and c each converted; the bot's session is not counted; 3 March is empty.
    assert (data["conversions"], data["converting_sessions"], data["total_sessions"]) == (5, 3, 3)
    assert data["conversion_rate"] == 1.0
    assert (data["prev_conversions"], data["prev_conversion_rate"], data["trend_pct"]) == (None, None, None)


@pytest.mark.parametrize(
    "definition,conversions",
    [
        # Path equals, the value normalized like stored URLs (query string dropped).
        (goal("g", "page_view", "/pricing?plan=pro"), 15),
        # Path contains: /blog/hello of i = 1, 3, 5, whatever the host.
        (goal("g", "page_view", "/blog", match_operator="contains"), 15),
        # Full URL equals: /docs on example.com (i=0 once, i=4 three times a day).
        (goal("g", "page_view", "https://example.com/docs"), 20),
        # Full URL contains: only i=3 browses blog.example.com.
        (goal("g", "page_view", "https://blog.example.com", match_operator="contains"), 5),
        (goal("g", "event", "signup_click"), 15),
        # Event contains: signup_click and u9's link_click.
        (goal("g", "event", "click", match_operator="contains"), 16),
        # A page goal never matches custom events, an event goal never pageviews.
        (goal("g", "event", "/pricing"), 0),
    ],
)
async def test_each_match_mode(store, definition, conversions):
    data = (await store.goal_stats(make_query("goal_stats", **WEEK), definition)).body()["data"]
    assert data["conversions"] == conversions


async def test_filter_goal_keeps_the_converting_sessions(store):
    query = make_query("stats", **WEEK)
    filtered = make_query("stats", filter_goal="pricing", goal=PRICING, **WEEK)
    assert (await store.stats(query)).data["sessions"] == 31
    data = (await store.stats(filtered)).data
    # The sessions of i = 0 and 2: 3 pageviews each, 240 s, no bounce.
    assert (data["pageviews"], data["visitors"], data["sessions"]) == (30, 2, 10)
    assert (data["bounce_rate"], data["avg_duration_seconds"]) == (0.0, 240.0)
    browsers = (await store.metrics(make_query("metrics", type="browser", filter_goal="pricing", goal=PRICING,
                                               **WEEK))).data["rows"]
    assert [(r["value"], r["visitors"], r["pageviews"]) for r in browsers] == [("Chrome", 2, 30)]
    series = (await store.pageviews(make_query("pageviews", filter_goal="pricing", goal=PRICING, **WEEK))).data
    assert [point["pageviews"] for point in series["series"]] == [6, 6, 6, 6, 6, 0, 0]


async def test_goal_conversions_panel(shop):
    result = await shop.goal_conversions(shop_query("goal_conversions"), [HOME, THANKS, PURCHASE])
    rows = result.data["rows"]
    assert result.data["visitors"] == 3
    # Most converting visitors first, then conversions: purchase (3, 5), home (3, 3), thanks (1, 1).
    assert [(r["goal_id"], r["visitors"], r["conversions"], r["conversion_rate"]) for r in rows] == [
        ("purchase", 3, 5, 100.0),
        ("home", 3, 3, 100.0),
        ("thanks", 1, 1, 33.3),
    ]
    # 12.5 + 7.25 + 0 ("abc") + 0 (true) + 100; a fixed 9.99; no value → no revenue.
    assert [(r["revenue"], r["currency"]) for r in rows] == [(119.75, "USD"), (None, None), (9.99, "USD")]
    assert [(r["prev_visitors"], r["prev_conversion_rate"], r["conversion_rate_change"]) for r in rows] == [
        (0, 0.0, 100.0),
        (0, 0.0, 100.0),
        (0, 0.0, 33.3),
    ]


async def test_goal_conversions_panel_with_goals_sharing_rows(shop):
    """Two goals with the same value, and ``contains`` goals overlapping the others: each
    goal counts every row it matches, with its own value."""
    thanks_flat = goal("thanks-flat", "page_view", "/thanks", website_id="shop", value_mode="fixed", fixed_value=1.0)
    pages = goal("pages", "page_view", "/", website_id="shop", match_operator="contains")
    any_purchase = goal("any-purchase", "event", "purch", website_id="shop", match_operator="contains")
    goals = [HOME, THANKS, thanks_flat, pages, PURCHASE, any_purchase]
    rows = (await shop.goal_conversions(shop_query("goal_conversions"), goals)).data["rows"]
    assert {r["goal_id"]: (r["visitors"], r["conversions"], r["revenue"]) for r in rows} == {
        "home": (3, 3, None),  # a 10:00, b 11:01, c 12:00
        "thanks": (1, 1, 9.99),
        "thanks-flat": (1, 1, 1.0),
        "pages": (3, 5, None),  # the five pageviews
        "purchase": (3, 5, 119.75),
        "any-purchase": (3, 5, None),
    }


async def test_goal_conversions_panel_with_a_contains_goal_beside_equals_goals(shop):
    """A ``contains`` goal whose text no ``equals`` value holds shares their tag (no row
    can match both); the ``contains`` goals overlapping it or them still count every row
    they match."""
    thank = goal("thank", "page_view", "thank", website_id="shop", match_operator="contains",
                 value_mode="fixed", fixed_value=2.0)
    slash_th = goal("slash-th", "page_view", "/th", website_id="shop", match_operator="contains")
    chase = goal("chase", "event", "chase", website_id="shop", match_operator="contains", value_mode="fixed",
                 fixed_value=1.0)
    buy = goal("buy", "event", "buy", website_id="shop", match_operator="contains", value_mode="fixed", fixed_value=3.0)
    goals = [HOME, thank, slash_th, PURCHASE, chase, buy]
    result = (await shop.goal_conversions(shop_query("goal_conversions"), goals)).data
    assert result["visitors"] == 3
    assert {r["goal_id"]: (r["visitors"], r["conversions"], r["revenue"]) for r in result["rows"]} == {
        "home": (3, 3, None),
        "thank": (1, 1, 2.0),  # a's /thanks
        "slash-th": (1, 1, None),
        "purchase": (3, 5, 119.75),
        "chase": (3, 5, 5.0),  # "chase" is inside "purchase": its own tag, 5 × 1.0
        "buy": (0, 0, 0.0),
    }


async def test_last_touch_attribution(shop):
    data = (await shop.attribution(shop_query("attribution"), PURCHASE, AttributionOptions("purchase"))).data
    # a: both purchases after the newsletter touch; b: the first before any touch
    # (direct), the second after hn; c: never touched (direct).
    assert data == {
        "goal_id": "purchase",
        "model": "last_touch",
        "rows": [
            {"channel": "(direct) / direct", "conversions": 2, "revenue": 100.0, "share": 0.4},
            {"channel": "newsletter / email", "conversions": 2, "revenue": 19.75, "share": 0.4},
            {"channel": "hn / utm", "conversions": 1, "revenue": 0.0, "share": 0.2},
        ],
        "totals": {"conversions": 5, "revenue": 119.75},
    }


async def test_first_touch_attribution(shop):
    options = AttributionOptions("purchase", "first_touch")
    data = (await shop.attribution(shop_query("attribution"), PURCHASE, options)).data
    # a's session began with Google; b's first touch is hn (even for the purchase before it).
    assert [(r["channel"], r["conversions"], r["revenue"]) for r in data["rows"]] == [
        ("google.com / referral", 2, 19.75),
        ("hn / utm", 2, 0.0),
        ("(direct) / direct", 1, 100.0),
    ]


async def test_revenue_summary(shop):
    data = (await shop.revenue_summary(shop_query("revenue_summary"), THANKS, AttributionOptions("thanks"))).data
    assert data == {"goal_id": "thanks", "model": "last_touch", "conversions": 1, "revenue": 9.99}
    data = (await shop.revenue_summary(shop_query("revenue_summary"), PURCHASE, AttributionOptions("purchase"))).data
    assert (data["conversions"], data["revenue"]) == (5, 119.75)
