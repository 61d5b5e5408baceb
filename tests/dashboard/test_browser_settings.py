"""Settings, sharing and the auth guard on a local-mode server (signed in by cookie)."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.dashboard.conftest import Api, login_cookie
from tests.dashboard.seed import seed


def test_logged_out_visitor_is_sent_to_login_and_back(page, local_server, local_api):
    website_id = local_api.create_website("Guarded")
    page.goto(f"{local_server.url}/dashboard/{website_id}/sessions")
    expect(page).to_have_url(re.compile(rf"/login\?next=%2Fdashboard%2F{website_id}%2Fsessions$"))
    page.get_by_label("Admin password").fill("wrong password!!")
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("alert")).to_have_text("Wrong password.")
    page.get_by_label("Admin password").fill(local_server.admin_password)
    page.get_by_role("button", name="Log in").click()
    expect(page).to_have_url(re.compile(rf"/dashboard/{website_id}/sessions$"))
    expect(page.get_by_test_id("sessions-card")).to_be_visible()


def test_create_and_revoke_an_api_key(signed_in, local_server, local_api):
    website_id = local_api.create_website("Keys")
    page = signed_in.new_page()
    page.goto(f"{local_server.url}/settings")
    page.get_by_label("Key name").fill("CI export")
    page.get_by_role("button", name="Create key").click()
    raw = page.get_by_test_id("new-key-value").inner_text().strip()
    assert re.fullmatch(r"spk_selfhosted_[0-9a-f]{32}", raw)
    row = page.get_by_test_id("key-row").filter(has_text="CI export")
    expect(row).to_contain_text(raw[:20])
    assert Api(local_server.url, key=raw).call("GET", f"/api/websites/{website_id}")[0] == 200

    page.once("dialog", lambda dialog: dialog.accept())
    row.get_by_role("button", name="Revoke").click()
    expect(row.get_by_test_id("key-revoked")).to_be_visible()
    assert Api(local_server.url, key=raw).call("GET", f"/api/websites/{website_id}")[0] == 401


def test_enable_sharing_share_page_is_public_then_disable(browser, signed_in, local_server, local_api):
    website_id = local_api.create_website("Shared shop")
    seed(local_server.url, website_id)
    local_server.flush()
    page = signed_in.new_page()
    page.goto(f"{local_server.url}/dashboard/{website_id}/settings/sharing")
    page.get_by_role("button", name="Enable sharing").click()
    link = page.get_by_test_id("share-url")
    expect(link).to_have_text(re.compile(r"/share/[0-9a-f-]{36}$"))
    share_id = link.inner_text().rsplit("/", 1)[1]

    # Anyone, without logging in, can read it.
    visitor = browser.new_context(viewport={"width": 1000, "height": 800})
    try:
        public = visitor.new_page()
        public.goto(f"{local_server.url}/share/{share_id}?range=7d")
        expect(public).to_have_url(re.compile(rf"/share/{share_id}\?range=7d$"))
        overview = Api(local_server.url).get(f"/api/share/{share_id}/overview")["data"]
        value = public.get_by_test_id("stat-pageviews").locator(".stat-value")
        expect(value).to_have_attribute("data-value", str(overview["stats"]["pageviews"]))
        expect(public.get_by_test_id("share-chart")).to_be_visible()
        pages = public.get_by_test_id("share-table-page").locator("tbody tr")
        expect(pages).to_have_count(len(overview["metrics"]["page"]["rows"]))
        expect(pages.locator("xpath=self::*[contains(@class,'clickable')]")).to_have_count(0)  # read-only
        expect(public.get_by_test_id("share-page")).to_contain_text("Read-only")
        expect(public.get_by_test_id("logout")).to_have_count(0)

        # Turning sharing off kills the link.
        page.get_by_role("button", name="Disable sharing").click()
        expect(page.get_by_role("button", name="Enable sharing")).to_be_visible()
        public.reload()
        expect(public.get_by_test_id("share-missing")).to_be_visible()
        # The rest of the dashboard stays closed to this visitor.
        public.goto(f"{local_server.url}/dashboard/{website_id}")
        expect(public).to_have_url(re.compile(r"/login\?next="))
    finally:
        visitor.close()


def test_general_settings_rename(signed_in, local_server, local_api):
    website_id = local_api.create_website("Old name")
    page = signed_in.new_page()
    page.goto(f"{local_server.url}/dashboard/{website_id}/settings/general")
    page.get_by_label("Name", exact=True).fill("New name")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("Saved ✓")).to_be_visible()
    assert local_api.get(f"/api/websites/{website_id}")["data"]["name"] == "New name"
    expect(page.get_by_test_id("site-picker").locator("option:checked")).to_have_text("New name")


def test_change_password_signs_out_everywhere(signed_in, local_server, local_api):
    local_api.create_website("Password")  # a site, so the dashboard is past onboarding
    page = signed_in.new_page()
    page.goto(f"{local_server.url}/settings")
    new_password = local_server.admin_password + " changed"
    page.get_by_label("Current password").fill(local_server.admin_password)
    page.get_by_label("New password", exact=True).fill(new_password)
    page.get_by_label("Repeat the new password").fill(new_password)
    page.get_by_role("button", name="Change password").click()
    expect(page).to_have_url(re.compile(r"/login\?changed=1$"))
    local_server.admin_password = new_password
    assert local_api.call("GET", "/api/websites")[0] == 401  # the old cookie died too

    page.get_by_label("Admin password").fill(new_password)
    page.get_by_role("button", name="Log in").click()
    expect(page).to_have_url(re.compile(r"/dashboard/site_"))
    assert login_cookie(local_server.url, new_password)


def test_api_keys_and_the_password_live_on_the_global_settings_page(signed_in, local_server, local_api):
    """Issue 12: they belong to the server, not to a website; the old per-website
    addresses lead there."""
    website_id = local_api.create_website("Global")
    page = signed_in.new_page()
    page.goto(f"{local_server.url}/dashboard/{website_id}")
    page.get_by_test_id("global-settings-link").click()
    expect(page).to_have_url(re.compile(r"/settings$"))
    page.goto(f"{local_server.url}/dashboard/{website_id}/settings/general")
    tabs = page.get_by_role("navigation", name="Settings sections")
    expect(tabs.get_by_role("link")).to_have_text(["General", "Snippet", "Sharing", "Delete"])
    page.goto(f"{local_server.url}/dashboard/{website_id}/settings/keys")
    expect(page).to_have_url(re.compile(r"/settings#api-keys$"))
    settings = page.get_by_test_id("global-settings")
    expect(settings.get_by_test_id("websites")).to_contain_text("Global")
    expect(settings.get_by_test_id("api-keys")).to_be_visible()
    expect(settings.get_by_test_id("admin-password")).to_be_visible()


def test_a_corrected_password_clears_the_differ_message(signed_in, local_server):
    page = signed_in.new_page()
    page.goto(f"{local_server.url}/settings")
    form = page.get_by_test_id("password-form")
    form.get_by_label("Current password").fill(local_server.admin_password)
    form.get_by_label("New password", exact=True).fill("a brand new password")
    form.get_by_label("Repeat the new password").fill("a brand new passwordX")
    form.get_by_role("button", name="Change password").click()
    expect(form.get_by_text("The two new passwords differ.")).to_be_visible()
    form.get_by_label("Repeat the new password").fill("a brand new password")
    expect(form.get_by_text("The two new passwords differ.")).to_have_count(0)


def test_extra_domains_and_umami_id_are_edited_on_the_general_tab(signed_in, local_server, local_api):
    website_id = local_api.create_website("Aliased", domain="aliased.example.com")
    other = local_api.create_website("Other", domain="other-aliased.example.com")
    umami_id = "7e3d1c5b-9a2f-4b6e-8d0c-1f2a3b4c5d6e"
    page = signed_in.new_page()
    page.goto(f"{local_server.url}/dashboard/{website_id}/settings/general")
    page.get_by_label("Extra domains").fill("www.aliased.example.com\nhttps://staging.aliased.example.com/")
    page.get_by_label("Umami website id").fill(umami_id.upper())
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("Saved ✓")).to_be_visible()
    saved = local_api.get(f"/api/websites/{website_id}")["data"]
    assert (saved["extra_domains"], saved["umami_website_id"]) == (["www.aliased.example.com", "staging.aliased.example.com"], umami_id)
    page.reload()
    expect(page.get_by_label("Extra domains")).to_have_value("www.aliased.example.com\nstaging.aliased.example.com")
    expect(page.get_by_label("Umami website id")).to_have_value(umami_id)

    # The snippet tab shows the Plausible and Umami snippets pointed at this server.
    page.goto(f"{local_server.url}/dashboard/{website_id}/settings/snippet")
    page.get_by_role("tab", name="From Plausible / Umami").click()
    expect(page.get_by_test_id("snippet-plausible-code")).to_contain_text(
        f'<script defer data-domain="aliased.example.com" src="{local_server.url}/js/script.js"></script>'
    )
    expect(page.get_by_test_id("snippet-umami-code")).to_contain_text(
        f'<script defer src="{local_server.url}/script.js" data-website-id="{umami_id}"></script>'
    )

    # Another website cannot take the same name: the form says why.
    page.goto(f"{local_server.url}/dashboard/{other}/settings/general")
    page.get_by_label("Umami website id").fill(umami_id)
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("alert")).to_contain_text(f"{umami_id} is already used by another website")
    assert local_api.get(f"/api/websites/{other}")["data"]["umami_website_id"] is None
