"""The API reference page (/docs): RapiDoc renders the server's own /api/openapi.json.

Reached from the top bar; the viewer is a lazily loaded chunk of the dashboard build, so
the page asks nothing of any other host: every request stays on the server.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from playwright.sync_api import expect


def test_the_api_reference_renders_the_servers_operations(page, live_server):
    requests: list[str] = []
    page.on("request", lambda request: requests.append(request.url))
    page.goto(f"{live_server.url}/dashboard")
    page.get_by_test_id("api-docs-link").click()
    expect(page).to_have_url(re.compile(r"/docs$"))
    expect(page).to_have_title("API reference · Sparklytics")

    viewer = page.locator("rapi-doc")
    # Playwright's locators pierce RapiDoc's shadow DOM; each operation of the document
    # has a navigation entry and a section, keyed by method and path (RapiDoc writes a
    # path parameter's braces as dashes). Parsing and rendering ~90 operations takes ~2 s
    # on an idle machine, much longer on a loaded one.
    for method, path, summary in (
        ("post", "/api/websites", "Create a website"),
        ("get", "/api/websites/-website_id-/stats", "Headline numbers"),
        ("post", "/api/collect", "Record events"),
        ("get", "/l/-slug-", "Follow a campaign link"),
    ):
        expect(viewer.locator(f'[id="link-{method}-{path}"]')).to_contain_text(summary, timeout=45_000)
        expect(viewer.locator(f'[id="{method}-{path}"]')).to_contain_text(summary)
    # Parameters come from the document: the filter registry's keys.
    expect(viewer.locator('[id="get-/api/websites/-website_id-/stats"]')).to_contain_text("filter_utm_campaign")

    assert any(url.endswith("/api/openapi.json") for url in requests)
    assert any(re.search(r"/assets/rapidoc-min-[\w-]+\.js$", url) for url in requests), "the viewer came from our build"
    foreign = [url for url in requests if urlsplit(url).netloc != urlsplit(live_server.url).netloc and not url.startswith("data:")]
    assert not foreign, foreign


def test_the_dashboard_does_not_load_the_viewer(page, live_server):
    requests: list[str] = []
    page.on("request", lambda request: requests.append(request.url))
    page.goto(f"{live_server.url}/settings")
    expect(page.get_by_test_id("api-docs-link")).to_be_visible()
    assert not [url for url in requests if "rapidoc" in url]
