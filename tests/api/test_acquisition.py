"""The public hits: ``GET /l/{slug}`` and ``GET /p/{pixel_key}[.gif]`` (API.md §1.15,
Decisions 10, 15, 17): the redirect and its ``Location``, the events they record (and the
campaign they give the visit), open-redirect safety, the GIF, every error, the per-IP
limits, and the lookup cache that every change empties."""

from __future__ import annotations

import json
from urllib.parse import urlsplit

import pytest

from actors.enricher import InvalidateCampaigns
from actors.runtime import tell
from tests.api.helpers import BROWSER_HEADERS, assert_error, create_website, from_ip, pageview, send, stored_events
from tests.over_http import client_over_http, ingest_path_config

# Every test runs over real HTTP on both ingest paths (tests/over_http.py).
config = ingest_path_config
client = client_over_http

SPRING = {"name": "Spring", "destination_url": "https://example.com/sale?ref=x#top", "utm_source": "newsletter",
          "utm_medium": "email", "utm_campaign": "spring sale"}
SPRING_LOCATION = "https://example.com/sale?ref=x&utm_source=newsletter&utm_medium=email&utm_campaign=spring%20sale#top"
GIF = bytes.fromhex("47494638396101000100800000000000ffffff21f90401000000002c00000000010001000002024401003b")


@pytest.fixture
async def site(client) -> str:
    return await create_website(client)


@pytest.fixture
async def link(client, site) -> dict:
    response = await client.post(f"/api/websites/{site}/links", json=SPRING)
    assert response.status_code == 201
    return (await response.get_json())["data"]


@pytest.fixture
async def pixel(client, site) -> dict:
    response = await client.post(f"/api/websites/{site}/pixels", json={"name": "Mail"})
    assert response.status_code == 201
    return (await response.get_json())["data"]


async def hit(client, path: str, *, ip: str = "203.0.113.9", headers: dict | None = None, method: str = "GET"):
    return await client.open(path, method=method, headers=headers or BROWSER_HEADERS, scope_base=from_ip(ip))


async def test_a_click_redirects_durably_and_records_the_campaign(client, services, site, link) -> None:
    response = await hit(client, f"/l/{link['slug']}?from=tw", headers={**BROWSER_HEADERS, "Referer": "https://t.co/abc"})
    assert response.status_code == 302
    assert response.headers["Location"] == SPRING_LOCATION
    assert response.headers["x-sparklytics-ingest-ack"] == "durable"
    assert response.headers["Cache-Control"] == "no-store"
    assert await response.get_data() == b""
    [event] = await stored_events(services, where=f"website_id = '{site}'")
    assert {k: event[k] for k in ("event_type", "event_name", "url", "path", "link_id", "pixel_id", "referrer_url",
                                  "referrer_domain", "language", "utm_source", "utm_medium", "utm_campaign", "is_bot")} == {
        "event_type": "event", "event_name": "link_click", "url": SPRING_LOCATION, "path": "/sale",
        "link_id": link["id"], "pixel_id": None, "referrer_url": "https://t.co/abc", "referrer_domain": "t.co",
        "language": "en-US", "utm_source": "newsletter", "utm_medium": "email", "utm_campaign": "spring sale",
        "is_bot": False,
    }
    assert json.loads(event["event_data"]) == {
        "link_id": link["id"], "slug": link["slug"], "destination_url": SPRING["destination_url"], "query": {"from": "tw"},
    }


async def test_the_visit_after_a_click_is_attributed_to_the_campaign(client, services, site, link) -> None:
    assert (await hit(client, f"/l/{link['slug']}", ip="203.0.113.1")).status_code == 302
    # The browser lands on the destination; the tracker sends the pageview with its URL.
    assert (await send(client, pageview(site, SPRING_LOCATION), ip="203.0.113.1")).status_code == 202
    assert (await send(client, pageview(site, "https://example.com/"), ip="203.0.113.2")).status_code == 202
    events = await stored_events(services, "session_id, event_name", f"website_id = '{site}' AND visitor_id IN "
                                 f"(SELECT visitor_id FROM events WHERE event_name = 'link_click')")
    assert len(events) == 2 and events[0]["session_id"] == events[1]["session_id"]
    response = await client.get(f"/api/websites/{site}/metrics?type=utm_campaign")
    rows = (await response.get_json())["data"]["rows"]
    assert [(r["value"], r["visitors"], r["pageviews"]) for r in rows] == [("spring sale", 1, 1)]
    response = await client.get(f"/api/websites/{site}/metrics?type=utm_source")
    assert [r["value"] for r in (await response.get_json())["data"]["rows"]] == ["newsletter"]


@pytest.mark.parametrize(
    "path",
    [
        "/l/{slug}?url=https://evil.test/",
        "/l/{slug}?next=//evil.test&redirect=https%3A%2F%2Fevil.test%2F&destination_url=https://evil.test",
        "/l/{slug}?utm_source=evil&utm_campaign=x%0d%0aLocation:%20https://evil.test",
        "/l/{slug}?@evil.test",
    ],
)
async def test_a_crafted_query_cannot_change_where_a_link_goes(client, link, path) -> None:
    response = await hit(client, path.format(slug=link["slug"]))
    assert response.status_code == 302
    assert response.headers["Location"] == SPRING_LOCATION
    assert urlsplit(response.headers["Location"]).hostname == "example.com"


@pytest.mark.parametrize(
    "path",
    ["/l/", "/l//evil.test", "/l/%2F%2Fevil.test", "/l/{slug}/..%2Fevil", "/l/{slug}/", "/l/{upper}", "/l/{slug}x",
     "/l/../api/websites", "/l/zzzzzzzz"],
)
async def test_anything_but_a_known_slug_is_404(client, link, path) -> None:
    response = await hit(client, path.format(slug=link["slug"], upper=link["slug"].upper()))
    await assert_error(response, 404, "not_found", "Campaign link not found")
    assert "Location" not in response.headers


async def test_disabling_or_deleting_a_link_is_404_at_once_and_records_nothing(client, services, site, link) -> None:
    url = f"/api/websites/{site}/links/{link['id']}"
    assert (await hit(client, f"/l/{link['slug']}")).status_code == 302  # now cached
    assert (await client.put(url, json={"is_active": False})).status_code == 200
    await assert_error(await hit(client, f"/l/{link['slug']}"), 404, "not_found", "Campaign link not found")
    assert (await client.put(url, json={"is_active": True, "utm_campaign": "summer"})).status_code == 200
    response = await hit(client, f"/l/{link['slug']}")
    assert response.headers["Location"].endswith("utm_campaign=summer#top")
    assert (await client.delete(url)).status_code == 204
    await assert_error(await hit(client, f"/l/{link['slug']}"), 404, "not_found", "Campaign link not found")
    assert [e["utm_campaign"] for e in await stored_events(services, where=f"website_id = '{site}'")] == ["spring sale", "summer"]


async def test_lookups_are_cached_until_a_change_empties_the_cache(client, services, site, link) -> None:
    assert (await hit(client, f"/l/{link['slug']}")).status_code == 302
    # A change that does not go through the API (so nobody empties the cache) is not seen…
    await services.metadata.update_link(site, link["id"], {"utm_source": "changed"})
    assert "utm_source=newsletter" in (await hit(client, f"/l/{link['slug']}")).headers["Location"]
    # …until the cache is emptied, as every API change does.
    await tell(services.enricher.inbox, InvalidateCampaigns())
    assert "utm_source=changed" in (await hit(client, f"/l/{link['slug']}")).headers["Location"]


async def test_query_limits(client, services, site, link) -> None:
    slug = link["slug"]
    fine = "&".join(f"k{i}=v" for i in range(32))
    assert (await hit(client, f"/l/{slug}?{fine}")).status_code == 302
    await assert_error(await hit(client, f"/l/{slug}?{fine}&one=more"), 400, "validation_error", "too many query parameters")
    big = "&".join(f"k{i:02}=" + "x" * 250 for i in range(20))  # 20 kept values of 250 bytes: over 4 096
    await assert_error(await hit(client, f"/l/{slug}?{big}"), 400, "payload_too_large", "Payload exceeds size limit", "event_data")
    await assert_error(await hit(client, f"/l/{slug}", method="POST"), 405, "method_not_allowed")
    assert len(await stored_events(services, where=f"website_id = '{site}'")) == 1


async def test_a_link_click_is_scored_for_bots(client, services, site, link) -> None:
    assert (await hit(client, f"/l/{link['slug']}", headers={"User-Agent": "curl/8.5.0"})).status_code == 302
    [event] = await stored_events(services, where=f"website_id = '{site}'")
    assert (event["is_bot"], event["bot_reason"]) == (True, "ua_signature")


async def test_a_pixel_answers_the_gif_and_records_a_view(client, services, site, pixel) -> None:
    key = pixel["pixel_key"]
    for path in (f"/p/{key}.gif", f"/p/{key}?url=https%3A%2F%2Fexample.com%2Fmay%3Futm_source%3Dmail&n=1"):
        response = await hit(client, path)
        assert response.status_code == 200
        assert await response.get_data() == GIF and len(GIF) == 43
        assert response.headers["Content-Type"] == "image/gif"
        assert response.headers["Content-Length"] == "43"
        assert response.headers["Cache-Control"] == "no-store, no-cache, must-revalidate"
        assert response.headers["Pragma"] == "no-cache"
    first, second = await stored_events(services, where=f"website_id = '{site}'")
    assert (first["event_name"], first["pixel_id"], first["url"], first["utm_source"]) == (
        "pixel_view", pixel["id"], f"pixel://{key}", None)
    assert (second["url"], second["path"], second["utm_source"], second["link_id"]) == (
        "https://example.com/may?utm_source=mail", "/may", "mail", None)
    assert json.loads(second["event_data"]) == {"pixel_id": pixel["id"], "pixel_key": key,
                                                "url": "https://example.com/may?utm_source=mail",
                                                "query": {"url": "https://example.com/may?utm_source=mail", "n": "1"}}


async def test_pixel_errors(client, services, site, pixel) -> None:
    key = pixel["pixel_key"]
    for path in ("/p/px_unknownunknownunknown1.gif", "/p/", f"/p/{key}.png", f"/p/{key}.gif.gif"):
        await assert_error(await hit(client, path), 404, "not_found", "Tracking pixel not found")
    await assert_error(await hit(client, f"/p/{key}?url=https://example.com/" + "a" * 2030), 400, "validation_error",
                       "url must be at most 2048 bytes", "url")
    await assert_error(await hit(client, f"/p/{key}?" + "&".join(f"k{i}=v" for i in range(33))), 400,
                       "validation_error", "too many query parameters")
    assert (await client.put(f"/api/websites/{site}/pixels/{pixel['id']}", json={"is_active": False})).status_code == 200
    await assert_error(await hit(client, f"/p/{key}.gif"), 404, "not_found", "Tracking pixel not found")
    assert await stored_events(services, where=f"website_id = '{site}'") == []


async def test_pixel_views_are_scored_for_bots(client, services, site, pixel) -> None:
    response = await hit(client, f"/p/{pixel['pixel_key']}.gif", headers={"User-Agent": "python-requests/2.32"})
    assert response.status_code == 200
    [event] = await stored_events(services, where=f"website_id = '{site}'")
    assert event["is_bot"] is True


async def test_per_ip_limits_120_link_and_240_pixel_hits_a_minute_in_buckets_of_their_own(client, link, pixel) -> None:
    for _ in range(120):
        assert (await hit(client, f"/l/{link['slug']}", ip="198.51.100.1")).status_code == 302
    limited = await hit(client, f"/l/{link['slug']}", ip="198.51.100.1")
    await assert_error(limited, 429, "rate_limited", "Rate limit exceeded")
    assert int(limited.headers["Retry-After"]) >= 1
    assert (await hit(client, f"/l/{link['slug']}", ip="198.51.100.2")).status_code == 302
    # The pixel bucket of the same address is its own, and it holds 240.
    for _ in range(240):
        assert (await hit(client, f"/p/{pixel['pixel_key']}.gif", ip="198.51.100.1")).status_code == 200
    await assert_error(await hit(client, f"/p/{pixel['pixel_key']}.gif", ip="198.51.100.1"), 429, "rate_limited")


async def test_cross_origin_requests_get_the_ingest_cors_headers(client, link) -> None:
    response = await hit(client, f"/l/{link['slug']}", headers={**BROWSER_HEADERS, "Origin": "https://example.com"})
    assert response.headers["Access-Control-Allow-Origin"] == "https://example.com"
    assert response.headers["Access-Control-Allow-Credentials"] == "true"


async def test_garbage_hits_never_answer_5xx(client, link, pixel) -> None:
    """A bounded fuzz of paths, queries and headers: every answer is < 500, errors are the envelope."""
    import random
    from urllib.parse import quote

    rng = random.Random(17)
    tokens = [link["slug"], pixel["pixel_key"], pixel["pixel_key"] + ".gif", "", "x", "é", "%00", "..", "a" * 300]
    texts = ["", "=", "&&&", "%", "%zz", "%ff%fe", "a=" + "b" * 3000, "url=" + "c" * 2100, "url=javascript:x",
             "\x00", "é=ü", "k=" + "%C3%A9" * 200]
    for _ in range(300):
        prefix = rng.choice(["/l/", "/p/"])
        path = prefix + quote(rng.choice(tokens), safe=".%")
        query = quote("&".join(rng.choice(texts) for _ in range(rng.randint(0, 40))), safe="=&%:")
        headers = {"User-Agent": rng.choice(["", "curl/8", "Mozilla/5.0", "\xe9"]), "Referer": rng.choice(["", "x" * 5000, "ü"]),
                   "Accept-Language": rng.choice(["", "*", "de-DE,de;q=0.9", ";;;", "x" * 300])}
        response = await client.get(path + ("?" + query if query else ""), headers=headers, scope_base=from_ip(f"10.0.{rng.randint(0, 255)}.1"))
        assert response.status_code < 500, (path, query, await response.get_data(as_text=True))
        if response.status_code >= 400:
            body = await response.get_json()
            assert set(body) == {"error"} and set(body["error"]) == {"code", "message", "field"}
