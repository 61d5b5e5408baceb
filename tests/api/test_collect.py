"""POST /api/collect and /e: API.md §1.4, §2 and Decisions 9, 10, 17."""

from __future__ import annotations

import json
from datetime import datetime, timedelta

import pytest

from actors.enricher import SetSalts
from sparklytics.api.collect import CollectEvent, parse_events
from sparklytics.enrich.ids import public_session_id
from tests.api.helpers import (
    BROWSER_HEADERS,
    assert_error,
    create_website,
    custom_event,
    from_ip,
    pageview,
    send,
    stored_events,
)
from tests.over_http import client_over_http, ingest_path_config

# Every test runs over real HTTP on both ingest paths (tests/over_http.py).
config = ingest_path_config
client = client_over_http


async def test_single_pageview_is_acknowledged_durably_and_stored(client, services) -> None:
    site = await create_website(client)
    response = await send(client, pageview(site, "https://example.com/pricing?plan=pro#top", referrer="https://www.google.com/search?q=x", language="de-DE", screen="1440x900"))
    assert response.status_code == 202
    assert await response.get_json() == {"ok": True}
    assert response.headers["x-sparklytics-ingest-ack"] == "durable"
    assert response.headers["x-sparklytics-ingest-accepted-events"] == "1"
    assert response.headers["x-sparklytics-ingest-dropped-events"] == "0"
    assert response.headers["x-sparklytics-ingest-queue-capacity"] == "100000"
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    [event] = await stored_events(services)
    assert event["website_id"] == site
    assert event["event_type"] == "pageview"
    assert event["url"] == "https://example.com/pricing?plan=pro#top"
    assert event["path"] == "/pricing"
    assert event["hostname"] == "example.com"
    assert event["referrer_domain"] == "www.google.com"
    assert event["language"] == "de-DE"
    assert event["screen"] == "1440x900"
    assert event["browser"] == "Chrome"
    assert event["os"] == "Mac OS X"
    assert event["device_type"] == "desktop"
    assert event["is_bot"] is False
    assert len(event["visitor_id"]) == 16 and len(public_session_id(event["session_id"])) == 16


async def test_batch_is_stored_in_one_session_with_increasing_timestamps(client, services) -> None:
    site = await create_website(client)
    batch = [pageview(site, f"https://example.com/p{i}") for i in range(5)] + [custom_event(site, "signup", {"plan": "pro"})]
    response = await send(client, batch)
    assert response.status_code == 202
    assert response.headers["x-sparklytics-ingest-accepted-events"] == "6"
    events = await stored_events(services)
    assert [e["path"] for e in events] == ["/p0", "/p1", "/p2", "/p3", "/p4", "/"]
    times = [e["created_at"] for e in events]
    assert all(later > earlier for earlier, later in zip(times, times[1:]))
    assert len({e["session_id"] for e in events}) == 1
    assert json.loads(events[-1]["event_data"]) == {"plan": "pro"}
    assert events[-1]["event_name"] == "signup"

    def session(cur):
        return cur.execute("SELECT pageview_count, event_count, entry_path, exit_path FROM sessions").fetchall()

    assert await services.db.read(session) == [(5, 6, "/p0", "/p4")]


async def test_e_alias_accepts_text_plain_bodies_like_the_tracker_sends(client, services) -> None:
    site = await create_website(client)
    response = await client.post(
        "/e",
        data=json.dumps(pageview(site)),
        headers={**BROWSER_HEADERS, "Content-Type": "text/plain;charset=UTF-8"},
        scope_base=from_ip("198.51.100.8"),
    )
    assert response.status_code == 202
    assert len(await stored_events(services)) == 1


async def test_utm_tags_come_from_the_url_unless_sent_explicitly(client, services) -> None:
    site = await create_website(client)
    url = "https://example.com/?utm_source=news+letter&utm_medium=email&utm_campaign=black%20friday"
    await send(client, [pageview(site, url), pageview(site, url, utm_source="explicit")])
    implicit, explicit = await stored_events(services, "utm_source, utm_medium, utm_campaign, channel")
    assert implicit == {"utm_source": "news letter", "utm_medium": "email", "utm_campaign": "black friday", "channel": "Email"}
    assert explicit["utm_source"] == "explicit"


async def test_referrer_domain_and_self_referrals(client, services) -> None:
    site = await create_website(client)
    await send(
        client,
        [
            pageview(site, referrer="https://News.ycombinator.com/item?id=1"),
            pageview(site, referrer="https://example.com/previous-page"),
            pageview(site),
        ],
    )
    rows = await stored_events(services, "referrer_domain, referrer_url")
    assert [r["referrer_domain"] for r in rows] == ["news.ycombinator.com", None, None]


async def test_visitor_id_is_stable_per_ip_and_agent_and_changes_when_the_salt_rotates(client, services) -> None:
    site = await create_website(client)
    await send(client, pageview(site), ip="203.0.113.1")
    await send(client, pageview(site), ip="203.0.113.1")
    await send(client, pageview(site), ip="203.0.113.2")
    await send(client, pageview(site), ip="203.0.113.1", headers={**BROWSER_HEADERS, "User-Agent": "Mozilla/5.0 Firefox/128.0"})
    first, again, other_ip, other_agent = [e["visitor_id"] for e in await stored_events(services, "visitor_id")]
    assert first == again
    assert len({first, other_ip, other_agent}) == 3

    tomorrow = datetime.utcnow() + timedelta(days=1, hours=2)
    salts = await services.metadata.rotate_salts(tomorrow)
    await services.enricher.inbox.send(SetSalts(salts))
    await send(client, pageview(site), ip="203.0.113.1")
    rotated = (await stored_events(services, "visitor_id"))[-1]["visitor_id"]
    assert rotated != first


async def test_a_client_visitor_id_from_identify_is_honoured(client, services) -> None:
    site = await create_website(client)
    await send(client, [pageview(site, visitor_id="user-42"), pageview(site, visitor_id="x" * 65)])
    honoured, too_long = await stored_events(services, "visitor_id")
    assert honoured["visitor_id"] == "user-42"
    assert too_long["visitor_id"] != "x" * 65 and len(too_long["visitor_id"]) == 16


async def test_the_61st_request_in_a_minute_is_rate_limited(client, services) -> None:
    site = await create_website(client)
    for _ in range(60):
        assert (await send(client, pageview(site), ip="192.0.2.60")).status_code == 202
    limited = await send(client, pageview(site), ip="192.0.2.60")
    await assert_error(limited, 429, "rate_limited", "Rate limit exceeded")
    assert 1 <= int(limited.headers["Retry-After"]) <= 60
    assert (await send(client, pageview(site), ip="192.0.2.61")).status_code == 202


async def test_unknown_website_is_404(client, services) -> None:
    response = await send(client, pageview("site_doesnotexi"))
    await assert_error(response, 404, "not_found", "Unknown website_id: site_doesnotexi")
    assert await stored_events(services) == []


@pytest.mark.parametrize(
    ("body", "status", "code", "message", "field"),
    [
        ([], 400, "validation_error", "empty batch", None),
        ("just a string", 422, "validation_error", None, None),
        ({"website_id": "s", "type": "click", "url": "/"}, 400, "validation_error", "type must be one of: pageview, event", "type"),
        ({"website_id": "s", "url": "/"}, 422, "validation_error", None, "type"),
        ({"website_id": "s", "type": "pageview", "url": "/", "colour": "red"}, 422, "validation_error", None, "colour"),
        ({"website_id": "s", "type": "pageview", "url": 42}, 422, "validation_error", None, "url"),
        ({"website_id": "s", "type": "pageview", "url": "/" * 5000}, 422, "validation_error", None, "url"),
        ({"website_id": "s", "type": "event", "url": "/", "event_name": "n" * 201}, 422, "validation_error", None, "event_name"),
        ({"website_id": "s" * 65, "type": "pageview", "url": "/", "screen": "big"}, 422, "validation_error", None, "website_id"),
        ({"website_id": "s", "type": "event", "url": "/", "event_data": {"k": "v" * 4100}}, 400, "payload_too_large", "Payload exceeds size limit", "event_data"),
    ],
)
async def test_invalid_events_get_a_clear_error(client, services, body, status, code, message, field) -> None:
    response = await send(client, body)
    await assert_error(response, status, code, message, field)


async def test_more_than_50_events_is_batch_too_large(client, services) -> None:
    site = await create_website(client)
    response = await send(client, [pageview(site)] * 51)
    await assert_error(response, 400, "batch_too_large", "Batch exceeds maximum of 50 events")
    assert (await send(client, [pageview(site)] * 50)).status_code == 202


async def test_malformed_json_is_400_invalid_json(client, services) -> None:
    response = await client.post("/api/collect", data=b'{"website_id": ', headers={"Content-Type": "application/json"})
    await assert_error(response, 400, "invalid_json", "Request body is not valid JSON")


async def test_bodies_over_100_kb_are_413(client, services) -> None:
    body = json.dumps([{"website_id": "s", "type": "pageview", "url": "/" + "a" * 3000}] * 40)
    assert len(body) > 102_400
    response = await client.post("/api/collect", data=body, headers={"Content-Type": "application/json"})
    await assert_error(response, 413, "payload_too_large", "Payload exceeds size limit")


async def test_other_content_types_are_415(client, services) -> None:
    response = await client.post("/api/collect", data="website_id=x", headers={"Content-Type": "application/x-www-form-urlencoded"})
    await assert_error(response, 415, "unsupported_media_type")


@pytest.mark.parametrize("path", ["/api/collect", "/e"])
async def test_cors_preflight_echoes_the_origin_and_allows_credentials(client, services, path) -> None:
    # Decision 20: the original tracker's application/json beacon is credentialed.
    response = await client.options(
        path,
        headers={"Origin": "https://customer.example", "Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "content-type"},
    )
    assert response.status_code == 204
    assert response.headers["Access-Control-Allow-Origin"] == "https://customer.example"
    assert response.headers["Access-Control-Allow-Credentials"] == "true"
    assert response.headers["Vary"] == "Origin"
    assert "POST" in response.headers["Access-Control-Allow-Methods"]
    assert response.headers["Access-Control-Allow-Headers"].lower() == "content-type"


async def test_cors_preflight_without_requested_headers_still_allows_content_type(client, services) -> None:
    response = await client.options("/e", headers={"Origin": "http://127.0.0.1:8080", "Access-Control-Request-Method": "POST"})
    assert response.headers["Access-Control-Allow-Origin"] == "http://127.0.0.1:8080"
    assert response.headers["Access-Control-Allow-Headers"] == "Content-Type"


async def test_cors_preflight_without_an_origin_answers_any_origin(client, services) -> None:
    response = await client.options("/api/collect", headers={"Access-Control-Request-Method": "POST"})
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert "Access-Control-Allow-Credentials" not in response.headers


@pytest.mark.parametrize("path", ["/api/collect", "/e"])
async def test_collect_echoes_the_origin_on_success_and_on_errors(client, services, path) -> None:
    site = await create_website(client)
    origin = {**BROWSER_HEADERS, "Origin": "https://customer.example"}
    accepted = await send(client, pageview(site), headers=origin, path=path)
    unknown = await send(client, pageview("site_doesnotexi"), headers=origin, path=path)
    malformed = await client.post(path, data=b"{", headers={**origin, "Content-Type": "application/json"})
    assert [r.status_code for r in (accepted, unknown, malformed)] == [202, 404, 400]
    for response in (accepted, unknown, malformed):
        assert response.headers["Access-Control-Allow-Origin"] == "https://customer.example"
        assert response.headers["Access-Control-Allow-Credentials"] == "true"
        assert response.headers["Vary"] == "Origin"
    assert "x-sparklytics-ingest-ack" in accepted.headers["Access-Control-Expose-Headers"]
    assert len(await stored_events(services)) == 1


async def test_collect_without_an_origin_answers_any_origin_without_credentials(client, services) -> None:
    site = await create_website(client)
    response = await send(client, pageview(site))
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert "Access-Control-Allow-Credentials" not in response.headers


async def test_bots_are_scored_and_stored_flagged(client, services) -> None:
    site = await create_website(client)
    await send(client, pageview(site), headers={"User-Agent": "curl/8.5.0", "Accept": "*/*"})
    [event] = await stored_events(services, "is_bot, bot_score, bot_reason")
    assert event == {"is_bot": True, "bot_score": 100, "bot_reason": "ua_signature"}


async def test_the_server_keeps_serving_after_garbage(client, services) -> None:
    site = await create_website(client)
    garbage = [b"\xff\xfe\x00", b"[[[[", b"null", b"{}", b'[{"website_id": null}]', b"1e999999"]
    for body in garbage:
        response = await client.post("/api/collect", data=body, headers={"Content-Type": "application/json"})
        assert 400 <= response.status_code < 500, (body, response.status_code)
        assert "error" in await response.get_json()
    assert (await send(client, pageview(site))).status_code == 202
    assert len(await stored_events(services)) == 1


def test_payloads_are_what_model_dump_gives():
    # parse_events copies the model's fields instead of calling model_dump().
    items = [
        {"website_id": "site_a", "type": "pageview", "url": "/", "screen_width": 3.0, "screen_height": 4},
        {
            "website_id": "site_a",
            "type": "event",
            "url": "https://example.com/?utm_source=x",
            "referrer": "https://example.org/",
            "event_name": "signup",
            "event_data": {"plan": "pro", "seats": [1, 2.5, None, True, {"nested": "é"}]},
            "utm_medium": "email",
            "visitor_id": "v1",
        },
    ]
    payloads = parse_events(items)
    expected = [CollectEvent.model_validate(item).model_dump() for item in items]
    assert payloads == expected
    assert [list(p) for p in payloads] == [list(e) for e in expected]
    assert payloads[0]["screen_width"] == 3 and type(payloads[0]["screen_width"]) is int


# -- a bad optional field costs the field, not the event --------------------------------------


@pytest.mark.parametrize(
    ("fields", "dropped"),
    [
        ({"screen": "unknown"}, "screen"),
        ({"screen": "1920x1080" * 5}, "screen"),
        ({"language": "en-US,en;q=0.9"}, "language"),
        ({"language": "x" * 70}, "language"),
        ({"language": 7}, "language"),
        ({"screen_width": "wide"}, "screen_width"),
        ({"screen_height": -1}, "screen_height"),
        ({"screen_width": 10**9}, "screen_width"),
        ({"utm_term": ["a", "b"]}, "utm_term"),
        ({"referrer": {"url": "x"}}, "referrer"),
        ({"visitor_id": "v" * 300}, "visitor_id"),
    ],
)
async def test_a_malformed_optional_field_is_dropped_and_the_event_kept(client, services, fields, dropped) -> None:
    site = await create_website(client)
    response = await send(client, pageview(site, **{"language": "fr-FR", "screen": "390x844", **fields}))
    assert response.status_code == 202, await response.get_data(as_text=True)
    assert response.headers["x-sparklytics-dropped-fields"] == dropped
    assert "x-sparklytics-truncated-fields" not in response.headers
    [event] = await stored_events(services, "path, screen, language, utm_term, referrer_url")
    assert event["path"] == "/"
    assert event["language"] == (None if dropped == "language" else "fr-FR")
    assert event["screen"] == (None if dropped == "screen" else "390x844")


async def test_over_long_free_text_is_cut_at_its_documented_length(client, services) -> None:
    site = await create_website(client)
    referrer = "https://news.example.org/" + "a" * 5000
    response = await send(client, pageview(site, referrer=referrer, utm_campaign="c" * 600, utm_content="ok"))
    assert response.status_code == 202
    assert response.headers["x-sparklytics-truncated-fields"] == "referrer,utm_campaign"
    assert "x-sparklytics-dropped-fields" not in response.headers
    [event] = await stored_events(services, "referrer_url, referrer_domain, utm_campaign, utm_content")
    assert event == {
        "referrer_url": referrer[:4096],
        "referrer_domain": "news.example.org",
        "utm_campaign": "c" * 256,
        "utm_content": "ok",
    }


async def test_a_batch_names_every_repaired_field_once_and_keeps_every_event(client, services) -> None:
    site = await create_website(client)
    batch = [
        pageview(site, "https://example.com/a", screen="big", language="??"),
        pageview(site, "https://example.com/b", screen="800x600"),
        pageview(site, "https://example.com/c", screen="huge", utm_source="s" * 513),
    ]
    response = await send(client, batch)
    assert response.status_code == 202
    assert response.headers["x-sparklytics-ingest-accepted-events"] == "3"
    assert response.headers["x-sparklytics-dropped-fields"] == "screen,language"
    assert response.headers["x-sparklytics-truncated-fields"] == "utm_source"
    rows = await stored_events(services, "path, screen")
    assert rows == [{"path": "/a", "screen": None}, {"path": "/b", "screen": "800x600"}, {"path": "/c", "screen": None}]


async def test_required_field_errors_still_refuse_the_event_even_beside_a_bad_optional_one(client, services) -> None:
    site = await create_website(client)
    response = await send(client, [pageview(site, screen="big"), {"website_id": site, "type": "pageview", "screen": "big"}])
    await assert_error(response, 422, "validation_error", field="url")
    assert await stored_events(services) == []


async def test_good_events_get_no_repair_headers(client, services) -> None:
    site = await create_website(client)
    response = await send(client, pageview(site, screen="1920x1080", language="zh-Hant-TW", screen_width=1920, screen_height=1080))
    assert response.status_code == 202
    assert "x-sparklytics-dropped-fields" not in response.headers
    assert "x-sparklytics-truncated-fields" not in response.headers
