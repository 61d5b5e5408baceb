"""Campaign links and tracking pixels over HTTP (API.md §1.15): every success shape and
error of the CRUD routes, their stats on events recorded through ``/l/``, ``/p/`` and
``/api/collect``, and deletion with the website.

The clicks and conversions of :func:`test_link_stats_count_clicks_uniques_and_the_goals_of_clicked_sessions`:

  A (203.0.113.1): click spring, pageview /pricing, purchase {"amount": 20}, click spring again
  B (203.0.113.2): click spring, purchase {"amount": "5.5"}
  C (203.0.113.3): click autumn
  D (203.0.113.4): purchase {"amount": 100} without a click (counted for no link)
  bot (curl):      click spring (a bot: left out unless include_bots)
"""

from __future__ import annotations

import re

import pytest

from tests.api.helpers import BROWSER_HEADERS, assert_error, create_website, custom_event, from_ip, pageview, send, stored_events

TIMESTAMP = re.compile(r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}(\.\d{1,6})?$")
SPRING = {"name": "Spring sale", "destination_url": "https://example.com/sale?ref=x", "utm_source": "newsletter",
          "utm_medium": "email", "utm_campaign": "spring"}
LINK_KEYS = {"id", "website_id", "name", "slug", "destination_url", "utm_source", "utm_medium", "utm_campaign",
             "utm_term", "utm_content", "is_active", "created_at", "clicks", "unique_visitors", "conversions",
             "revenue", "tracking_url"}
PIXEL_KEYS = {"id", "website_id", "name", "pixel_key", "default_url", "is_active", "created_at", "views",
              "unique_visitors", "pixel_url", "snippet"}


@pytest.fixture
async def site(client) -> str:
    return await create_website(client)


async def ok(response, status: int = 200) -> dict:
    assert response.status_code == status, (response.status_code, await response.get_data(as_text=True))
    return (await response.get_json())["data"]


async def create_link(client, site: str, body: dict) -> dict:
    return await ok(await client.post(f"/api/websites/{site}/links", json=body), 201)


async def click(client, slug: str, ip: str, headers: dict | None = None, query: str = ""):
    return await client.get(f"/l/{slug}{query}", headers=headers or BROWSER_HEADERS, scope_base=from_ip(ip))


async def test_link_crud(client, site) -> None:
    link = await create_link(client, site, SPRING)
    assert set(link) == LINK_KEYS
    assert re.fullmatch(r"lnk_[0-9a-z]{21}", link["id"]) and re.fullmatch(r"[0-9a-z]{8}", link["slug"])
    assert {k: link[k] for k in SPRING} == SPRING
    assert (link["utm_term"], link["utm_content"], link["is_active"], link["website_id"]) == (None, None, True, site)
    assert TIMESTAMP.match(link["created_at"])
    assert link["tracking_url"] == f"http://localhost:3000/l/{link['slug']}"
    assert (link["clicks"], link["unique_visitors"], link["conversions"], link["revenue"]) == (0, 0, 0, 0.0)

    listed = await ok(await client.get(f"/api/websites/{site}/links"))
    assert listed == [link]
    assert await ok(await client.get(f"/api/websites/{site}/links/{link['id']}")) == link

    changed = await ok(await client.put(f"/api/websites/{site}/links/{link['id']}",
                                        json={"name": "Spring", "utm_medium": None, "is_active": False}))
    assert (changed["name"], changed["utm_medium"], changed["is_active"], changed["slug"]) == ("Spring", None, False, link["slug"])

    assert (await client.delete(f"/api/websites/{site}/links/{link['id']}")).status_code == 204
    for response in (
        await client.delete(f"/api/websites/{site}/links/{link['id']}"),
        await client.get(f"/api/websites/{site}/links/{link['id']}"),
        await client.get(f"/api/websites/{site}/links/{link['id']}/stats"),
        await client.put(f"/api/websites/{site}/links/{link['id']}", json={"name": "x"}),
    ):
        await assert_error(response, 404, "not_found", "Campaign link not found")
    assert await ok(await client.get(f"/api/websites/{site}/links")) == []


@pytest.mark.parametrize(
    "body,message,field",
    [
        ({"destination_url": "https://example.com/"}, "name is required", "name"),
        ({**SPRING, "name": "  "}, "name is required", "name"),
        ({**SPRING, "name": "x" * 101}, "name must be 100 characters or fewer", "name"),
        ({"name": "x"}, "destination_url is required", "destination_url"),
        ({**SPRING, "destination_url": "ftp://example.com/"}, "destination_url must be an http or https URL", "destination_url"),
        ({**SPRING, "destination_url": "/relative"}, "destination_url must be an http or https URL", "destination_url"),
        ({**SPRING, "destination_url": "https://u:p@example.com/"}, "destination_url must not contain credentials", "destination_url"),
        ({**SPRING, "destination_url": "https://evil.test/"}, "destination_url host must match website domain", "destination_url"),
        ({**SPRING, "destination_url": "https://example.com.evil.test/"}, "destination_url host must match website domain",
         "destination_url"),
        ({**SPRING, "utm_campaign": "c" * 257}, "utm_campaign must be 256 characters or fewer", "utm_campaign"),
    ],
)
async def test_each_400_of_a_link(client, site, body, message, field) -> None:
    await assert_error(await client.post(f"/api/websites/{site}/links", json=body), 400, "validation_error", message, field)


async def test_subdomains_and_idn_destinations_are_accepted(client) -> None:
    site = await create_website(client, domain="bücher.de")
    shop = await create_link(client, site, {"name": "Shop", "destination_url": "https://Shop.Bücher.de/straße"})
    assert shop["destination_url"] == "https://shop.xn--bcher-kva.de/stra%C3%9Fe"
    ascii_form = await create_link(client, site, {"name": "Ascii", "destination_url": "https://xn--bcher-kva.de/"})
    assert ascii_form["destination_url"] == "https://xn--bcher-kva.de/"


async def test_link_body_and_update_errors(client, site) -> None:
    await assert_error(await client.post(f"/api/websites/{site}/links", json={**SPRING, "slug": "mine0001"}),
                       422, "validation_error", field="slug")
    await assert_error(await client.post(f"/api/websites/{site}/links", json={**SPRING, "name": 5}),
                       422, "validation_error", field="name")
    link = await create_link(client, site, SPRING)
    url = f"/api/websites/{site}/links/{link['id']}"
    await assert_error(await client.put(url, json={}), 400, "validation_error", "request must include at least one updatable field")
    await assert_error(await client.put(url, json={"name": None}), 400, "validation_error", "name must not be null", "name")
    await assert_error(await client.put(url, json={"is_active": None}), 400, "validation_error", "is_active must not be null",
                       "is_active")
    await assert_error(await client.put(url, json={"destination_url": "https://other.test/"}), 400, "validation_error",
                       "destination_url host must match website domain", "destination_url")
    await assert_error(await client.put(url, json={"is_active": "maybe"}), 422, "validation_error", field="is_active")
    for response in (
        await client.get("/api/websites/site_nope000000/links"),
        await client.post("/api/websites/site_nope000000/links", json=SPRING),
        await client.get("/api/websites/site_nope000000/pixels"),
    ):
        await assert_error(response, 404, "not_found", "Website not found")
    await assert_error(await client.get(f"/api/websites/{site}/links?start_date=2026-02-30"), 400, "validation_error",
                       "invalid start_date (expected YYYY-MM-DD)")


async def test_pixel_crud(client, site) -> None:
    pixel = await ok(await client.post(f"/api/websites/{site}/pixels", json={"name": "Newsletter"}), 201)
    assert set(pixel) == PIXEL_KEYS
    assert re.fullmatch(r"pxl_[0-9a-z]{21}", pixel["id"]) and re.fullmatch(r"px_[0-9a-z]{22}", pixel["pixel_key"])
    assert (pixel["name"], pixel["default_url"], pixel["is_active"], pixel["views"], pixel["unique_visitors"]) == (
        "Newsletter", None, True, 0, 0)
    assert pixel["pixel_url"] == f"http://localhost:3000/p/{pixel['pixel_key']}.gif"
    assert pixel["snippet"].startswith(f'<img src="{pixel["pixel_url"]}" width="1" height="1" alt=""')
    assert await ok(await client.get(f"/api/websites/{site}/pixels")) == [pixel]
    url = f"/api/websites/{site}/pixels/{pixel['id']}"
    assert await ok(await client.get(url)) == pixel

    changed = await ok(await client.put(url, json={"default_url": "https://example.com/may", "is_active": False}))
    assert (changed["default_url"], changed["is_active"]) == ("https://example.com/may", False)
    cleared = await ok(await client.put(url, json={"default_url": None}))
    assert cleared["default_url"] is None
    await assert_error(await client.put(url, json={"default_url": "https://evil.test/"}), 400, "validation_error",
                       "default_url host must match website domain", "default_url")
    await assert_error(await client.post(f"/api/websites/{site}/pixels", json={}), 400, "validation_error",
                       "name is required", "name")

    assert (await client.delete(url)).status_code == 204
    for response in (await client.delete(url), await client.get(url), await client.get(f"{url}/stats")):
        await assert_error(response, 404, "not_found", "Tracking pixel not found")


async def test_link_stats_count_clicks_uniques_and_the_goals_of_clicked_sessions(client, services, site) -> None:
    purchase = {"name": "Purchase", "goal_type": "event", "match_value": "purchase", "value_mode": "event_property",
                "value_property_key": "amount"}
    assert (await client.post(f"/api/websites/{site}/goals", json=purchase)).status_code == 201
    pricing = {"name": "Pricing", "goal_type": "page_view", "match_value": "/pricing", "value_mode": "fixed", "fixed_value": 2}
    assert (await client.post(f"/api/websites/{site}/goals", json=pricing)).status_code == 201
    spring = await create_link(client, site, SPRING)
    autumn = await create_link(client, site, {"name": "Autumn", "destination_url": "https://example.com/"})

    assert (await click(client, spring["slug"], "203.0.113.1")).status_code == 302
    assert (await send(client, pageview(site, "https://example.com/pricing"), ip="203.0.113.1")).status_code == 202
    assert (await send(client, custom_event(site, "purchase", {"amount": 20}), ip="203.0.113.1")).status_code == 202
    assert (await click(client, spring["slug"], "203.0.113.1")).status_code == 302
    assert (await click(client, spring["slug"], "203.0.113.2")).status_code == 302
    assert (await send(client, custom_event(site, "purchase", {"amount": "5.5"}), ip="203.0.113.2")).status_code == 202
    assert (await click(client, autumn["slug"], "203.0.113.3")).status_code == 302
    assert (await send(client, custom_event(site, "purchase", {"amount": 100}), ip="203.0.113.4")).status_code == 202
    assert (await click(client, spring["slug"], "203.0.113.5", {"User-Agent": "curl/8.5.0"})).status_code == 302
    await stored_events(services)

    stats = await ok(await client.get(f"/api/websites/{site}/links/{spring['id']}/stats"))
    # A: pricing (2.00) + purchase (20); B: purchase (5.5). D converted without a click.
    assert stats == {"link_id": spring["id"], "clicks": 3, "unique_visitors": 2, "conversions": 3, "revenue": 27.5}
    with_bots = await ok(await client.get(f"/api/websites/{site}/links/{spring['id']}/stats?include_bots=true"))
    assert (with_bots["clicks"], with_bots["unique_visitors"], with_bots["conversions"]) == (4, 3, 3)
    listed = {link["id"]: link for link in await ok(await client.get(f"/api/websites/{site}/links"))}
    assert {k: listed[spring["id"]][k] for k in ("clicks", "unique_visitors", "conversions", "revenue")} == {
        "clicks": 3, "unique_visitors": 2, "conversions": 3, "revenue": 27.5}
    assert {k: listed[autumn["id"]][k] for k in ("clicks", "unique_visitors", "conversions", "revenue")} == {
        "clicks": 1, "unique_visitors": 1, "conversions": 0, "revenue": 0.0}
    got = await ok(await client.get(f"/api/websites/{site}/links/{autumn['id']}"))
    assert got["clicks"] == 1
    # Another range: nothing.
    old = await ok(await client.get(f"/api/websites/{site}/links/{spring['id']}/stats?start_date=2020-01-01&end_date=2020-01-02"))
    assert old == {"link_id": spring["id"], "clicks": 0, "unique_visitors": 0, "conversions": 0, "revenue": 0.0}


async def test_pixel_stats_count_views_and_uniques(client, services, site) -> None:
    pixel = await ok(await client.post(f"/api/websites/{site}/pixels", json={"name": "Mail"}), 201)
    other = await ok(await client.post(f"/api/websites/{site}/pixels", json={"name": "Footer"}), 201)
    for ip in ("203.0.113.1", "203.0.113.1", "203.0.113.2"):
        response = await client.get(f"/p/{pixel['pixel_key']}.gif", headers=BROWSER_HEADERS, scope_base=from_ip(ip))
        assert response.status_code == 200
    await stored_events(services)
    assert await ok(await client.get(f"/api/websites/{site}/pixels/{pixel['id']}/stats")) == {
        "pixel_id": pixel["id"], "views": 3, "unique_visitors": 2}
    assert await ok(await client.get(f"/api/websites/{site}/pixels/{other['id']}/stats")) == {
        "pixel_id": other["id"], "views": 0, "unique_visitors": 0}
    listed = {p["id"]: (p["views"], p["unique_visitors"]) for p in await ok(await client.get(f"/api/websites/{site}/pixels"))}
    assert listed == {pixel["id"]: (3, 2), other["id"]: (0, 0)}


async def test_links_pixels_and_their_hits_go_with_the_website(client, services, site) -> None:
    link = await create_link(client, site, SPRING)
    pixel = await ok(await client.post(f"/api/websites/{site}/pixels", json={"name": "Mail"}), 201)
    assert (await click(client, link["slug"], "203.0.113.1")).status_code == 302
    assert (await client.get(f"/p/{pixel['pixel_key']}", headers=BROWSER_HEADERS)).status_code == 200
    assert (await client.delete(f"/api/websites/{site}")).status_code == 204
    await assert_error(await click(client, link["slug"], "203.0.113.1"), 404, "not_found", "Campaign link not found")
    await assert_error(await client.get(f"/p/{pixel['pixel_key']}"), 404, "not_found", "Tracking pixel not found")

    def count(cur, table: str) -> int:
        return cur.execute(f"SELECT count(*) FROM {table} WHERE website_id = ?", [site]).fetchone()[0]

    for table in ("campaign_links", "tracking_pixels", "events"):
        assert await services.db.read(lambda cur: count(cur, table)) == 0, table
