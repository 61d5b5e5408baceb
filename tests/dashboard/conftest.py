"""Fixtures for the dashboard's browser tests: real servers, one Chromium, seeded sites.

* ``live_server`` (tests/conftest.py): the shared server in ``SPARKLYTICS_AUTH=none``;
  the report pages are tested there.
* ``local_server``: one more server in ``local`` mode, set up through the API with a
  custom bootstrap password (so no forced rotation); settings and sharing are tested
  there. ``fresh_local_server`` is untouched, for the onboarding flow.
* ``browser``: one Chromium for the session; each test opens its own context.

Data is seeded with ``POST /api/collect`` (tests/dashboard/seed.py) and committed with
``server.flush()``; nothing writes the database directly.
"""

from __future__ import annotations

import dataclasses
import json
import urllib.error
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest

from tests.dashboard.seed import Dataset, seed
from tests.harness import LiveServer

BOOTSTRAP = "bootstrap secret for tests"
ADMIN_PASSWORD = "admin password 0001"
VIEWPORT = {"width": 1280, "height": 900}


class Api:
    """A tiny JSON client for one server, optionally with a session cookie or API key."""

    def __init__(self, base: str, *, cookie: str | None = None, key: str | None = None) -> None:
        self.base = base
        self.cookie = cookie
        self.key = key

    def call(self, method: str, path: str, body: Any = None) -> tuple[int, Any, dict[str, str]]:
        headers = {"Accept": "application/json"}
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        if self.cookie:
            headers["Cookie"] = f"spk_session={self.cookie}"
        if self.key:
            headers["Authorization"] = f"Bearer {self.key}"
        request = urllib.request.Request(self.base + path, data=data, headers=headers, method=method)
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                raw = response.read()
                is_json = response.headers.get("Content-Type", "").startswith("application/json")
                return response.status, (json.loads(raw) if raw and is_json else raw), dict(response.headers)
        except urllib.error.HTTPError as err:
            raw = err.read()
            try:
                parsed = json.loads(raw) if raw else None
            except ValueError:
                parsed = raw.decode(errors="replace")
            return err.code, parsed, dict(err.headers)

    def get(self, path: str) -> Any:
        status, body, _ = self.call("GET", path)
        assert status == 200, (path, status, body)
        return body

    def create_website(self, name: str, domain: str = "example.com", timezone: str = "UTC") -> str:
        status, body, _ = self.call("POST", "/api/websites", {"name": name, "domain": domain, "timezone": timezone})
        assert status == 201, body
        return body["data"]["id"]


def login_cookie(base: str, password: str) -> str:
    status, body, headers = Api(base).call("POST", "/api/auth/login", {"password": password})
    assert status == 200, body
    cookie = headers.get("Set-Cookie") or headers.get("set-cookie")
    return cookie.split(";", 1)[0].split("=", 1)[1]


def start_server(tmp_path_factory: pytest.TempPathFactory, name: str, **env: str) -> LiveServer:
    """A LiveServer whose tracking snippet points at itself (the default is localhost:3000)."""
    server = LiveServer(tmp_path_factory.mktemp(name) / "data", **env)
    server.config = dataclasses.replace(server.config, public_url=server.url, tracking_public_base=server.url)
    return server.start()


@pytest.fixture
def context(browser):
    ctx = browser.new_context(viewport=VIEWPORT, locale="en-US", timezone_id="UTC")
    yield ctx
    ctx.close()


@pytest.fixture
def page(context):
    """A page that fails the test on an uncaught script error or a CSP violation."""
    page = context.new_page()
    problems: list[str] = []
    page.on("pageerror", lambda err: problems.append(f"uncaught: {err}"))
    page.on("console", lambda msg: problems.append(msg.text) if "Content Security Policy" in msg.text else None)
    yield page
    assert not problems, problems


@pytest.fixture(scope="session")
def none_api(live_server) -> Api:
    return Api(live_server.url)


@pytest.fixture(scope="session")
def seeded_site(live_server, none_api) -> tuple[str, Dataset]:
    """A website on the none-mode server with the default dataset committed."""
    website_id = none_api.create_website("Seeded shop")
    dataset = seed(live_server.url, website_id)
    live_server.flush()
    return website_id, dataset


@pytest.fixture(scope="session")
def local_server(tmp_path_factory) -> Iterator[LiveServer]:
    """A local-mode server, set up (custom bootstrap: no forced rotation)."""
    server = start_server(tmp_path_factory, "local", SPARKLYTICS_AUTH="local", SPARKLYTICS_BOOTSTRAP_PASSWORD=BOOTSTRAP)
    status, body, _ = Api(server.url).call(
        "POST", "/api/auth/setup", {"bootstrap_password": BOOTSTRAP, "password": ADMIN_PASSWORD}
    )
    assert status == 201, body
    server.admin_password = ADMIN_PASSWORD  # tests that change it update this
    yield server
    server.stop()


@pytest.fixture
def local_api(local_server) -> Api:
    """An API client signed in to ``local_server`` with the current admin password."""
    return Api(local_server.url, cookie=login_cookie(local_server.url, local_server.admin_password))


@pytest.fixture
def signed_in(browser, local_server, local_api):
    """A browser context signed in to ``local_server``."""
    ctx = browser.new_context(viewport=VIEWPORT, locale="en-US", timezone_id="UTC")
    ctx.add_cookies([{"name": "spk_session", "value": local_api.cookie, "url": local_server.url}])
    yield ctx
    ctx.close()


@pytest.fixture(scope="module")
def fresh_local_server(tmp_path_factory) -> Iterator[LiveServer]:
    """A fresh install in local mode with the default bootstrap password."""
    server = start_server(tmp_path_factory, "fresh", SPARKLYTICS_AUTH="local")
    yield server
    server.stop()
