"""Fixtures for the tracker's browser tests: one server, one browser, one test site.

* ``tracker_server`` is the real server (the shared ``live_server`` of tests/conftest.py
  when its collect rate limit is off); each test gets a fresh website on it, so tests
  never see each other's events.
* ``site`` is the customer's website on another port (see site.py), also acting as the
  first-party proxy ``/_sl/s.js`` → ``/s.js``, ``/_sl/e`` → ``/e``.
* ``browser`` is one Chromium for the session; each test gets its own context (fresh
  cookies and storage) with a fixed locale and screen.
"""

from __future__ import annotations

import json
import time
import urllib.request

import pytest

from tests.harness import LiveServer
from tests.tracker.site import TestSite

EVENT_COLUMNS = (
    "event_type", "url", "path", "hostname", "referrer_url", "event_name", "event_data",
    "screen", "language", "visitor_id",
    "utm_source", "utm_medium", "utm_campaign", "utm_term", "utm_content",
)  # fmt: skip


@pytest.fixture(scope="session")
def tracker_server(live_server, tmp_path_factory):
    """The shared ``live_server``, unless its per-IP collect limit is on.

    The whole suite posts from 127.0.0.1 and comes close to the 60 requests/min that
    collect allows one address (§2 step 4), so it needs a server with that limit off.
    """
    if live_server.config.rate_limit_disable:
        yield live_server
        return
    server = LiveServer(tmp_path_factory.mktemp("tracker") / "data", SPARKLYTICS_RATE_LIMIT_DISABLE="true")
    yield server.start()
    server.stop()


@pytest.fixture(scope="session")
def server_url(tracker_server):
    return tracker_server.url


@pytest.fixture(scope="session")
def new_website(tracker_server):
    """Creates a website through the API and returns its id."""
    counter = iter(range(1, 1_000_000))

    def create():
        body = json.dumps({"name": f"tracker test {next(counter)}", "domain": "example.com"}).encode()
        request = urllib.request.Request(
            f"{tracker_server.url}/api/websites",
            data=body,
            headers={"Content-Type": "application/json"},
            method="POST",
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            return json.load(response)["data"]["id"]

    return create


@pytest.fixture(scope="session")
def stored_events(tracker_server):
    """Events committed to DuckDB for a website, oldest first, as column dicts."""

    def read(website_id):
        tracker_server.flush()
        rows = tracker_server.query(
            f"SELECT {', '.join(EVENT_COLUMNS)} FROM events WHERE website_id = ? ORDER BY created_at",
            [website_id],
        )
        return [dict(zip(EVENT_COLUMNS, row)) for row in rows]

    return read


# ---- browser + test site -------------------------------------------------------------------

LOCALE = "de-DE"
SCREEN = {"width": 1280, "height": 720}


@pytest.fixture(scope="session")
def site(server_url):
    s = TestSite(server_url)
    yield s
    s.close()


@pytest.fixture
def context(browser):
    ctx = browser.new_context(locale=LOCALE, viewport=SCREEN, screen=SCREEN)
    yield ctx
    ctx.close()


@pytest.fixture
def page(context):
    return context.new_page()


@pytest.fixture
def website_id(new_website):
    return new_website()


class Events:
    """Reads what the server stored for one website, waiting for asynchronous ingest."""

    def __init__(self, read, website_id):
        self._read = read
        self.website_id = website_id

    def all(self):
        return self._read(self.website_id)

    def wait(self, count, timeout=10.0, **match):
        """The stored events matching ``match`` once there are at least ``count`` of them."""
        deadline = time.monotonic() + timeout
        while True:
            found = [e for e in self.all() if all(e.get(k) == v for k, v in match.items())]
            if len(found) >= count or time.monotonic() > deadline:
                assert len(found) >= count, f"expected {count} events {match}, got {found}"
                return found
            time.sleep(0.05)

    def exactly(self, count, settle=0.4, **match):
        """Waits for ``count`` events, then checks no extra one arrives within ``settle`` s."""
        self.wait(count, **match)
        time.sleep(settle)
        found = [e for e in self.all() if all(e.get(k) == v for k, v in match.items())]
        assert len(found) == count, found
        return found


@pytest.fixture
def events(stored_events, website_id):
    return Events(stored_events, website_id)

