"""Goals in the dashboard against the API, on the shared none-mode server.

One website, seeded in order (events after their pages), every visit today:

    g1  /  /pricing  + purchase {"amount": 30}     utm newsletter
    g2  /  /pricing  + purchase {"amount": "12.5"}  from news.ycombinator.com
    g3  /  /docs
    g4  /pricing

So the goal "Purchase" (event purchase, value from ``amount``) converts 2 of 4 visitors
for 42.50, and "Pricing" (page /pricing) 3 of 4.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.dashboard.seed import Dataset, Visit, seed_in_order

VISITS = [
    Visit("g1", "chrome-windows", ("/", "/pricing"), utm_source="newsletter", events=(("purchase", {"amount": 30}),)),
    Visit("g2", "firefox-linux", ("/", "/pricing"), referrer="https://news.ycombinator.com/",
          events=(("purchase", {"amount": "12.5"}),)),
    Visit("g3", "safari-mac", ("/", "/docs")),
    Visit("g4", "safari-iphone", ("/pricing",)),
]
PURCHASE = {"name": "Purchase", "goal_type": "event", "match_value": "purchase", "value_mode": "event_property",
            "value_property_key": "amount", "currency": "EUR"}


@pytest.fixture(scope="module")
def goal_site(live_server, none_api) -> str:
    website_id = none_api.create_website("Goal shop")
    seed_in_order(live_server.url, website_id, Dataset(VISITS))
    live_server.flush()
    return website_id


def open_goals(page, live_server, website_id: str) -> None:
    page.goto(f"{live_server.url}/dashboard/{website_id}/goals")
    expect(page.get_by_test_id("goal-list")).to_be_visible()


def test_goal_form_creates_shows_a_422_at_its_field_edits_and_deletes(page, live_server, none_api) -> None:
    website_id = none_api.create_website("Goal form")
    open_goals(page, live_server, website_id)
    expect(page.get_by_test_id("track-example")).to_have_text("sparklytics.track('signup')")

    page.get_by_test_id("new-goal").click()
    dialog = page.get_by_role("dialog", name="New goal")
    dialog.get_by_label("Name", exact=True).fill("Big order")
    dialog.get_by_label("Event name").fill("purchase")
    dialog.get_by_label("Value of a conversion").select_option("fixed")
    dialog.get_by_label("Amount").fill("-5")
    dialog.get_by_role("button", name="Create goal").click()
    expect(dialog.get_by_test_id("error-fixed_value")).to_have_text("fixed_value must be a number >= 0")
    dialog.get_by_label("Amount").fill("99")
    dialog.get_by_role("button", name="Create goal").click()
    expect(page.get_by_test_id("goal-row")).to_have_count(1)
    expect(page.get_by_test_id("goal-row")).to_contain_text("Big order")
    goal = none_api.get(f"/api/websites/{website_id}/goals")["data"][0]
    assert (goal["name"], goal["value_mode"], goal["fixed_value"]) == ("Big order", "fixed", 99.0)

    page.get_by_test_id("goal-row").get_by_role("button", name="Edit").click()
    dialog = page.get_by_role("dialog", name="Edit goal")
    expect(dialog.get_by_label("Converts on")).to_be_disabled()
    dialog.get_by_label("Name", exact=True).fill("Order")
    dialog.get_by_role("button", name="Save goal").click()
    expect(page.get_by_test_id("goal-row")).to_contain_text("Order")

    page.once("dialog", lambda confirm: confirm.accept())
    page.get_by_test_id("goal-row").get_by_role("button", name="Delete").click()
    expect(page.get_by_test_id("goal-row")).to_have_count(0)
    assert none_api.get(f"/api/websites/{website_id}/goals")["data"] == []


def test_overview_panel_equals_the_api_and_a_click_filters_to_converting_visits(page, live_server, none_api, goal_site) -> None:
    status, created, _ = none_api.call("POST", f"/api/websites/{goal_site}/goals", PURCHASE)
    assert status == 201, created
    purchase = created["data"]["id"]
    panel = none_api.get(f"/api/websites/{goal_site}/goals/conversions")["data"]
    row = next(r for r in panel["rows"] if r["goal_id"] == purchase)
    assert (row["visitors"], row["conversions"], row["revenue"]) == (2, 2, 42.5)

    page.goto(f"{live_server.url}/dashboard/{goal_site}")
    shown = page.locator(f'[data-testid="goal-conversion-row"][data-goal-id="{purchase}"]')
    expect(shown.locator("td").nth(1)).to_have_attribute("data-value", "2")
    expect(shown.locator("td").nth(2)).to_have_attribute("data-value", "2")
    # JavaScript writes 50.0 as "50".
    assert float(shown.locator("td").nth(3).get_attribute("data-value")) == row["conversion_rate"] == 50.0
    expect(shown.locator("td").nth(4)).to_contain_text("42.50")

    shown.get_by_test_id("goal-filter").click()
    expect(page).to_have_url(f"{live_server.url}/dashboard/{goal_site}?filter_goal={purchase}")
    expect(page.get_by_test_id("filters")).to_contain_text("Converted on goal Purchase")
    filtered = none_api.get(f"/api/websites/{goal_site}/stats?filter_goal={purchase}")["data"]
    assert filtered["visitors"] == 2
    expect(page.get_by_test_id("stat-visitors").locator(".stat-value")).to_have_attribute("data-value", "2")


def test_attribution_shows_the_apis_rows(page, live_server, none_api, goal_site) -> None:
    goals = none_api.get(f"/api/websites/{goal_site}/goals")["data"]
    purchase = next((g for g in goals if g["name"] == "Purchase"), None)
    if purchase is None:
        status, created, _ = none_api.call("POST", f"/api/websites/{goal_site}/goals", PURCHASE)
        assert status == 201, created
        purchase = created["data"]
    api = none_api.get(f"/api/websites/{goal_site}/attribution?goal_id={purchase['id']}")["data"]
    assert {(r["channel"], r["conversions"]) for r in api["rows"]} == {
        ("newsletter / utm", 1), ("news.ycombinator.com / referral", 1),
    }

    page.goto(f"{live_server.url}/dashboard/{goal_site}/goals?goal={purchase['id']}")
    rows = page.get_by_test_id("attribution-row")
    expect(rows).to_have_count(len(api["rows"]))
    for i, expected in enumerate(api["rows"]):
        expect(rows.nth(i)).to_contain_text(expected["channel"])
    expect(page.get_by_test_id("revenue-summary")).to_contain_text("2 conversions")
    expect(page.get_by_test_id("revenue-summary")).to_contain_text("42.50")
