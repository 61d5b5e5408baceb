"""Report pages against the API, on the shared none-mode server with a seeded website.

The page and the API are asked about the same range (the last 7 days, the API's default
range), so what the dashboard shows must be exactly what the API answers.
"""

from __future__ import annotations

import re
from urllib.parse import quote

import pytest
from playwright.sync_api import expect

from tests.dashboard.conftest import Api
from tests.dashboard.seed import Dataset, Visit, seed

STATS = ("pageviews", "visitors", "sessions", "bounce_rate", "avg_duration_seconds")


def stat(page, key: str):
    return page.get_by_test_id(f"stat-{key}").locator(".stat-value")


def js_number(value: float) -> re.Pattern:
    """What JavaScript's String(value) gives for a JSON number (1.0 → "1", 0.5 → "0.5")."""
    if float(value).is_integer():
        return re.compile(rf"^{int(value)}$")
    return re.compile(rf"^{re.escape(repr(float(value)))}$")


def expect_stats(page, stats: dict) -> None:
    for key in STATS:
        expect(stat(page, key)).to_have_attribute("data-value", js_number(stats[key]))


def test_overview_numbers_equal_the_api(page, live_server, none_api, seeded_site):
    website_id, dataset = seeded_site
    page.goto(f"{live_server.url}/dashboard/{website_id}?range=7d")
    api = none_api.get(f"/api/websites/{website_id}/stats")["data"]
    assert api["pageviews"] == dataset.pageviews and api["visitors"] == dataset.visitors
    expect_stats(page, api)

    # Breakdown tables, row by row.
    for type_, card, tab in (("page", "card-pages", None), ("referrer", "card-sources", None), ("browser", "card-devices", None),
                             ("entry_page", "card-pages", "Entry pages"), ("utm_source", "card-sources", "UTM sources"),
                             ("language", "card-locations", "Languages"), ("device", "card-devices", "Devices")):
        if tab:
            page.get_by_test_id(card).get_by_role("tab", name=tab).click()
        rows = none_api.get(f"/api/websites/{website_id}/metrics?type={type_}")["data"]["rows"]
        table = page.get_by_test_id(f"metric-{type_}")
        expect(table.locator("tbody tr")).to_have_count(len(rows))
        for i, row in enumerate(rows):
            cells = table.locator("tbody tr").nth(i)
            expect(cells).to_have_attribute("data-value", row["value"])
            expect(cells.locator("td").nth(1)).to_have_text(str(row["visitors"]))


def test_clicking_a_row_filters_the_whole_dashboard(page, live_server, none_api, seeded_site):
    website_id, _ = seeded_site
    page.goto(f"{live_server.url}/dashboard/{website_id}?range=7d")
    all_visitors = none_api.get(f"/api/websites/{website_id}/stats")["data"]["visitors"]
    expect(stat(page, "visitors")).to_have_attribute("data-value", str(all_visitors))

    page.get_by_test_id("card-devices").get_by_role("tab", name="Browsers").click()
    page.get_by_test_id("metric-browser").locator("tr[data-value='Firefox']").click()
    expect(page).to_have_url(re.compile(r"[?&]filter_browser=Firefox(&|$)"))
    filtered = none_api.get(f"/api/websites/{website_id}/stats?filter_browser=Firefox")["data"]
    assert filtered["visitors"] < all_visitors
    expect_stats(page, filtered)
    expect(page.get_by_test_id("filters")).to_contain_text("Browser is Firefox")
    # Other widgets follow: the page table only lists what Firefox users saw.
    pages = none_api.get(f"/api/websites/{website_id}/metrics?type=page&filter_browser=Firefox")["data"]["rows"]
    expect(page.get_by_test_id("metric-page").locator("tbody tr")).to_have_count(len(pages))

    # A second filter combines with the first; removing one brings its numbers back.
    page.get_by_test_id("metric-page").locator("tr[data-value='/blog/hello']").click()
    expect(page).to_have_url(re.compile(r"filter_page=%2Fblog%2Fhello"))
    both = none_api.get(f"/api/websites/{website_id}/stats?filter_browser=Firefox&filter_page={quote('/blog/hello')}")["data"]
    expect_stats(page, both)
    page.get_by_role("button", name="Remove filter Browser").click()
    expect(page).not_to_have_url(re.compile("filter_browser"))
    only_page = none_api.get(f"/api/websites/{website_id}/stats?filter_page={quote('/blog/hello')}")["data"]
    expect_stats(page, only_page)


def test_date_preset_and_compare_live_in_the_url_and_change_the_chart(page, live_server, seeded_site):
    website_id, _ = seeded_site
    page.goto(f"{live_server.url}/dashboard/{website_id}")
    chart = page.get_by_test_id("traffic-chart")
    expect(chart).to_have_attribute("data-points", "30")  # default: last 30 days, by day
    expect(chart).to_have_attribute("data-series", "Pageviews|Visitors")
    expect(chart.locator("canvas")).to_be_visible()

    page.get_by_test_id("range-select").select_option("today")
    expect(page).to_have_url(re.compile(r"[?&]range=today(&|$)"))
    expect(chart).to_have_attribute("data-points", "24")  # hourly buckets

    page.get_by_test_id("compare-select").select_option("previous_period")
    expect(page).to_have_url(re.compile(r"range=today&compare_mode=previous_period"))
    expect(chart).to_have_attribute("data-series", "Pageviews|Visitors|Pageviews (comparison)")
    expect(page.get_by_test_id("metric-page").locator("th", has_text="Change")).to_be_visible()

    # CSV export of the same range.
    href = page.get_by_role("link", name="Export CSV").get_attribute("href")
    assert re.search(r"start_date=\d{4}-\d\d-\d\d&end_date=\d{4}-\d\d-\d\d.*format=csv", href)
    status, _, headers = Api(live_server.url).call("GET", href)
    assert status == 200 and {k.lower(): v for k, v in headers.items()}["content-type"].startswith("text/csv")

    # The URL alone restores the view (bookmark / shared link).
    bookmarked = page.url
    page.goto("about:blank")
    page.goto(bookmarked)
    expect(page.get_by_test_id("range-select")).to_have_value("today")
    expect(page.get_by_test_id("compare-select")).to_have_value("previous_period")
    expect(page.get_by_test_id("traffic-chart")).to_have_attribute("data-series", "Pageviews|Visitors|Pageviews (comparison)")

    # Custom range.
    page.get_by_test_id("range-select").select_option("custom")
    form = page.get_by_test_id("custom-range")
    form.get_by_label("Custom range start").fill("2026-01-01")
    form.get_by_label("Custom range end").fill("2026-01-10")
    form.get_by_role("button", name="Apply").click()
    expect(page).to_have_url(re.compile(r"range=custom.*start=2026-01-01&end=2026-01-10"))
    expect(page.get_by_test_id("traffic-chart")).to_have_attribute("data-points", "10")


def test_realtime_page(page, live_server, none_api, seeded_site):
    website_id, _ = seeded_site
    page.goto(f"{live_server.url}/dashboard/{website_id}/realtime")
    api = none_api.get(f"/api/websites/{website_id}/realtime")["data"]
    assert api["active_visitors"] > 0
    expect(page.get_by_test_id("active-visitors")).to_have_text(str(api["active_visitors"]))
    expect(page.get_by_test_id("feed-item")).to_have_count(len(api["recent_events"]))
    expect(page.get_by_test_id("feed-item").first).to_contain_text(re.compile(r"\d+s ago|\dm ago"))
    expect(page.get_by_test_id("live-badge")).to_contain_text(str(api["active_visitors"]))


def test_sessions_list_and_timeline_drawer(page, live_server, none_api, seeded_site):
    website_id, _ = seeded_site
    page.goto(f"{live_server.url}/dashboard/{website_id}/sessions?range=7d")
    sessions = none_api.get(f"/api/websites/{website_id}/sessions")["data"]
    expect(page.get_by_test_id("session-row")).to_have_count(len(sessions))

    longest = max(sessions, key=lambda s: s["event_count"])
    page.locator(f"[data-session='{longest['session_id']}']").click()
    expect(page).to_have_url(re.compile(rf"session={longest['session_id']}"))
    drawer = page.get_by_test_id("session-drawer")
    detail = none_api.get(f"/api/websites/{website_id}/sessions/{longest['session_id']}")["data"]
    expect(drawer.get_by_test_id("timeline-item")).to_have_count(len(detail["events"]))
    expect(drawer.get_by_test_id("timeline-item").first).to_contain_text(detail["events"][0]["url"].split("example", 1)[-1][-5:])
    page.keyboard.press("Escape")
    expect(drawer).to_have_count(0)
    expect(page).not_to_have_url(re.compile("session="))


def test_sessions_load_more_pages_with_the_cursor(page, live_server, none_api):
    website_id = none_api.create_website("Many sessions")
    visits = [Visit(f"many{i:02d}", "chrome-windows" if i % 2 else "firefox-linux", ("/",)) for i in range(60)]
    seed(live_server.url, website_id, Dataset(visits))
    live_server.flush()
    page.goto(f"{live_server.url}/dashboard/{website_id}/sessions")
    expect(page.get_by_test_id("session-row")).to_have_count(50)
    page.get_by_role("button", name="Load more sessions").click()
    expect(page.get_by_test_id("session-row")).to_have_count(60)
    expect(page.get_by_role("button", name="Load more sessions")).to_have_count(0)
    ids = page.get_by_test_id("session-row").evaluate_all("rows => rows.map(r => r.dataset.session)")
    assert len(set(ids)) == 60


def test_custom_events_page(page, live_server, none_api, seeded_site):
    website_id, _ = seeded_site
    page.goto(f"{live_server.url}/dashboard/{website_id}/events?range=7d")
    rows = none_api.get(f"/api/websites/{website_id}/events")["data"]["rows"]
    expect(page.get_by_test_id("event-row")).to_have_count(len(rows))
    assert [r["event_name"] for r in rows] == ["signup", "download"]

    page.locator("[data-testid=event-row][data-value=signup]").click()
    expect(page).to_have_url(re.compile(r"event=signup"))
    expect(page.get_by_test_id("event-detail-title")).to_have_text("signup")
    expect(page.get_by_test_id("event-chart")).to_have_attribute("data-series", "Occurrences|Visitors")
    props = none_api.get(f"/api/websites/{website_id}/events/properties?event_name=signup")["data"]["properties"]
    expect(page.get_by_test_id("property-row")).to_have_count(len(props))
    expect(page.get_by_test_id("property-row").filter(has_text="pro")).to_contain_text("2")


def test_new_website_shows_the_snippet_instead_of_empty_charts(page, live_server, none_api):
    website_id = none_api.create_website("Nothing yet")
    page.goto(f"{live_server.url}/dashboard/{website_id}")
    card = page.get_by_test_id("no-data")
    expect(card).to_contain_text("has not received a pageview yet")
    expect(card.get_by_test_id("snippet-code")).to_contain_text(website_id)
    expect(card.get_by_test_id("first-pageview")).to_have_attribute("data-state", "waiting")


def test_api_errors_show_a_message_and_a_retry_button(page, live_server, seeded_site):
    website_id, _ = seeded_site
    failing = {"on": True}

    def maybe_fail(route):
        if failing["on"]:
            route.fulfill(status=500, content_type="application/json",
                          body='{"error":{"code":"internal_error","message":"Internal server error","field":null}}')
        else:
            route.continue_()

    page.route(re.compile(r".*/api/websites/[^/]+/stats\?.*"), maybe_fail)
    page.goto(f"{live_server.url}/dashboard/{website_id}?range=7d")
    alert = page.get_by_test_id("overview").get_by_role("alert").first
    expect(alert).to_contain_text("Internal server error")
    expect(page.get_by_test_id("metric-page").locator("tbody tr").first).to_be_visible()  # other widgets unaffected
    failing["on"] = False
    alert.get_by_role("button", name="Retry").click()
    expect(stat(page, "pageviews")).to_have_attribute("data-value", re.compile(r"^\d+$"))


def test_delete_website_from_settings(page, live_server, none_api):
    website_id = none_api.create_website("Delete me")
    page.goto(f"{live_server.url}/dashboard/{website_id}/settings/danger")
    button = page.get_by_role("button", name="Delete website")
    expect(button).to_be_disabled()
    page.get_by_label("Website name to confirm").fill("Delete me")
    button.click()
    expect(page).to_have_url(re.compile(r"/(settings|onboarding)$"))
    status, _, _ = none_api.call("GET", f"/api/websites/{website_id}")
    assert status == 404


def test_phone_layout_and_dark_mode(browser, live_server, seeded_site):
    website_id, _ = seeded_site
    context = browser.new_context(viewport={"width": 390, "height": 844}, color_scheme="dark", is_mobile=True, has_touch=True)
    try:
        page = context.new_page()
        page.goto(f"{live_server.url}/dashboard/{website_id}?range=7d")
        expect(stat(page, "pageviews")).to_have_attribute("data-value", re.compile(r"^[1-9]\d*$"))
        # Nothing wider than the screen (no sideways scrolling of the whole page).
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
        background = page.evaluate("getComputedStyle(document.body).backgroundColor")
        assert background == "rgb(14, 14, 17)", background  # the dark palette's --bg
    finally:
        context.close()


def test_a_website_created_elsewhere_opens_without_a_reload(page, live_server, none_api, seeded_site):
    website_id, _ = seeded_site
    page.goto(f"{live_server.url}/dashboard/{website_id}")
    expect(page.get_by_test_id("stat-cards")).to_have_attribute("data-loaded", "1")
    other = none_api.create_website("Created elsewhere")
    page.evaluate("id => { history.pushState(null, '', '/dashboard/' + id); dispatchEvent(new PopStateEvent('popstate')); }", other)
    expect(page.get_by_test_id("site-picker").locator("option:checked")).to_have_text("Created elsewhere")
    page.evaluate("() => { history.pushState(null, '', '/dashboard/site_doesnotexist'); dispatchEvent(new PopStateEvent('popstate')); }")
    expect(page.get_by_text("Website not found")).to_be_visible()


@pytest.mark.parametrize(
    ("tab", "table", "value", "param", "chip"),
    [
        (None, "metric-referrer", "(direct)", "filter_referrer=%28direct%29", "Referrer is (direct)"),
        ("Channels", "metric-channel", "Organic Search", "filter_channel=Organic\\+Search", "Channel is Organic Search"),
    ],
)
def test_direct_and_channel_rows_filter_by_the_visits_source(page, live_server, none_api, seeded_site, tab, table, value, param, chip):
    website_id, _ = seeded_site
    page.goto(f"{live_server.url}/dashboard/{website_id}?range=7d")
    if tab:
        page.get_by_test_id("card-sources").get_by_role("tab", name=tab).click()
    page.get_by_test_id(table).locator(f"tr[data-value='{value}']").click()
    expect(page).to_have_url(re.compile(rf"[?&]{param}(&|$)"))
    filtered = none_api.get(f"/api/websites/{website_id}/stats?{param.split('=')[0]}={quote(value)}")["data"]
    assert filtered["visitors"] > 0
    expect_stats(page, filtered)
    expect(page.get_by_test_id("filters")).to_contain_text(chip)
