"""Funnels, journey and retention pages against the API, on the shared none-mode server.

One website gets seven visits, sent step by step (``seed_in_order``: funnels count a
step only strictly after the previous one, and collect stamps a whole request with one
time). Every visit is one session and one new visitor, today:

    a1  /  /pricing  /signup  + signup event
    a2  /  /pricing  /signup
    a3  /  /pricing
    a4     /pricing  /docs
    a5  /  /docs
    a6  /
    a7  /  /pricing  /signup

So the funnel  / → /pricing → signup event  keeps 6 → 4 → 1 sessions (2 lost before
/pricing, 3 before the event), and after /pricing the sessions went to /signup (a2, a7),
/signup then the event (a1), /docs (a4) or nowhere (a3): 5 sessions.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

import pytest
from playwright.sync_api import expect

from tests.dashboard.seed import Dataset, Visit, seed_in_order

VISITS = [
    Visit("a1", "chrome-windows", ("/", "/pricing", "/signup"), events=(("signup", {"plan": "pro"}),)),
    Visit("a2", "firefox-linux", ("/", "/pricing", "/signup")),
    Visit("a3", "safari-iphone", ("/", "/pricing")),
    Visit("a4", "safari-mac", ("/pricing", "/docs")),
    Visit("a5", "chrome-android", ("/", "/docs")),
    Visit("a6", "chrome-windows", ("/",)),
    Visit("a7", "safari-mac", ("/", "/pricing", "/signup")),
]


@pytest.fixture(scope="module")
def explore_site(live_server, none_api) -> str:
    website_id = none_api.create_website("Explore shop")
    seed_in_order(live_server.url, website_id, Dataset(VISITS))
    live_server.flush()
    return website_id


def add_step(dialog, n: int, kind: str, value: str, *, operator: str = "equals", label: str = "") -> None:
    dialog.get_by_label(f"Step {n} type").select_option(kind)
    dialog.get_by_label(f"Step {n} match").select_option(operator)
    noun = "event name" if kind == "event" else "page path"
    dialog.get_by_label(f"Step {n} {noun}").fill(value)
    if label:
        dialog.get_by_label(f"Step {n} label (optional)").fill(label)


def create_signup_funnel(page, name: str) -> None:
    page.get_by_role("button", name="New funnel").click()
    dialog = page.get_by_role("dialog", name="New funnel")
    dialog.get_by_label("Name").fill(name)
    add_step(dialog, 1, "page_view", "/", label="Home")
    add_step(dialog, 2, "page_view", "/pricing")
    dialog.get_by_role("button", name="+ Add step").click()
    add_step(dialog, 3, "event", "signup", label="Signed up")
    dialog.get_by_role("button", name="Create funnel").click()


def test_a_funnel_built_in_the_dialog_shows_its_steps(page, live_server, none_api, explore_site):
    page.goto(f"{live_server.url}/dashboard/{explore_site}/funnels")
    create_signup_funnel(page, "Signup")

    expect(page.get_by_role("dialog")).to_have_count(0)
    card = page.get_by_test_id("funnel-card").filter(has_text="Signup")
    expect(card).to_have_attribute("aria-pressed", "true")
    expect(page).to_have_url(re.compile(rf"funnel={card.get_attribute('data-funnel-id')}"))

    results = page.get_by_test_id("funnel-results")
    steps = results.get_by_test_id("funnel-step")
    expect(steps).to_have_count(3)
    assert steps.evaluate_all("els => els.map(e => e.dataset.sessions)") == ["6", "4", "1"]
    expect(steps.nth(0)).to_contain_text("Home")
    expect(steps.nth(1)).to_contain_text("/pricing")  # no label: the match value
    expect(steps.nth(2)).to_contain_text("Signed up")
    expect(results.get_by_test_id("funnel-step-sessions")).to_have_text(["6", "4", "1"])
    drops = results.get_by_test_id("funnel-drop")
    expect(drops).to_have_count(2)  # between steps, none after the last
    expect(drops.nth(0)).to_contain_text("67% continued · 2 dropped off (33%)")
    expect(drops.nth(1)).to_contain_text("25% continued · 3 dropped off (75%)")
    expect(results.get_by_test_id("funnel-entered")).to_have_text("6")
    expect(results.get_by_test_id("funnel-completed")).to_have_text("1")
    expect(results.get_by_test_id("funnel-conversion")).to_have_text("17%")
    # The bars are as wide as each step's share of step 1.
    widths = results.locator(".funnel-fill").evaluate_all("els => els.map(e => parseFloat(e.style.width))")
    assert widths == pytest.approx([100, 4 / 6 * 100, 1 / 6 * 100], abs=0.01)

    # What the API answers for the same funnel and range.
    funnel_id = card.get_attribute("data-funnel-id")
    api = none_api.get(f"/api/websites/{explore_site}/funnels/{funnel_id}/results")["data"]
    assert [s["sessions_reached"] for s in api["steps"]] == [6, 4, 1]


def test_a_funnel_is_edited_and_deleted(page, live_server, none_api, explore_site):
    status, body, _ = none_api.call("POST", f"/api/websites/{explore_site}/funnels", {
        "name": "Docs", "steps": [
            {"step_type": "page_view", "match_value": "/"},
            {"step_type": "page_view", "match_value": "/docs"},
        ],
    })
    assert status == 201, body
    funnel_id = body["data"]["id"]
    page.goto(f"{live_server.url}/dashboard/{explore_site}/funnels?funnel={funnel_id}")
    results = page.get_by_test_id("funnel-results")
    expect(results.get_by_test_id("funnel-step-sessions")).to_have_text(["6", "1"])  # a5 only: a4 saw /docs without /

    results.get_by_role("button", name="Edit").click()
    dialog = page.get_by_role("dialog", name="Edit funnel")
    expect(dialog.get_by_label("Name")).to_have_value("Docs")
    expect(dialog.get_by_label("Step 2 page path")).to_have_value("/docs")
    dialog.get_by_label("Name").fill("Docs from pricing")
    dialog.get_by_label("Step 1 page path").fill("/pricing")
    dialog.get_by_role("button", name="Save funnel").click()
    expect(page.get_by_role("dialog")).to_have_count(0)
    expect(results.get_by_role("heading")).to_have_text("Docs from pricing")
    expect(results.get_by_test_id("funnel-step-sessions")).to_have_text(["5", "1"])  # a4
    assert none_api.get(f"/api/websites/{explore_site}/funnels/{funnel_id}")["data"]["steps"][0]["match_value"] == "/pricing"

    page.once("dialog", lambda confirm: confirm.accept())
    results.get_by_role("button", name="Delete").click()
    expect(page.locator(f"[data-funnel-id='{funnel_id}']")).to_have_count(0)
    expect(page).not_to_have_url(re.compile("funnel="))
    status, _, _ = none_api.call("GET", f"/api/websites/{explore_site}/funnels/{funnel_id}")
    assert status == 404


def test_the_builder_shows_the_api_message_and_checks_steps_first(page, live_server, none_api, explore_site):
    body = {"name": "Taken", "steps": [{"step_type": "page_view", "match_value": "/"},
                                       {"step_type": "event", "match_value": "signup"}]}
    status, _, _ = none_api.call("POST", f"/api/websites/{explore_site}/funnels", body)
    assert status == 201
    status, duplicate, _ = none_api.call("POST", f"/api/websites/{explore_site}/funnels", body)
    assert status == 422

    page.goto(f"{live_server.url}/dashboard/{explore_site}/funnels")
    page.get_by_role("button", name="New funnel").click()
    dialog = page.get_by_role("dialog", name="New funnel")
    dialog.get_by_label("Name").fill("Taken")
    add_step(dialog, 1, "page_view", "/")
    dialog.get_by_role("button", name="Create funnel").click()
    expect(dialog.get_by_role("alert")).to_have_text("Step 2 needs a value to match.")
    expect(dialog.get_by_label("Step 2 page path")).to_be_focused()

    add_step(dialog, 2, "event", "signup")
    dialog.get_by_role("button", name="Create funnel").click()
    expect(dialog.get_by_role("alert")).to_have_text(duplicate["error"]["message"])
    expect(dialog).to_be_visible()
    # 2 steps at least, 8 at most.
    expect(dialog.get_by_role("button", name="Remove step 1")).to_be_disabled()
    for _ in range(6):
        dialog.get_by_role("button", name="+ Add step").click()
    expect(dialog.get_by_test_id("step-row")).to_have_count(8)
    expect(dialog.get_by_role("button", name="+ Add step")).to_be_disabled()


def test_the_builder_works_at_the_keyboard(page, live_server, explore_site):
    page.goto(f"{live_server.url}/dashboard/{explore_site}/funnels")
    opener = page.get_by_role("button", name="New funnel")
    opener.focus()
    page.keyboard.press("Enter")
    dialog = page.get_by_role("dialog", name="New funnel")
    expect(dialog.get_by_label("Name")).to_be_focused()
    page.keyboard.type("Keyboard")
    page.keyboard.press("Tab")
    expect(dialog.get_by_label("Step 1 type")).to_be_focused()
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    expect(dialog.get_by_label("Step 1 page path")).to_be_focused()
    page.keyboard.type("/pricing")
    dialog.get_by_label("Step 1 label (optional)").focus()
    page.keyboard.press("Tab")  # move up: disabled, skipped
    expect(dialog.get_by_role("button", name="Move step 1 down")).to_be_focused()
    page.keyboard.press("Enter")  # the step moves down: it is step 2 now
    expect(dialog.get_by_label("Step 2 page path")).to_have_value("/pricing")
    expect(dialog.get_by_label("Step 1 page path")).to_have_value("")
    page.keyboard.press("Escape")
    expect(page.get_by_role("dialog")).to_have_count(0)
    expect(opener).to_be_focused()


def test_journey_lists_the_branches_after_and_before_an_anchor(page, live_server, none_api, explore_site):
    page.goto(f"{live_server.url}/dashboard/{explore_site}/journey?range=7d")
    expect(page.get_by_test_id("journey")).to_contain_text("Choose a page or an event")
    form = page.get_by_test_id("journey-form")
    form.get_by_label("Page path").fill("/pricing")
    form.get_by_label("Page path").press("Enter")
    expect(page).to_have_url(re.compile(r"anchor_type=page&anchor_value=%2Fpricing&direction=next"))

    results = page.get_by_test_id("journey-results")
    expect(results.get_by_test_id("journey-total")).to_contain_text("5 sessions reached /pricing")
    branches = results.get_by_test_id("journey-branch")
    expect(branches).to_have_count(4)
    # Most sessions first, then by path ([] first).
    assert branches.evaluate_all("els => els.map(e => [e.dataset.nodes, e.dataset.sessions])") == [
        ["/signup", "2"], ["", "1"], ["/docs", "1"], ["/signup → signup", "1"],
    ]
    expect(branches.nth(0).locator(".branch-path")).to_have_text("/pricing→/signup")
    expect(branches.nth(0)).to_contain_text("40%")
    expect(branches.nth(1).locator(".branch-path")).to_have_text("/pricing→session ended")
    expect(branches.nth(3).locator(".branch-path")).to_have_text("/pricing→/signup→signup")
    today = datetime.now(timezone.utc).date()
    api = none_api.get(f"/api/websites/{explore_site}/journey?anchor_type=page&anchor_value=/pricing&direction=next"
                       f"&start_date={today - timedelta(days=6)}&end_date={today}")["data"]
    assert [b["nodes"] for b in api["branches"]] == [["/signup"], [], ["/docs"], ["/signup", "signup"]]

    # Direction and depth apply at once; the path is listed in time order.
    form.get_by_label("Direction").select_option("previous")
    form.get_by_label("Steps").select_option("1")
    expect(page).to_have_url(re.compile(r"direction=previous&max_depth=1"))
    expect(branches).to_have_count(2)
    expect(branches.nth(0).locator(".branch-path")).to_have_text("/→/pricing")
    expect(branches.nth(0)).to_have_attribute("data-sessions", "4")
    expect(branches.nth(1).locator(".branch-path")).to_have_text("session started→/pricing")

    # An event anchor.
    form.get_by_label("Anchor").select_option("event")
    form.get_by_label("Event name").fill("signup")
    form.get_by_role("button", name="Show paths").click()
    expect(results.get_by_test_id("journey-total")).to_contain_text("1 session reached signup")
    expect(branches.nth(0).locator(".branch-path")).to_have_text("/signup→signup")


def test_journey_needs_an_anchor_and_shows_api_errors(page, live_server, explore_site):
    asked: list[str] = []
    page.on("request", lambda r: asked.append(r.url) if "/journey?" in r.url else None)
    page.goto(f"{live_server.url}/dashboard/{explore_site}/journey")
    form = page.get_by_test_id("journey-form")
    form.get_by_label("Page path").fill("   ")
    form.get_by_role("button", name="Show paths").click()
    expect(form.get_by_role("alert")).to_have_text("Enter a page path to start from.")
    expect(form.get_by_label("Page path")).to_be_focused()
    assert asked == []
    assert "anchor_value" not in page.url

    # A filter the API refuses (blank): its message is shown, with a Retry button.
    page.goto(f"{live_server.url}/dashboard/{explore_site}/journey?anchor_type=page&anchor_value=%2F&filter_page=%20")
    alert = page.get_by_test_id("journey-results").get_by_role("alert")
    expect(alert).to_contain_text("filter_page cannot be empty when provided")
    expect(alert.get_by_role("button", name="Retry")).to_be_visible()


def test_retention_heatmap_shows_the_seeded_cohort(page, live_server, none_api, explore_site):
    page.goto(f"{live_server.url}/dashboard/{explore_site}/retention?range=7d")
    today = datetime.now(timezone.utc).date()
    monday = today - timedelta(days=today.weekday())
    heatmap = page.get_by_test_id("retention-heatmap")
    rows = heatmap.get_by_test_id("cohort-row")
    expect(rows).to_have_count(1)
    expect(rows.first).to_have_attribute("data-cohort", monday.isoformat())
    expect(rows.first.get_by_test_id("cohort-size")).to_have_text("7")
    expect(heatmap.locator("thead th")).to_have_text(["Cohort", "Visitors"] + [f"Week {n}" for n in range(8)])
    week0 = rows.first.locator("td[data-offset='0']")
    expect(week0).to_have_text("100%")
    expect(week0).to_have_attribute("data-retained", "7")
    # Later weeks have not begun: shown empty, not as 0%.
    expect(rows.first.locator("td.future")).to_have_count(7)
    expect(page.get_by_test_id("retention-visitors").locator(".stat-value")).to_have_text("7")
    expect(page.get_by_test_id("retention-cohorts").locator(".stat-value")).to_have_text("1")
    # Anonymous ids change daily (Decision 6): the page says who can be followed.
    expect(page.get_by_test_id("retention-identity-note")).to_contain_text("sparklytics.identify()")
    # The API's 0.0 when no cohort has reached week 1 yet is "no data", not 0%.
    assert api_summary(none_api, explore_site)["avg_period1_rate"] == 0.0
    expect(page.get_by_test_id("retention-period1")).to_contain_text("–No cohort reached week 1 by the end of the range")
    api = none_api.get(f"/api/websites/{explore_site}/retention?start_date={today - timedelta(days=6)}&end_date={today}")["data"]
    assert [(r["cohort_start"], r["cohort_size"]) for r in api["rows"]] == [(monday.isoformat(), 7)]

    # Daily cohorts, 3 periods: the URL keeps the choice.
    page.get_by_role("tab", name="Daily").click()
    expect(page).to_have_url(re.compile(r"cohort_granularity=day"))
    page.get_by_test_id("periods-select").select_option("3")
    expect(page).to_have_url(re.compile(r"cohort_granularity=day&max_periods=3"))
    expect(rows).to_have_count(1)
    expect(rows.first).to_have_attribute("data-cohort", today.isoformat())
    expect(heatmap.locator("thead th")).to_have_text(["Cohort", "Visitors", "Day 0", "Day 1", "Day 2"])
    expect(page.get_by_test_id("retention-period1")).to_contain_text("Day 1 retention")
    expect(page.get_by_test_id("retention-period4")).to_contain_text("–Choose more than 4 days to see it")


def api_summary(api, website_id: str) -> dict:
    today = datetime.now(timezone.utc).date()
    return api.get(f"/api/websites/{website_id}/retention?start_date={today - timedelta(days=6)}&end_date={today}")["data"]["summary"]


def test_the_three_pages_are_in_the_navigation_and_keep_the_range(page, live_server, explore_site):
    page.goto(f"{live_server.url}/dashboard/{explore_site}/events?range=7d")
    nav = page.get_by_role("navigation", name="Sections")
    for label, path in (("Funnels", "funnels"), ("Journey", "journey"), ("Retention", "retention")):
        nav.get_by_role("link", name=label).click()
        expect(page).to_have_url(re.compile(rf"/dashboard/{explore_site}/{path}\?range=7d$"))
        expect(nav.get_by_role("link", name=label)).to_have_attribute("aria-current", "page")
        expect(page.get_by_test_id("range-select")).to_have_value("7d")
        expect(page.get_by_test_id("compare-select")).to_have_count(0)


def test_an_empty_website_shows_empty_states(page, live_server, none_api):
    website_id = none_api.create_website("Empty explore")
    page.goto(f"{live_server.url}/dashboard/{website_id}/funnels")
    expect(page.get_by_test_id("funnel-list")).to_contain_text("No funnels yet")
    expect(page.get_by_test_id("funnel-results")).to_have_count(0)
    page.goto(f"{live_server.url}/dashboard/{website_id}/retention")
    expect(page.get_by_test_id("retention-card")).to_contain_text("No new visitors in this period")
    page.goto(f"{live_server.url}/dashboard/{website_id}/journey?anchor_type=page&anchor_value=%2F")
    expect(page.get_by_test_id("journey-results")).to_contain_text("No session reached / in this period.")
