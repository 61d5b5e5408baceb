"""The analytics read API over HTTP, on data that went through the real ingest path.

The query layer's exact arithmetic is tested in ``tests/queries`` on a hand-built
dataset; these tests check the routes: wiring, envelopes, parameters, errors, share
links, export and ingest limits, with numbers small enough to work out by eye.

The data (all today, UTC website, sent through /api/collect):
  visitor A (203.0.113.1): pageview /, pageview /pricing, event signup {plan: pro}
  visitor B (203.0.113.2): pageview / from google.com with utm_source=newsletter
  a bot (curl):            pageview /
So without bots: 3 pageviews, 2 visitors, 2 sessions, B's session bounced (1 of 2).
"""

from __future__ import annotations

import csv
import io
from datetime import datetime, timezone

import pytest

from tests.api.helpers import assert_error, create_website, custom_event, pageview, send, stored_events


@pytest.fixture
def today() -> str:
    """The UTC date when the test starts; not at import, which may be before midnight."""
    return datetime.now(timezone.utc).date().isoformat()


@pytest.fixture
async def site(client, services) -> str:
    website = await create_website(client)
    await send(client, [pageview(website, "https://example.com/"), pageview(website, "https://example.com/pricing"), custom_event(website, "signup", {"plan": "pro"})], ip="203.0.113.1")
    await send(client, pageview(website, "https://example.com/?utm_source=newsletter", referrer="https://www.google.com/"), ip="203.0.113.2")
    await send(client, pageview(website, "https://example.com/"), ip="203.0.113.3", headers={"User-Agent": "curl/8.5.0", "Accept": "*/*"})
    assert len(await stored_events(services)) == 5
    return website


async def get_json(client, path: str) -> dict:
    response = await client.get(path)
    assert response.status_code == 200, await response.get_data(as_text=True)
    return await response.get_json()


async def test_stats(client, site) -> None:
    body = await get_json(client, f"/api/websites/{site}/stats")
    data = body["data"]
    assert (data["pageviews"], data["visitors"], data["sessions"], data["bounce_rate"]) == (3, 2, 2, 0.5)
    assert data["prev_pageviews"] == 0 and data["timezone"] == "UTC"
    assert "compare" not in body
    with_bots = (await get_json(client, f"/api/websites/{site}/stats?include_bots=true"))["data"]
    assert (with_bots["pageviews"], with_bots["visitors"]) == (4, 3)


async def test_stats_compare_metadata(client, site, today) -> None:
    body = await get_json(client, f"/api/websites/{site}/stats?start_date={today}&end_date={today}&compare_mode=previous_period")
    assert body["compare"]["mode"] == "previous_period"
    assert body["compare"]["primary_range"] == [today, today]


async def test_pageviews_series_is_zero_filled_by_hour(client, site, today) -> None:
    data = (await get_json(client, f"/api/websites/{site}/pageviews?start_date={today}&end_date={today}"))["data"]
    assert data["granularity"] == "hour"
    assert len(data["series"]) == 24
    assert sum(point["pageviews"] for point in data["series"]) == 3
    assert data["compare_series"] is None


async def test_metrics_pages_and_referrers(client, site) -> None:
    body = await get_json(client, f"/api/websites/{site}/metrics?type=page")
    assert [(r["value"], r["pageviews"], r["visitors"]) for r in body["data"]["rows"]] == [("/", 2, 2), ("/pricing", 1, 1)]
    assert body["pagination"] == {"total": 2, "limit": 10, "offset": 0, "has_more": False}
    assert body["compare"] is None
    referrers = await get_json(client, f"/api/websites/{site}/metrics?type=referrer")
    assert {r["value"] for r in referrers["data"]["rows"]} == {"www.google.com", "(direct)"}
    sources = await get_json(client, f"/api/websites/{site}/metrics?type=utm_source")
    assert [r["value"] for r in sources["data"]["rows"]] == ["newsletter"]
    channels = await get_json(client, f"/api/websites/{site}/metrics?type=channel")
    assert {r["value"] for r in channels["data"]["rows"]} == {"Direct", "Email"}  # utm_source=newsletter wins over the referrer


async def test_filters_narrow_every_report(client, site) -> None:
    data = (await get_json(client, f"/api/websites/{site}/stats?filter_page=pricing"))["data"]
    assert (data["pageviews"], data["visitors"]) == (1, 1)


async def test_realtime(client, site) -> None:
    data = (await get_json(client, f"/api/websites/{site}/realtime"))["data"]
    assert data["active_visitors"] == 2
    assert data["pagination"] == {"limit": 100, "total_in_window": 4}
    assert {e["url"] for e in data["recent_events"]} >= {"https://example.com/pricing"}


async def test_custom_events_properties_and_series(client, site, today) -> None:
    events = (await get_json(client, f"/api/websites/{site}/events"))["data"]
    assert events["total"] == 1
    assert [(r["event_name"], r["count"], r["visitors"]) for r in events["rows"]] == [("signup", 1, 1)]
    props = (await get_json(client, f"/api/websites/{site}/events/properties?event_name=signup"))["data"]
    assert props["properties"] == [{"property_key": "plan", "property_value": "pro", "count": 1}]
    series = (await get_json(client, f"/api/websites/{site}/events/timeseries?event_name=signup&start_date={today}&end_date={today}"))["data"]
    assert sum(point["pageviews"] for point in series["series"]) == 1


async def test_sessions_list_and_detail(client, site) -> None:
    body = await get_json(client, f"/api/websites/{site}/sessions?limit=1")
    assert len(body["data"]) == 1 and body["pagination"]["has_more"] is True
    rest = await get_json(client, f"/api/websites/{site}/sessions?limit=1&cursor={body['pagination']['next_cursor']}")
    assert len(rest["data"]) == 1 and rest["pagination"]["has_more"] is False
    sessions = {s["event_count"]: s for s in body["data"] + rest["data"]}
    visitor_a = sessions[3]
    assert (visitor_a["pageview_count"], visitor_a["entry_page"], visitor_a["exit_page"]) == (2, "/", "/pricing")
    assert (sessions[1]["entry_page"], sessions[1]["exit_page"]) == ("/", "/")
    detail = (await get_json(client, f"/api/websites/{site}/sessions/{visitor_a['session_id']}"))["data"]
    assert [e["event_type"] for e in detail["events"]] == ["pageview", "pageview", "event"]
    assert detail["truncated"] is False
    await assert_error(await client.get(f"/api/websites/{site}/sessions/0000000000000000"), 404, "not_found", "Session not found")


async def test_export_streams_csv_with_every_event(client, site, today) -> None:
    response = await client.get(f"/api/websites/{site}/export?start_date={today}&end_date={today}&format=csv")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert response.headers["Content-Disposition"] == f'attachment; filename="events-{site}-{today}-{today}.csv"'
    rows = list(csv.reader(io.StringIO(await response.get_data(as_text=True))))
    assert rows[0] == ["id", "website_id", "event_type", "url", "referrer_domain", "event_name", "country", "browser", "os", "device_type", "language", "utm_source", "utm_medium", "utm_campaign", "created_at", "is_bot", "event_data"]
    assert len(rows) == 1 + 5  # bots included
    # Bots are told apart, and custom events keep their properties.
    assert sorted(r[15] for r in rows[1:]) == ["false"] * 4 + ["true"]
    assert [r[16] for r in rows[1:] if r[5] == "signup"] == ['{"plan":"pro"}']
    await assert_error(await client.get(f"/api/websites/{site}/export?start_date={today}&end_date={today}&format=xml"), 400, "validation_error", "unsupported format: xml; only 'csv' is supported")
    await assert_error(await client.get(f"/api/websites/{site}/export?end_date={today}"), 400, "validation_error", "start_date is required")


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("stats?compare_mode=sideways", "compare_mode must be one of: none, previous_period, previous_year, custom"),
        ("stats?start_date=2026-03-10&end_date=2026-03-01", "end_date must be on or after start_date"),
        ("stats?filter_country=Germany", "filter_country must be ISO 3166-1 alpha-2 (2 chars)"),
        ("stats?timezone=Mars/Base", "invalid timezone"),
        ("metrics?type=nope", "invalid metric type: nope"),
        ("metrics", "type parameter is required"),
        ("sessions?limit=0", "limit must be between 1 and 200"),
        ("sessions?cursor=%%%", "invalid cursor"),
        ("events?include_bots=maybe", "include_bots must be one of: true, false, 1, 0"),
        ("events?start_date=2026-01-01&end_date=2026-06-01", "date range too large: 152 days (max 90)"),
        ("events/properties", "event_name query parameter is required"),
        ("stats?start_date=0001-01-01&end_date=9999-12-31", "start_date must be between 1970-01-01 and 2199-12-31"),
        ("pageviews?start_date=2026-01-01&end_date=9999-12-31", "end_date must be between 1970-01-01 and 2199-12-31"),
        ("pageviews?granularity=hour&start_date=2020-01-01&end_date=2026-01-01",
         "granularity hour covers at most 416 days (got 2193); use a longer granularity"),
        ("retention?start_date=2026-01-01&end_date=9999-12-31", "end_date must be between 1970-01-01 and 2199-12-31"),
    ],
)
async def test_invalid_parameters_are_400(client, site, query, message) -> None:
    await assert_error(await client.get(f"/api/websites/{site}/{query}"), 400, "validation_error", message)


@pytest.mark.parametrize("route", ["stats", "pageviews", "metrics?type=page", "realtime", "events", "sessions", "sessions/abc", "export?start_date=2026-01-01&end_date=2026-01-02", "ingest-limits"])
async def test_unknown_website_is_404_everywhere(client, services, route) -> None:
    await assert_error(await client.get(f"/api/websites/site_missing000/{route}"), 404, "not_found", "Website not found")


async def test_share_link_lifecycle(client, site) -> None:
    created = await client.post(f"/api/websites/{site}/share")
    assert created.status_code == 201
    share = (await created.get_json())["data"]
    assert share["share_url"] == f"http://localhost:3000/share/{share['share_id']}"
    again = (await (await client.post(f"/api/websites/{site}/share")).get_json())["data"]
    assert again == share
    overview = (await get_json(client, f"/api/share/{share['share_id']}/overview"))["data"]
    assert overview["stats"]["pageviews"] == 3
    assert set(overview["metrics"]) == {"page", "referrer", "browser", "country", "os", "device"}
    assert (await get_json(client, f"/api/share/{share['share_id']}/metrics?type=page"))["pagination"]["total"] == 2
    await assert_error(await client.get(f"/api/share/{share['share_id']}/metrics"), 400, "validation_error", "type parameter is required")
    await assert_error(await client.get(f"/api/share/{share['share_id']}/stats?start_date=2026-01-01&end_date=2026-06-01"), 400, "validation_error", "share date range too large: 152 days (max 90)")
    assert (await client.delete(f"/api/websites/{site}/share")).status_code == 204
    await assert_error(await client.get(f"/api/share/{share['share_id']}/stats"), 404, "not_found", "Share link not found")
    await assert_error(await client.delete(f"/api/websites/{site}/share"), 404, "not_found", "Sharing is not enabled for this website")


async def test_share_routes_allow_30_requests_a_minute_per_client(client, site) -> None:
    share_id = (await (await client.post(f"/api/websites/{site}/share")).get_json())["data"]["share_id"]
    for _ in range(30):
        response = await client.get(f"/api/share/{share_id}/stats", scope_base={"client": ("198.51.100.30", 1)})
        assert response.status_code == 200
    limited = await client.get(f"/api/share/{share_id}/stats", scope_base={"client": ("198.51.100.30", 1)})
    await assert_error(limited, 429, "rate_limited", "Rate limit exceeded")
    other = await client.get(f"/api/share/{share_id}/stats", scope_base={"client": ("198.51.100.31", 1)})
    assert other.status_code == 200


async def test_ingest_limits_round_trip(client, services) -> None:
    site = await create_website(client)
    defaults = (await get_json(client, f"/api/websites/{site}/ingest-limits"))["data"]
    assert defaults == {
        "website_id": site,
        "peak_events_per_sec": 10000,
        "queue_max_events": 100000,
        "custom": {"peak_events_per_sec": None, "queue_max_events": None},
        "source": {"peak_events_per_sec": "default", "queue_max_events": "default"},
    }
    updated = await client.put(f"/api/websites/{site}/ingest-limits", json={"peak_events_per_sec": 1, "queue_max_events": 500})
    data = (await updated.get_json())["data"]
    assert (data["peak_events_per_sec"], data["queue_max_events"], data["source"]["peak_events_per_sec"]) == (1, 500, "custom")
    # The new peak applies at once: 60 events a minute, the rest soft-dropped.
    response = await send(client, [pageview(site)] * 50)
    assert response.headers["x-sparklytics-ingest-accepted-events"] == "50"
    response = await send(client, [pageview(site)] * 50)
    assert response.status_code == 202
    assert (response.headers["x-sparklytics-ingest-accepted-events"], response.headers["x-sparklytics-ingest-dropped-events"]) == ("10", "40")
    assert response.headers["x-sparklytics-ingest-drop-reason"] == "peak_rate"
    cleared = (await (await client.put(f"/api/websites/{site}/ingest-limits", json={"peak_events_per_sec": None})).get_json())["data"]
    assert cleared["custom"] == {"peak_events_per_sec": None, "queue_max_events": 500}
    await assert_error(await client.put(f"/api/websites/{site}/ingest-limits", json={}), 400, "validation_error", "at least one ingest limit field must be provided")
    await assert_error(await client.put(f"/api/websites/{site}/ingest-limits", json={"queue_max_events": 0}), 400, "validation_error", "queue_max_events must be > 0")
    await assert_error(await client.put(f"/api/websites/{site}/ingest-limits", json={"queue_max_events": "ten"}), 422, "validation_error")
