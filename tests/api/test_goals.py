"""Goals over HTTP (API.md §1.8): CRUD, every 400/404/422, the limit, and the reports on
events sent through /api/collect:

  A (203.0.113.1): pageview / ?utm_source=newsletter&utm_medium=email, pageview /pricing,
                   event purchase {"amount": 20}
  B (203.0.113.2): pageview / from news.ycombinator.com, event purchase {"amount": "5.5"}
  C (203.0.113.3): pageview /

The arithmetic of every match and value mode is in ``tests/stores/test_goals.py``.
"""

from __future__ import annotations

import re

import pytest

from sparklytics.goals import MAX_GOALS_PER_WEBSITE
from tests.api.helpers import assert_error, create_website, custom_event, pageview, send, stored_events

PURCHASE = {"name": "Purchase", "goal_type": "event", "match_value": "purchase", "value_mode": "event_property",
            "value_property_key": "amount", "currency": "EUR"}
PRICING = {"name": "Pricing", "goal_type": "page_view", "match_value": "/pricing"}
TIMESTAMP = re.compile(r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}(\.\d{1,6})?$")


async def create_goal(client, website: str, body: dict) -> dict:
    response = await client.post(f"/api/websites/{website}/goals", json=body)
    assert response.status_code == 201, await response.get_data(as_text=True)
    return (await response.get_json())["data"]


async def get_data(client, path: str) -> dict:
    response = await client.get(path)
    assert response.status_code == 200, await response.get_data(as_text=True)
    return (await response.get_json())["data"]


@pytest.fixture
async def site(client) -> str:
    return await create_website(client)


@pytest.fixture
async def shop(client, services, site) -> str:
    for event, ip in [
        (pageview(site, "https://example.com/?utm_source=newsletter&utm_medium=email"), "203.0.113.1"),
        (pageview(site, "https://example.com/pricing"), "203.0.113.1"),
        (custom_event(site, "purchase", {"amount": 20}), "203.0.113.1"),
        (pageview(site, "https://example.com/", referrer="https://news.ycombinator.com/item"), "203.0.113.2"),
        (custom_event(site, "purchase", {"amount": "5.5"}), "203.0.113.2"),
        (pageview(site, "https://example.com/"), "203.0.113.3"),
    ]:
        response = await send(client, event, ip=ip)
        assert response.status_code == 202, await response.get_data(as_text=True)
    assert len(await stored_events(services)) == 6
    return site


async def test_crud(client, site) -> None:
    goal = await create_goal(client, site, {**PURCHASE, "fixed_value": 3})
    assert re.fullmatch(r"goal_[0-9a-z]{21}", goal["id"])
    assert {k: goal[k] for k in PURCHASE} == PURCHASE
    # The fixed value does not belong to the event_property mode: stored as null.
    assert (goal["fixed_value"], goal["match_operator"], goal["website_id"]) == (None, "equals", site)
    assert TIMESTAMP.match(goal["created_at"]) and goal["updated_at"] == goal["created_at"]
    second = await create_goal(client, site, PRICING)
    assert [g["id"] for g in await get_data(client, f"/api/websites/{site}/goals")] == [second["id"], goal["id"]]

    response = await client.put(f"/api/websites/{site}/goals/{goal['id']}", json={"value_mode": "fixed", "fixed_value": 9.5})
    updated = (await response.get_json())["data"]
    assert (updated["value_mode"], updated["fixed_value"], updated["value_property_key"]) == ("fixed", 9.5, None)

    assert (await client.delete(f"/api/websites/{site}/goals/{goal['id']}")).status_code == 204
    await assert_error(await client.delete(f"/api/websites/{site}/goals/{goal['id']}"), 404, "not_found", "Goal not found")
    assert [g["id"] for g in await get_data(client, f"/api/websites/{site}/goals")] == [second["id"]]


@pytest.mark.parametrize(
    "body,message,field",
    [
        ({**PRICING, "name": " "}, "name must not be empty", "name"),
        ({**PRICING, "name": "x" * 101}, "name must be at most 100 bytes", "name"),
        ({**PRICING, "match_value": ""}, "match_value must not be empty", "match_value"),
        ({**PRICING, "match_value": "/" * 501}, "match_value must be at most 500 characters", "match_value"),
        ({**PRICING, "value_mode": "fixed", "fixed_value": -1}, "fixed_value must be a number >= 0", "fixed_value"),
        ({**PRICING, "value_mode": "fixed"}, "fixed_value is required when value_mode is fixed", "fixed_value"),
        ({**PRICING, "value_mode": "event_property"},
         "value_property_key is required when value_mode is event_property", "value_property_key"),
        ({**PRICING, "currency": "TOOLONGCUR"}, "currency must be 1 to 8 characters", "currency"),
    ],
)
async def test_each_422(client, site, body, message, field) -> None:
    response = await client.post(f"/api/websites/{site}/goals", json=body)
    await assert_error(response, 422, "validation_error", message, field)


async def test_model_422s(client, site) -> None:
    await assert_error(await client.post(f"/api/websites/{site}/goals", json={**PRICING, "goal_type": "click"}),
                       422, "validation_error", field="goal_type")
    await assert_error(await client.post(f"/api/websites/{site}/goals", json={**PRICING, "extra": 1}),
                       422, "validation_error", field="extra")
    goal = await create_goal(client, site, PRICING)
    # goal_type cannot change.
    response = await client.put(f"/api/websites/{site}/goals/{goal['id']}", json={"goal_type": "event"})
    await assert_error(response, 422, "validation_error", field="goal_type")
    response = await client.put(f"/api/websites/{site}/goals/{goal['id']}", json={})
    await assert_error(response, 400, "validation_error", "request must include at least one updatable field")


async def test_names_are_unique_and_fifty_is_the_limit(client, site) -> None:
    await create_goal(client, site, PRICING)
    response = await client.post(f"/api/websites/{site}/goals", json=PRICING)
    await assert_error(response, 422, "duplicate_name", "goal name already exists for this website", "name")
    for n in range(1, MAX_GOALS_PER_WEBSITE):
        await create_goal(client, site, {**PRICING, "name": f"Goal {n}"})
    response = await client.post(f"/api/websites/{site}/goals", json={**PRICING, "name": "One more"})
    await assert_error(response, 422, "limit_exceeded", "maximum of 50 goals per website reached", "goals")


async def test_404s(client, site) -> None:
    for method, path in [
        ("get", "/api/websites/site_nope/goals"),
        ("post", "/api/websites/site_nope/goals"),
        ("get", "/api/websites/site_nope/goals/goal_x/stats"),
        ("get", "/api/websites/site_nope/attribution?goal_id=goal_x"),
    ]:
        await assert_error(await getattr(client, method)(path, json=PRICING if method == "post" else None),
                           404, "not_found", "Website not found")
    for response in [
        await client.put(f"/api/websites/{site}/goals/goal_x", json={"name": "x"}),
        await client.delete(f"/api/websites/{site}/goals/goal_x"),
        await client.get(f"/api/websites/{site}/goals/goal_x/stats"),
        await client.get(f"/api/websites/{site}/attribution?goal_id=goal_x"),
        await client.get(f"/api/websites/{site}/revenue/summary?goal_id=goal_x"),
    ]:
        await assert_error(response, 404, "not_found", "Goal not found")


async def test_query_400s(client, site) -> None:
    goal = await create_goal(client, site, PRICING)
    base = f"/api/websites/{site}"
    await assert_error(await client.get(f"{base}/attribution"), 400, "validation_error", "goal_id is required", "goal_id")
    await assert_error(await client.get(f"{base}/attribution?goal_id={goal['id']}&model=linear"), 400,
                       "validation_error", "model must be one of: first_touch, last_touch", "model")
    await assert_error(await client.get(f"{base}/goals/{goal['id']}/stats?start_date=2026-02-30"), 400,
                       "validation_error", "invalid start_date (expected YYYY-MM-DD)")
    await assert_error(await client.get(f"{base}/stats?filter_goal=goal_nope"), 400, "validation_error",
                       "filter_goal does not name a goal of this website", "filter_goal")


async def test_goal_reports(client, shop) -> None:
    purchase = await create_goal(client, shop, PURCHASE)
    pricing = await create_goal(client, shop, PRICING)
    base = f"/api/websites/{shop}"

    stats = await get_data(client, f"{base}/goals/{purchase['id']}/stats")
    assert (stats["conversions"], stats["converting_sessions"], stats["total_sessions"]) == (2, 2, 3)
    assert stats["conversion_rate"] == pytest.approx(2 / 3)
    # Nothing happened the week before: the prev fields are null.
    assert (stats["prev_conversions"], stats["prev_conversion_rate"], stats["trend_pct"]) == (None, None, None)

    panel = await get_data(client, f"{base}/goals/conversions")
    assert panel["visitors"] == 3
    assert [(r["goal_id"], r["visitors"], r["conversions"], r["conversion_rate"], r["revenue"], r["currency"])
            for r in panel["rows"]] == [
        (purchase["id"], 2, 2, 66.7, 25.5, "EUR"),
        (pricing["id"], 1, 1, 33.3, None, None),
    ]

    attribution = await get_data(client, f"{base}/attribution?goal_id={purchase['id']}")
    assert attribution["rows"] == [
        {"channel": "newsletter / email", "conversions": 1, "revenue": 20.0, "share": 0.5},
        {"channel": "news.ycombinator.com / referral", "conversions": 1, "revenue": 5.5, "share": 0.5},
    ]
    assert attribution["totals"] == {"conversions": 2, "revenue": 25.5}
    summary = await get_data(client, f"{base}/revenue/summary?goal_id={purchase['id']}&model=first_touch")
    assert summary == {"goal_id": purchase["id"], "model": "first_touch", "conversions": 2, "revenue": 25.5}


async def test_filter_goal_narrows_every_report_to_converting_visits(client, shop) -> None:
    purchase = await create_goal(client, shop, PURCHASE)
    base = f"/api/websites/{shop}"
    goal = f"filter_goal={purchase['id']}"
    stats = await get_data(client, f"{base}/stats?{goal}")
    # A's and B's sessions: 3 pageviews, 2 visitors; C never bought.
    assert (stats["pageviews"], stats["visitors"], stats["sessions"]) == (3, 2, 2)
    pages = await get_data(client, f"{base}/metrics?type=page&{goal}")
    assert sorted((r["value"], r["pageviews"]) for r in pages["rows"]) == [("/", 2), ("/pricing", 1)]
    series = await get_data(client, f"{base}/pageviews?{goal}")
    assert sum(point["pageviews"] for point in series["series"]) == 3


async def test_goals_go_with_their_website(client, services, site) -> None:
    await create_goal(client, site, PRICING)
    assert (await client.delete(f"/api/websites/{site}")).status_code == 204

    def goals_left(cur):
        return cur.execute("SELECT count(*) FROM goals WHERE website_id = ?", [site]).fetchone()[0]

    assert await services.db.read(goals_left) == 0
