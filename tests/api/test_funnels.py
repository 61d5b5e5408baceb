"""Funnels over HTTP (API.md §1.9): CRUD, every validation answer, limits, results.

The exact arithmetic of results is tested in ``tests/queries/test_funnels.py``; here
the results route runs on events sent through /api/collect:

  visitor A (203.0.113.1): pageview /, pageview /pricing, event signup
  visitor B (203.0.113.2): event signup, then pageview /   (signup before step 1)
  a bot (curl, 203.0.113.3): pageview /, pageview /pricing

so the funnel / → /pricing → signup is reached by 2, 1, 1 sessions without bots.
"""

from __future__ import annotations

import re

import pytest

from sparklytics.app import create_app
from sparklytics.services import open_services
from tests.api.helpers import assert_error, create_website, custom_event, from_ip, pageview, send, stored_events
from tests.harness import test_config

HOME = {"step_type": "page_view", "match_value": "/"}
PRICING = {"step_type": "page_view", "match_value": "/pricing", "match_operator": "equals", "label": "Pricing"}
SIGNUP = {"step_type": "event", "match_value": "signup"}
FUNNEL = {"name": "Signup", "steps": [HOME, PRICING, SIGNUP]}

TIMESTAMP = re.compile(r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}(\.\d{1,6})?$")


async def create_funnel(client, website: str, body: dict = FUNNEL) -> dict:
    response = await client.post(f"/api/websites/{website}/funnels", json=body)
    assert response.status_code == 201, await response.get_data(as_text=True)
    return (await response.get_json())["data"]


async def get_json(client, path: str, **kw) -> dict:
    response = await client.get(path, **kw)
    assert response.status_code == 200, await response.get_data(as_text=True)
    return await response.get_json()


@pytest.fixture
async def site(client) -> str:
    return await create_website(client)


# ---------------------------------------------------------------------------------------
# CRUD
# ---------------------------------------------------------------------------------------


async def test_create_answers_the_funnel_with_its_steps(client, site) -> None:
    funnel = await create_funnel(client, site)
    assert re.fullmatch(r"fun_[0-9a-z]{21}", funnel["id"])
    assert (funnel["website_id"], funnel["name"]) == (site, "Signup")
    assert TIMESTAMP.match(funnel["created_at"]) and funnel["updated_at"] == funnel["created_at"]
    assert [
        (s["step_order"], s["step_type"], s["match_value"], s["match_operator"], s["label"]) for s in funnel["steps"]
    ] == [
        (1, "page_view", "/", "equals", "/"),  # operator defaults to equals, label to the value
        (2, "page_view", "/pricing", "equals", "Pricing"),
        (3, "event", "signup", "equals", "signup"),
    ]
    for s in funnel["steps"]:
        assert re.fullmatch(r"fstep_[0-9a-z]{21}", s["id"])
        assert s["funnel_id"] == funnel["id"] and TIMESTAMP.match(s["created_at"])
    assert (await get_json(client, f"/api/websites/{site}/funnels/{funnel['id']}"))["data"] == funnel


async def test_values_are_trimmed(client, site) -> None:
    funnel = await create_funnel(
        client, site, {"name": "  Trimmed ", "steps": [{**HOME, "match_value": " / "}, {**SIGNUP, "label": " Done "}]}
    )
    assert funnel["name"] == "Trimmed"
    assert [(s["match_value"], s["label"]) for s in funnel["steps"]] == [("/", "/"), ("signup", "Done")]


async def test_list_is_newest_first_with_step_counts(client, site) -> None:
    first = await create_funnel(client, site, {"name": "First", "steps": [HOME, SIGNUP]})
    second = await create_funnel(client, site)
    body = await get_json(client, f"/api/websites/{site}/funnels")
    assert body == {
        "data": [
            {key: second[key] for key in ("id", "website_id", "name", "created_at", "updated_at")} | {"step_count": 3},
            {key: first[key] for key in ("id", "website_id", "name", "created_at", "updated_at")} | {"step_count": 2},
        ]
    }
    other_site = await create_website(client, name="Other", domain="other.com")
    assert await get_json(client, f"/api/websites/{other_site}/funnels") == {"data": []}


async def test_unknown_funnel_is_404(client, site) -> None:
    base = f"/api/websites/{site}/funnels/fun_missing"
    await assert_error(await client.get(base), 404, "not_found", "Funnel not found")
    await assert_error(await client.put(base, json={"name": "X"}), 404, "not_found", "Funnel not found")
    await assert_error(await client.delete(base), 404, "not_found", "Funnel not found")
    await assert_error(await client.get(f"{base}/results"), 404, "not_found", "Funnel not found")


async def test_a_funnel_of_another_website_is_404(client, site) -> None:
    funnel = await create_funnel(client, site)
    other_site = await create_website(client, name="Other", domain="other.com")
    await assert_error(await client.get(f"/api/websites/{other_site}/funnels/{funnel['id']}"), 404, "not_found", "Funnel not found")


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", ""),
        ("POST", ""),
        ("GET", "/fun_x"),
        ("PUT", "/fun_x"),
        ("DELETE", "/fun_x"),
        ("GET", "/fun_x/results"),
    ],
)
async def test_unknown_website_is_404_on_every_route(client, method, path) -> None:
    response = await client.open(f"/api/websites/site_missing/funnels{path}", method=method, json=FUNNEL)
    await assert_error(response, 404, "not_found", "Website not found")


# ---------------------------------------------------------------------------------------
# Validation
# ---------------------------------------------------------------------------------------

INVALID_BODIES = [
    ({**FUNNEL, "name": "   "}, "name must not be empty", "name"),
    ({**FUNNEL, "name": "n" * 101}, "name must be 100 characters or fewer", "name"),
    ({**FUNNEL, "steps": [HOME]}, "funnels must have between 2 and 8 steps", "steps"),
    ({**FUNNEL, "steps": [HOME] * 9}, "funnels must have between 2 and 8 steps", "steps"),
    ({**FUNNEL, "steps": [HOME, {**SIGNUP, "match_value": " "}]}, "match_value must not be empty", "match_value"),
    ({**FUNNEL, "steps": [HOME, {**SIGNUP, "match_value": "m" * 501}]}, "match_value must be 500 characters or fewer", "match_value"),
    ({**FUNNEL, "steps": [HOME, {**SIGNUP, "label": ""}]}, "label must not be empty", "label"),
    ({**FUNNEL, "steps": [HOME, {**SIGNUP, "label": "l" * 121}]}, "label must be 120 characters or fewer", "label"),
]


@pytest.mark.parametrize(("body", "message", "field"), INVALID_BODIES)
async def test_create_refuses_invalid_funnels(client, site, body, message, field) -> None:
    response = await client.post(f"/api/websites/{site}/funnels", json=body)
    await assert_error(response, 422, "validation_error", message, field)


async def test_the_longest_values_are_accepted(client, site) -> None:
    step = {**SIGNUP, "match_value": "m" * 500, "label": "l" * 120}
    funnel = await create_funnel(client, site, {"name": "n" * 100, "steps": [HOME] + [step] * 7})
    assert len(funnel["steps"]) == 8


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"steps": [HOME, SIGNUP]}, "name"),
        ({**FUNNEL, "steps": [HOME, {**SIGNUP, "step_type": "click"}]}, "steps.1.step_type"),
        ({**FUNNEL, "steps": [HOME, {**SIGNUP, "match_operator": "regex"}]}, "steps.1.match_operator"),
        ({**FUNNEL, "colour": "red"}, "colour"),
        ({**FUNNEL, "name": 7}, "name"),
    ],
)
async def test_malformed_bodies_are_422(client, site, body, field) -> None:
    response = await client.post(f"/api/websites/{site}/funnels", json=body)
    await assert_error(response, 422, "validation_error", field=field)


async def test_create_needs_a_json_body(client, site) -> None:
    response = await client.post(f"/api/websites/{site}/funnels", data="name=x", headers={"Content-Type": "application/x-www-form-urlencoded"})
    await assert_error(response, 415, "unsupported_media_type")


async def test_twenty_funnels_per_website(client, site) -> None:
    for n in range(20):
        await create_funnel(client, site, {**FUNNEL, "name": f"Funnel {n}"})
    response = await client.post(f"/api/websites/{site}/funnels", json={**FUNNEL, "name": "Funnel 20"})
    await assert_error(response, 422, "limit_exceeded", "maximum of 20 funnels per website reached", "funnels")
    # The limit is per website.
    other_site = await create_website(client, name="Other", domain="other.com")
    await create_funnel(client, other_site)


async def test_names_are_unique_per_website(client, site) -> None:
    await create_funnel(client, site)
    second = await create_funnel(client, site, {**FUNNEL, "name": "Checkout"})
    duplicate = await client.post(f"/api/websites/{site}/funnels", json=FUNNEL)
    await assert_error(duplicate, 422, "duplicate_name", "funnel name already exists for this website", "name")
    rename = await client.put(f"/api/websites/{site}/funnels/{second['id']}", json={"name": "Signup"})
    await assert_error(rename, 422, "duplicate_name", "funnel name already exists for this website", "name")
    # Keeping one's own name is no conflict, and names compare exactly.
    assert (await client.put(f"/api/websites/{site}/funnels/{second['id']}", json={"name": "Checkout"})).status_code == 200
    await create_funnel(client, site, {**FUNNEL, "name": "signup"})


# ---------------------------------------------------------------------------------------
# Update and delete
# ---------------------------------------------------------------------------------------


async def test_put_replaces_every_step(client, site) -> None:
    funnel = await create_funnel(client, site)
    response = await client.put(
        f"/api/websites/{site}/funnels/{funnel['id']}",
        json={"steps": [SIGNUP, {"step_type": "page_view", "match_value": "/thanks", "match_operator": "contains"}]},
    )
    assert response.status_code == 200
    updated = (await response.get_json())["data"]
    assert updated["name"] == "Signup" and updated["created_at"] == funnel["created_at"]
    assert updated["updated_at"] >= funnel["updated_at"]
    assert [(s["step_order"], s["match_value"], s["match_operator"]) for s in updated["steps"]] == [
        (1, "signup", "equals"),
        (2, "/thanks", "contains"),
    ]
    assert not {s["id"] for s in updated["steps"]} & {s["id"] for s in funnel["steps"]}
    assert (await get_json(client, f"/api/websites/{site}/funnels/{funnel['id']}"))["data"] == updated
    listed = (await get_json(client, f"/api/websites/{site}/funnels"))["data"]
    assert [f["step_count"] for f in listed] == [2]


async def test_put_name_only_keeps_the_steps(client, site) -> None:
    funnel = await create_funnel(client, site)
    response = await client.put(f"/api/websites/{site}/funnels/{funnel['id']}", json={"name": "Renamed", "steps": None})
    updated = (await response.get_json())["data"]
    assert updated["name"] == "Renamed"
    assert updated["steps"] == funnel["steps"]


async def test_put_needs_a_field(client, site) -> None:
    funnel = await create_funnel(client, site)
    for body in ({}, {"name": None, "steps": None}):
        response = await client.put(f"/api/websites/{site}/funnels/{funnel['id']}", json=body)
        await assert_error(response, 400, "validation_error", "request must include at least one updatable field")


@pytest.mark.parametrize(("body", "message", "field"), INVALID_BODIES)
async def test_put_refuses_invalid_values(client, site, body, message, field) -> None:
    funnel = await create_funnel(client, site, {**FUNNEL, "name": "Original"})
    response = await client.put(f"/api/websites/{site}/funnels/{funnel['id']}", json=body)
    await assert_error(response, 422, "validation_error", message, field)
    assert (await get_json(client, f"/api/websites/{site}/funnels/{funnel['id']}"))["data"] == funnel


async def test_delete_then_get_is_404(client, site) -> None:
    funnel = await create_funnel(client, site)
    kept = await create_funnel(client, site, {**FUNNEL, "name": "Kept"})
    path = f"/api/websites/{site}/funnels/{funnel['id']}"
    response = await client.delete(path)
    assert response.status_code == 204 and await response.get_data() == b""
    await assert_error(await client.get(path), 404, "not_found", "Funnel not found")
    await assert_error(await client.delete(path), 404, "not_found", "Funnel not found")
    assert [f["id"] for f in (await get_json(client, f"/api/websites/{site}/funnels"))["data"]] == [kept["id"]]
    # The name is free again.
    await create_funnel(client, site)


async def test_deleting_the_website_removes_its_funnels(client, services, site) -> None:
    await create_funnel(client, site)
    assert (await client.delete(f"/api/websites/{site}")).status_code == 204
    counts = await services.db.read(
        lambda cur: cur.execute("SELECT (SELECT count(*) FROM funnels), (SELECT count(*) FROM funnel_steps)").fetchone()
    )
    assert counts == (0, 0)


# ---------------------------------------------------------------------------------------
# Results
# ---------------------------------------------------------------------------------------


@pytest.fixture
async def traffic(client, services, site) -> str:
    await send(client, [pageview(site, "https://example.com/"), pageview(site, "https://example.com/pricing"), custom_event(site, "signup")], ip="203.0.113.1")
    await send(client, [custom_event(site, "signup"), pageview(site, "https://example.com/")], ip="203.0.113.2")
    await send(client, [pageview(site, "https://example.com/"), pageview(site, "https://example.com/pricing")], ip="203.0.113.3", headers={"User-Agent": "curl/8.5.0", "Accept": "*/*"})
    assert len(await stored_events(services)) == 7
    return site


async def test_results(client, traffic) -> None:
    funnel = await create_funnel(client, traffic)
    body = await get_json(client, f"/api/websites/{traffic}/funnels/{funnel['id']}/results")
    assert body == {
        "data": {
            "funnel_id": funnel["id"],
            "name": "Signup",
            "total_sessions_entered": 2,
            "final_conversion_rate": 0.5,
            "steps": [
                {"step_order": 1, "label": "/", "sessions_reached": 2, "drop_off_count": 1, "drop_off_rate": 0.5,
                 "conversion_rate_from_start": 1.0, "conversion_rate_from_previous": 1.0},
                {"step_order": 2, "label": "Pricing", "sessions_reached": 1, "drop_off_count": 0, "drop_off_rate": 0.0,
                 "conversion_rate_from_start": 0.5, "conversion_rate_from_previous": 0.5},
                {"step_order": 3, "label": "signup", "sessions_reached": 1, "drop_off_count": 0, "drop_off_rate": 0.0,
                 "conversion_rate_from_start": 0.5, "conversion_rate_from_previous": 1.0},
            ],
        }
    }
    with_bots = (await get_json(client, f"/api/websites/{traffic}/funnels/{funnel['id']}/results?include_bots=true"))["data"]
    assert [s["sessions_reached"] for s in with_bots["steps"]] == [3, 2, 1]


async def test_results_of_a_range_without_events(client, traffic) -> None:
    funnel = await create_funnel(client, traffic)
    data = (await get_json(client, f"/api/websites/{traffic}/funnels/{funnel['id']}/results?start_date=2020-01-01&end_date=2020-01-31"))["data"]
    assert (data["total_sessions_entered"], data["final_conversion_rate"]) == (0, 0.0)
    assert {(s["sessions_reached"], s["drop_off_rate"], s["conversion_rate_from_previous"]) for s in data["steps"]} == {(0, 0.0, 0.0)}


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("start_date=2026-3-1", "invalid start_date (expected YYYY-MM-DD)"),
        ("end_date=tomorrow", "invalid end_date (expected YYYY-MM-DD)"),
        ("start_date=2026-01-01&end_date=2026-04-01", "date range too large: 91 days (max 90)"),
        ("start_date=2026-02-01&end_date=2026-01-01", "end_date must be on or after start_date"),
        ("filter_country=%20", "filter_country cannot be empty when provided"),
        (f"filter_page={'p' * 513}", "filter_page is too long (max 512 characters)"),
        ("timezone=%20", "timezone cannot be empty when provided"),
        ("timezone=Mars/Olympus", "invalid timezone"),
        ("include_bots=maybe", "include_bots must be one of: true, false, 1, 0"),
    ],
)
async def test_results_parameters_are_checked(client, site, query, message) -> None:
    funnel = await create_funnel(client, site)
    response = await client.get(f"/api/websites/{site}/funnels/{funnel['id']}/results?{query}")
    await assert_error(response, 400, "validation_error", message)


# ---------------------------------------------------------------------------------------
# Rate limits
# ---------------------------------------------------------------------------------------


async def results_status(client, site: str, funnel_id: str, ip: str):
    return await client.get(f"/api/websites/{site}/funnels/{funnel_id}/results", scope_base=from_ip(ip))


async def test_results_allow_10_requests_a_minute_per_client(client, site) -> None:
    funnel = await create_funnel(client, site)
    for _ in range(10):
        assert (await results_status(client, site, funnel["id"], "198.51.100.40")).status_code == 200
    limited = await results_status(client, site, funnel["id"], "198.51.100.40")
    await assert_error(limited, 429, "rate_limited", "Rate limit exceeded")
    assert 1 <= int(limited.headers["Retry-After"]) <= 60
    # Another client has its own bucket (the funnel's scope allows 20).
    assert (await results_status(client, site, funnel["id"], "198.51.100.41")).status_code == 200


async def test_results_allow_20_requests_a_minute_per_funnel(client, site) -> None:
    funnel = await create_funnel(client, site)
    for n in range(20):
        assert (await results_status(client, site, funnel["id"], f"198.51.100.{n}")).status_code == 200
    await assert_error(await results_status(client, site, funnel["id"], "198.51.100.99"), 429, "rate_limited")
    # Another funnel of the website is another scope.
    other = await create_funnel(client, site, {**FUNNEL, "name": "Other"})
    assert (await results_status(client, site, other["id"], "198.51.100.99")).status_code == 200


async def test_mutations_allow_30_requests_a_minute_per_client(client, site) -> None:
    funnel = await create_funnel(client, site)
    path = f"/api/websites/{site}/funnels/{funnel['id']}"
    for n in range(30):
        assert (await client.put(path, json={"name": f"Name {n}"}, scope_base=from_ip("198.51.100.50"))).status_code == 200
    limited = await client.put(path, json={"name": "One more"}, scope_base=from_ip("198.51.100.50"))
    await assert_error(limited, 429, "rate_limited")
    assert "Retry-After" in limited.headers


async def test_rate_limit_disable_lifts_the_funnel_limits(data_dir) -> None:
    config = test_config(data_dir, SPARKLYTICS_RATE_LIMIT_DISABLE="true")
    async with open_services(config) as services:
        client = create_app(services).test_client()
        site = await create_website(client)
        funnel = await create_funnel(client, site)
        for _ in range(25):
            assert (await results_status(client, site, funnel["id"], "198.51.100.60")).status_code == 200
