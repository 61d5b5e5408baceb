"""Plausible's and Umami's snippets and npm trackers in Chromium, counted through our API.

Each test loads a page from the test site (another origin than the server) in real
Chromium and then reads what our own report routes say — pages, sources, UTM, devices,
events, properties, revenue — field by field:

* our ``/js/script.js`` (and extension variants) with ``data-domain``;
* the npm packages ``plausible-tracker`` and ``@plausible-analytics/tracker``, bundled
  into a page with esbuild, their ``apiHost`` / ``endpoint`` pointing at us;
* our ``/script.js`` in Umami mode with ``umami.track`` and ``umami.identify``.

Plausible does not count ``localhost``/``127.*`` pages, so this module's Chromium maps
``*.test`` names to 127.0.0.1 and the pages are opened as ``http://<site>.test:<port>``.
"""

from __future__ import annotations

import csv
import io
import itertools
import json
import subprocess
import time
import urllib.parse
import urllib.request

import pytest

from sparklytics.tracker.asset import TRACKER_DIR
from tests.tracker.site import TestSite

NPM_CLIENTS = TRACKER_DIR.parents[1] / "tests" / "tracker" / "npm_clients"
ESBUILD = TRACKER_DIR / "node_modules" / ".bin" / "esbuild"
CHROME_UA = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36"
UMAMI_ID = "5d1c0b9a-8e7f-4a6b-9c5d-3e2f1a0b9c8d"
_numbers = itertools.count(1)


@pytest.fixture
def page(browser):
    context = browser.new_context(
        locale="de-DE", viewport={"width": 1280, "height": 720}, screen={"width": 1280, "height": 720}, user_agent=CHROME_UA
    )
    yield context.new_page()
    context.close()


@pytest.fixture(scope="module")
def test_site(server_url):
    site = TestSite(server_url)
    yield site
    site.close()


class Site:
    """A website on the server with a domain of its own, and its reports through the API."""

    def __init__(self, server, test_site, **aliases) -> None:
        self.server, self.test_site = server, test_site
        self.domain = f"compat{next(_numbers)}.example.com"
        self.id = self._call("POST", "/api/websites", {"name": self.domain, "domain": self.domain, **aliases})["data"]["id"]

    def page(self, path: str, document: str) -> str:
        """Serve ``document`` at ``path`` on the test site; its URL under a ``.test`` name."""
        self.test_site.add(path, document)
        return f"http://shop.test:{self.test_site.port}{path}"

    def report(self, route: str, **params) -> dict:
        self.server.flush()
        return self._call("GET", f"/api/websites/{self.id}/{route}?{urllib.parse.urlencode(params)}")["data"]

    def rows(self, metric: str) -> dict:
        """``metrics?type=<metric>`` as {value: pageviews or visitors}."""
        data = self.report("metrics", type=metric, limit=100)
        key = "events" if metric == "event_name" else ("pageviews" if metric == "page" else "visitors")
        return {row["value"]: row[key] for row in data["rows"]}

    def event_counts(self) -> dict:
        return {row["event_name"]: row["count"] for row in self.report("events")["rows"]}

    def props(self, event_name: str) -> dict:
        data = self.report("events/properties", event_name=event_name)
        return {(p["property_key"], p["property_value"]): p["count"] for p in data["properties"]}

    def export(self) -> list[dict]:
        """Today's raw events through ``GET …/export`` (CSV), as dicts."""
        self.server.flush()
        today = time.strftime("%Y-%m-%d", time.gmtime())
        query = urllib.parse.urlencode({"start_date": today, "end_date": today})
        with urllib.request.urlopen(f"{self.server.url}/api/websites/{self.id}/export?{query}", timeout=10) as response:
            return list(csv.DictReader(io.StringIO(response.read().decode())))

    def wait_for(self, check, timeout: float = 10.0):
        """Retry ``check()`` (which asserts) until it passes: ingest is asynchronous."""
        deadline = time.monotonic() + timeout
        while True:
            try:
                return check()
            except AssertionError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)

    def _call(self, method: str, path: str, body=None) -> dict:
        request = urllib.request.Request(
            self.server.url + path, method=method, data=json.dumps(body).encode() if body is not None else None,
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            return json.load(response)


@pytest.fixture
def make_site(tracker_server, test_site):
    return lambda **aliases: Site(tracker_server, test_site, **aliases)


def plausible_page(site: Site, server_url: str, script: str, body: str = "", attrs: str = "") -> str:
    return (
        f'<!doctype html><html><head><meta charset=utf-8><title>shop</title>'
        f'<script defer data-domain="{site.domain}" src="{server_url}/js/{script}" {attrs}></script></head>'
        f"<body>{body}</body></html>"
    )


# --- our /js/script.js ------------------------------------------------------------------------


def test_plausible_snippet_counts_pages_sources_utm_and_devices(page, make_site, server_url) -> None:
    site = make_site()
    url = site.page("/landing", plausible_page(site, server_url, "script.js"))
    page.goto(url + "?utm_source=newsletter&utm_campaign=spring", referer="https://news.ycombinator.com/item?id=1")
    page.evaluate("history.pushState({}, '', '/pricing')")

    site.wait_for(lambda: _expect(site.rows("page"), {"/landing": 1, "/pricing": 1}))
    assert site.rows("referrer") == {"news.ycombinator.com": 1}
    assert site.rows("utm_source") == {"newsletter": 1}
    assert site.rows("utm_campaign") == {"spring": 1}
    assert site.rows("browser") == {"Chrome": 1}
    assert site.rows("device") == {"desktop": 1}
    assert site.report("stats")["pageviews"] == 2


def test_plausible_extensions_in_any_order(page, make_site, server_url) -> None:
    site = make_site()
    goal = site._call("POST", f"/api/websites/{site.id}/goals", {
        "name": "Purchase", "goal_type": "event", "match_value": "Purchase", "value_mode": "event_property",
        "value_property_key": "revenue", "currency": "EUR"})["data"]
    body = (
        f'<a id=out href="http://elsewhere.test:{site.test_site.port}/away" onclick="event.preventDefault()">out</a>'
        '<a id=pdf href="/files/report.pdf?v=2" onclick="event.preventDefault()">pdf</a>'
        '<button id=signup class="plausible-event-name=Signup plausible-event-plan=pro+yearly">sign up</button>'
        '<button id=buy class="plausible-event-name=Purchase plausible-revenue-amount=9.50 plausible-revenue-currency=EUR">buy</button>'
    )
    script = "script.revenue.tagged-events.file-downloads.pageview-props.outbound-links.js"
    page.goto(site.page("/shop", plausible_page(site, server_url, script, body, 'event-author="Ann Lee"')))
    for element in ("#out", "#pdf", "#signup", "#buy", "#buy"):
        page.click(element)

    site.wait_for(lambda: _expect(site.event_counts(), {"Outbound Link: Click": 1, "File Download": 1, "Signup": 1, "Purchase": 2}))
    assert site.props("Outbound Link: Click")[("url", f"http://elsewhere.test:{site.test_site.port}/away")] == 1
    assert site.props("File Download")[("url", f"http://shop.test:{site.test_site.port}/files/report.pdf")] == 1
    signup = site.props("Signup")
    assert signup[("plan", "pro yearly")] == 1 and signup[("author", "Ann Lee")] == 1  # tagged + pageview-props
    [row] = site.report("goals/conversions")["rows"]
    assert (row["goal_id"], row["conversions"], row["revenue"], row["currency"]) == (goal["id"], 2, 19.0, "EUR")
    assert site.rows("page") == {"/shop": 1}
    # The pageview carries the script's event-* props too (the export shows pageviews' properties).
    [pageview] = [row for row in site.export() if row["event_type"] == "pageview"]
    assert json.loads(pageview["event_data"]) == {"author": "Ann Lee"}


def test_plausible_hash_routing_and_manual_queue(page, make_site, server_url) -> None:
    site = make_site()
    page.goto(site.page("/app", plausible_page(site, server_url, "script.hash.js")))
    page.evaluate("location.hash = '#/settings'")
    site.wait_for(lambda: _expect(site.rows("page"), {"/app": 1, "/app#/settings": 1}))

    manual = make_site()
    queue = (
        "<script>window.plausible = window.plausible || function() { (window.plausible.q = window.plausible.q || []).push(arguments) };"
        "plausible('pageview', {u: location.origin + '/virtual/checkout', props: {step: '2'}});</script>"
    )
    page.goto(manual.page("/real", queue + plausible_page(manual, server_url, "script.manual.js")))
    manual.wait_for(lambda: _expect(manual.rows("page"), {"/virtual/checkout": 1}))


def test_plausible_exclusions_and_localhost_are_not_counted(page, make_site, server_url) -> None:
    site = make_site()
    page.goto(site.page("/private/a", plausible_page(site, server_url, "script.exclusions.js", attrs='data-exclude="/private/*"')))
    page.goto(site.page("/public", plausible_page(site, server_url, "script.exclusions.js", attrs='data-exclude="/private/*"')))
    # Opened as 127.0.0.1, not counted without the `local` extension; with it, counted.
    page.goto(f"{site.test_site.origin}/public")
    page.goto(site.test_site.add("/local", plausible_page(site, server_url, "script.local.js")))
    # data-api sends elsewhere than next to the script: here the same server under another name.
    api = server_url.replace("127.0.0.1", "localhost") + "/api/event"
    sent = []
    page.on("request", lambda r: sent.append(r.url) if r.url.endswith("/api/event") else None)
    page.goto(site.page("/via-api", plausible_page(site, server_url, "script.js", attrs=f'data-api="{api}"')))
    site.wait_for(lambda: _expect(site.rows("page"), {"/public": 1, "/local": 1, "/via-api": 1}))
    assert sent == [api]


# --- the npm packages --------------------------------------------------------------------------


@pytest.fixture(scope="module")
def npm_bundles(tmp_path_factory):
    """The two npm test pages bundled with the tracker's esbuild (IIFE, for a <script>)."""
    if not (NPM_CLIENTS / "node_modules" / "plausible-tracker").is_dir():
        pytest.fail("npm test clients missing: run `bash scripts/install.sh --test`", pytrace=False)
    out = tmp_path_factory.mktemp("npm")
    bundles = {}
    for name in ("plausible_tracker_page", "plausible_analytics_tracker_page"):
        target = out / f"{name}.js"
        subprocess.run(
            [str(ESBUILD), str(NPM_CLIENTS / f"{name}.js"), "--bundle", "--format=iife", f"--outfile={target}"],
            cwd=NPM_CLIENTS, check=True, capture_output=True,
        )
        bundles[name] = target.read_text()
    return bundles


def npm_page(config: dict, bundle: str, body: str = "") -> str:
    # @plausible-analytics/tracker ignores browsers driven by automation
    # (navigator.webdriver) unless window.__plausible is set, Plausible's own test switch.
    return (
        f"<!doctype html><html><head><meta charset=utf-8><title>npm</title>"
        f"<script>window.TEST_CONFIG = {json.dumps(config)}; window.__plausible = true</script></head>"
        f"<body>{body}<script>{bundle}</script></body></html>"
    )


def test_npm_plausible_tracker(page, make_site, server_url, npm_bundles) -> None:
    site = make_site()
    body = f'<a id=out href="http://elsewhere.test:{site.test_site.port}/x" onclick="event.preventDefault()">x</a>'
    url = site.page("/npm-old", npm_page({"domain": site.domain, "apiHost": server_url}, npm_bundles["plausible_tracker_page"], body))
    page.goto(url + "?utm_source=github", referer="https://duckduckgo.com/")
    page.evaluate("signup()")
    page.click("#out")

    site.wait_for(lambda: _expect(site.event_counts(), {"Signup": 1, "Outbound Link: Click": 1}))
    assert site.rows("page") == {"/npm-old": 1}
    assert site.rows("referrer") == {"duckduckgo.com": 1}
    assert site.rows("utm_source") == {"github": 1}
    assert site.props("Signup") == {("plan", "pro"): 1, ("seats", "3"): 1}  # sent as a JSON string


def test_npm_plausible_analytics_tracker(page, make_site, server_url, npm_bundles) -> None:
    site = make_site(extra_domains=["shop-alias.example.com"])
    config = {"domain": "shop-alias.example.com", "endpoint": f"{server_url}/api/event"}
    page.goto(site.page("/npm-new", npm_page(config, npm_bundles["plausible_analytics_tracker_page"])), referer="https://www.bing.com/")
    page.evaluate("purchase()")

    site.wait_for(lambda: _expect(site.event_counts(), {"Purchase": 1}))
    assert site.rows("page") == {"/npm-new": 1}
    assert site.rows("referrer") == {"www.bing.com": 1}
    assert site.props("Purchase") == {("item", "book"): 1, ("section", "docs"): 1, ("revenue", "15.99"): 1, ("currency", "USD"): 1}


# --- our /script.js in Umami mode ---------------------------------------------------------------


def umami_page(server_url: str, website: str, attrs: str = "", body: str = "") -> str:
    return (
        f'<!doctype html><html><head><meta charset=utf-8><title>Umami page</title>'
        f'<script defer src="{server_url}/script.js" data-website-id="{website}" {attrs}></script></head>'
        f"<body>{body}</body></html>"
    )


def test_umami_snippet_track_and_identify(page, make_site, server_url) -> None:
    site = make_site(umami_website_id=UMAMI_ID)
    body = '<button id=cta data-umami-event="CTA click" data-umami-event-color="green">go</button>'
    url = site.page("/umami", umami_page(server_url, UMAMI_ID, 'data-tag="spring"', body))
    page.goto(url + "?utm_source=mastodon&utm_medium=social", referer="https://duckduckgo.com/")
    page.wait_for_function("window.umami")
    page.evaluate("umami.track('signup', {plan: 'pro'})")
    page.evaluate(f"umami.track({{website: '{UMAMI_ID}', url: '/custom-page', hostname: location.hostname}})")
    page.evaluate("umami.track((p) => ({...p, url: '/from-function'}))")
    page.evaluate("umami.identify('user-42', {company: 'ACME'})")
    page.evaluate("umami.track('after-identify')")
    page.click("#cta")
    page.evaluate("history.pushState({}, '', '/umami/next')")

    site.wait_for(lambda: _expect(site.event_counts(), {"signup": 1, "identify": 1, "after-identify": 1, "CTA click": 1}))
    site.wait_for(lambda: _expect(site.rows("page"), {"/umami": 1, "/custom-page": 1, "/from-function": 1, "/umami/next": 1}))
    # identify() starts a new visitor, whose visit lands on /umami/next from /umami.
    assert site.rows("referrer") == {"duckduckgo.com": 1, "(direct)": 1}
    assert site.rows("utm_source") == {"mastodon": 1}
    assert site.rows("utm_medium") == {"social": 1}
    # Two visitors: the anonymous one and, after identify(), user-42.
    assert site.rows("screen") == {"1280x720": 2}
    assert site.rows("language") == {"de-DE": 2}
    assert site.rows("device") == {"desktop": 2}
    assert site.props("signup") == {("plan", "pro"): 1, ("tag", "spring"): 1}
    assert site.props("identify") == {("company", "ACME"): 1, ("tag", "spring"): 1}
    assert site.props("CTA click") == {("color", "green"): 1, ("tag", "spring"): 1}
    # identify() makes the visitor known: its later events carry the id.
    sessions = site._call("GET", f"/api/websites/{site.id}/sessions")["data"]
    assert "user-42" in {s["visitor_id"] for s in sessions}


def test_umami_attributes_that_stop_sending(page, make_site, server_url) -> None:
    site = make_site()
    page.goto(site.page("/other-domain", umami_page(server_url, site.id, 'data-domains="www.elsewhere.example"')))
    page.goto(site.page("/no-auto", umami_page(server_url, site.id, 'data-auto-track="false"')))
    page.evaluate("umami.track('manual-event')")
    page.goto(site.page("/cleaned", umami_page(server_url, site.id, 'data-exclude-search="true" data-exclude-hash="true"')) + "?secret=1#x")
    hook = "<script>window.dropSecrets = (type, payload) => payload.url.includes('/hidden') ? null : payload</script>"
    page.goto(site.page("/hidden", hook + umami_page(server_url, site.id, 'data-before-send="dropSecrets"')))
    # Do Not Track is honoured only when the snippet asks for it.
    page.add_init_script("Object.defineProperty(Navigator.prototype, 'doNotTrack', {get: () => '1'})")
    page.goto(site.page("/dnt-honoured", umami_page(server_url, site.id, 'data-do-not-track="true"')))
    page.goto(site.page("/dnt-ignored", umami_page(server_url, site.id)))
    site.wait_for(lambda: _expect(site.event_counts(), {"manual-event": 1}))
    site.wait_for(lambda: _expect(site.rows("page"), {"/cleaned": 1, "/dnt-ignored": 1}))
    [event] = site.server.query("SELECT url FROM events WHERE website_id = ? AND path = '/cleaned'", [site.id])
    assert event[0] == f"http://shop.test:{site.test_site.port}/cleaned"


def _expect(actual, expected) -> None:
    assert actual == expected, actual
