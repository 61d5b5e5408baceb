"""Campaigns in the dashboard and a real campaign link followed by Chromium, on the shared
none-mode server.

* The Campaigns page: create a link (the API's 400 shown at its field), copy its tracking
  URL, see its click counted, edit, disable (``/l/`` is 404 at once), delete; create a
  pixel and copy its ``<img>`` snippet.
* A visitor follows ``/l/<slug>`` in Chromium, is redirected (302) to a page of the
  website carrying our tracker, and lands with the link's UTM tags: the click and the
  tracker's pageview share a session, and ``metrics?type=utm_campaign`` shows the visit.
"""

from __future__ import annotations

import http.client
import io
import time
from urllib.parse import unquote, urlsplit

import pytest
import zxingcpp
from PIL import Image
from playwright.sync_api import expect

from tests.dashboard.conftest import VIEWPORT
from tests.tracker.site import TestSite

CHROME_UA = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/124.0.0.0 Safari/537.36"
)


def get_once(base: str, path: str) -> http.client.HTTPResponse:
    """One GET that does not follow redirects, sent like a browser (not a bot)."""
    parts = urlsplit(base)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
    conn.request("GET", path, headers={"User-Agent": CHROME_UA, "Accept": "*/*", "Accept-Language": "en-US"})
    response = conn.getresponse()
    response.read()
    conn.close()
    return response


@pytest.fixture
def clipboard_page(browser, live_server):
    ctx = browser.new_context(viewport=VIEWPORT, locale="en-US", timezone_id="UTC")
    ctx.grant_permissions(["clipboard-read", "clipboard-write"], origin=live_server.url)
    page = ctx.new_page()
    problems: list[str] = []
    page.on("pageerror", lambda err: problems.append(f"uncaught: {err}"))
    yield page
    ctx.close()
    assert not problems, problems


def test_campaigns_page_creates_copies_counts_edits_disables_and_deletes_a_link(clipboard_page, live_server, none_api) -> None:
    page = clipboard_page
    website_id = none_api.create_website("Campaign page", domain="example.com")
    page.goto(f"{live_server.url}/dashboard/{website_id}/campaigns")
    expect(page.get_by_test_id("link-list")).to_contain_text("A campaign link is a short URL")
    expect(page.get_by_role("link", name="Campaigns")).to_have_attribute("aria-current", "page")

    page.get_by_test_id("new-link").click()
    dialog = page.get_by_role("dialog", name="New link")
    dialog.get_by_label("Name", exact=True).fill("Spring")
    dialog.get_by_label("Destination").fill("https://evil.test/sale")
    dialog.get_by_label("Source").fill("newsletter")
    dialog.get_by_label("Campaign", exact=True).fill("spring")
    dialog.get_by_role("button", name="Create link").click()
    expect(dialog.get_by_test_id("error-destination_url")).to_have_text("destination_url host must match website domain")
    dialog.get_by_label("Destination").fill("https://example.com/sale")
    dialog.get_by_role("button", name="Create link").click()
    row = page.get_by_test_id("link-row")
    expect(row).to_have_count(1)
    expect(row).to_contain_text("utm_source=newsletter · utm_campaign=spring")
    link = none_api.get(f"/api/websites/{website_id}/links")["data"][0]
    assert (link["name"], link["destination_url"], link["utm_campaign"]) == ("Spring", "https://example.com/sale", "spring")
    expect(row.get_by_test_id("tracking-url")).to_have_text(link["tracking_url"])
    row.get_by_role("button", name="Copy link").click()
    expect(row.get_by_role("button", name="Copied ✓")).to_be_visible()
    assert page.evaluate("navigator.clipboard.readText()") == link["tracking_url"]

    response = get_once(live_server.url, f"/l/{link['slug']}")
    assert (response.status, response.getheader("Location")) == (
        302, "https://example.com/sale?utm_source=newsletter&utm_campaign=spring")
    live_server.flush()
    page.reload()
    expect(page.get_by_test_id("link-row").locator("td.num").first).to_have_attribute("data-value", "1")

    page.get_by_test_id("link-row").get_by_role("button", name="Edit").click()
    dialog = page.get_by_role("dialog", name="Edit link")
    dialog.get_by_label("Name", exact=True).fill("Spring sale")
    dialog.get_by_role("button", name="Save link").click()
    expect(page.get_by_test_id("link-row")).to_contain_text("Spring sale")

    page.get_by_test_id("link-row").get_by_role("button", name="Disable").click()
    expect(page.get_by_test_id("link-disabled")).to_be_visible()
    assert none_api.get(f"/api/websites/{website_id}/links/{link['id']}")["data"]["is_active"] is False
    assert get_once(live_server.url, f"/l/{link['slug']}").status == 404

    page.once("dialog", lambda confirm: confirm.accept())
    page.get_by_test_id("link-row").get_by_role("button", name="Delete").click()
    expect(page.get_by_test_id("link-row")).to_have_count(0)
    assert none_api.get(f"/api/websites/{website_id}/links")["data"] == []


def scanned(png: bytes) -> list[str]:
    """What a QR reader finds in a screenshot."""
    return [found.text for found in zxingcpp.read_barcodes(Image.open(io.BytesIO(png)).convert("L"))]


def test_a_links_qr_code_scans_to_its_tracking_url_and_downloads_as_svg(clipboard_page, live_server, none_api) -> None:
    page = clipboard_page
    website_id = none_api.create_website("QR page", domain="example.com")
    status, body, _ = none_api.call("POST", f"/api/websites/{website_id}/links", {"name": "Poster", "destination_url": "https://example.com/"})
    assert status == 201, body
    link = body["data"]
    page.goto(f"{live_server.url}/dashboard/{website_id}/campaigns")
    page.get_by_test_id("link-row").get_by_role("button", name="QR code").click()
    dialog = page.get_by_role("dialog", name="QR code")
    code = dialog.get_by_role("img", name=f"QR code of {link['tracking_url']}")
    expect(code).to_be_visible()
    assert scanned(code.screenshot()) == [link["tracking_url"]]

    download = dialog.get_by_test_id("qr-download")
    assert download.get_attribute("download") == f"qr-{link['slug']}.svg"
    svg = unquote(download.get_attribute("href").split(",", 1)[1])
    assert svg.startswith('<svg xmlns="http://www.w3.org/2000/svg"')
    assert code.locator("path").get_attribute("d") in svg
    dialog.get_by_role("button", name="Close").click()
    expect(dialog).to_have_count(0)


def test_campaigns_page_creates_a_pixel_and_copies_its_snippet(clipboard_page, live_server, none_api) -> None:
    page = clipboard_page
    website_id = none_api.create_website("Pixel page", domain="example.com")
    page.goto(f"{live_server.url}/dashboard/{website_id}/campaigns")
    page.get_by_test_id("new-pixel").click()
    dialog = page.get_by_role("dialog", name="New pixel")
    dialog.get_by_role("button", name="Create pixel").click()
    expect(dialog.get_by_test_id("error-name")).to_have_text("name is required")
    dialog.get_by_label("Name", exact=True).fill("Newsletter")
    dialog.get_by_label("Page URL (optional)").fill("https://example.com/news")
    dialog.get_by_role("button", name="Create pixel").click()
    row = page.get_by_test_id("pixel-row")
    expect(row).to_have_count(1)
    pixel = none_api.get(f"/api/websites/{website_id}/pixels")["data"][0]
    assert pixel["default_url"] == "https://example.com/news"
    expect(row.get_by_test_id("pixel-snippet")).to_have_text(pixel["snippet"])
    row.get_by_role("button", name="Copy snippet").click()
    assert page.evaluate("navigator.clipboard.readText()") == pixel["snippet"]

    response = get_once(live_server.url, f"/p/{pixel['pixel_key']}.gif")
    assert (response.status, response.getheader("Content-Type")) == (200, "image/gif")
    live_server.flush()
    page.reload()
    expect(page.get_by_test_id("pixel-row").locator("td.num").first).to_have_attribute("data-value", "1")


@pytest.fixture(scope="module")
def landing_site(live_server):
    """A customer website on its own port (127.0.0.1), whose pages carry our tracker."""
    site = TestSite(live_server.url)
    yield site
    site.close()


def test_chromium_follows_a_campaign_link_to_a_tracked_page_and_the_visit_is_the_campaigns(
    browser, live_server, none_api, landing_site
) -> None:
    website_id = none_api.create_website("Landing", domain="127.0.0.1")
    landing = landing_site.tracker_page("/landing", website_id, src=f"{live_server.url}/s.js", title="Spring landing")
    status, created, _ = none_api.call("POST", f"/api/websites/{website_id}/links", {
        "name": "Spring", "destination_url": landing, "utm_source": "newsletter", "utm_medium": "email",
        "utm_campaign": "spring sale",
    })
    assert status == 201, created
    link = created["data"]

    ctx = browser.new_context(viewport=VIEWPORT, locale="en-US", timezone_id="UTC", user_agent=CHROME_UA)
    try:
        page = ctx.new_page()
        page.goto(f"{live_server.url}/l/{link['slug']}")
        expect(page).to_have_title("Spring landing")
        landed = f"{landing}?utm_source=newsletter&utm_medium=email&utm_campaign=spring%20sale"
        assert page.url == landed
        deadline = time.monotonic() + 10
        while True:
            live_server.flush()
            rows = live_server.query(
                "SELECT event_type, event_name, url, session_id, is_bot FROM events WHERE website_id = ? ORDER BY created_at",
                [website_id],
            )
            if len(rows) >= 2 or time.monotonic() > deadline:
                break
            time.sleep(0.1)
    finally:
        ctx.close()
    (click_type, click_name, click_url, click_session, click_bot), (view_type, _, view_url, view_session, view_bot) = rows
    assert (click_type, click_name, click_bot, view_type, view_bot) == ("event", "link_click", False, "pageview", False)
    assert click_url == view_url == landed
    assert click_session == view_session

    metrics = none_api.get(f"/api/websites/{website_id}/metrics?type=utm_campaign")["data"]["rows"]
    assert [(r["value"], r["visitors"], r["pageviews"]) for r in metrics] == [("spring sale", 1, 1)]
    stats = none_api.get(f"/api/websites/{website_id}/links/{link['id']}/stats")["data"]
    assert (stats["clicks"], stats["unique_visitors"]) == (1, 1)
