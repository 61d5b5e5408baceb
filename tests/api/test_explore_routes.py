"""Journey and retention over HTTP (API.md §1.10, §1.11), on data sent through collect.

The reports' arithmetic is tested in ``tests/queries``; these tests check the routes:
wiring, envelope, the order and exact text of every 400, the 404, and the slot pools.

The data (today, UTC website, human browser):
  visitor A (203.0.113.1): pageview /, pageview /Pricing/?plan=pro, event signup (one batch)
  visitor B (203.0.113.2): pageview /
"""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import pytest
import trio

from sparklytics.report_slots import ReportSlots
from tests.api.helpers import assert_error, create_website, custom_event, pageview, send, stored_events

# Well-formed dates for the error cases; tests that read data use the ``today`` fixture.
TODAY = datetime.now(timezone.utc).date()
RANGE = f"start_date={TODAY}&end_date={TODAY}"
JOURNEY = f"{RANGE}&anchor_type=page&anchor_value=/&direction=next"


@pytest.fixture
async def site(client, services) -> str:
    website = await create_website(client)
    await send(client, [pageview(website, "https://example.com/"), pageview(website, "https://example.com/Pricing/?plan=pro"),
                        custom_event(website, "signup")], ip="203.0.113.1")
    await send(client, pageview(website, "https://example.com/"), ip="203.0.113.2")
    assert len(await stored_events(services)) == 4
    return website


async def get_data(client, path: str) -> dict:
    response = await client.get(path)
    assert response.status_code == 200, await response.get_data(as_text=True)
    body = await response.get_json()
    assert set(body) == {"data"}
    return body["data"]


@pytest.fixture
def today() -> date:
    """The UTC date when the test starts; not at import, which may be before midnight."""
    return datetime.now(timezone.utc).date()


async def test_journey(client, site, today) -> None:
    journey = JOURNEY.replace(str(TODAY), str(today))
    data = await get_data(client, f"/api/websites/{site}/journey?{journey}")
    assert data == {
        "anchor": {"type": "page", "value": "/"},
        "direction": "next",
        "max_depth": 3,
        "total_anchor_sessions": 2,
        "branches": [
            {"nodes": [], "sessions": 1, "share": 0.5},  # B
            {"nodes": ["/pricing", "signup"], "sessions": 1, "share": 0.5},  # A, in batch order
        ],
    }
    back = await get_data(client, f"/api/websites/{site}/journey?start_date={today}&end_date={today}&anchor_type=event&anchor_value=signup"
                                   "&direction=previous&max_depth=1")
    assert (back["anchor"], back["max_depth"], back["branches"]) == (
        {"type": "event", "value": "signup"}, 1, [{"nodes": ["/pricing"], "sessions": 1, "share": 1.0}]
    )


async def test_retention(client, site, today) -> None:
    today_only = f"start_date={today}&end_date={today}"
    data = await get_data(client, f"/api/websites/{site}/retention?{today_only}")
    monday = today - timedelta(days=today.weekday())
    assert data == {
        "granularity": "week",
        "max_periods": 8,
        "rows": [
            {
                "cohort_start": monday.isoformat(),
                "cohort_size": 2,
                "periods": [{"offset": 0, "retained": 2, "rate": 1.0}]
                + [{"offset": k, "retained": 0, "rate": 0.0} for k in range(1, 8)],
            }
        ],
        "summary": {"avg_period1_rate": 0.0, "avg_period4_rate": 0.0},
    }
    daily = await get_data(client, f"/api/websites/{site}/retention?{today_only}&cohort_granularity=day&max_periods=2"
                                    "&filter_page=Pricing")
    assert daily["rows"] == [{"cohort_start": today.isoformat(), "cohort_size": 1,
                              "periods": [{"offset": 0, "retained": 1, "rate": 1.0},
                                          {"offset": 1, "retained": 0, "rate": 0.0}]}]
    assert daily["summary"] == {"avg_period1_rate": 0.0, "avg_period4_rate": None}


def _without(query: str, name: str) -> str:
    return "&".join(part for part in query.split("&") if not part.startswith(f"{name}="))


YESTERDAY = TODAY - timedelta(days=1)

JOURNEY_ERRORS = [
    (_without(JOURNEY, "anchor_type"), "anchor_type is required", "anchor_type"),
    (JOURNEY.replace("anchor_type=page", "anchor_type=url"), "anchor_type must be either 'page' or 'event'", "anchor_type"),
    (_without(JOURNEY, "anchor_value"), "anchor_value is required", "anchor_value"),
    (JOURNEY.replace("anchor_value=/", "anchor_value=%20%20"), "anchor_value is required", "anchor_value"),
    (JOURNEY.replace("anchor_value=/", "anchor_value=/" + "a" * 500), "anchor_value must be at most 500 characters", "anchor_value"),
    (_without(JOURNEY, "direction"), "direction is required", "direction"),
    (JOURNEY.replace("direction=next", "direction=up"), "direction must be either 'next' or 'previous'", "direction"),
    (f"{JOURNEY}&max_depth=0", "max_depth must be between 1 and 5", "max_depth"),
    (f"{JOURNEY}&max_depth=6", "max_depth must be between 1 and 5", "max_depth"),
    (f"{JOURNEY}&max_depth=deep", "max_depth must be between 1 and 5", "max_depth"),
    (_without(JOURNEY, "start_date"), "start_date is required", "start_date"),
    (_without(JOURNEY, "end_date"), "end_date is required", "end_date"),
    (JOURNEY.replace(f"start_date={TODAY}", "start_date=today"), "invalid start_date (expected YYYY-MM-DD)", "start_date"),
    (JOURNEY.replace(f"end_date={TODAY}", f"end_date={YESTERDAY}"), "end_date must be on or after start_date", "end_date"),
    (f"{JOURNEY}&filter_country=%20", "filter_country cannot be empty when provided", "filter_country"),
    (f"{JOURNEY}&filter_page={'p' * 513}", "filter_page is too long (max 512 characters)", "filter_page"),
    (f"{JOURNEY}&filter_planet=mars", "unknown filter: filter_planet", "filter_planet"),
    (f"{JOURNEY}&timezone=Mars/Olympus", "invalid timezone", "timezone"),
    (f"{JOURNEY}&timezone=%20", "timezone cannot be empty when provided", "timezone"),
    (f"{JOURNEY}&include_bots=maybe", "include_bots must be one of: true, false, 1, 0", "include_bots"),
]


@pytest.mark.parametrize(("query", "message", "field"), JOURNEY_ERRORS)
async def test_journey_errors(client, query: str, message: str, field: str) -> None:
    website = await create_website(client)
    response = await client.get(f"/api/websites/{website}/journey?{query}")
    await assert_error(response, 400, "validation_error", message, field)


RETENTION_ERRORS = [
    (f"{RANGE}&cohort_granularity=year", "cohort_granularity must be one of: day, week, month", "cohort_granularity"),
    (f"{RANGE}&cohort_granularity=day&max_periods=31", "max_periods must be between 1 and 30 for daily granularity", "max_periods"),
    (f"{RANGE}&max_periods=13", "max_periods must be between 1 and 12 for weekly granularity", "max_periods"),
    (f"{RANGE}&cohort_granularity=month&max_periods=0", "max_periods must be between 1 and 12 for monthly granularity", "max_periods"),
    (f"{RANGE}&max_periods=many", "max_periods must be between 1 and 12 for weekly granularity", "max_periods"),
    (f"end_date={TODAY}", "start_date is required", "start_date"),
    (f"start_date={TODAY}", "end_date is required", "end_date"),
    (f"start_date={TODAY}&end_date=2026-02-30", "invalid end_date (expected YYYY-MM-DD)", "end_date"),
    (f"start_date={TODAY}&end_date={YESTERDAY}", "end_date must be on or after start_date", "end_date"),
    (f"{RANGE}&filter_browser=", "filter_browser cannot be empty when provided", "filter_browser"),
    (f"{RANGE}&filter_hostname={'h' * 256}", "filter_hostname is too long (max 255 characters)", "filter_hostname"),
    (f"{RANGE}&timezone=Europe/Atlantis", "invalid timezone", "timezone"),
    (f"{RANGE}&timezone=", "timezone cannot be empty when provided", "timezone"),
]


@pytest.mark.parametrize(("query", "message", "field"), RETENTION_ERRORS)
async def test_retention_errors(client, query: str, message: str, field: str) -> None:
    website = await create_website(client)
    response = await client.get(f"/api/websites/{website}/retention?{query}")
    await assert_error(response, 400, "validation_error", message, field)


async def test_report_options_are_checked_before_the_shared_parameters(client) -> None:
    website = await create_website(client)
    # Both the anchor and the dates are missing: the anchor is reported.
    await assert_error(await client.get(f"/api/websites/{website}/journey"), 400, "validation_error", "anchor_type is required")
    await assert_error(await client.get(f"/api/websites/{website}/retention?cohort_granularity=hour"),
                       400, "validation_error", "cohort_granularity must be one of: day, week, month")


@pytest.mark.parametrize("route", ["journey", "retention"])
async def test_unknown_website_is_404_before_any_parameter(client, route: str) -> None:
    response = await client.get(f"/api/websites/site_nope000/{route}?anchor_type=url")
    await assert_error(response, 404, "not_found", "Website not found")


@pytest.mark.parametrize(("route", "pool", "query"), [("journey", "journeys", JOURNEY), ("retention", "retention", RANGE)])
async def test_a_full_slot_pool_is_429(client, services, route: str, pool: str, query: str) -> None:
    website = await create_website(client)
    slots = ReportSlots(1, wait=0.05)
    setattr(services, pool, slots)
    held, release = trio.Event(), trio.Event()

    async def hold_the_only_slot() -> None:
        async with slots.hold():
            held.set()
            await release.wait()

    async with trio.open_nursery() as nursery:
        nursery.start_soon(hold_the_only_slot)
        await held.wait()
        response = await client.get(f"/api/websites/{website}/{route}?{query}")
        release.set()
    await assert_error(response, 429, "rate_limited")
    assert response.headers["Retry-After"] == "2"
    assert (await client.get(f"/api/websites/{website}/{route}?{query}")).status_code == 200
