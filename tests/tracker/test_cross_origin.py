"""Credentialed cross-origin ingest in real Chromium (Decision 20).

The original Sparklytics tracker, still on many sites, sends
``navigator.sendBeacon(url, new Blob([json], {type: 'application/json'}))``: a
credentialed request with a CORS preflight, which Chromium drops unless the answer
echoes the page's origin and allows credentials. The pages live on the test site's own
port, so the server is cross-origin to them; the events are counted through the API.
"""

from __future__ import annotations

import json
import time
import urllib.request

import pytest

ORIGINAL_BEACON = """<!doctype html><meta charset=utf-8><title>original tracker</title><script>
  const body = JSON.stringify(%(event)s);
  window.queued = navigator.sendBeacon(%(url)s, new Blob([body], {type: 'application/json'}));
</script>"""

CREDENTIALED_FETCH = """<!doctype html><meta charset=utf-8><title>fetch</title><script>
  window.answer = fetch(%(url)s, {
    method: 'POST', credentials: 'include',
    headers: {'Content-Type': 'application/json'}, body: JSON.stringify(%(event)s),
  }).then(
    (r) => r.json().then((body) => ({status: r.status, body, ack: r.headers.get('x-sparklytics-ingest-ack')})),
    (e) => ({error: String(e)}),
  );
</script>"""


# Headless Chromium says "HeadlessChrome", which bot scoring rightly hides from reports.
DESKTOP_CHROME = (
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36"
)


@pytest.fixture
def page(browser):
    context = browser.new_context(user_agent=DESKTOP_CHROME)
    yield context.new_page()
    context.close()


def page_event(website_id: str, url: str) -> str:
    return json.dumps({"website_id": website_id, "type": "pageview", "url": url, "screen": "1280x720"})


def counted_pageviews(server, website_id: str, expected: int, timeout: float = 10.0) -> dict[str, int]:
    """Pageviews per path from the metrics API, once ``expected`` have arrived (a beacon
    may leave the page after the page load finished)."""
    deadline = time.monotonic() + timeout
    while True:
        server.flush()
        with urllib.request.urlopen(f"{server.url}/api/websites/{website_id}/metrics?type=page", timeout=10) as response:
            rows = json.load(response)["data"]["rows"]
        counted = {row["value"]: row["pageviews"] for row in rows}
        if sum(counted.values()) >= expected or time.monotonic() > deadline:
            return counted
        time.sleep(0.05)


@pytest.mark.parametrize("route", ["/api/collect", "/e"])
def test_the_original_trackers_json_beacon_arrives_cross_origin(site, page, server_url, tracker_server, website_id, route):
    url = site.add(
        f"/original{route.replace('/', '-')}",
        ORIGINAL_BEACON % {"event": page_event(website_id, "https://shop.example/original"), "url": json.dumps(server_url + route)},
    )
    assert not url.startswith(server_url)
    page.goto(url)
    assert page.evaluate("window.queued") is True
    assert counted_pageviews(tracker_server, website_id, 1) == {"/original": 1}


def test_a_credentialed_fetch_arrives_and_can_read_the_answer(site, page, server_url, tracker_server, website_id):
    url = site.add(
        "/fetch",
        CREDENTIALED_FETCH % {"event": page_event(website_id, "https://shop.example/fetched"), "url": json.dumps(server_url + "/api/collect")},
    )
    page.goto(url)
    answer = page.evaluate("window.answer")
    assert answer == {"status": 202, "body": {"ok": True}, "ack": "durable"}
    assert counted_pageviews(tracker_server, website_id, 1) == {"/fetched": 1}
