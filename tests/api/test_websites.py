"""Websites CRUD: API.md §1.16 and Decisions 4, 11, 12."""

from __future__ import annotations

import threading

import pytest
import trio

from tests.harness import on_duckdb_writer

from tests.api.helpers import assert_error, create_website, pageview, send, stored_events


async def test_create_returns_the_website_with_its_snippet(client) -> None:
    response = await client.post("/api/websites", json={"name": " Blog ", "domain": "Blog.Example.COM.", "timezone": "Europe/Berlin"})
    assert response.status_code == 201
    data = (await response.get_json())["data"]
    assert set(data) == {"id", "tenant_id", "name", "domain", "timezone", "tracking_snippet", "created_at"}
    assert data["id"].startswith("site_") and len(data["id"]) == 15
    assert data["name"] == "Blog"
    assert data["domain"] == "blog.example.com"
    assert data["timezone"] == "Europe/Berlin"
    assert data["tenant_id"] is None
    assert data["tracking_snippet"] == f'<script defer src="http://localhost:3000/s.js" data-website-id="{data["id"]}"></script>'


async def test_timezone_defaults_to_utc(client) -> None:
    site = await create_website(client)
    data = (await (await client.get(f"/api/websites/{site}")).get_json())["data"]
    assert data["timezone"] == "UTC"
    assert set(data) == {"id", "tenant_id", "name", "domain", "timezone", "share_id", "tracking_snippet", "created_at", "updated_at"}


@pytest.mark.parametrize(
    ("domain", "message"),
    [
        ("https://", "domain must be a host name such as example.com (found none in 'https://')"),
        ("/pricing", "domain must be a host name such as example.com (found none in '/pricing')"),
        ("http://[::1", "domain must be a host name such as example.com (found none in 'http://[::1')"),
        ("exa mple.com", "domain is invalid"),
        ("https://exa_mple.com/", "domain is invalid"),
        ("https://co.uk/", "domain must be a registrable hostname (not a public suffix)"),
        ("-bad-.com", "domain is invalid"),
        ("co.uk", "domain must be a registrable hostname (not a public suffix)"),
        ("com", "domain must be a registrable hostname (not a public suffix)"),
        ("", "domain is required"),
    ],
)
async def test_domain_validation(client, domain, message) -> None:
    response = await client.post("/api/websites", json={"name": "x", "domain": domain})
    await assert_error(response, 400, "validation_error", message, "domain")


@pytest.mark.parametrize("domain", ["localhost", "127.0.0.1", "shop.example.co.uk", "example.org"])
async def test_domains_that_are_allowed(client, domain) -> None:
    assert (await client.post("/api/websites", json={"name": "x", "domain": domain})).status_code == 201


@pytest.mark.parametrize(
    ("pasted", "host"),
    [
        ("https://example.com/", "example.com"),
        ("localhost:3150", "localhost"),
        ("http://localhost:3150/docs", "localhost"),
        ("example.com/path", "example.com"),
        ("user@example.com", "example.com"),
        ("example.com:8080", "example.com"),
        ("HTTPS://user:pw@Shop.Example.COM.:8443/cart?x=1#top", "shop.example.com"),
        ("  www.example.org/  ", "www.example.org"),
        ("http://127.0.0.1:8000/", "127.0.0.1"),
        ("[::1]:3000", "::1"),
    ],
)
async def test_a_pasted_address_is_normalised_to_its_host(client, pasted, host) -> None:
    created = await client.post("/api/websites", json={"name": "x", "domain": pasted})
    assert created.status_code == 201, await created.get_data(as_text=True)
    site = (await created.get_json())["data"]
    assert site["domain"] == host
    updated = await client.put(f"/api/websites/{site['id']}", json={"domain": pasted.upper()})
    assert (await updated.get_json())["data"]["domain"] == host


async def test_blank_name_and_bad_timezone_are_rejected(client) -> None:
    await assert_error(await client.post("/api/websites", json={"name": "  ", "domain": "a.com"}), 400, "validation_error", "name is required")
    await assert_error(
        await client.post("/api/websites", json={"name": "a", "domain": "a.com", "timezone": "Mars/Base"}),
        400, "validation_error", "invalid timezone: Mars/Base", "timezone",
    )
    await assert_error(await client.post("/api/websites", json={"name": "a"}), 422, "validation_error", field="domain")
    await assert_error(await client.post("/api/websites", json={"name": "a", "domain": "a.com", "x": 1}), 422, "validation_error", field="x")


async def test_list_pages_by_id_with_a_cursor(client) -> None:
    ids = sorted([await create_website(client, name=f"s{i}", domain=f"s{i}.com") for i in range(5)])
    first = await (await client.get("/api/websites?limit=2")).get_json()
    assert [w["id"] for w in first["data"]] == ids[:2]
    assert first["pagination"] == {"total": 5, "limit": 2, "cursor": ids[1], "has_more": True}
    second = await (await client.get(f"/api/websites?limit=2&cursor={ids[1]}")).get_json()
    assert [w["id"] for w in second["data"]] == ids[2:4]
    last = await (await client.get(f"/api/websites?limit=2&cursor={ids[3]}")).get_json()
    assert [w["id"] for w in last["data"]] == ids[4:]
    assert last["pagination"]["has_more"] is False and last["pagination"]["cursor"] is None
    clamped = await (await client.get("/api/websites?limit=500")).get_json()
    assert clamped["pagination"]["limit"] == 100


async def test_fresh_install_has_no_websites(client) -> None:
    body = await (await client.get("/api/websites")).get_json()
    assert body == {"data": [], "pagination": {"total": 0, "limit": 20, "cursor": None, "has_more": False}}


async def test_update_changes_name_domain_and_timezone(client) -> None:
    site = await create_website(client)
    response = await client.put(f"/api/websites/{site}", json={"name": "New", "domain": "new.example.com", "timezone": "America/Los_Angeles"})
    assert response.status_code == 200
    data = (await response.get_json())["data"]
    assert {k: data[k] for k in ("id", "name", "domain", "timezone")} == {
        "id": site, "name": "New", "domain": "new.example.com", "timezone": "America/Los_Angeles",
    }
    await assert_error(await client.put(f"/api/websites/{site}", json={"name": ""}), 400, "validation_error", "name is required")
    await assert_error(await client.put("/api/websites/site_missing000", json={"name": "x"}), 404, "not_found", "Website not found")


async def test_unknown_website_is_404(client) -> None:
    await assert_error(await client.get("/api/websites/site_missing000"), 404, "not_found", "Website not found")
    await assert_error(await client.delete("/api/websites/site_missing000"), 404, "not_found", "Website not found")


async def test_delete_removes_every_child_row_in_one_go(client, services) -> None:
    site = await create_website(client)
    other = await create_website(client, name="Other", domain="other.com")
    await send(client, [pageview(site), pageview(other)])
    await stored_events(services)

    def add_children(con):
        con.execute("INSERT INTO goals (id, website_id, name, goal_type, match_value) VALUES ('g1', ?, 'n', 'event', 'x')", [site])
        con.execute("INSERT INTO funnels (id, website_id, name) VALUES ('f1', ?, 'n')", [site])
        con.execute("INSERT INTO funnel_steps (id, funnel_id, step_order, step_type, match_value, label) VALUES ('s1', 'f1', 1, 'event', 'x', 'x')")
        con.execute("INSERT INTO saved_reports (id, website_id, name, config_json) VALUES ('r1', ?, 'n', '{}')", [site])
        con.execute(
            "INSERT INTO report_subscriptions (id, website_id, report_id, schedule, channel, target, next_run_at)"
            " VALUES ('sub1', ?, 'r1', 'daily', 'email', 'a@b.co', now())", [site])
        con.execute("INSERT INTO bot_allowlist (id, website_id, match_type, match_value) VALUES ('a1', ?, 'ua_contains', 'x')", [site])
        con.execute("INSERT INTO bot_policies (website_id) VALUES (?)", [site])
        con.execute(
            "INSERT INTO alert_rules (id, website_id, name, metric, condition_type, threshold_value, channel, target)"
            " VALUES ('alr1', ?, 'n', 'pageviews', 'spike', 3, 'email', 'a@b.co')", [site])
        con.execute("INSERT INTO webhook_secrets (website_id, secret) VALUES (?, 'whsec_x')", [site])
        con.execute(
            "INSERT INTO notification_deliveries (id, source_type, source_id, idempotency_key, status)"
            " VALUES ('ntf1', 'alert', 'alr1', 'k1', 'sent'), ('ntf2', 'subscription', 'sub1', 'k2', 'sent')")

    await on_duckdb_writer(services, add_children)
    response = await client.delete(f"/api/websites/{site}")
    assert response.status_code == 204
    assert await response.get_data() == b""

    def count_rows(cur):
        tables = ["events", "sessions", "goals", "funnels", "funnel_steps", "saved_reports", "report_subscriptions", "bot_allowlist",
                  "bot_policies", "alert_rules", "webhook_secrets"]
        counts = {t: cur.execute(f"SELECT count(*) FROM {t} WHERE {'funnel_id' if t == 'funnel_steps' else 'website_id'} IN (?, 'f1')", [site]).fetchone()[0] for t in tables}
        counts["notification_deliveries"] = cur.execute("SELECT count(*) FROM notification_deliveries").fetchone()[0]
        return counts

    assert set((await services.db.read(count_rows)).values()) == {0}
    assert len(await stored_events(services)) == 1  # the other website keeps its event
    await assert_error(await client.get(f"/api/websites/{site}"), 404, "not_found")
    await assert_error(await send(client, pageview(site)), 404, "not_found", f"Unknown website_id: {site}")


async def test_unknown_api_paths_and_methods_answer_json(client) -> None:
    await assert_error(await client.get("/api/nope"), 404, "not_found")
    await assert_error(await client.patch("/api/websites"), 405, "method_not_allowed")


async def test_events_acknowledged_just_before_a_delete_go_with_the_website(client, services) -> None:
    """An event acknowledged while the Writer is busy waits in the Buffer; a delete that
    arrives then must not let it be committed after the website's rows are gone. The
    Writer is held, a first event is queued behind the hold, a second one waits in the
    Buffer (acknowledged, durable in the WAL), the delete is queued, the hold ends."""
    site = await create_website(client)
    holding, release = threading.Event(), threading.Event()
    writer = services.writer.inbox

    def hold(con) -> None:
        holding.set()
        release.wait(30)

    async def queued(depth: int) -> None:
        while writer.statistics().depth < depth:
            await trio.sleep(0.005)

    async with trio.open_nursery() as nursery:
        nursery.start_soon(on_duckdb_writer, services, hold)
        while not holding.is_set():
            await trio.sleep(0.005)
        assert (await send(client, pageview(site, "https://example.com/first"))).status_code == 202
        await queued(1)
        assert (await send(client, pageview(site, "https://example.com/second"))).status_code == 202
        deleted = []
        nursery.start_soon(lambda: _delete(client, site, deleted))
        await queued(2)
        release.set()
    assert deleted == [204]
    await stored_events(services)

    def leftovers(cur) -> tuple[int, int]:
        events = cur.execute("SELECT count(*) FROM events WHERE website_id = ?", [site]).fetchone()[0]
        return events, cur.execute("SELECT count(*) FROM sessions WHERE website_id = ?", [site]).fetchone()[0]

    assert await services.db.read(leftovers) == (0, 0)


async def _delete(client, site: str, statuses: list[int]) -> None:
    statuses.append((await client.delete(f"/api/websites/{site}")).status_code)
