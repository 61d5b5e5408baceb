"""Bot controls over HTTP (API.md §1.12): policy, lists, audit, and their effect at ingest.

Events go through /api/collect; "is it a bot" is read back from the stored events.
"""

from __future__ import annotations

import base64
import json
import re

import pytest
import trio

from tests.api.helpers import BROWSER_HEADERS, assert_error, create_website, pageview, send, stored_events
from tests.harness import on_duckdb_writer

CURL = {"User-Agent": "curl/8.5.0", "Accept": "*/*", "Accept-Language": "en"}


@pytest.fixture
async def site(client) -> str:
    return await create_website(client)


async def add(client, site: str, kind: str, body: dict) -> dict:
    response = await client.post(f"/api/websites/{site}/bot/{kind}", json=body)
    assert response.status_code == 201, await response.get_data(as_text=True)
    return (await response.get_json())["data"]


async def bot_flags(services) -> list[bool]:
    return [row["is_bot"] for row in await stored_events(services, "is_bot")]


async def test_policy_defaults_then_updates(client, site) -> None:
    response = await client.get(f"/api/websites/{site}/bot/policy")
    assert (await response.get_json())["data"] == {
        "website_id": site, "mode": "balanced", "threshold_score": 70, "updated_at": None,
    }
    response = await client.put(f"/api/websites/{site}/bot/policy", json={"mode": "strict", "threshold_score": 55})
    policy = (await response.get_json())["data"]
    assert (policy["mode"], policy["threshold_score"]) == ("strict", 55) and policy["updated_at"]
    assert (await (await client.get(f"/api/websites/{site}/bot/policy")).get_json())["data"] == policy


@pytest.mark.parametrize(
    "body,message,field",
    [
        ({"threshold_score": 50}, "mode is required", "mode"),
        ({"mode": "balanced"}, "threshold_score is required", "threshold_score"),
        ({"mode": "paranoid", "threshold_score": 50}, "mode must be one of: strict, balanced, off", "mode"),
        ({"mode": "strict", "threshold_score": 101}, "threshold_score must be an integer between 0 and 100",
         "threshold_score"),
        ({"mode": "strict", "threshold_score": "50"}, "threshold_score must be an integer between 0 and 100",
         "threshold_score"),
    ],
)
async def test_policy_400s(client, site, body, message, field) -> None:
    await assert_error(await client.put(f"/api/websites/{site}/bot/policy", json=body), 400, "validation_error",
                       message, field)


@pytest.mark.parametrize(
    "body,message,field",
    [
        ({"match_type": "ua_regex", "match_value": "x"}, "match_type must be one of: ua_contains, ip_exact, ip_cidr",
         "match_type"),
        ({"match_type": "ua_contains", "match_value": "  "}, "match_value must not be empty", "match_value"),
        ({"match_type": "ua_contains", "match_value": "x" * 256}, "match_value must be at most 255 characters",
         "match_value"),
        ({"match_type": "ip_exact", "match_value": "10.0.0.300"}, "match_value must be an IP address", "match_value"),
        ({"match_type": "ip_cidr", "match_value": "10.0.0.0/33"}, "match_value must be an IP network (CIDR)",
         "match_value"),
        ({"match_type": "ua_contains", "match_value": "x", "note": "n" * 256}, "note must be at most 255 characters",
         "note"),
    ],
)
async def test_entry_400s(client, site, body, message, field) -> None:
    await assert_error(await client.post(f"/api/websites/{site}/bot/blocklist", json=body), 400, "validation_error",
                       message, field)


async def test_lists_page_newest_first_refuse_duplicates_and_delete(client, site) -> None:
    entries = [await add(client, site, "allowlist", {"match_type": "ua_contains", "match_value": f" agent{n} "})
               for n in range(3)]
    assert re.fullmatch(r"allow_[0-9a-z]{16}", entries[0]["id"]) and entries[0]["match_value"] == "agent0"
    response = await client.post(f"/api/websites/{site}/bot/allowlist",
                                 json={"match_type": "ua_contains", "match_value": "agent1"})
    await assert_error(response, 400, "validation_error", "entry already exists")
    first = await (await client.get(f"/api/websites/{site}/bot/allowlist?limit=2")).get_json()
    assert [e["id"] for e in first["data"]] == [entries[2]["id"], entries[1]["id"]]
    rest = await (await client.get(f"/api/websites/{site}/bot/allowlist?limit=2&cursor={first['next_cursor']}")).get_json()
    assert [e["id"] for e in rest["data"]] == [entries[0]["id"]] and rest["next_cursor"] is None
    assert (await (await client.get(f"/api/websites/{site}/bot/blocklist")).get_json())["data"] == []

    assert (await client.delete(f"/api/websites/{site}/bot/allowlist/{entries[0]['id']}")).status_code == 204
    await assert_error(await client.delete(f"/api/websites/{site}/bot/allowlist/{entries[0]['id']}"), 404,
                       "not_found", "allowlist entry not found")
    await assert_error(await client.delete(f"/api/websites/{site}/bot/blocklist/{entries[1]['id']}"), 404,
                       "not_found", "blocklist entry not found")


@pytest.mark.parametrize("cursor", ["nope", base64.urlsafe_b64encode(b'{"id": 1}').decode(),
                                    base64.urlsafe_b64encode(json.dumps({"created_at": "x", "id": "a"}).encode()).decode()])
async def test_invalid_cursor(client, site, cursor) -> None:
    await assert_error(await client.get(f"/api/websites/{site}/bot/audit?cursor={cursor}"), 400, "validation_error",
                       "invalid cursor", "cursor")


async def test_audit_records_every_change_with_its_payload(client, site) -> None:
    await client.put(f"/api/websites/{site}/bot/policy", json={"mode": "off", "threshold_score": 80})
    entry = await add(client, site, "blocklist", {"match_type": "ip_cidr", "match_value": "10.0.0.0/8", "note": "lab"})
    await client.delete(f"/api/websites/{site}/bot/blocklist/{entry['id']}")
    body = await (await client.get(f"/api/websites/{site}/bot/audit")).get_json()
    assert [(a["action"], a["actor"], a["payload"]) for a in body["data"]] == [
        ("block_remove", "selfhosted", {"id": entry["id"], "match_type": "ip_cidr", "match_value": "10.0.0.0/8"}),
        ("block_add", "selfhosted",
         {"id": entry["id"], "match_type": "ip_cidr", "match_value": "10.0.0.0/8", "note": "lab"}),
        ("policy_update", "selfhosted", {"mode": "off", "threshold_score": 80}),
    ]
    assert all(re.fullmatch(r"bot_audit_[0-9a-z]{16}", a["id"]) for a in body["data"])


async def test_unknown_website(client) -> None:
    for response in [
        await client.get("/api/websites/site_nope/bot/policy"),
        await client.get("/api/websites/site_nope/bot/allowlist"),
        await client.get("/api/websites/site_nope/bot/audit"),
    ]:
        await assert_error(response, 404, "not_found", "Website not found")


async def test_only_the_two_lists_exist(client, site) -> None:
    await assert_error(await client.get(f"/api/websites/{site}/bot/greylist"), 404, "not_found", "Not found")


@pytest.mark.parametrize(
    "rule,ip",
    [
        ({"match_type": "ua_contains", "match_value": "Macintosh"}, "198.51.100.7"),
        ({"match_type": "ip_exact", "match_value": "198.51.100.7"}, "198.51.100.7"),
        ({"match_type": "ip_cidr", "match_value": "198.51.100.0/24"}, "198.51.100.7"),
        ({"match_type": "ip_cidr", "match_value": "2001:db8::/32"}, "2001:db8::7"),
    ],
)
async def test_a_new_block_rule_marks_the_next_human_event_a_bot(client, services, site, rule, ip) -> None:
    assert (await send(client, pageview(site), ip=ip)).status_code == 202
    await add(client, site, "blocklist", rule)
    assert (await send(client, pageview(site), ip=ip)).status_code == 202
    assert await bot_flags(services) == [False, True]
    reasons = [row["bot_reason"] for row in await stored_events(services, "bot_reason")]
    assert reasons[1] == "blocklist"


async def test_allow_beats_a_crawler_user_agent(client, services, site) -> None:
    assert (await send(client, pageview(site), headers=CURL)).status_code == 202
    entry = await add(client, site, "allowlist", {"match_type": "ip_exact", "match_value": "198.51.100.7"})
    assert (await send(client, pageview(site), headers=CURL)).status_code == 202
    await client.delete(f"/api/websites/{site}/bot/allowlist/{entry['id']}")
    assert (await send(client, pageview(site), headers=CURL)).status_code == 202
    assert await bot_flags(services) == [True, False, True]


async def test_policy_mode_off_includes_bots_in_reports_by_default(client, services, site) -> None:
    await send(client, pageview(site), headers=CURL)
    await send(client, pageview(site), headers=BROWSER_HEADERS, ip="203.0.113.9")
    await stored_events(services)
    stats = await (await client.get(f"/api/websites/{site}/stats")).get_json()
    assert stats["data"]["pageviews"] == 1
    await client.put(f"/api/websites/{site}/bot/policy", json={"mode": "off", "threshold_score": 70})
    stats = await (await client.get(f"/api/websites/{site}/stats")).get_json()
    assert stats["data"]["pageviews"] == 2


async def test_bot_controls_go_with_their_website(client, services, site) -> None:
    await client.put(f"/api/websites/{site}/bot/policy", json={"mode": "strict", "threshold_score": 50})
    await add(client, site, "blocklist", {"match_type": "ua_contains", "match_value": "x"})
    assert (await client.delete(f"/api/websites/{site}")).status_code == 204

    def left(cur):
        return [cur.execute(f"SELECT count(*) FROM {t} WHERE website_id = ?", [site]).fetchone()[0]
                for t in ("bot_policies", "bot_blocklist", "bot_policy_audit")]

    assert await services.db.read(left) == [0, 0, 0]


async def test_summary_and_report_count_bots_by_reason_and_agent(client, services, site) -> None:
    await send(client, pageview(site), headers=CURL)
    await send(client, pageview(site), headers=CURL)
    await send(client, pageview(site), ip="203.0.113.9")
    await stored_events(services)
    summary = (await (await client.get(f"/api/websites/{site}/bot-summary")).get_json())["data"]
    assert (summary["bot_events"], summary["human_events"], summary["bot_rate"]) == (2, 1, 0.6667)
    assert summary["top_reasons"] == [{"code": "ua_signature", "count": 2}]
    report = (await (await client.get(f"/api/websites/{site}/bot/report?granularity=hour")).get_json())["data"]
    assert report["top_user_agents"] == [{"value": "curl/8.5.0", "count": 2}]
    assert sum(b["bot_events"] for b in report["timeseries"]) == 2 and len(report["timeseries"]) == 1
    await assert_error(await client.get(f"/api/websites/{site}/bot-summary?start_date=2026-01-01&end_date=2026-06-01"),
                       400, "validation_error")


async def wait_for_job(client, site: str, job_id: str) -> dict:
    for _ in range(200):
        job = (await (await client.get(f"/api/websites/{site}/bot/recompute/{job_id}")).get_json())["data"]
        if job["status"] in ("success", "failed"):
            return job
        await trio.sleep(0.05)
    raise AssertionError(f"job {job_id} did not finish: {job}")


async def test_recompute_applies_a_new_rule_to_past_events_and_their_sessions(client, services, site) -> None:
    for _ in range(3):
        await send(client, pageview(site))
    await send(client, pageview(site), ip="203.0.113.9", headers={**BROWSER_HEADERS, "User-Agent": "Firefox/128"})
    assert await bot_flags(services) == [False, False, False, False]
    await add(client, site, "blocklist", {"match_type": "ua_contains", "match_value": "Macintosh"})

    response = await client.post(f"/api/websites/{site}/bot/recompute", json={})
    assert response.status_code == 202
    body = await response.get_json()
    assert body["status"] == "queued" and re.fullmatch(r"bot_recompute_[0-9a-z]{16}", body["job_id"])
    job = await wait_for_job(client, site, body["job_id"])
    assert (job["status"], job["events_total"], job["events_done"], job["error_message"]) == ("success", 4, 4, None)
    assert job["started_at"] and job["completed_at"]
    assert await bot_flags(services) == [True, True, True, False]

    def sessions(cur):
        return cur.execute("SELECT is_bot, bot_score FROM sessions WHERE website_id = ? ORDER BY visitor_id",
                           [site]).fetchall()

    assert sorted(await services.db.read(sessions)) == [(False, 0), (True, 100)]
    audit = (await (await client.get(f"/api/websites/{site}/bot/audit?limit=1")).get_json())["data"]
    assert audit[0]["action"] == "recompute_start" and audit[0]["payload"]["job_id"] == body["job_id"]


async def test_a_second_recompute_while_one_is_queued_is_409(client, services, site) -> None:
    # A job the Scheduler has not picked up yet (written as the store writes one).
    await on_duckdb_writer(services, lambda con: con.execute(
        "INSERT INTO bot_recompute_runs (id, website_id, start_date, end_date, status)"
        " VALUES ('bot_recompute_waiting000000', ?, '2026-03-01', '2026-03-02', 'queued')", [site]))
    await assert_error(await client.post(f"/api/websites/{site}/bot/recompute", json={}), 409, "conflict",
                       "recompute already running")
    await on_duckdb_writer(services, lambda con: con.execute(
        "UPDATE bot_recompute_runs SET status = 'success' WHERE id = 'bot_recompute_waiting000000'"))
    assert (await client.post(f"/api/websites/{site}/bot/recompute", json={})).status_code == 202


async def test_recompute_400s_and_404s(client, site) -> None:
    base = f"/api/websites/{site}/bot/recompute"
    await assert_error(await client.post(base, json={"start_date": "2026-01-01", "end_date": "2026-03-01"}), 400,
                       "validation_error")
    await assert_error(await client.post(base, json={"start_date": 7}), 400, "validation_error",
                       "invalid start_date (expected YYYY-MM-DD)", "start_date")
    await assert_error(await client.get(f"{base}/bot_recompute_nope"), 404, "not_found", "recompute job not found")
    await assert_error(await client.post("/api/websites/site_nope/bot/recompute", json={}), 404, "not_found",
                       "Website not found")
