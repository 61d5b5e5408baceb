"""POST /api/event (Plausible's body) and POST /api/send (Umami's): issue 19, Decisions 17, 20.

Each body is checked field by field in what the pipeline stored, errors are our JSON
envelope, and CORS is collect's.
"""

from __future__ import annotations

import json

import httpx
import pytest

from tests.api.helpers import BROWSER_HEADERS, assert_error, create_website, from_ip, stored_events
from tests.harness import LiveServer
from tests.over_http import client_over_http, ingest_path_config

# Every test runs over real HTTP on both ingest paths (tests/over_http.py).
config = ingest_path_config
client = client_over_http

UMAMI_ID = "2f4e6a8c-0b1d-4e3f-8a5b-7c9d1e3f5a7b"
COLUMNS = "website_id, event_type, url, path, hostname, referrer_domain, event_name, event_data, utm_source, screen, language, visitor_id"


async def post(client, path: str, body, *, content_type: str = "text/plain", headers: dict | None = None, ip: str = "198.51.100.9"):
    raw = body if isinstance(body, (str, bytes)) else json.dumps(body)
    return await client.post(
        path, data=raw, headers={**BROWSER_HEADERS, "Content-Type": content_type, **(headers or {})}, scope_base=from_ip(ip)
    )


async def stored(services) -> list[dict]:
    rows = await stored_events(services, COLUMNS)
    for row in rows:
        row["event_data"] = json.loads(row["event_data"]) if row["event_data"] else None
    return rows


# --- Plausible ---------------------------------------------------------------------------


async def test_plausible_pageview_with_short_names_answers_202_ok(client, services) -> None:
    site = await create_website(client, domain="example.com")
    response = await post(
        client, "/api/event",
        {"n": "pageview", "u": "https://example.com/docs?utm_source=newsletter", "d": "example.com",
         "r": "https://news.ycombinator.com/item?id=1", "w": 1280},
    )
    assert response.status_code == 202
    assert await response.get_data() == b"ok"
    assert response.headers["Content-Type"] == "text/plain; charset=utf-8"
    assert response.headers["x-sparklytics-ingest-ack"] == "durable"
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    [event] = await stored(services)
    assert event == {
        "website_id": site, "event_type": "pageview", "url": "https://example.com/docs?utm_source=newsletter",
        "path": "/docs", "hostname": "example.com", "referrer_domain": "news.ycombinator.com", "event_name": None,
        "event_data": None, "utm_source": "newsletter", "screen": None, "language": None, "visitor_id": event["visitor_id"],
    }


async def test_plausible_custom_event_with_long_names_json_props_and_revenue(client, services) -> None:
    site = await create_website(client, domain="shop.example.com", extra_domains=["www.shop.example.com"])
    response = await post(
        client, "/api/event",
        {"name": "Purchase", "url": "https://www.shop.example.com/checkout", "domain": "www.shop.example.com",
         "props": json.dumps({"plan": "pro", "seats": 3}), "revenue": {"amount": "19.90", "currency": "eur"},
         "interactive": False},
        content_type="application/json",
    )
    assert response.status_code == 202
    [event] = await stored(services)
    assert (event["website_id"], event["event_type"], event["event_name"]) == (site, "event", "Purchase")
    assert event["event_data"] == {"plan": "pro", "seats": 3, "revenue": 19.9, "currency": "EUR"}


async def test_plausible_revenue_counts_as_goal_revenue(client, services) -> None:
    site = await create_website(client, domain="shop.example.com")
    goal = await client.post(
        f"/api/websites/{site}/goals",
        json={"name": "Purchase", "goal_type": "event", "match_value": "Purchase", "value_mode": "event_property",
              "value_property_key": "revenue", "currency": "EUR"},
    )
    assert goal.status_code == 201, await goal.get_data(as_text=True)
    goal_id = (await goal.get_json())["data"]["id"]
    for amount in (10, 5.5):
        body = {"n": "Purchase", "u": "https://shop.example.com/", "d": "shop.example.com", "$": {"amount": amount, "currency": "EUR"}}
        assert (await post(client, "/api/event", body)).status_code == 202
    await stored(services)
    [row] = (await (await client.get(f"/api/websites/{site}/goals/conversions")).get_json())["data"]["rows"]
    assert (row["goal_id"], row["conversions"], row["revenue"], row["currency"]) == (goal_id, 2, 15.5, "EUR")


async def test_plausible_domain_list_records_the_event_for_each_site(client, services) -> None:
    first = await create_website(client, domain="one.example.com")
    second = await create_website(client, domain="two.example.com")
    body = {"n": "pageview", "u": "https://one.example.com/", "d": "one.example.com, TWO.example.com,unknown.example.com"}
    response = await post(client, "/api/event", body)
    assert response.status_code == 202 and response.headers["x-sparklytics-ingest-accepted-events"] == "2"
    assert sorted(e["website_id"] for e in await stored(services)) == sorted([first, second])


async def test_plausible_hash_mode_keeps_the_fragment_in_the_path(client, services) -> None:
    await create_website(client, domain="app.example.com")
    for body in (
        {"n": "pageview", "u": "https://app.example.com/#/settings", "d": "app.example.com", "h": 1},
        {"n": "pageview", "u": "https://app.example.com/#/settings", "d": "app.example.com"},
    ):
        assert (await post(client, "/api/event", body)).status_code == 202
    assert [e["path"] for e in await stored(services)] == ["/#/settings", "/"]


async def test_plausible_unknown_domain_is_a_404_envelope(client, services) -> None:
    await create_website(client, domain="example.com")
    response = await post(client, "/api/event", {"n": "pageview", "u": "https://x.example.org/", "d": "x.example.org"})
    await assert_error(response, 404, "not_found", "Unknown domain: x.example.org")
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert await stored(services) == []


async def test_a_new_extra_domain_is_seen_at_once(client, services) -> None:
    site = await create_website(client, domain="example.com")
    body = {"n": "pageview", "u": "https://blog.example.org/", "d": "blog.example.org"}
    assert (await post(client, "/api/event", body)).status_code == 404  # cached as unknown
    assert (await client.put(f"/api/websites/{site}", json={"extra_domains": ["blog.example.org"]})).status_code == 200
    assert (await post(client, "/api/event", body)).status_code == 202
    assert (await client.put(f"/api/websites/{site}", json={"extra_domains": []})).status_code == 200
    assert (await post(client, "/api/event", body)).status_code == 404


@pytest.mark.parametrize(
    ("body", "status", "message", "field"),
    [
        ([], 422, "body must be a JSON object", None),
        ({"u": "https://example.com/", "d": "example.com"}, 400, "name is required", "name"),
        ({"n": "pageview", "d": "example.com"}, 400, "url is required", "url"),
        ({"n": "pageview", "u": "https://example.com/"}, 400, "domain is required", "domain"),
        ({"n": "pageview", "u": "https://example.com/", "d": " , "}, 400, "domain is invalid", "domain"),
        ({"n": "x", "u": "/", "d": "example.com", "p": "{not json"}, 400, "props must be an object or a JSON string of one", "props"),
        ({"n": "x", "u": "/", "d": "example.com", "p": [1]}, 400, "props must be an object or a JSON string of one", "props"),
        ({"n": "x", "u": "/", "d": "example.com", "p": {"a": {"b": 1}}}, 400, "props values must be text, numbers, booleans or null", "props"),
        ({"n": "x", "u": "/", "d": "example.com", "$": {"amount": "ten", "currency": "EUR"}}, 400, "revenue must be {amount: number, currency: code}", "revenue"),
        ({"n": "x", "u": "/", "d": "example.com", "$": {"amount": 1}}, 400, "revenue must be {amount: number, currency: code}", "revenue"),
        ({"n": "x", "u": "/", "d": "example.com", "i": "yes"}, 422, "interactive must be true or false", "interactive"),
        ({"n": "x", "u": "/", "d": "example.com", "r": 5}, 422, "referrer must be a string", "referrer"),
        ({"n": "x" * 201, "u": "/", "d": "example.com"}, 422, None, "event_name"),
        ({"n": "x", "u": "/" * 5000, "d": "example.com"}, 422, None, "url"),
        ({"n": "x", "u": "/", "d": "example.com", "p": {"k": "v" * 5000}}, 400, "Payload exceeds size limit", "event_data"),
    ],
)
async def test_plausible_malformed_bodies_are_4xx_envelopes(client, services, body, status, message, field) -> None:
    await create_website(client, domain="example.com")
    await assert_error(await post(client, "/api/event", body), status, _code(status, message), message, field)
    assert await stored(services) == []


def _code(status: int, message: str | None) -> str:
    return "payload_too_large" if message == "Payload exceeds size limit" else "validation_error"


# --- Umami --------------------------------------------------------------------------------


async def test_umami_pageview_by_alias_answers_as_umami(client, services) -> None:
    site = await create_website(client, domain="example.com", umami_website_id=UMAMI_ID)
    body = {
        "type": "event",
        "payload": {"website": UMAMI_ID.upper(), "hostname": "example.com", "language": "de-DE", "referrer": "https://duckduckgo.com/",
                    "screen": "1920x1080", "title": "Pricing", "url": "/pricing?utm_source=mastodon"},
    }
    response = await post(client, "/api/send", body, content_type="application/json")
    assert response.status_code == 200
    assert await response.get_json() == {"cache": None, "sessionId": None, "visitId": None}
    assert response.headers["x-sparklytics-ingest-ack"] == "durable"
    [event] = await stored(services)
    assert event == {
        "website_id": site, "event_type": "pageview", "url": "https://example.com/pricing?utm_source=mastodon",
        "path": "/pricing", "hostname": "example.com", "referrer_domain": "duckduckgo.com", "event_name": None,
        "event_data": None, "utm_source": "mastodon", "screen": "1920x1080", "language": "de-DE", "visitor_id": event["visitor_id"],
    }


async def test_umami_event_and_identify_by_our_id(client, services) -> None:
    site = await create_website(client, domain="example.com")
    common = {"website": site, "hostname": "example.com", "url": "https://example.com/signup", "id": "user-42", "tag": "beta"}
    event = {"type": "event", "payload": {**common, "name": "signup", "data": {"plan": "pro"}}}
    identify = {"type": "identify", "payload": {**common, "data": {"company": "ACME"}}}
    for body in (event, identify):
        assert (await post(client, "/api/send", body, content_type="application/json")).status_code == 200
    rows = await stored(services)
    assert [(r["event_type"], r["event_name"], r["event_data"], r["visitor_id"]) for r in rows] == [
        ("event", "signup", {"plan": "pro", "tag": "beta"}, "user-42"),
        ("event", "identify", {"company": "ACME", "tag": "beta"}, "user-42"),
    ]


async def test_umami_unknown_website_is_a_404_envelope(client, services) -> None:
    body = {"type": "event", "payload": {"website": UMAMI_ID, "url": "/"}}
    await assert_error(await post(client, "/api/send", body, content_type="application/json"), 404, "not_found", f"Unknown website: {UMAMI_ID}")
    body = {"type": "event", "payload": {"website": "site_missing00", "url": "/"}}
    await assert_error(await post(client, "/api/send", body, content_type="application/json"), 404, "not_found", "Unknown website_id: site_missing00")


@pytest.mark.parametrize(
    ("body", "status", "message", "field"),
    [
        ("[]", 422, "body must be a JSON object", None),
        ({"type": "performance", "payload": {}}, 400, "type must be one of: event, identify", "type"),
        ({"type": "event"}, 422, "payload must be an object", "payload"),
        ({"type": "event", "payload": {"url": "/"}}, 400, "website is required", "website"),
        ({"type": "event", "payload": {"website": UMAMI_ID, "data": [1]}}, 422, "data must be an object", "data"),
        ({"type": "event", "payload": {"website": UMAMI_ID, "tag": 1}}, 422, "tag must be a string", "tag"),
        ({"type": "event", "payload": {"website": UMAMI_ID, "url": 7}}, 422, None, "url"),
        ({"type": "event", "payload": {"website": UMAMI_ID, "name": "x", "data": {"k": "v" * 5000}}}, 400, "Payload exceeds size limit", "event_data"),
        ("{", 400, "Request body is not valid JSON", None),
    ],
)
async def test_umami_malformed_bodies_are_4xx_envelopes(client, services, body, status, message, field) -> None:
    await create_website(client, domain="example.com", umami_website_id=UMAMI_ID)
    code = "invalid_json" if status == 400 and message and "JSON" in message else _code(status, message)
    response = await post(client, "/api/send", body, content_type="application/json")
    await assert_error(response, status, code, message, field)
    assert await stored(services) == []


async def test_umami_bad_optional_fields_cost_only_those_fields(client, services) -> None:
    await create_website(client, domain="example.com", umami_website_id=UMAMI_ID)
    body = {"type": "event", "payload": {"website": UMAMI_ID, "url": "/", "screen": "unknown", "language": "en-US,en;q=0.9"}}
    response = await post(client, "/api/send", body, content_type="application/json")
    assert response.status_code == 200
    assert response.headers["x-sparklytics-dropped-fields"] == "screen,language"


# --- shared: limits, methods, CORS -----------------------------------------------------------


@pytest.mark.parametrize("path", ["/api/event", "/api/send"])
async def test_limits_and_methods(client, path) -> None:
    await assert_error(await post(client, path, "{}", content_type="application/x-www-form-urlencoded"), 415, "unsupported_media_type")
    await assert_error(await post(client, path, "x" * 102_401), 413, "payload_too_large")
    await assert_error(await client.get(path), 405, "method_not_allowed")


@pytest.mark.parametrize("path", ["/api/event", "/api/send"])
async def test_cors_echoes_the_origin_with_credentials(client, path) -> None:
    origin = {"Origin": "https://example.com"}
    preflight = await client.options(path, headers={**origin, "Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "content-type"})
    assert preflight.status_code == 204
    assert preflight.headers["Access-Control-Allow-Origin"] == "https://example.com"
    assert preflight.headers["Access-Control-Allow-Credentials"] == "true"
    assert preflight.headers["Access-Control-Allow-Headers"] == "content-type"
    response = await post(client, path, "{}", headers=origin)
    assert response.status_code in (400, 422)
    assert response.headers["Access-Control-Allow-Origin"] == "https://example.com"
    assert response.headers["Vary"] == "Origin"


async def test_compat_routes_share_collects_per_ip_limit(client, services) -> None:
    site = await create_website(client, domain="example.com")
    body = {"n": "pageview", "u": "https://example.com/", "d": "example.com"}
    for _ in range(60):
        assert (await post(client, "/api/event", body, ip="203.0.113.50")).status_code == 202
    umami = {"type": "event", "payload": {"website": site, "url": "/"}}
    response = await post(client, "/api/send", umami, content_type="application/json", ip="203.0.113.50")
    await assert_error(response, 429, "rate_limited")


def test_compat_routes_are_public_when_the_api_needs_a_login(tmp_path) -> None:
    """In local mode, before setup, every other /api/ route answers 403 setup_required;
    these answer as ingest does (here: the domain and website are unknown)."""
    server = LiveServer(tmp_path / "data", SPARKLYTICS_AUTH="local").start()
    try:
        plausible = httpx.post(f"{server.url}/api/event", content=json.dumps({"n": "pageview", "u": "/", "d": "nowhere.example.com"}),
                               headers={"Content-Type": "text/plain"})
        assert (plausible.status_code, plausible.json()["error"]["message"]) == (404, "Unknown domain: nowhere.example.com")
        umami = httpx.post(f"{server.url}/api/send", json={"type": "event", "payload": {"website": UMAMI_ID}})
        assert (umami.status_code, umami.json()["error"]["message"]) == (404, f"Unknown website: {UMAMI_ID}")
        guarded = httpx.get(f"{server.url}/api/websites")
        assert (guarded.status_code, guarded.json()["error"]["code"]) == (403, "setup_required")
    finally:
        server.stop()
