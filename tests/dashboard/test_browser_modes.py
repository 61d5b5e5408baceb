"""The auth pages in the other two modes: `password` (shared secret, no setup, no
password change) and `none` (no auth pages at all)."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.dashboard.conftest import Api, login_cookie, start_server

SHARED = "shared secret for tests"


@pytest.fixture(scope="module")
def password_server(tmp_path_factory):
    server = start_server(tmp_path_factory, "password", SPARKLYTICS_AUTH="password", SPARKLYTICS_PASSWORD=SHARED)
    yield server
    server.stop()


def test_password_mode_has_login_but_no_setup_or_password_change(page, password_server):
    server = password_server
    page.goto(server.url + "/setup")
    expect(page).to_have_url(re.compile(r"/login$"))  # nothing to set up
    expect(page.get_by_test_id("login-page")).to_contain_text("SPARKLYTICS_PASSWORD")
    page.get_by_label("Admin password").fill(SHARED)
    page.get_by_role("button", name="Log in").click()
    expect(page).to_have_url(re.compile(r"/onboarding$"))

    website_id = Api(server.url, cookie=login_cookie(server.url, SHARED)).create_website("Password mode")
    page.goto(f"{server.url}/settings")
    expect(page.get_by_test_id("api-keys")).to_be_visible()
    expect(page.get_by_test_id("admin-password")).to_have_count(0)  # the password is the server's setting
    page.goto(server.url + "/force-password")
    expect(page).to_have_url(re.compile(rf"/dashboard/{website_id}$"))


def test_none_mode_skips_every_auth_page(page, live_server, none_api, seeded_site):
    website_id, _ = seeded_site
    for path in ("/login", "/setup", "/force-password"):
        page.goto(live_server.url + path)
        expect(page).to_have_url(re.compile(r"/(dashboard/site_\w+|onboarding)$"))
        expect(page.get_by_label("Admin password")).to_have_count(0)
    expect(page.get_by_test_id("logout")).to_have_count(0)
    page.goto(f"{live_server.url}/dashboard/{website_id}/settings/general")
    expect(page.locator(".subnav a")).to_have_text(["General", "Snippet", "Sharing", "Delete"])
    page.goto(live_server.url + "/")
    expect(page).to_have_url(re.compile(r"/dashboard/site_\w+$"))
