"""Onboarding waits for the first pageview without anybody forcing a flush.

The browser test of the onboarding calls ``server.flush()`` to stay fast; this test
checks the real-life path: one lone pageview must reach the stats within the Buffer's
5 s flush interval (API.md §2), so "waiting for the first pageview…" flips on its own.
"""

from __future__ import annotations

import time

import pytest

from tests.dashboard.seed import collect

FLUSH_INTERVAL_SECONDS = 5.0
MARGIN_SECONDS = 2.5


def test_a_lone_pageview_shows_up_within_the_flush_interval(live_server, none_api):
    website_id = none_api.create_website("Lone pageview")
    collect(live_server.url, [{"website_id": website_id, "type": "pageview", "url": "https://example.com/"}], "chrome-windows")
    deadline = time.monotonic() + FLUSH_INTERVAL_SECONDS + MARGIN_SECONDS
    while time.monotonic() < deadline:
        if none_api.get(f"/api/websites/{website_id}/stats")["data"]["pageviews"] == 1:
            return
        time.sleep(0.25)
    pytest.fail(f"the pageview was not visible {FLUSH_INTERVAL_SECONDS + MARGIN_SECONDS:.1f} s after collect")
