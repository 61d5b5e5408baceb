"""Restricted CORS on the query API, open CORS on collect (API.md §1.0).

Listed origins are echoed, others get no ``Access-Control-Allow-Origin``; credentials
are never allowed; the auth layer sits outside CORS, so a preflight without
credentials gets the auth error and no CORS headers.
"""

from __future__ import annotations

import pytest

from tests.api.helpers import BROWSER_HEADERS, assert_error, create_website, pageview
from tests.auth.support import LOCAL, NONE, config_for, create_key, signed_in, with_cookie, with_key

APP_ORIGIN = "https://app.example.com"
OTHER_ORIGIN = "https://dash.example.org"
EVIL_ORIGIN = "https://evil.example.net"
ORIGINS = {"SPARKLYTICS_CORS_ORIGINS": f"{APP_ORIGIN}, {OTHER_ORIGIN}"}


@pytest.fixture
def config(data_dir, request):
    """Settings in the mode the test asks for (none mode with two listed origins by default)."""
    return config_for(data_dir, request, default={**NONE, **ORIGINS})


def mode(env: dict[str, str], name: str):
    return pytest.mark.parametrize("config", [env], indirect=True, ids=[name])


def preflight(origin: str, method: str = "GET", headers: str = "authorization, content-type") -> dict[str, str]:
    return {"Origin": origin, "Access-Control-Request-Method": method, "Access-Control-Request-Headers": headers}


def assert_no_cors(response) -> None:
    assert "Access-Control-Allow-Origin" not in response.headers
    assert "Access-Control-Allow-Credentials" not in response.headers


async def test_a_listed_origin_is_echoed(client) -> None:
    for origin in (APP_ORIGIN, OTHER_ORIGIN):
        response = await client.get("/api/websites", headers={"Origin": origin})
        assert response.status_code == 200
        assert response.headers["Access-Control-Allow-Origin"] == origin
        assert "Origin" in response.headers["Vary"]
        assert "Access-Control-Allow-Credentials" not in response.headers


async def test_an_unlisted_origin_gets_no_cors_headers(client) -> None:
    response = await client.get("/api/websites", headers={"Origin": EVIL_ORIGIN})
    assert response.status_code == 200  # CORS is enforced by the browser, not by refusing
    assert_no_cors(response)
    assert "Origin" in response.headers["Vary"]


async def test_a_request_without_origin_gets_no_cors_headers(client) -> None:
    assert_no_cors(await client.get("/api/websites"))


async def test_preflight_for_a_listed_origin(client) -> None:
    response = await client.options("/api/websites", headers=preflight(APP_ORIGIN, "POST"))
    assert response.status_code == 204
    assert response.headers["Access-Control-Allow-Origin"] == APP_ORIGIN
    assert response.headers["Access-Control-Allow-Methods"] == "GET, POST, PUT, DELETE"
    assert response.headers["Access-Control-Allow-Headers"] == "authorization, content-type"
    assert "Access-Control-Allow-Credentials" not in response.headers


async def test_preflight_for_an_unlisted_origin(client) -> None:
    response = await client.options("/api/websites", headers=preflight(EVIL_ORIGIN))
    assert response.status_code == 204
    assert_no_cors(response)
    assert "Access-Control-Allow-Methods" not in response.headers


async def test_errors_after_the_guard_carry_cors_headers(client) -> None:
    """A listed dashboard must be able to read a 404 or a 400 from the API."""
    response = await client.get("/api/websites/site_missing0", headers={"Origin": APP_ORIGIN})
    await assert_error(response, 404, "not_found", "Website not found")
    assert response.headers["Access-Control-Allow-Origin"] == APP_ORIGIN


@mode(NONE, "none-no-origins")
async def test_an_empty_list_means_same_origin_only(client) -> None:
    for origin in (APP_ORIGIN, EVIL_ORIGIN, "null"):
        assert_no_cors(await client.get("/api/websites", headers={"Origin": origin}))
        assert_no_cors(await client.options("/api/websites", headers=preflight(origin)))


@mode({**NONE, "SPARKLYTICS_CORS_ORIGINS": "https://App.Example.com/"}, "none-mixed-case")
async def test_origins_compare_case_insensitively(client) -> None:
    response = await client.get("/api/websites", headers={"Origin": APP_ORIGIN})
    assert response.headers["Access-Control-Allow-Origin"] == APP_ORIGIN


async def test_collect_is_open_to_every_origin(client) -> None:
    # Decision 20: collect reads no cookies, so it echoes any origin with credentials.
    site = await create_website(client)
    response = await client.post("/api/collect", json=pageview(site), headers={**BROWSER_HEADERS, "Origin": EVIL_ORIGIN})
    assert response.status_code == 202
    assert response.headers["Access-Control-Allow-Origin"] == EVIL_ORIGIN
    assert response.headers["Access-Control-Allow-Credentials"] == "true"
    pre = await client.options("/api/collect", headers=preflight(EVIL_ORIGIN, "POST", "content-type"))
    assert pre.status_code == 204 and pre.headers["Access-Control-Allow-Origin"] == EVIL_ORIGIN


# --- with auth on: the auth layer is outside CORS ---------------------------------------


@mode({**LOCAL, **ORIGINS}, "local")
async def test_an_unauthenticated_preflight_gets_the_auth_error(client) -> None:
    await signed_in(client)
    response = await client.options("/api/websites", headers=preflight(APP_ORIGIN))
    await assert_error(response, 401, "unauthorized", "Not authenticated")
    assert_no_cors(response)


@mode({**LOCAL, **ORIGINS}, "local")
async def test_before_setup_the_preflight_gets_setup_required(client) -> None:
    response = await client.options("/api/websites", headers=preflight(APP_ORIGIN))
    await assert_error(response, 403, "setup_required")
    assert_no_cors(response)


@mode({**LOCAL, **ORIGINS}, "local")
async def test_authenticated_calls_from_a_listed_origin(client) -> None:
    token = await signed_in(client)
    key = (await create_key(client, token))["key"]
    response = await client.get("/api/websites", headers=with_key(key, Origin=APP_ORIGIN))
    assert response.status_code == 200 and response.headers["Access-Control-Allow-Origin"] == APP_ORIGIN
    evil = await client.get("/api/websites", headers=with_key(key, Origin=EVIL_ORIGIN))
    assert evil.status_code == 200
    assert_no_cors(evil)
    # A preflight that does carry credentials (non-browser clients) passes the guard.
    pre = await client.options("/api/websites", headers=with_key(key, **preflight(APP_ORIGIN)))
    assert pre.status_code == 204 and pre.headers["Access-Control-Allow-Origin"] == APP_ORIGIN


@mode({**LOCAL, **ORIGINS}, "local")
async def test_auth_failures_carry_no_cors_headers(client) -> None:
    await signed_in(client)
    response = await client.get("/api/websites", headers={"Origin": APP_ORIGIN})
    await assert_error(response, 401, "unauthorized")
    assert_no_cors(response)


@mode({**LOCAL, **ORIGINS}, "local")
async def test_auth_routes_have_no_cors_layer(client) -> None:
    token = await signed_in(client)
    for method, path, headers in [
        ("GET", "/api/auth/status", {}),
        ("POST", "/api/auth/login", {}),
        ("GET", "/api/auth/session", with_cookie(token)),
        ("GET", "/api/auth/keys", with_cookie(token)),
    ]:
        response = await client.open(path, method=method, json={"password": "x"}, headers={**headers, "Origin": APP_ORIGIN})
        assert_no_cors(response)
