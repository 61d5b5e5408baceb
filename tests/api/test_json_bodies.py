"""Every JSON body is decoded in one place: lone surrogates and deep nesting are 400s
naming the field, never 500s (issue 13 #6, issue 12 "bad input never costs good data")."""

from __future__ import annotations

import json

import pytest

from tests.api.helpers import BROWSER_HEADERS, assert_error, create_website, custom_event, from_ip, pageview, send, stored_events

LONE = "\ud800"
NOT_UNICODE = "{field} is not valid Unicode (a lone surrogate escape)"
TOO_DEEP = "JSON is nested too deeply (at most 32 levels)"


def nested(depth: int) -> bytes:
    return b"[" * depth + b"]" * depth


async def post_raw(client, path: str, body: bytes):
    headers = {**BROWSER_HEADERS, "Content-Type": "application/json"}
    return await client.post(path, data=body, headers=headers, scope_base=from_ip("198.51.100.7"))


@pytest.mark.parametrize(
    ("event_fields", "field"),
    [
        ({"event_data": LONE}, "event_data"),
        ({"event_data": {"plan": ["ok", "b" + LONE]}}, "event_data"),
        ({"event_data": {"k" + LONE: 1}}, "event_data"),
        ({"event_name": "sign" + LONE + "up"}, "event_name"),
        ({"url": "https://example.com/" + LONE}, "url"),
    ],
)
async def test_a_lone_surrogate_in_collect_is_a_400_naming_the_field(client, services, event_fields, field) -> None:
    site = await create_website(client)
    good = pageview(site)
    bad = {**custom_event(site, "signup"), **event_fields}
    response = await send(client, [good, bad])
    await assert_error(response, 400, "validation_error", NOT_UNICODE.format(field=field), field)
    assert await stored_events(services) == []


async def test_a_valid_surrogate_pair_is_an_emoji_and_is_kept(client, services) -> None:
    site = await create_website(client)
    response = await send(client, custom_event(site, "signup", {"mood": "\U0001f600"}))
    assert response.status_code == 202
    [event] = await stored_events(services)
    assert json.loads(event["event_data"]) == {"mood": "\U0001f600"}


async def test_a_funnel_name_with_a_lone_surrogate_is_a_400(client) -> None:
    site = await create_website(client)
    body = {"name": "Buy" + LONE, "steps": [{"step_type": "page_view", "match_value": "/"},
                                           {"step_type": "page_view", "match_value": "/pricing"}]}
    response = await client.post(f"/api/websites/{site}/funnels", json=body)
    await assert_error(response, 400, "validation_error", NOT_UNICODE.format(field="name"), "name")
    assert (await (await client.get(f"/api/websites/{site}/funnels")).get_json())["data"] == []


async def test_a_website_name_with_a_lone_surrogate_is_a_400(client) -> None:
    response = await client.post("/api/websites", json={"name": LONE, "domain": "example.com"})
    await assert_error(response, 400, "validation_error", NOT_UNICODE.format(field="name"), "name")


@pytest.mark.parametrize("depth", [33, 900, 5000])
@pytest.mark.parametrize("path", ["/api/websites", "/api/collect", "/e"])
async def test_deep_json_is_a_400_on_every_body_parser(client, path, depth) -> None:
    response = await post_raw(client, path, nested(depth))
    await assert_error(response, 400, "invalid_json", TOO_DEEP)


async def test_deep_event_data_is_a_400_naming_it_and_stores_nothing(client, services) -> None:
    site = await create_website(client)
    body = b'{"website_id":"%s","type":"event","url":"https://example.com/","event_name":"x","event_data":%s}' % (
        site.encode(), nested(40))
    response = await post_raw(client, "/api/collect", body)
    await assert_error(response, 400, "invalid_json", TOO_DEEP, "event_data")
    assert await stored_events(services) == []


async def test_nesting_within_the_limit_is_accepted(client, services) -> None:
    site = await create_website(client)
    body = b'{"website_id":"%s","type":"event","url":"https://example.com/","event_name":"x","event_data":{"a":%s}}' % (
        site.encode(), nested(30))
    response = await post_raw(client, "/api/collect", body)
    assert response.status_code == 202, await response.get_data(as_text=True)
