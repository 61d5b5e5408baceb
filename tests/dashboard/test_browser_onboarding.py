"""A fresh install, from the first page to the first pageview, as a new user does it.

setup (default bootstrap password, signed in at once) → forced password change (signed
in again with the new one) → add a website →
copy the snippet → a page of the "customer site" with that snippet opens in another
tab → the onboarding notices the pageview on its own → the overview shows it.
"""

from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.dashboard.seed import UA
from tests.tracker.site import TestSite

DESKTOP_CHROME = UA["chrome-windows"]

FIRST_PASSWORD = "first admin password"
SECOND_PASSWORD = "second admin password"


def test_full_onboarding(browser, fresh_local_server):
    server = fresh_local_server
    site = TestSite(server.url)
    # A desktop Chrome user agent: "HeadlessChrome" would be (rightly) counted as a bot.
    context = browser.new_context(viewport={"width": 1100, "height": 850}, user_agent=DESKTOP_CHROME)
    try:
        page = context.new_page()
        page.goto(server.url + "/")

        # 1. First run: the bootstrap password proves we run the server. The form says
        #    beforehand that the default one means choosing the password once more.
        expect(page).to_have_url(re.compile(r"/setup$"))
        page.get_by_label("Bootstrap password").fill("sparklytics")
        expect(page.get_by_test_id("rotation-notice")).to_have_class("notice")
        expect(page.get_by_test_id("rotation-notice")).to_contain_text("asked once more for a new admin password")
        page.get_by_label("New admin password").fill(FIRST_PASSWORD)
        page.get_by_label("Repeat the new password").fill(FIRST_PASSWORD + "x")
        page.get_by_role("button", name="Set password").click()
        expect(page.get_by_text("The two passwords differ.")).to_be_visible()
        page.get_by_label("Repeat the new password").fill(FIRST_PASSWORD)
        expect(page.get_by_text("The two passwords differ.")).to_have_count(0)  # no stale message
        page.get_by_role("button", name="Set password").click()

        # 2. Setup signs in with the password just chosen: no login form. The default
        #    bootstrap password forces a new password before anything else.
        expect(page).to_have_url(re.compile(r"/force-password$"))
        page.get_by_label("Current password").fill(FIRST_PASSWORD)
        page.get_by_label("New password", exact=True).fill(SECOND_PASSWORD)
        page.get_by_label("Repeat the new password").fill(SECOND_PASSWORD)
        page.get_by_role("button", name="Change password").click()

        # 3. ... and stays signed in with the new one.

        # 4. No website yet: straight to onboarding.
        expect(page).to_have_url(re.compile(r"/onboarding$"))
        page.get_by_label("Domain", exact=True).fill("example.com")
        page.get_by_label("Name", exact=True).fill("My site")
        page.get_by_role("button", name="Add website").click()
        expect(page).to_have_url(re.compile(r"/onboarding\?website=site_[0-9a-z]{10}$"))
        website_id = page.url.rsplit("=", 1)[1]

        # 5. The snippet, in both forms.
        snippet = page.get_by_test_id("snippet-code").inner_text()
        assert snippet == f'<script defer src="{server.url}/s.js" data-website-id="{website_id}"></script>'
        page.get_by_role("tab", name="First-party proxy").click()
        assert 'src="/_sl/s.js"' in page.get_by_test_id("snippet-proxy-code").inner_text()
        expect(page.get_by_test_id("first-pageview")).to_have_attribute("data-state", "waiting")
        expect(page.get_by_test_id("first-pageview")).to_contain_text("Waiting for the first pageview")

        # 6. The customer's page with that snippet, in another tab.
        url = site.add("/welcome", f"<!doctype html><html><head><title>Welcome</title>{snippet}</head><body>hi</body></html>")
        visitor = context.new_page()
        with visitor.expect_response(lambda r: r.url == f"{server.url}/e" and r.request.method == "POST") as sent:
            visitor.goto(url)
        assert sent.value.status == 202

        # 7. The onboarding tab notices on its own (Buffer flush ≤ 5 s + a 3 s poll, no
        #    forced flush), then moves on to the overview.
        expect(page.get_by_test_id("first-pageview")).to_have_attribute("data-state", "received", timeout=20_000)
        expect(page.get_by_test_id("first-pageview")).to_contain_text("First pageview received")
        expect(page).to_have_url(re.compile(rf"/dashboard/{website_id}$"), timeout=10_000)
        expect(page.get_by_test_id("stat-pageviews").locator(".stat-value")).to_have_attribute("data-value", "1")
        expect(page.get_by_test_id("stat-visitors").locator(".stat-value")).to_have_attribute("data-value", "1")
        expect(page.get_by_test_id("metric-page").locator("tr[data-value='/welcome']")).to_be_visible()

        # 8. Logging out ends the session: the dashboard sends us to the login page.
        page.get_by_test_id("logout").click()
        expect(page).to_have_url(re.compile(r"/login$"))
        page.goto(f"{server.url}/dashboard/{website_id}")
        expect(page).to_have_url(re.compile(r"/login\?next=%2Fdashboard%2F" + website_id + "$"))
    finally:
        context.close()
        site.close()
