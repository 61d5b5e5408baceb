"""Dashboard details a first-hour user trips over (issue 12, "found on the way"), each
checked in Chromium against the shared none-mode server.

Sites other than ``seeded_site`` are created per test, so their extra data (a bot, long
paths, another time zone) does not change the numbers other tests compare.
"""

from __future__ import annotations

import json
import re
import urllib.request
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from playwright.sync_api import expect

from tests.dashboard.conftest import VIEWPORT
from tests.dashboard.seed import Dataset, Visit, seed

PHONE = {"width": 390, "height": 844}


def one_line(locator) -> bool:
    """True when the element's text is laid out on a single line."""
    return locator.evaluate(
        """el => {
            const range = document.createRange();
            range.selectNodeContents(el);
            return new Set([...range.getClientRects()].map(r => Math.round(r.top))).size === 1;
        }"""
    )


def text_of(locator) -> str:
    """The element's text with the narrow and no-break spaces Intl uses made plain."""
    return re.sub(r"[\u202f\u00a0]", " ", locator.inner_text())


# ---- realtime ----------------------------------------------------------------------------


def test_realtime_feed_names_custom_events(page, live_server, seeded_site):
    website_id, dataset = seeded_site
    page.goto(f"{live_server.url}/dashboard/{website_id}/realtime")
    kinds = page.get_by_test_id("feed-kind")
    expect(kinds.filter(has_text=re.compile(r"^signup$"))).to_have_count(3)
    expect(kinds.filter(has_text=re.compile(r"^download$"))).to_have_count(1)
    expect(kinds.filter(has_text=re.compile(r"^pageview$"))).to_have_count(dataset.pageviews)
    expect(kinds.filter(has_text=re.compile(r"^event$"))).to_have_count(0)


# ---- sessions ----------------------------------------------------------------------------


def test_sessions_count_custom_events_and_show_the_websites_time(page, live_server, none_api):
    """The browser runs in UTC, the website in Asia/Kolkata (+05:30, no DST): every time
    of the list and of the drawer is Kolkata's, as the charts are."""
    website_id = none_api.create_website("Kolkata shop", timezone="Asia/Kolkata")
    seed(live_server.url, website_id, Dataset([
        Visit("k1", "chrome-windows", ("/", "/pricing", "/signup"), events=(("signup", {"plan": "pro"}),)),
        Visit("k2", "firefox-linux", ("/docs",)),
    ]))
    live_server.flush()
    sessions = {s["visitor_id"]: s for s in none_api.get(f"/api/websites/{website_id}/sessions")["data"]}
    page.goto(f"{live_server.url}/dashboard/{website_id}/sessions?range=today")

    buyer = page.locator(f"[data-session='{sessions['k1']['session_id']}']")
    expect(buyer.get_by_test_id("session-events")).to_have_text("1")  # 3 pageviews + 1 signup
    expect(page.locator(f"[data-session='{sessions['k2']['session_id']}']").get_by_test_id("session-events")).to_have_text("0")

    kolkata = ZoneInfo("Asia/Kolkata")
    last_seen = datetime.fromisoformat(sessions["k1"]["last_seen"]).replace(tzinfo=timezone.utc).astimezone(kolkata)
    hour = last_seen.hour % 12 or 12
    expect_short = f"{last_seen:%b} {last_seen.day}, {hour}:{last_seen:%M} {'AM' if last_seen.hour < 12 else 'PM'}"
    assert text_of(buyer.get_by_test_id("session-last-seen")) == expect_short

    buyer.click()
    drawer = page.get_by_test_id("session-drawer")
    first_seen = datetime.fromisoformat(sessions["k1"]["first_seen"]).replace(tzinfo=timezone.utc).astimezone(kolkata)
    started = text_of(drawer.get_by_test_id("session-started"))
    assert f"{first_seen.hour % 12 or 12}:{first_seen:%M}" in started, started
    times = [text_of(t) for t in drawer.locator(".timeline time").all()]
    hours = {f"{first_seen:%I}:", f"{(first_seen + timedelta(hours=1)):%I}:"}  # the en-US 12-hour clock
    assert times and all(t[:3] in hours for t in times), times


def test_session_drawer_backdrop_covers_the_whole_page(page, live_server, none_api, seeded_site):
    website_id, _ = seeded_site
    session = none_api.get(f"/api/websites/{website_id}/sessions")["data"][0]
    page.goto(f"{live_server.url}/dashboard/{website_id}/sessions?session={session['session_id']}")
    expect(page.get_by_test_id("session-drawer")).to_be_visible()
    box = page.locator(".drawer-backdrop").bounding_box()
    assert box == {"x": 0, "y": 0, "width": VIEWPORT["width"], "height": VIEWPORT["height"]}
    # The header is behind it: a click at the very top closes the drawer.
    page.mouse.click(20, 5)
    expect(page.get_by_test_id("session-drawer")).to_have_count(0)


def test_phone_sessions_keep_paths_on_one_line_and_the_tab_bar_shows_it_scrolls(browser, live_server, none_api):
    website_id = none_api.create_website("Long paths")
    long_entry = "/blog/2026/03/a-rather-long-article-title-about-privacy-first-web-analytics"
    seed(live_server.url, website_id, Dataset([Visit("p1", "safari-iphone", (long_entry, "/pricing/enterprise-plan-comparison"))]))
    live_server.flush()
    ctx = browser.new_context(viewport=PHONE, locale="en-US", timezone_id="UTC", is_mobile=True, has_touch=True)
    try:
        page = ctx.new_page()
        page.goto(f"{live_server.url}/dashboard/{website_id}/sessions?range=today")
        cell = page.get_by_test_id("session-paths")
        expect(cell).to_have_count(1)
        assert one_line(cell)
        assert cell.evaluate("el => el.scrollWidth > el.clientWidth && getComputedStyle(el).textOverflow === 'ellipsis'")
        expect(cell).to_have_attribute("title", f"{long_entry} → /pricing/enterprise-plan-comparison")

        sections = page.get_by_test_id("sections")
        expect(sections).to_have_attribute("data-more", re.compile("right|both"))
        assert sections.evaluate("el => getComputedStyle(el).maskImage") != "none"
        sections.evaluate("el => el.scrollTo({left: el.scrollWidth})")
        expect(sections).to_have_attribute("data-more", "left")
    finally:
        ctx.close()


# ---- overview: bots and the 12-month chart -------------------------------------------------


def send_as(base: str, event: dict, headers: dict[str, str]) -> None:
    request = urllib.request.Request(f"{base}/api/collect", data=json.dumps(event).encode(), method="POST",
                                     headers={"Content-Type": "application/json", **headers})
    with urllib.request.urlopen(request, timeout=10) as response:
        assert response.status == 202


def test_overview_says_bots_are_hidden_and_can_show_them(page, live_server, none_api):
    website_id = none_api.create_website("Bots")
    seed(live_server.url, website_id, Dataset([Visit("h1", "chrome-windows", ("/",))]))
    send_as(live_server.url, {"website_id": website_id, "type": "pageview", "url": "https://example.com/"},
            {"User-Agent": "curl/8.5.0", "Accept": "*/*"})
    live_server.flush()
    page.goto(f"{live_server.url}/dashboard/{website_id}?range=today")
    note = page.get_by_test_id("bots-note")
    expect(note).to_contain_text("Bot traffic hidden")
    expect(page.get_by_test_id("stat-pageviews").locator(".stat-value")).to_have_attribute("data-value", "1")
    note.get_by_role("button", name="Show bots").click()
    expect(page).to_have_url(re.compile(r"bots=include"))
    expect(note).to_contain_text("Bot traffic included")
    expect(page.get_by_test_id("stat-pageviews").locator(".stat-value")).to_have_attribute("data-value", "2")
    # The export says it has every event, bots marked.
    title = page.get_by_role("link", name="Export CSV").get_attribute("title")
    assert "bots included (is_bot column)" in title


def test_last_x_label_of_the_12_month_chart_is_not_cut(page, live_server, seeded_site):
    website_id, _ = seeded_site
    page.goto(f"{live_server.url}/dashboard/{website_id}?range=12m")
    canvas = page.get_by_test_id("traffic-chart").locator("canvas")
    expect(canvas).to_have_count(1)
    expect(page.get_by_test_id("traffic-chart")).to_have_attribute("data-points", "13")
    # The rightmost painted pixel of the x-axis strip (labels) keeps clear of the edge.
    gap = canvas.evaluate(
        """c => {
            const g = c.getContext('2d');
            const strip = Math.round(c.height * 0.12);
            const img = g.getImageData(0, c.height - strip, c.width, strip).data;
            let right = -1;
            for (let y = 0; y < strip; y++)
                for (let x = c.width - 1; x > right; x--)
                    if (img[(y * c.width + x) * 4 + 3] > 0) { right = x; break; }
            return c.width - 1 - right;
        }"""
    )
    assert gap >= 2, gap


# ---- snippet, copy buttons, add website ----------------------------------------------------


def test_snippet_options_edit_the_copied_snippet(browser, live_server, none_api):
    website_id = none_api.create_website("Snippets")
    ctx = browser.new_context(viewport=VIEWPORT, locale="en-US", timezone_id="UTC")
    ctx.grant_permissions(["clipboard-read", "clipboard-write"], origin=live_server.url)
    try:
        page = ctx.new_page()
        page.goto(f"{live_server.url}/onboarding?website={website_id}")
        snippet = none_api.get(f"/api/websites/{website_id}")["data"]["tracking_snippet"]
        code = page.get_by_test_id("snippet-code")
        expect(code).to_have_text(snippet)
        options = page.get_by_test_id("snippet-options")
        expect(options.get_by_label(re.compile("^Hash routing"))).to_be_checked()
        options.get_by_label(re.compile("^Outbound links")).check()
        options.get_by_label(re.compile("^Scroll depth")).check()
        options.get_by_label(re.compile("^Form submits")).check()
        options.get_by_label(re.compile("^Hash routing")).uncheck()
        wanted = snippet.replace("></script>", ' data-track-links="outbound" data-track-scroll-depth="true"'
                                 ' data-track-forms="true" data-exclude-hash="true"></script>')
        expect(code).to_have_text(wanted)
        page.get_by_test_id("snippet").locator(".code-block").first.get_by_role("button", name="Copy").click()
        assert page.evaluate("navigator.clipboard.readText()") == wanted

        # The proxy form takes the same options.
        page.get_by_role("tab", name="First-party proxy").click()
        expect(page.get_by_test_id("snippet-proxy-code")).to_have_text(
            f'<script defer src="/_sl/s.js" data-website-id="{website_id}" data-track-links="outbound"'
            ' data-track-scroll-depth="true" data-track-forms="true" data-exclude-hash="true"></script>'
        )
    finally:
        ctx.close()


def test_each_copy_button_has_its_own_copied_state(browser, live_server, none_api):
    website_id = none_api.create_website("Copies")
    ctx = browser.new_context(viewport=VIEWPORT, locale="en-US", timezone_id="UTC")
    ctx.grant_permissions(["clipboard-read", "clipboard-write"], origin=live_server.url)
    try:
        page = ctx.new_page()
        page.goto(f"{live_server.url}/onboarding?website={website_id}")
        buttons = page.get_by_test_id("snippet").locator(".code-block button")
        buttons.first.click()
        expect(buttons.first).to_have_text("Copied ✓")
        # Another tab's blocks were never copied (the first one used to inherit the state).
        # Read at once, not with expect's retries: the state itself clears after 2 s.
        page.get_by_role("tab", name="First-party proxy").click()
        expect(buttons).to_have_count(3)
        assert buttons.all_inner_texts() == ["Copy", "Copy", "Copy"]
        buttons.nth(1).click()
        expect(buttons.nth(1)).to_have_text("Copied ✓")
        assert buttons.all_inner_texts() == ["Copy", "Copied ✓", "Copy"]
    finally:
        ctx.close()


def test_add_website_takes_a_pasted_address(page, live_server, none_api):
    for pasted, host in (("https://Example.com/", "example.com"), ("localhost:3150", "localhost")):
        page.goto(f"{live_server.url}/onboarding")
        page.get_by_label("Domain").fill(pasted)
        expect(page.get_by_test_id("domain-preview")).to_have_text(f"Saved as {host}")
        page.get_by_role("button", name="Add website").click()
        expect(page).to_have_url(re.compile(r"/onboarding\?website=site_"))
        website_id = page.url.rsplit("=", 1)[1]
        site = none_api.get(f"/api/websites/{website_id}")["data"]
        assert (site["domain"], site["name"]) == (host, host)
        expect(page.get_by_role("heading", name=f"Install Sparklytics on {host}")).to_be_visible()

    page.goto(f"{live_server.url}/onboarding")
    page.get_by_label("Domain").fill("https://")
    page.get_by_role("button", name="Add website").click()
    expect(page.get_by_role("alert")).to_have_text("domain must be a host name such as example.com (found none in 'https://')")


def test_delete_confirm_label_is_one_line(page, live_server, none_api):
    website_id = none_api.create_website("Label check")
    page.goto(f"{live_server.url}/dashboard/{website_id}/settings/danger")
    label = page.get_by_test_id("danger").locator("form > label")
    expect(label).to_contain_text("Type the website name (Label check) to confirm")
    text_only = label.evaluate(
        """el => {
            const range = document.createRange();
            range.setStartBefore(el.firstChild);
            range.setEndBefore(el.querySelector('input'));
            return new Set([...range.getClientRects()].filter(r => r.width > 0).map(r => Math.round(r.top))).size;
        }"""
    )
    assert text_only == 1


# ---- share -------------------------------------------------------------------------------


def test_share_page_shows_the_websites_name(page, live_server, none_api):
    website_id = none_api.create_website("Seeded shop, shared")
    status, body, _ = none_api.call("POST", f"/api/websites/{website_id}/share")
    assert status == 201, body
    page.goto(f"{live_server.url}/share/{body['data']['share_id']}")
    expect(page.get_by_test_id("share-site-name")).to_have_text("Seeded shop, shared")
    expect(page).to_have_title(re.compile("^Seeded shop, shared"))


# ---- last 24 hours ----------------------------------------------------------------------


def test_last_24_hours_ends_with_the_current_hour(page, live_server, seeded_site):
    website_id, _ = seeded_site
    with page.expect_response(lambda r: "/pageviews?" in r.url) as answer:
        page.goto(f"{live_server.url}/dashboard/{website_id}?range=24h")
    assert "period=24h" in answer.value.url and "start_date" not in answer.value.url
    series = answer.value.json()["data"]["series"]
    points = len(series)
    assert points in (24, 25)  # 25 when the window starts and ends inside a clock hour
    expect(page.get_by_test_id("traffic-chart")).to_have_attribute("data-points", str(points))
    last = datetime.fromisoformat(series[-1]["date"].replace("Z", "+00:00"))
    now = datetime.now(timezone.utc)
    assert last <= now < last + timedelta(hours=1), (last, now)  # the current hour, none after it
    assert sum(p["pageviews"] for p in series) > 0
