"""Saved reports over HTTP (API.md §1.13, Decision 11): CRUD, every 400/404/422, the
limit, scoping, preview vs run, and each report type's result against the route it
reuses (one code path: a saved report answers what the dashboard's request answers).

The data (all today, UTC website, sent through /api/collect):
  visitor A (203.0.113.1): pageview /, pageview /pricing, event signup
  visitor B (203.0.113.2): pageview / from google.com
So: 3 pageviews, 2 visitors, 1 custom event.
"""

from __future__ import annotations

import re
from datetime import datetime, timezone

import pytest

from sparklytics.saved_reports import MAX_REPORTS_PER_WEBSITE
from tests.api.helpers import assert_error, create_website, custom_event, pageview, send, stored_events

TIMESTAMP = re.compile(r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}(\.\d{1,6})?$")
STATS_7 = {"version": 1, "report_type": "stats", "date_range_type": "relative", "relative_days": 7}


def reports(site: str, rest: str = "") -> str:
    return f"/api/websites/{site}/reports{rest}"


async def create(client, site: str, name: str = "Weekly", config: dict | None = None, **extra) -> dict:
    response = await client.post(reports(site), json={"name": name, "config": config or STATS_7, **extra})
    assert response.status_code == 201, await response.get_data(as_text=True)
    return (await response.get_json())["data"]


async def ok(response) -> dict:
    assert response.status_code == 200, await response.get_data(as_text=True)
    return (await response.get_json())["data"]


@pytest.fixture
def today() -> str:
    return datetime.now(timezone.utc).date().isoformat()


@pytest.fixture
async def site(client) -> str:
    return await create_website(client)


@pytest.fixture
async def busy(client, services, site) -> str:
    await send(client, [pageview(site, "https://example.com/"), pageview(site, "https://example.com/pricing"),
                        custom_event(site, "signup")], ip="203.0.113.1")
    await send(client, pageview(site, "https://example.com/", referrer="https://www.google.com/"), ip="203.0.113.2")
    assert len(await stored_events(services)) == 4
    return site


async def test_crud_round_trip(client, site) -> None:
    report = await create(client, site, "  Weekly  ", description="for the team")
    assert re.fullmatch(r"report_[0-9a-z]{21}", report["id"])
    assert (report["name"], report["description"], report["website_id"], report["last_run_at"]) == ("Weekly", "for the team", site, None)
    assert report["config"]["relative_days"] == 7 and report["config"]["filter_country"] is None
    assert TIMESTAMP.match(report["created_at"]) and report["updated_at"] == report["created_at"]
    assert await ok(await client.get(reports(site, f"/{report['id']}"))) == report

    other = await create(client, site, "alpha", {**STATS_7, "report_type": "events"})
    listed = await ok(await client.get(reports(site)))
    assert [r["name"] for r in listed] == ["alpha", "Weekly"]  # lower(name)
    assert set(listed[0]) == {"id", "name", "description", "report_type", "last_run_at", "created_at", "updated_at"}
    assert listed[0]["report_type"] == "events"

    updated = await ok(await client.put(reports(site, f"/{report['id']}"), json={"description": None, "name": "Daily"}))
    assert (updated["name"], updated["description"], updated["config"]) == ("Daily", None, report["config"])
    config = {**STATS_7, "date_range_type": "absolute", "start_date": "2026-01-01", "end_date": "2026-01-31"}
    updated = await ok(await client.put(reports(site, f"/{report['id']}"), json={"config": config}))
    assert updated["config"]["start_date"] == "2026-01-01" and updated["name"] == "Daily"

    assert (await client.delete(reports(site, f"/{report['id']}"))).status_code == 204
    await assert_error(await client.delete(reports(site, f"/{report['id']}")), 404, "not_found", "Report not found")
    await assert_error(await client.get(reports(site, f"/{report['id']}")), 404, "not_found", "Report not found")
    assert [r["id"] for r in await ok(await client.get(reports(site)))] == [other["id"]]


async def test_reports_are_scoped_to_the_website_in_the_path(client, site) -> None:
    report = await create(client, site)
    elsewhere = await create_website(client, name="Other", domain="other.org")
    for response in (
        await client.get(reports(elsewhere, f"/{report['id']}")),
        await client.put(reports(elsewhere, f"/{report['id']}"), json={"name": "x"}),
        await client.delete(reports(elsewhere, f"/{report['id']}")),
        await client.post(reports(elsewhere, f"/{report['id']}/run")),
    ):
        await assert_error(response, 404, "not_found", "Report not found")
    assert await ok(await client.get(reports(elsewhere))) == []
    await assert_error(await client.get(reports("site_missing00")), 404, "not_found", "Website not found")
    await assert_error(await client.post(reports("site_missing00"), json={"name": "x", "config": STATS_7}), 404, "not_found", "Website not found")


@pytest.mark.parametrize(
    "cfg,message,field",
    [
        ({**STATS_7, "version": None}, "version is required", "version"),
        ({k: v for k, v in STATS_7.items() if k != "version"}, "version is required", "version"),
        ({**STATS_7, "version": "1"}, "version must be a positive integer", "version"),
        ({**STATS_7, "report_type": "funnel"}, "report_type must be one of: stats, pageviews, metrics, events", "report_type"),
        ({**STATS_7, "report_type": None}, "report_type is required", "report_type"),
        ({**STATS_7, "date_range_type": "rolling"}, "date_range_type must be one of: relative, absolute", "date_range_type"),
        ({**STATS_7, "relative_days": 0}, "relative_days must be an integer from 1 to 365", "relative_days"),
        ({**STATS_7, "relative_days": 366}, "relative_days must be an integer from 1 to 365", "relative_days"),
        ({**STATS_7, "date_range_type": "absolute", "end_date": "2026-01-01"}, "start_date is required for an absolute date range", "start_date"),
        ({**STATS_7, "date_range_type": "absolute", "start_date": "2026-01-02", "end_date": "2026-01-01"}, "end_date must be on or after start_date", None),
        ({**STATS_7, "date_range_type": "absolute", "start_date": "2026-02-30", "end_date": "2026-03-01"}, "invalid start_date (expected YYYY-MM-DD)", "start_date"),
        ({**STATS_7, "timezone": "Mars/Olympus"}, "invalid timezone", "timezone"),
        ({**STATS_7, "report_type": "metrics"}, "metric_type is required for metrics reports", "metric_type"),
        ({**STATS_7, "report_type": "metrics", "metric_type": "shoe_size"}, None, "metric_type"),
        ({**STATS_7, "compare_mode": "sideways"}, "compare_mode must be one of: none, previous_period, previous_year, custom", None),
        ({**STATS_7, "compare_mode": "custom"}, "compare_start_date and compare_end_date are required for custom compare_mode", None),
        ({**STATS_7, "filter_country": "Germany"}, "filter_country must be ISO 3166-1 alpha-2 (2 chars)", None),
        ({**STATS_7, "filter_language": "de"}, "unknown config field: filter_language", "filter_language"),
        ({**STATS_7, "filter_country": 49}, "filter_country must be a string", "filter_country"),
        ("stats", "config must be a JSON object", "config"),
    ],
)
async def test_config_problems_are_400(client, site, cfg, message, field) -> None:
    error = await assert_error(await client.post(reports(site), json={"name": "r", "config": cfg}), 400, "validation_error", message)
    if field is not None:
        assert error["field"] == field
    # Preview checks the same rules (its body is the config itself).
    if isinstance(cfg, dict):
        await assert_error(await client.post(reports(site, "/preview"), json=cfg), 400, "validation_error", message)


@pytest.mark.parametrize(
    "body,status,message,field",
    [
        ({"name": "  ", "config": STATS_7}, 422, "name is required", "name"),
        ({"config": STATS_7}, 422, "name is required", "name"),
        ({"name": "x" * 101, "config": STATS_7}, 422, "name must be at most 100 characters", "name"),
        ({"name": "r", "description": "d" * 1001, "config": STATS_7}, 422, "description must be at most 1000 characters", "description"),
        ({"name": "r"}, 400, "config is required", "config"),
        ({"name": "r", "config": STATS_7, "owner": "me"}, 422, None, "owner"),
    ],
)
async def test_body_problems(client, site, body, status, message, field) -> None:
    await assert_error(await client.post(reports(site), json=body), status, "validation_error", message, field)


async def test_update_problems(client, site) -> None:
    report = await create(client, site)
    path = reports(site, f"/{report['id']}")
    await assert_error(await client.put(path, json={}), 400, "validation_error", "request must include at least one updatable field")
    await assert_error(await client.put(path, json={"name": ""}), 422, "validation_error", "name is required", "name")
    await assert_error(await client.put(path, json={"config": {**STATS_7, "report_type": "x"}}), 400, "validation_error", field="report_type")
    await assert_error(await client.put(reports(site, "/report_nope"), json={"name": "n"}), 404, "not_found", "Report not found")
    await assert_error(await client.put(path, data="{", headers={"Content-Type": "application/json"}), 400, "invalid_json")


async def test_names_are_unique_per_website_and_the_limit_is_100(client, site) -> None:
    first = await create(client, site, "Same")
    await assert_error(await client.post(reports(site), json={"name": "Same", "config": STATS_7}), 422, "duplicate_name", field="name")
    await create(client, site, "same")  # exact comparison
    second = await create(client, site, "Other")
    await assert_error(await client.put(reports(site, f"/{second['id']}"), json={"name": "Same"}), 422, "duplicate_name", field="name")
    assert (await client.put(reports(site, f"/{first['id']}"), json={"name": "Same"})).status_code == 200  # its own name
    elsewhere = await create_website(client, name="Other", domain="other.org")
    await create(client, elsewhere, "Same")
    for n in range(MAX_REPORTS_PER_WEBSITE - 3):
        await create(client, site, f"r{n}")
    await assert_error(
        await client.post(reports(site), json={"name": "one more", "config": STATS_7}), 422, "limit_exceeded",
        f"maximum of {MAX_REPORTS_PER_WEBSITE} reports per website reached", "reports",
    )


async def test_preview_runs_without_storing_and_run_sets_last_run_at(client, busy, today) -> None:
    preview = await ok(await client.post(reports(busy, "/preview"), json=STATS_7))
    assert preview["report_id"] is None and preview["config"]["report_type"] == "stats"
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\+00:00", preview["ran_at"])
    assert (preview["data"]["pageviews"], preview["data"]["visitors"]) == (3, 2)
    assert await ok(await client.get(reports(busy))) == []

    report = await create(client, busy)
    run = await ok(await client.post(reports(busy, f"/{report['id']}/run")))
    assert run["report_id"] == report["id"] and run["data"] == preview["data"]
    stored = await ok(await client.get(reports(busy, f"/{report['id']}")))
    assert TIMESTAMP.match(stored["last_run_at"]) and stored["last_run_at"][:10] == today
    await assert_error(await client.post(reports(busy, "/report_nope/run")), 404, "not_found", "Report not found")


async def _route(client, site: str, path: str) -> dict:
    response = await client.get(f"/api/websites/{site}/{path}")
    assert response.status_code == 200, await response.get_data(as_text=True)
    return await response.get_json()


async def test_each_report_type_answers_what_its_route_answers(client, busy, today) -> None:
    absolute = {"version": 1, "date_range_type": "absolute", "start_date": today, "end_date": today}
    dates = f"start_date={today}&end_date={today}"

    stats = await ok(await client.post(reports(busy, "/preview"), json={**absolute, "report_type": "stats"}))
    assert stats["data"] == (await _route(client, busy, f"stats?{dates}"))["data"]
    assert "compare" not in stats["data"]

    compared = {**absolute, "compare_mode": "previous_period"}
    stats = await ok(await client.post(reports(busy, "/preview"), json={**compared, "report_type": "stats"}))
    body = await _route(client, busy, f"stats?{dates}&compare_mode=previous_period")
    assert stats["data"] == {**body["data"], "compare": body["compare"]}

    series = await ok(await client.post(reports(busy, "/preview"), json={**absolute, "report_type": "pageviews"}))
    assert series["data"] == (await _route(client, busy, f"pageviews?{dates}"))["data"]
    assert set(series["data"]) == {"series", "granularity", "compare_series"}
    series = await ok(await client.post(reports(busy, "/preview"), json={**compared, "report_type": "pageviews"}))
    assert series["data"] == await _route(client, busy, f"pageviews?{dates}&compare_mode=previous_period")
    assert set(series["data"]) == {"data", "compare"}  # nested with compare (§1.13)

    pages = await ok(await client.post(reports(busy, "/preview"), json={**absolute, "report_type": "metrics", "metric_type": "page"}))
    body = await _route(client, busy, f"metrics?{dates}&type=page&limit=25")
    assert pages["data"] == {"type": "page", "rows": body["data"]["rows"], "total": body["pagination"]["total"], "compare": None}
    assert [row["value"] for row in pages["data"]["rows"]][:2] == ["/", "/pricing"]

    events = await ok(await client.post(reports(busy, "/preview"), json={**absolute, "report_type": "events"}))
    assert events["data"] == (await _route(client, busy, f"events?{dates}"))["data"]
    assert set(events["data"]) == {"rows", "total"} and events["data"]["rows"][0]["event_name"] == "signup"


async def test_filters_and_timezone_reach_the_query(client, busy) -> None:
    config = {**STATS_7, "filter_page": "/pricing", "timezone": "Pacific/Kiritimati"}
    data = (await ok(await client.post(reports(busy, "/preview"), json=config)))["data"]
    assert (data["pageviews"], data["timezone"]) == (1, "Pacific/Kiritimati")


async def test_deleting_a_report_takes_its_subscriptions(client, services, site) -> None:
    report = await create(client, site)

    def subscribe(cur) -> None:
        cur.execute(
            "INSERT INTO report_subscriptions (id, website_id, report_id, schedule, channel, target, next_run_at)"
            " VALUES ('sub_1', ?, ?, 'daily', 'email', 'a@b.co', now())", [site, report["id"]]
        )

    from tests.harness import on_duckdb_writer

    await on_duckdb_writer(services, subscribe)
    assert (await client.delete(reports(site, f"/{report['id']}"))).status_code == 204
    count = await services.db.read(lambda cur: cur.execute("SELECT count(*) FROM report_subscriptions").fetchone()[0])
    assert count == 0
