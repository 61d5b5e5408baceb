"""The tracker in a real browser (Chromium), against the real server.

The test site runs on another port than the server, so every tracker request is
cross-origin, exactly as on a customer's website. Assertions read what the server
stored, except for "nothing was sent" checks, which watch the browser's requests.
"""

from __future__ import annotations

import json
import re
import pytest

from tests.tracker.conftest import LOCALE, SCREEN

SETTLE = 0.5  # seconds to wait before concluding that nothing (more) was sent

DNT_INIT = "Object.defineProperty(Navigator.prototype, 'doNotTrack', {get: () => '1'})"
GPC_INIT = "Object.defineProperty(Navigator.prototype, 'globalPrivacyControl', {get: () => true})"


@pytest.fixture
def src(server_url):
    return f"{server_url}/s.js"


def watch_beacons(page) -> list:
    """Requests the page makes to a collect endpoint (``…/e``), as the browser sends them."""
    sent = []
    page.on("request", lambda r: sent.append(r) if re.search(r"/e(\?|$)", r.url) else None)
    return sent


def data(event) -> dict:
    return json.loads(event["event_data"]) if event["event_data"] else None


# -- pageviews ------------------------------------------------------------------------------


def test_page_load_records_one_pageview(site, page, src, website_id, events):
    url = site.tracker_page("/load/home", website_id, src=src)
    page.goto(url + "?q=1", referer="https://news.example.org/story/1")
    [pv] = events.exactly(1)
    assert pv["event_type"] == "pageview"
    assert pv["url"] == url + "?q=1"
    assert pv["path"] == "/load/home"
    assert pv["hostname"] == "127.0.0.1"
    assert pv["referrer_url"] == "https://news.example.org/story/1"
    assert pv["language"] == LOCALE
    assert pv["screen"] == f"{SCREEN['width']}x{SCREEN['height']}"
    assert pv["event_name"] is None and pv["event_data"] is None
    assert re.fullmatch(r"[0-9a-f]{16}", pv["visitor_id"])  # derived by the server


def test_no_preflight_no_cookies_no_storage(site, context, page, src, server_url, website_id, events):
    cdp = context.new_cdp_session(page)
    cdp.send("Network.enable")
    seen = []  # CDP, unlike page.on("request"), also reports CORS preflights
    cdp.on("Network.requestWillBeSent", lambda e: seen.append((e["request"]["method"], e["request"]["url"])))
    beacons = watch_beacons(page)

    page.goto(site.tracker_page("/private/", website_id, src=src))
    page.evaluate("sparklytics.track('clicked', {n: 1})")
    events.wait(1, event_type="pageview")
    events.wait(1, event_name="clicked")
    page.wait_for_timeout(200)  # Playwright delivers request/CDP events while it is called

    assert len(beacons) == 2
    for request in beacons:
        assert request.method == "POST" and request.url == f"{server_url}/e"
        assert request.headers["content-type"].startswith("text/plain")
    posts = [u for m, u in seen if m == "POST" and u.startswith(server_url)]
    assert len(posts) == 2
    assert not [u for m, u in seen if m == "OPTIONS"]

    assert context.cookies() == []
    storage = page.evaluate(
        "async () => [localStorage.length, sessionStorage.length, (await indexedDB.databases()).length,"
        " document.cookie]"
    )
    assert storage == [0, 0, 0, ""]

    # Control: the watcher does see a preflight when one happens (a JSON POST needs one).
    page.evaluate(
        "u => fetch(u, {method: 'POST', headers: {'Content-Type': 'application/json'}, body: '[]'})"
        ".catch(() => null)",
        f"{server_url}/e",
    )
    page.wait_for_timeout(300)
    assert [u for m, u in seen if m == "OPTIONS"] == [f"{server_url}/e"]


def test_fetch_fallback_without_credentials(site, context, src, website_id, events):
    """Without sendBeacon the tracker uses fetch(keepalive): no preflight, no cookies."""
    context.add_init_script("delete Navigator.prototype.sendBeacon")
    # A cookie the browser would attach to a credentialed request to the endpoint (the test
    # site's first-party path, which records the headers it receives).
    context.add_cookies([{"name": "probe", "value": "1", "url": site.origin, "sameSite": "Lax"}])
    page = context.new_page()
    beacons = watch_beacons(page)
    site.requests.clear()
    url = site.tracker_page("/fallback/", website_id, src=src, attrs={"data-api-host": site.origin + "/_sl"})
    page.goto(url)
    page.evaluate("sparklytics.track('fallback', {ok: true})")
    events.wait(1, event_type="pageview")
    [event] = events.wait(1, event_name="fallback")
    assert data(event) == {"ok": True}
    page.wait_for_timeout(200)
    assert [r.resource_type for r in beacons] == ["fetch", "fetch"]
    received = [headers for method, path, headers in site.requests if path == "/_sl/e"]
    assert [method for method, path, _ in site.requests if path == "/_sl/e"] == ["POST", "POST"]
    for headers in received:
        assert headers["Content-Type"].startswith("text/plain")
        assert "Cookie" not in headers
    assert any("Cookie" in h for m, p, h in site.requests if p == "/fallback/")  # the probe works


def test_spa_history_navigation(site, page, src, website_id, events):
    base = site.tracker_page("/spa/", website_id, src=src)
    page.goto(base)
    events.wait(1)
    page.evaluate("history.pushState({}, '', '/spa/two')")
    events.wait(2)
    page.evaluate("history.replaceState({step: 2}, '', '/spa/two')")  # same URL: not a pageview
    page.evaluate("history.pushState({}, '', '/spa/three?tab=1')")
    events.wait(3)
    page.evaluate("history.back()")  # popstate back to /spa/two
    views = events.exactly(4)
    assert [v["url"] for v in views] == [
        base,
        site.origin + "/spa/two",
        site.origin + "/spa/three?tab=1",
        site.origin + "/spa/two",
    ]
    assert {v["event_type"] for v in views} == {"pageview"}


def test_back_forward_cache_restore_counts_as_pageview(site, page, src, website_id, events):
    # Playwright's Chromium never restores from the bfcache, so the restore is simulated
    # with the event the browser fires then.
    url = site.tracker_page("/bfcache/", website_id, src=src)
    page.goto(url)
    events.wait(1)
    page.evaluate("dispatchEvent(new PageTransitionEvent('pageshow', {persisted: false}))")
    page.evaluate("dispatchEvent(new PageTransitionEvent('pageshow', {persisted: true}))")
    assert [v["url"] for v in events.exactly(2)] == [url, url]


def test_hash_routing(site, page, src, website_id, events):
    base = site.tracker_page("/hash/", website_id, src=src, body='<a href="#/about">about</a>')
    page.goto(base)
    events.wait(1)
    page.evaluate("location.hash = '#/pricing'")  # fires popstate and hashchange: one pageview
    events.wait(2)
    page.click("a")
    views = events.exactly(3)
    assert [v["url"] for v in views] == [base, base + "#/pricing", base + "#/about"]


def test_hash_changes_ignored_with_exclude_hash(site, page, src, website_id, events):
    url = site.tracker_page(
        "/nohash/", website_id, src=src, attrs={"data-exclude-hash": "true"}, body='<a href="#/b">b</a>'
    )
    page.goto(url + "#/a")
    page.evaluate("location.hash = '#/c'")
    page.click("a")
    [view] = events.exactly(1)
    assert view["url"] == url  # the fragment is not sent either
    page.evaluate("history.pushState({}, '', '/nohash/next#/x')")
    views = events.exactly(2)
    assert views[1]["url"] == site.origin + "/nohash/next"


def test_utm_kept_for_the_tab_without_storing_an_identifier(site, context, page, src, website_id, events):
    site.tracker_page("/utm/two", website_id, src=src)
    landing = site.tracker_page("/utm/one", website_id, src=src, body='<a href="/utm/two">next</a>')
    page.goto(landing + "?utm_source=newsletter&utm_medium=email&utm_campaign=spring+sale")
    events.wait(1)
    page.click("a")  # a real (multi-page) navigation
    first, second = events.exactly(2)
    for view in (first, second):
        assert (view["utm_source"], view["utm_medium"], view["utm_campaign"]) == (
            "newsletter",
            "email",
            "spring sale",
        )
    assert second["url"] == site.origin + "/utm/two"
    stored = page.evaluate("[Object.keys(sessionStorage), localStorage.length]")
    assert stored == [["_spl_utm"], 0]
    assert context.cookies() == []

    other_tab = context.new_page()  # sessionStorage is per tab: no campaign there
    other_tab.goto(site.origin + "/utm/two")
    third = events.exactly(3)[2]
    assert third["utm_source"] is None and third["utm_campaign"] is None


# -- custom events and identity --------------------------------------------------------------


def test_track_custom_event(site, page, src, website_id, events):
    beacons = watch_beacons(page)
    page.goto(site.tracker_page("/track/", website_id, src=src))
    events.wait(1)
    page.evaluate(
        """() => {
        sparklytics.track('signup', {plan: 'pro', seats: 3});
        sparklytics.track('x'.repeat(80));
        sparklytics.track('too-big', {blob: 'x'.repeat(5000)});
        sparklytics.track('too-big-utf8', {blob: 'é'.repeat(2100)});  // 2 100 chars, 4 200 bytes
        sparklytics.track('');
        sparklytics.track('done', null);
    }"""
    )
    by_name = {e["event_name"]: e for e in events.exactly(3, event_type="event")}
    signup, long_name, done = by_name["signup"], by_name["x" * 50], by_name["done"]
    assert signup["event_name"] == "signup" and data(signup) == {"plan": "pro", "seats": 3}
    assert signup["url"] == site.origin + "/track/" and signup["language"] == LOCALE
    assert long_name["event_name"] == "x" * 50 and long_name["event_data"] is None
    assert done["event_name"] == "done"
    assert len(beacons) == 4  # the pageview and the three events above, nothing else


def test_event_data_limit_counts_utf8_bytes_like_the_server(site, page, src, website_id, events):
    """What the tracker lets through (≤ 4 096 UTF-8 bytes), the server accepts."""
    page.goto(site.tracker_page("/utf8/", website_id, src=src))
    events.wait(1)
    page.evaluate("sparklytics.track('accents', {text: 'é'.repeat(2000)})")  # 4 013 bytes
    [event] = events.wait(1, timeout=3, event_name="accents")
    assert data(event) == {"text": "é" * 2000}


def test_identify_and_reset(site, page, src, website_id, events):
    page.goto(site.tracker_page("/who/", website_id, src=src))
    [view] = events.wait(1)
    anonymous = view["visitor_id"]
    page.evaluate("sparklytics.identify('x'.repeat(65))")  # too long: ignored
    assert page.evaluate("localStorage.length") == 0
    page.evaluate("sparklytics.identify('user-42'); sparklytics.track('after-identify')")
    [identified] = events.wait(1, event_name="after-identify")
    assert identified["visitor_id"] == "user-42"
    assert page.evaluate("localStorage.getItem('sparklytics_visitor_id')") == "user-42"
    page.evaluate("sparklytics.reset(); sparklytics.track('after-reset')")
    [after] = events.wait(1, event_name="after-reset")
    assert after["visitor_id"] == anonymous
    assert page.evaluate("localStorage.length") == 0


# -- automatic events ------------------------------------------------------------------------

LINKS = """
<a id="internal" data-stay href="/links/next?ref=nav#top">Next <b>page</b></a>
<a id="mail" data-stay href="mailto:someone@example.com">Mail us</a>
<a id="outbound" href="http://localhost:{port}/partner?x=1">  Partner site  </a>
<script>
  for (const type of ['click', 'auxclick'])
    document.addEventListener(type, e => e.target.closest('[data-stay]') && e.preventDefault())
</script>
"""


@pytest.mark.parametrize("mode", ["true", "outbound", None])
def test_link_clicks(site, page, src, website_id, events, mode):
    attrs = {"data-track-links": mode} if mode else {}
    url = site.tracker_page(
        f"/links/{mode}", website_id, src=src, attrs=attrs, body=LINKS.format(port=site.port)
    )
    beacons = watch_beacons(page)
    page.goto(url)
    events.wait(1)
    page.click("#internal")
    page.click("#mail")
    page.click("#internal", button="middle")
    with page.expect_navigation():
        page.click("#outbound")  # leaves the page: the beacon must still arrive
    outbound = {"href": f"http://localhost:{site.port}/partner?x=1", "text": "Partner site", "external": True}
    internal = {"href": "/links/next", "text": "Next page", "external": False}
    if mode == "true":
        clicks = events.exactly(3, event_name="link_click")
        assert sorted((data(c) for c in clicks), key=json.dumps) == sorted(
            [internal, internal, outbound], key=json.dumps
        )
        assert all(c["event_type"] == "event" and c["url"] == url for c in clicks)
    elif mode == "outbound":
        [click] = events.exactly(1, event_name="link_click")
        assert data(click) == outbound
    else:
        page.wait_for_timeout(SETTLE * 1000)  # also lets Playwright deliver request events
        assert len(beacons) == 1 and len(events.all()) == 1


@pytest.mark.parametrize("setting", ["true", "10,90", None])
def test_scroll_depth(site, page, src, website_id, events, setting):
    attrs = {"data-track-scroll-depth": setting} if setting else {}
    url = site.tracker_page(
        "/scroll/", website_id, src=src, attrs=attrs, body='<div style="height:6000px">tall</div>'
    )
    beacons = watch_beacons(page)
    page.goto(url)
    events.wait(1)

    def scroll_to(fraction):  # so that `fraction` of the page has been seen
        page.evaluate(
            "f => scrollTo(0, document.documentElement.scrollHeight * f - innerHeight)", fraction
        )
        page.wait_for_timeout(100)

    scroll_to(0.3)
    if setting == "true":
        events.wait(1, event_name="scroll_depth")
    scroll_to(0.6)
    scroll_to(0.2)
    scroll_to(1.0)
    scroll_to(0.5)
    if setting == "true":
        depths = [data(e)["depth"] for e in events.exactly(4, event_name="scroll_depth")]
        assert sorted(depths) == [25, 50, 75, 100]
        # An SPA navigation starts a new page: thresholds fire again for the new URL.
        page.evaluate("scrollTo(0, 0); history.pushState({}, '', '/scroll/next')")
        scroll_to(1.0)
        again = events.exactly(4, event_name="scroll_depth", url=site.origin + "/scroll/next")
        assert sorted(data(e)["depth"] for e in again) == [25, 50, 75, 100]
    elif setting == "10,90":
        depths = [data(e)["depth"] for e in events.exactly(2, event_name="scroll_depth")]
        assert sorted(depths) == [10, 90]
    else:
        page.wait_for_timeout(SETTLE * 1000)  # also lets Playwright deliver request events
        assert len(beacons) == 1


FORM = """
<form id="signup" name="signupForm" action="/forms/done" method="post">
  <input name="email" value="secret@example.com"><input name="action" value="shadow">
  <button>Sign up</button>
</form>
"""


@pytest.mark.parametrize("enabled", [True, False])
def test_form_submit(site, page, src, website_id, events, enabled):
    attrs = {"data-track-forms": "true"} if enabled else {}
    url = site.tracker_page(f"/forms/{enabled}", website_id, src=src, attrs=attrs, body=FORM)
    beacons = watch_beacons(page)
    page.goto(url)
    events.wait(1)
    page.click("button")  # a real POST submit (the test site answers 204)
    if enabled:
        [submit] = events.exactly(1, event_name="form_submit")
        assert submit["event_type"] == "event" and submit["url"] == url
        assert data(submit) == {"form_id": "signup", "form_name": "signupForm", "action": "/forms/done"}
        assert "secret" not in submit["event_data"]
    else:
        page.wait_for_timeout(SETTLE * 1000)  # also lets Playwright deliver request events
        assert len(beacons) == 1


# -- opting out ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("init", "attrs"),
    [
        (DNT_INIT, {}),
        (GPC_INIT, {}),
        (None, {"data-disabled": "true"}),
        (None, {"data-ignore-localhost": "true"}),
    ],
    ids=["dnt", "gpc", "disabled", "ignore-localhost"],
)
def test_nothing_is_sent(site, context, src, website_id, events, init, attrs):
    if init:
        context.add_init_script(init)
    page = context.new_page()
    beacons = watch_beacons(page)
    page.goto(
        site.tracker_page(
            "/optout/",
            website_id,
            src=src,
            attrs={"data-track-links": "true", "data-track-scroll-depth": "true", **attrs},
            body='<a href="#x">x</a><div style="height:3000px"></div>',
        )
    )
    page.evaluate(
        "sparklytics.track('ignored', {a: 1}); sparklytics.identify('user-1');"
        "document.querySelector('a').click(); scrollTo(0, 3000); history.pushState({}, '', '/optout/2')"
    )
    page.wait_for_timeout(SETTLE * 1000)  # also lets Playwright deliver request events
    assert beacons == [] and events.all() == []
    assert page.evaluate("localStorage.length + sessionStorage.length") == 0


def test_dnt_ignored_when_site_opts_out(site, context, src, website_id, events):
    context.add_init_script(DNT_INIT)
    context.add_init_script(GPC_INIT)
    page = context.new_page()
    page.goto(site.tracker_page("/dnt-off/", website_id, src=src, attrs={"data-respect-dnt": "false"}))
    assert page.evaluate("[navigator.doNotTrack, navigator.globalPrivacyControl]") == ["1", True]
    events.exactly(1, event_type="pageview")


# -- endpoints -------------------------------------------------------------------------------


def test_first_party_proxy_path(site, page, server_url, website_id, events):
    site.requests.clear()
    requested = []
    page.on("request", lambda r: requested.append(r.url))
    url = site.tracker_page("/proxied/", website_id, src="/_sl/s.js")
    page.goto(url)
    page.evaluate("sparklytics.track('via-proxy')")
    [view] = events.wait(1, event_type="pageview")
    events.wait(1, event_name="via-proxy")
    assert view["url"] == url
    assert [(m, p) for m, p, _ in site.requests if p.startswith("/_sl/")] == [
        ("GET", "/_sl/s.js"),
        ("POST", "/_sl/e"),
        ("POST", "/_sl/e"),
    ]
    assert not [u for u in requested if u.startswith(server_url)]  # all first-party


def test_api_host_attribute(site, page, src, website_id, events):
    site.requests.clear()
    page.goto(site.tracker_page("/apihost/", website_id, src=src, attrs={"data-api-host": site.origin + "/_sl/"}))
    events.wait(1, event_type="pageview")
    assert ("POST", "/_sl/e") in [(m, p) for m, p, _ in site.requests]
