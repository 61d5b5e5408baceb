"""The Bots page against the API, on the shared none-mode server: the numbers, the policy
form, the lists, and a recompute with its progress.

One website, today: three human visits (Chrome, Firefox, Safari) and one crawler visit
(curl, two pageviews), so 2 bot events of 7 before any rule.
"""

from __future__ import annotations

import json
import urllib.request

import pytest
from playwright.sync_api import expect

from tests.dashboard.seed import Dataset, Visit, seed


def crawl(base_url: str, website_id: str) -> None:
    events = [{"website_id": website_id, "type": "pageview", "url": f"https://shop.example{path}"} for path in ("/", "/a")]
    request = urllib.request.Request(f"{base_url}/api/collect", data=json.dumps(events).encode(), method="POST",
                                     headers={"Content-Type": "application/json", "User-Agent": "curl/8.5.0"})
    with urllib.request.urlopen(request, timeout=10) as response:
        assert response.status == 202


@pytest.fixture(scope="module")
def bot_site(live_server, none_api) -> str:
    website_id = none_api.create_website("Bot shop")
    seed(live_server.url, website_id, Dataset([
        Visit("h1", "chrome-windows", ("/", "/pricing")),
        Visit("h2", "firefox-linux", ("/",)),
        Visit("h3", "safari-mac", ("/", "/docs")),
    ]))
    crawl(live_server.url, website_id)
    live_server.flush()
    return website_id


def test_numbers_equal_the_api(page, live_server, none_api, bot_site) -> None:
    report = none_api.get(f"/api/websites/{bot_site}/bot/report")["data"]
    assert (report["split"]["bot_events"], report["split"]["human_events"]) == (2, 5)
    page.goto(f"{live_server.url}/dashboard/{bot_site}/bots")
    expect(page.get_by_test_id("bot-events").locator(".stat-value")).to_have_attribute("data-value", "2")
    expect(page.get_by_test_id("human-events").locator(".stat-value")).to_have_attribute("data-value", "5")
    expect(page.get_by_test_id("bot-reasons")).to_contain_text("ua_signature")
    expect(page.get_by_test_id("bot-agents")).to_contain_text("curl/8.5.0")
    expect(page.get_by_test_id("bot-chart").locator(".bot-bar")).to_have_count(len(report["timeseries"]))


def test_policy_lists_and_a_recompute(page, live_server, none_api, bot_site) -> None:
    page.goto(f"{live_server.url}/dashboard/{bot_site}/bots")
    policy = page.get_by_test_id("bot-policy")
    policy.get_by_label("Mode").select_option("strict")
    policy.get_by_label("Threshold score (0–100)").fill("65")
    policy.get_by_role("button", name="Save policy").click()
    expect(policy.get_by_role("status")).to_have_text("Policy saved")
    expect(policy.get_by_label("Threshold score (0–100)")).to_have_value("65")
    assert none_api.get(f"/api/websites/{bot_site}/bot/policy")["data"]["threshold_score"] == 65

    blocklist = page.get_by_test_id("blocklist")
    blocklist.get_by_label("blocklist value").fill("Firefox")
    blocklist.get_by_role("button", name="Add").click()
    expect(page.get_by_test_id("blocklist-entry")).to_have_count(1)
    blocklist.get_by_label("blocklist match type").select_option("ip_cidr")
    blocklist.get_by_label("blocklist value").fill("not-a-network")
    blocklist.get_by_role("button", name="Add").click()
    expect(blocklist.get_by_role("alert")).to_have_text("match_value must be an IP network (CIDR)")

    page.get_by_test_id("bot-recompute").get_by_role("button", name="Recompute the last 30 days").click()
    expect(page.get_by_test_id("recompute-status")).to_have_attribute("data-status", "success", timeout=20_000)
    expect(page.get_by_test_id("recompute-status")).to_contain_text("7 events re-classified")
    # h2 browses with Firefox: its pageview is a bot now.
    assert none_api.get(f"/api/websites/{bot_site}/bot-summary")["data"]["bot_events"] == 3

    page.get_by_test_id("blocklist").get_by_role("button", name="Remove Firefox").click()
    expect(page.get_by_test_id("blocklist-entry")).to_have_count(0)
    actions = [a["action"] for a in none_api.get(f"/api/websites/{bot_site}/bot/audit")["data"]]
    assert actions[:3] == ["block_remove", "recompute_start", "block_add"] and "policy_update" in actions
