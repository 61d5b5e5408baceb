"""Campaign link and pixel stats of the AnalyticsStore contract (API.md §1.15, Decision
16), on a hand-built dataset where every number is worked out below.

Website ``camp`` (UTC). Goals: ``purchase`` (event, value from property ``amount``) and
``pricing`` (page ``/pricing``, fixed value 2).

=====  ================  ===============================================
who    time              event
=====  ================  ===============================================
a      Wed 4 Mar 10:00   link_click L1
a      10:01             pageview /pricing                 (pricing: 2)
a      10:02             purchase {"amount": 12.5}         (purchase: 12.5)
a      10:05             link_click L1
b      11:00             purchase {"amount": "5"}          (before b's click, same visit)
b      11:01             link_click L1
c      12:00             link_click L2
c      12:01             pixel_view P1
a      12:30             pixel_view P1 (a's second visit)
a      12:31             pixel_view P1
d      13:00             purchase {"amount": 100}           (no click)
bot    14:00             link_click L1, purchase 1000, pixel_view P2 (bots)
e      Tue 3 Mar 09:00   link_click L1                      (another day)
=====  ================  ===============================================
"""

from __future__ import annotations

import pytest

from sparklytics.goals import Goal
from tests.queries.conftest import make_query

from .conftest import analytics_on, seeded_file

DAY = {"start_date": "2026-03-04", "end_date": "2026-03-04"}
WEEK = {"start_date": "2026-03-02", "end_date": "2026-03-08"}
PURCHASE = Goal(id="purchase", website_id="camp", name="Purchase", goal_type="event", match_value="purchase",
                value_mode="event_property", value_property_key="amount")
PRICING = Goal(id="pricing", website_id="camp", name="Pricing", goal_type="page_view", match_value="/pricing",
               value_mode="fixed", fixed_value=2.0)


def seed_campaigns(seed) -> None:
    seed.website("camp", "UTC")
    e = dict(website="camp")
    click = dict(type="event", name="link_click", **e)
    view = dict(type="event", name="pixel_view", **e)
    seed.event(at="2026-03-04T10:00Z", visitor="a", link_id="L1", **click)
    seed.event(at="2026-03-04T10:01Z", visitor="a", path="/pricing", **e)
    seed.event(at="2026-03-04T10:02Z", visitor="a", type="event", name="purchase", data={"amount": 12.5}, **e)
    seed.event(at="2026-03-04T10:05Z", visitor="a", link_id="L1", **click)
    seed.event(at="2026-03-04T11:00Z", visitor="b", type="event", name="purchase", data={"amount": "5"}, **e)
    seed.event(at="2026-03-04T11:01Z", visitor="b", link_id="L1", **click)
    seed.event(at="2026-03-04T12:00Z", visitor="c", link_id="L2", **click)
    seed.event(at="2026-03-04T12:01Z", visitor="c", pixel_id="P1", **view)
    seed.event(at="2026-03-04T12:30Z", visitor="a", session="a-2", pixel_id="P1", **view)
    seed.event(at="2026-03-04T12:31Z", visitor="a", session="a-2", pixel_id="P1", **view)
    seed.event(at="2026-03-04T13:00Z", visitor="d", type="event", name="purchase", data={"amount": 100}, **e)
    seed.event(at="2026-03-04T14:00Z", visitor="bot", link_id="L1", bot=True, **click)
    seed.event(at="2026-03-04T14:01Z", visitor="bot", type="event", name="purchase", data={"amount": 1000}, bot=True, **e)
    seed.event(at="2026-03-04T14:02Z", visitor="bot", pixel_id="P2", bot=True, **view)
    seed.event(at="2026-03-03T09:00Z", visitor="e", link_id="L1", **click)
    seed.flush()


@pytest.fixture(scope="module")
def campaign_dataset(tmp_path_factory):
    return seeded_file(tmp_path_factory.mktemp("campaigns"), seed_campaigns)


@pytest.fixture(params=["duckdb", "clickhouse"])
async def store(request, campaign_dataset):
    async with analytics_on(request.param, campaign_dataset, request) as analytics:
        yield analytics


def stats(link_id: str, clicks: int, visitors: int, conversions: int, revenue: float) -> tuple[str, dict]:
    return link_id, {"clicks": clicks, "unique_visitors": visitors, "conversions": conversions, "revenue": revenue}


async def test_link_stats_credit_the_goals_of_the_sessions_with_a_click(store) -> None:
    result = await store.link_stats(make_query("campaigns", "camp", **DAY), [PURCHASE, PRICING])
    # L1: clicks a, a, b; conversions a: pricing 2 + purchase 12.5, b: purchase 5 (in the visit, before the click).
    assert result.data == dict([stats("L1", 3, 2, 3, 19.5), stats("L2", 1, 1, 0, 0.0)])


async def test_link_stats_include_bots_on_request_and_follow_the_range(store) -> None:
    with_bots = await store.link_stats(make_query("campaigns", "camp", include_bots="true", **DAY), [PURCHASE, PRICING])
    assert with_bots.data["L1"] == stats("L1", 4, 3, 4, 1019.5)[1]
    week = await store.link_stats(make_query("campaigns", "camp", **WEEK), [PURCHASE, PRICING])
    assert week.data["L1"] == stats("L1", 4, 3, 3, 19.5)[1]
    other = await store.link_stats(make_query("campaigns", "camp", start_date="2026-03-05", end_date="2026-03-05"), [PURCHASE])
    assert other.data == {}


async def test_link_stats_without_goals_count_clicks_only(store) -> None:
    result = await store.link_stats(make_query("campaigns", "camp", **DAY), [])
    assert result.data == dict([stats("L1", 3, 2, 0, 0.0), stats("L2", 1, 1, 0, 0.0)])


async def test_a_goal_matching_twice_counts_once_per_goal(store) -> None:
    # "contains p" matches the purchase events; PURCHASE matches them too: two conversions each.
    loose = Goal(id="loose", website_id="camp", name="Loose", goal_type="event", match_value="p", match_operator="contains")
    result = await store.link_stats(make_query("campaigns", "camp", **DAY), [PURCHASE, loose])
    assert result.data["L1"] == stats("L1", 3, 2, 4, 17.5)[1]


async def test_pixel_stats(store) -> None:
    assert (await store.pixel_stats(make_query("campaigns", "camp", **DAY))).data == {
        "P1": {"views": 3, "unique_visitors": 2},
    }
    with_bots = await store.pixel_stats(make_query("campaigns", "camp", include_bots="true", **DAY))
    assert with_bots.data == {"P1": {"views": 3, "unique_visitors": 2}, "P2": {"views": 1, "unique_visitors": 1}}
