"""A bounded fuzz of collect and every GET route (issue 13): a few thousand generated
requests, fixed seed, in the normal run. No answer may be a 5xx, every error is the
JSON envelope, and nothing stored outside what valid events add may change."""

from __future__ import annotations

import json
import random
import re
import string
from collections import Counter
from urllib.parse import quote

import pytest

from tests.api.helpers import create_website, from_ip, pageview, stored_events
from tests.over_http import INGEST_PATHS, client_over_http, ingest_test_config

SEED = 20261205
COLLECT_REQUESTS = 1500
GET_REQUESTS = 1500

# Values that have broken parsers somewhere: types, bounds, encodings, sizes.
NASTY_TEXT = [
    "", " ", "0", "-1", "1e309", "NaN", "null", "true", "[]", "{}", "9" * 40, "2026-02-30", "2026-13-01",
    "9999-12-31", "0000-01-01", "1970-01-01", "2026-03-01T00:00:00Z", "garbage", "%00", "\x00", "\ud800",
    "\U0001f600", "é" * 300, "a" * 5000, "../../etc/passwd", "' OR 1=1 --", "<script>", "${jndi}", "\\",
    "Europe/Berlin", "Mars/Olympus", "UTC", "24h", "7d", "previous_period", "custom", "hour", "day", "month",
    "page", "referrer", "country", "(direct)", "Organic Search", "DE", "/", "/pricing", "signup",
]
NASTY_VALUES = [None, True, False, 0, -1, 2**63, 1.5, float("1e308"), [], {}, [1, [2, [3]]], {"a": {"b": None}}]
QUERY_NAMES = [
    "start_date", "end_date", "timezone", "period", "include_bots", "compare_mode", "compare_start_date",
    "compare_end_date", "granularity", "type", "limit", "offset", "cursor", "event_name", "format",
    "filter_page", "filter_referrer", "filter_channel", "filter_country", "filter_browser", "filter_device",
    "filter_utm_source", "anchor_type", "anchor_value", "direction", "max_depth", "cohort_granularity",
    "max_periods", "unknown_param", "filter_nonsense",
]
EVENT_FIELDS = [
    "website_id", "type", "url", "referrer", "screen", "screen_width", "screen_height", "language",
    "event_name", "event_data", "utm_source", "utm_medium", "utm_campaign", "utm_term", "utm_content",
    "visitor_id", "extra_field",
]


@pytest.fixture(params=INGEST_PATHS)
def config(data_dir, request):
    """Over real HTTP on both ingest paths (tests/over_http.py), without rate limits."""
    return ingest_test_config(data_dir, request.param, SPARKLYTICS_RATE_LIMIT_DISABLE="true")


client = client_over_http


def nasty(rng: random.Random) -> object:
    pick = rng.random()
    if pick < 0.55:
        return rng.choice(NASTY_TEXT)
    if pick < 0.8:
        return rng.choice(NASTY_VALUES)
    return "".join(rng.choice(string.printable) for _ in range(rng.randint(0, 40)))


def mutated_event(rng: random.Random, site: str) -> object:
    event: dict = pageview(site, "https://example.com/fuzz")
    if rng.random() < 0.5:
        event.update(type="event", event_name="fuzz", event_data={"k": "v"})
    for _ in range(rng.randint(1, 4)):
        field = rng.choice(EVENT_FIELDS)
        if rng.random() < 0.15:
            event.pop(field, None)
        else:
            event[field] = nasty(rng)
    return event


def collect_body(rng: random.Random, site: str) -> tuple[bytes, str]:
    shape = rng.random()
    if shape < 0.6:
        body = json.dumps(mutated_event(rng, site))
    elif shape < 0.8:
        body = json.dumps([mutated_event(rng, site) for _ in range(rng.randint(0, 60))])
    elif shape < 0.9:
        body = json.dumps(nasty(rng))
    else:  # not JSON at all, or JSON cut short
        text = json.dumps(mutated_event(rng, site))
        body = text[: rng.randint(0, len(text))] + rng.choice(["", "}", "\x00", "\xff"])
    content_type = rng.choice(["application/json", "text/plain", "application/json; charset=utf-8", "text/html", ""])
    return body.encode("utf-8", "surrogatepass"), content_type


def get_path(rng: random.Random, app, ids: dict[str, str]) -> str:
    rule = rng.choice([r for r in app.url_map.iter_rules() if "GET" in r.methods and not r.rule.startswith("/static")])
    path = rule.rule
    for name in re.findall(r"<(?:[^:>]+:)?([^>]+)>", path):
        value = ids.get(name) if rng.random() < 0.8 else str(nasty(rng))
        path = re.sub(rf"<(?:[^:>]+:)?{name}>", quote(value or "x", safe="", errors="surrogatepass"), path)
    params = [
        f"{quote(rng.choice(QUERY_NAMES))}={quote(str(nasty(rng)), safe='', errors='surrogatepass')}" for _ in range(rng.randint(0, 6))
    ]
    return path + ("?" + "&".join(params) if params else "")


async def snapshot(services, other_site: str) -> dict:
    def read(cur):
        return {
            table: cur.execute(f"SELECT * FROM {table} ORDER BY ALL").fetchall()
            for table in ("websites", "funnels", "funnel_steps", "settings", "local_api_keys")
        } | {"other site's events": cur.execute("SELECT count(*) FROM events WHERE website_id = ?", [other_site]).fetchall()}

    return await services.db.read(read)


async def assert_no_server_error(response, request: str, statuses: Counter) -> None:
    statuses[response.status_code] += 1
    assert response.status_code < 500, (request, response.status_code, await response.get_data(as_text=True))
    if response.status_code >= 400 and response.mimetype == "application/json":
        body = await response.get_json()
        assert set(body) == {"error"} and set(body["error"]) == {"code", "message", "field"}, (request, body)


async def test_fuzzed_requests_never_answer_5xx_or_change_what_they_should_not(app, client, services) -> None:
    rng = random.Random(SEED)
    site = await create_website(client, "Fuzzed", "fuzz.example.com")
    other = await create_website(client, "Bystander", "bystander.example.com")
    await client.post("/api/collect", json=pageview(other, "https://bystander.example.com/"), scope_base=from_ip("198.51.100.1"))
    funnel = await client.post(f"/api/websites/{site}/funnels", json={"name": "Fuzz", "steps": [
        {"step_type": "page_view", "match_value": "/"}, {"step_type": "page_view", "match_value": "/pricing"}]})
    website = (await (await client.get(f"/api/websites/{site}")).get_json())["data"]
    await stored_events(services)  # everything committed
    ids = {"website_id": site, "id": site, "funnel_id": (await funnel.get_json())["data"]["id"],
           "share_id": website.get("share_id") or "nope", "session_id": "0123456789abcdef", "slug": "x", "path": "x"}
    before = await snapshot(services, other)
    collect_statuses: Counter = Counter()
    get_statuses: Counter = Counter()

    for i in range(COLLECT_REQUESTS):
        body, content_type = collect_body(rng, site)
        path = rng.choice(["/api/collect", "/e"])
        headers = {"Content-Type": content_type} if content_type else {}
        headers["User-Agent"] = rng.choice(["Mozilla/5.0 Chrome/131.0", "", "curl/8", "\u00ff" * 10])
        response = await client.post(path, data=body, headers=headers, scope_base=from_ip(f"203.0.113.{i % 250}"))
        await assert_no_server_error(response, f"POST {path} {body[:200]!r}", collect_statuses)

    for _ in range(GET_REQUESTS):
        path = get_path(rng, app, ids)
        response = await client.get(path)
        await assert_no_server_error(response, f"GET {path}", get_statuses)

    await stored_events(services)
    assert await snapshot(services, other) == before
    # The generator reaches past the validators too: some events are taken, some reports run.
    assert collect_statuses[202] > 100 and collect_statuses[400] > 100, collect_statuses
    assert get_statuses[200] > 100 and get_statuses[400] > 100, get_statuses


COMPAT_REQUESTS = 600
PLAUSIBLE_FIELDS = ["n", "name", "u", "url", "d", "domain", "r", "referrer", "p", "props", "$", "revenue", "i", "h", "w", "extra"]
UMAMI_FIELDS = ["website", "hostname", "language", "referrer", "screen", "title", "url", "name", "data", "tag", "id", "extra"]
UMAMI_ID = "9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d"


def compat_body(rng: random.Random, path: str, site: str) -> bytes:
    """A Plausible (/api/event) or Umami (/api/send) body with a few fields made nasty."""
    if path == "/api/event":
        body: object = {"n": rng.choice(["pageview", "Signup"]), "u": "https://fuzz.example.com/x", "d": "fuzz.example.com",
                        "p": {"plan": "pro"}, "$": {"amount": 5, "currency": "EUR"}}
        fields = PLAUSIBLE_FIELDS
    else:
        payload = {"website": rng.choice([site, UMAMI_ID]), "hostname": "fuzz.example.com", "url": "/x", "name": "signup",
                   "data": {"k": "v"}, "screen": "1x1", "language": "en"}
        body = {"type": rng.choice(["event", "identify"]), "payload": payload}
        fields = UMAMI_FIELDS
    target = body if path == "/api/event" else body["payload"]
    for _ in range(rng.randint(1, 4)):
        field = rng.choice(fields)
        if rng.random() < 0.15:
            target.pop(field, None)
        else:
            target[field] = nasty(rng)
    if rng.random() < 0.1:
        body = nasty(rng)
    return json.dumps(body).encode("utf-8", "surrogatepass")


async def test_fuzzed_plausible_and_umami_bodies_never_answer_5xx(client, services) -> None:
    rng = random.Random(SEED + 19)
    site = await create_website(client, "Fuzzed", "fuzz.example.com", umami_website_id=UMAMI_ID)
    other = await create_website(client, "Bystander", "bystander.example.com")
    await stored_events(services)
    before = await snapshot(services, other)
    statuses: Counter = Counter()
    for i in range(COMPAT_REQUESTS):
        path = rng.choice(["/api/event", "/api/send"])
        body = compat_body(rng, path, site)
        headers = {"Content-Type": rng.choice(["application/json", "text/plain"]), "User-Agent": "Mozilla/5.0 Chrome/131.0"}
        response = await client.post(path, data=body, headers=headers, scope_base=from_ip(f"203.0.113.{i % 250}"))
        await assert_no_server_error(response, f"POST {path} {body[:200]!r}", statuses)
    await stored_events(services)
    assert await snapshot(services, other) == before
    assert statuses[202] > 50 and statuses[200] > 50 and statuses[400] + statuses[422] > 50, statuses
