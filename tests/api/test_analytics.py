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


# ---------------------------------------------------------------------------------------
# Sources are session properties (Decision 21)
# ---------------------------------------------------------------------------------------


@pytest.fixture
async def sources_site(client, services) -> str:
    """Three visits, each sent one event at a time, as a browser sends them:

    A (203.0.113.21): identify-like custom event with no referrer, then a pageview of / from
      www.reddit.com, then a signup event — the visit came from Reddit.
    B (203.0.113.22): pageviews /, /pricing, /docs; only the first has an outside referrer
      (news.ycombinator.com), the next two an internal one (which is no source).
    C (203.0.113.23): one pageview of /?utm_source=newsletter&utm_medium=email (channel Email).
    """
    website = await create_website(client)
    a, b, c = "203.0.113.21", "203.0.113.22", "203.0.113.23"
    await send(client, custom_event(website, "identify"), ip=a)
    await send(client, pageview(website, "https://example.com/", referrer="https://www.reddit.com/r/analytics"), ip=a)
    await send(client, custom_event(website, "signup"), ip=a)
    await send(client, pageview(website, "https://example.com/", referrer="https://news.ycombinator.com/item?id=1"), ip=b)
    await send(client, pageview(website, "https://example.com/pricing", referrer="https://example.com/"), ip=b)
    await send(client, pageview(website, "https://example.com/docs", referrer="https://example.com/pricing"), ip=b)
    await send(client, pageview(website, "https://example.com/?utm_source=newsletter&utm_medium=email"), ip=c)
    assert len(await stored_events(services)) == 7
    return website


async def test_a_visit_that_begins_with_a_custom_event_takes_the_source_of_its_pageview(client, sources_site) -> None:
    site = sources_site
    rows = (await get_json(client, f"/api/websites/{site}/metrics?type=referrer"))["data"]["rows"]
    assert [(r["value"], r["visitors"], r["pageviews"]) for r in rows] == [
        ("news.ycombinator.com", 1, 3), ("(direct)", 1, 1), ("www.reddit.com", 1, 1),
    ]
    reddit = (await get_json(client, f"/api/websites/{site}/stats?filter_referrer=www.reddit.com"))["data"]
    assert (reddit["pageviews"], reddit["visitors"], reddit["sessions"]) == (1, 1, 1)
    events = (await get_json(client, f"/api/websites/{site}/events?filter_referrer=www.reddit.com"))["data"]
    assert sorted((r["event_name"], r["count"]) for r in events["rows"]) == [("identify", 1), ("signup", 1)]
    channels = (await get_json(client, f"/api/websites/{site}/metrics?type=channel"))["data"]["rows"]
    assert sorted((r["value"], r["visitors"]) for r in channels) == [("Email", 1), ("Organic Social", 2)]


async def test_a_referrer_row_filters_to_all_the_pageviews_of_its_visits(client, sources_site) -> None:
    """"news.ycombinator.com — 1 visitor, 3 pageviews" gives a page of 3 pageviews, not 1."""
    site, hn = sources_site, "filter_referrer=news.ycombinator.com"
    stats = (await get_json(client, f"/api/websites/{site}/stats?{hn}"))["data"]
    assert (stats["pageviews"], stats["visitors"], stats["sessions"], stats["bounce_rate"]) == (3, 1, 1, 0.0)
    pages = (await get_json(client, f"/api/websites/{site}/metrics?type=page&{hn}"))["data"]["rows"]
    assert sorted((r["value"], r["pageviews"]) for r in pages) == [("/", 1), ("/docs", 1), ("/pricing", 1)]
    series = (await get_json(client, f"/api/websites/{site}/pageviews?{hn}"))["data"]["series"]
    assert sum(point["pageviews"] for point in series) == 3
    sessions = (await get_json(client, f"/api/websites/{site}/sessions?{hn}"))["data"]
    assert [(s["pageview_count"], s["entry_page"], s["exit_page"]) for s in sessions] == [(3, "/", "/docs")]
    # An event-level filter still narrows within those visits.
    pricing = (await get_json(client, f"/api/websites/{site}/stats?{hn}&filter_page=/pricing"))["data"]
    assert (pricing["pageviews"], pricing["sessions"]) == (1, 1)


@pytest.mark.parametrize("breakdown", ["referrer", "channel", "utm_source", "utm_medium"])
async def test_every_source_row_filters_to_its_own_numbers(client, sources_site, breakdown) -> None:
    """Sources add up: each row of a source breakdown, used as a filter, gives the
    row's visitors and pageviews, and the rows sum to the unfiltered totals."""
    site = sources_site
    rows = (await get_json(client, f"/api/websites/{site}/metrics?type={breakdown}"))["data"]["rows"]
    total = (await get_json(client, f"/api/websites/{site}/stats"))["data"]
    if breakdown in ("referrer", "channel"):  # every visit has one
        assert sum(r["pageviews"] for r in rows) == total["pageviews"]
    for row in rows:
        stats = (await get_json(client, f"/api/websites/{site}/stats?filter_{breakdown}={row['value']}"))["data"]
        assert (stats["visitors"], stats["pageviews"]) == (row["visitors"], row["pageviews"]), row


async def test_filter_channel_selects_visits_by_their_channel(client, sources_site) -> None:
    site = sources_site
    social = (await get_json(client, f"/api/websites/{site}/stats?filter_channel=Organic%20Social"))["data"]
    assert (social["pageviews"], social["visitors"], social["sessions"]) == (4, 2, 2)
    email = (await get_json(client, f"/api/websites/{site}/metrics?type=page&filter_channel=Email"))["data"]["rows"]
    assert [(r["value"], r["pageviews"]) for r in email] == [("/", 1)]
    none = (await get_json(client, f"/api/websites/{site}/stats?filter_channel=Paid%20Search"))["data"]
    assert (none["pageviews"], none["sessions"]) == (0, 0)


FILTERED_ROUTES = [
    "stats", "pageviews", "metrics?type=page", "events", "events/properties?event_name=signup",
    "events/timeseries?event_name=signup", "sessions", "funnels/{funnel}/results",
    "journey?anchor_type=page&anchor_value=/&direction=next&start_date={today}&end_date={today}",
    "retention?start_date={today}&end_date={today}",
]
STRICT_FILTER_ROUTES = {"funnels/{funnel}/results", FILTERED_ROUTES[8], FILTERED_ROUTES[9]}


@pytest.fixture
async def funnel(client, sources_site) -> str:
    response = await client.post(
        f"/api/websites/{sources_site}/funnels",
        json={"name": "Read", "steps": [{"step_type": "page_view", "match_value": "/"}, {"step_type": "page_view", "match_value": "/docs"}]},
    )
    assert response.status_code == 201, await response.get_data(as_text=True)
    return (await response.get_json())["data"]["id"]


@pytest.mark.parametrize("route", FILTERED_ROUTES)
async def test_every_route_with_filters_takes_filter_channel(client, sources_site, funnel, today, route) -> None:
    path = f"/api/websites/{sources_site}/" + route.format(funnel=funnel, today=today)
    joiner = "&" if "?" in path else "?"
    matching = await get_json(client, f"{path}{joiner}filter_channel=Organic%20Social")
    missing = await get_json(client, f"{path}{joiner}filter_channel=Display")
    assert matching != missing  # the filter reached the report
    if route in STRICT_FILTER_ROUTES:
        await assert_error(await client.get(f"{path}{joiner}filter_channel=%20"), 400, "validation_error", "filter_channel cannot be empty when provided")
        await assert_error(await client.get(f"{path}{joiner}filter_channel={'x' * 65}"), 400, "validation_error", "filter_channel is too long (max 64 characters)")


# ---------------------------------------------------------------------------------------
# Strict dates (Decision 19)
# ---------------------------------------------------------------------------------------

# Every route that takes start_date/end_date; {funnel} and {share} are filled in below.
DATED_ROUTES = [
    "/api/websites/{site}/stats",
    "/api/websites/{site}/pageviews",
    "/api/websites/{site}/metrics?type=page",
    "/api/websites/{site}/events",
    "/api/websites/{site}/events/properties?event_name=signup",
    "/api/websites/{site}/events/timeseries?event_name=signup",
    "/api/websites/{site}/sessions",
    "/api/websites/{site}/funnels/{funnel}/results",
    "/api/websites/{site}/journey?anchor_type=page&anchor_value=/&direction=next",
    "/api/websites/{site}/retention",
    "/api/websites/{site}/export",
    "/api/share/{share}/stats",
    "/api/share/{share}/pageviews",
    "/api/share/{share}/metrics?type=page",
    "/api/share/{share}/overview",
]
# Routes whose dates are required; every other one falls back to its default range.
REQUIRED_DATES = {"journey", "retention", "export"}


@pytest.fixture
async def dated_paths(client, site) -> dict[str, str]:
    funnel = await client.post(
        f"/api/websites/{site}/funnels",
        json={"name": "Buy", "steps": [{"step_type": "page_view", "match_value": "/"}, {"step_type": "page_view", "match_value": "/pricing"}]},
    )
    share = await client.post(f"/api/websites/{site}/share")
    ids = {"site": site, "funnel": (await funnel.get_json())["data"]["id"], "share": (await share.get_json())["data"]["share_id"]}
    return {route: route.format(**ids) for route in DATED_ROUTES}


@pytest.mark.parametrize("route", DATED_ROUTES)
@pytest.mark.parametrize(
    ("dates", "message", "field"),
    [
        ("start_date=garbage&end_date={today}", "invalid start_date (expected YYYY-MM-DD)", "start_date"),
        ("start_date=2026-02-30&end_date={today}", "invalid start_date (expected YYYY-MM-DD)", "start_date"),
        ("start_date={today}&end_date=2026-02-30", "invalid end_date (expected YYYY-MM-DD)", "end_date"),
        ("start_date={today}&end_date=tomorrow", "invalid end_date (expected YYYY-MM-DD)", "end_date"),
    ],
)
async def test_a_bad_date_is_a_400_on_every_route(client, dated_paths, today, route, dates, message, field) -> None:
    path = dated_paths[route]
    joiner = "&" if "?" in path else "?"
    response = await client.get(f"{path}{joiner}{dates.format(today=today)}")
    await assert_error(response, 400, "validation_error", message, field)


@pytest.mark.parametrize("route", DATED_ROUTES)
async def test_period_24h_on_every_route_that_takes_a_date_range(client, dated_paths, route) -> None:
    path = dated_paths[route]
    joiner = "&" if "?" in path else "?"
    response = await client.get(f"{path}{joiner}period=24h")
    if any(f"/{name}" in route for name in REQUIRED_DATES):
        message = "period is not supported here; give start_date and end_date"
        await assert_error(response, 400, "validation_error", message, "period")
    else:
        assert response.status_code == 200, await response.get_data(as_text=True)
        both = await client.get(f"{path}{joiner}period=24h&start_date=2026-03-01")
        await assert_error(both, 400, "validation_error", "period cannot be combined with start_date", "period")


async def test_period_24h_counts_what_just_arrived(client, sources_site) -> None:
    site = sources_site
    week = (await get_json(client, f"/api/websites/{site}/stats"))["data"]
    day = (await get_json(client, f"/api/websites/{site}/stats?period=24h"))["data"]
    assert day["pageviews"] == week["pageviews"] > 0
    series = (await get_json(client, f"/api/websites/{site}/pageviews?period=24h"))["data"]["series"]
    assert len(series) in (24, 25)
    assert sum(point["pageviews"] for point in series) == day["pageviews"]
    assert series[-1]["pageviews"] > 0 or series[-2]["pageviews"] > 0


@pytest.mark.parametrize("route", DATED_ROUTES)
async def test_missing_dates_keep_each_routes_default(client, dated_paths, today, route) -> None:
    response = await client.get(dated_paths[route])
    if any(f"/{name}" in route for name in REQUIRED_DATES):
        await assert_error(response, 400, "validation_error", "start_date is required", "start_date")
    else:
        assert response.status_code == 200, await response.get_data(as_text=True)
