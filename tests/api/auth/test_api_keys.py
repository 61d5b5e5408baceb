"""API keys over HTTP: create, list, use, revoke (API.md §1.17, §4).

Local mode with a custom bootstrap unless a test asks for another mode; no cookie jar.
"""

from __future__ import annotations

import hashlib
import re

import pytest

from sparklytics.auth.guards import auth_state
from tests.api.helpers import assert_error
from tests.auth.support import (
    PASSWORD,
    SHARED_PASSWORD,
    Clock,
    create_key,
    login,
    signed_in,
    use_clock,
    with_cookie,
    with_key,
)

KEY_FIELDS = {"id", "name", "key_prefix", "created_at", "last_used_at", "revoked_at"}


@pytest.fixture
async def clock(app) -> Clock:
    """The auth clock, standing at 2026-03-29 12:00 UTC until a test moves it."""
    return use_clock(app, Clock())


@pytest.fixture
async def token(client, clock) -> str:
    """A signed-in admin session."""
    return await signed_in(client)


async def list_keys(client, token: str, **params) -> dict:
    response = await client.get("/api/auth/keys", headers=with_cookie(token), query_string=params)
    assert response.status_code == 200, await response.get_data(as_text=True)
    return await response.get_json()


async def test_create_shows_the_raw_key_once(client, token, services) -> None:
    response = await client.post("/api/auth/keys", json={"name": "  CI deploys  "}, headers=with_cookie(token))
    assert response.status_code == 201
    data = (await response.get_json())["data"]
    assert set(data) == {"id", "name", "key", "prefix", "created_at"}
    assert re.fullmatch(r"key_[0-9a-z]{10}", data["id"])
    assert re.fullmatch(r"spk_selfhosted_[0-9a-f]{32}", data["key"])
    assert data["prefix"] == data["key"][:20]
    assert data["name"] == "CI deploys"
    assert data["created_at"] == "2026-03-29T12:00:00+00:00"

    stored = await services.db.read(lambda cur: cur.execute("SELECT * FROM local_api_keys").fetchall())
    assert len(stored) == 1
    assert stored[0][2] == hashlib.sha256(data["key"].encode()).hexdigest()  # key_hash
    assert stored[0][3] == data["prefix"]
    assert data["key"] not in repr(stored)  # only the hash is kept

    listed = await list_keys(client, token)
    assert data["key"] not in str(listed)


@pytest.mark.parametrize("name", ["", "   "])
async def test_a_key_needs_a_name(client, token, name: str) -> None:
    response = await client.post("/api/auth/keys", json={"name": name}, headers=with_cookie(token))
    await assert_error(response, 400, "validation_error", "name is required", "name")


async def test_create_body_must_be_json(client, token) -> None:
    await assert_error(await client.post("/api/auth/keys", form={"name": "x"}, headers=with_cookie(token)), 415, "unsupported_media_type")
    await assert_error(await client.post("/api/auth/keys", json={}, headers=with_cookie(token)), 422, "validation_error", field="name")


async def test_list_is_newest_first_with_revoked_keys_and_pagination(client, clock, token) -> None:
    ids = []
    for name in ("one", "two", "three"):
        ids.append((await create_key(client, token, name))["id"])
        clock.advance(minutes=1)
    assert (await client.delete(f"/api/auth/keys/{ids[1]}", headers=with_cookie(token))).status_code == 204

    body = await list_keys(client, token)
    assert [row["id"] for row in body["data"]] == list(reversed(ids))
    assert all(set(row) == KEY_FIELDS for row in body["data"])
    assert body["pagination"] == {"total": 3, "limit": 20, "offset": 0, "has_more": False}
    one, two, three = reversed(body["data"])
    assert one["created_at"] == "2026-03-29 12:00:00" and one["revoked_at"] is None and one["last_used_at"] is None
    assert two["revoked_at"] == "2026-03-29 12:03:00"
    assert three["key_prefix"].startswith("spk_selfhosted_") and len(three["key_prefix"]) == 20

    page = await list_keys(client, token, limit="2", offset="1")
    assert [row["id"] for row in page["data"]] == [ids[1], ids[0]]
    assert page["pagination"] == {"total": 3, "limit": 2, "offset": 1, "has_more": False}
    first = await list_keys(client, token, limit="1")
    assert first["pagination"]["has_more"] is True


@pytest.mark.parametrize(("limit", "expected"), [("0", 1), ("-5", 1), ("1000", 100), ("", 20)])
async def test_limit_is_clamped(client, token, limit: str, expected: int) -> None:
    assert (await list_keys(client, token, limit=limit))["pagination"]["limit"] == expected


async def test_a_non_integer_limit_is_400(client, token) -> None:
    response = await client.get("/api/auth/keys", headers=with_cookie(token), query_string={"limit": "ten"})
    await assert_error(response, 400, "validation_error", "limit must be an integer", "limit")


async def test_a_key_opens_every_protected_route(client, token) -> None:
    key = (await create_key(client, token))["key"]
    created = await client.post("/api/websites", json={"name": "Blog", "domain": "example.com"}, headers=with_key(key))
    assert created.status_code == 201
    site = (await created.get_json())["data"]["id"]
    assert (await client.get("/api/websites", headers=with_key(key))).status_code == 200
    assert (await client.get(f"/api/websites/{site}", headers=with_key(key))).status_code == 200
    assert (await client.put(f"/api/websites/{site}", json={"name": "Blog 2"}, headers=with_key(key))).status_code == 200
    assert (await client.delete(f"/api/websites/{site}", headers=with_key(key))).status_code == 204


async def test_use_is_recorded_as_last_used(client, clock, token) -> None:
    key = await create_key(client, token)
    clock.advance(minutes=5)
    assert (await client.get("/api/websites", headers=with_key(key["key"]))).status_code == 200
    (row,) = (await list_keys(client, token))["data"]
    assert row["last_used_at"] == "2026-03-29 12:05:00"
    clock.advance(minutes=5)
    assert (await client.get("/api/websites", headers=with_key(key["key"]))).status_code == 200
    (row,) = (await list_keys(client, token))["data"]
    assert row["last_used_at"] == "2026-03-29 12:10:00"


async def test_recording_use_never_waits_for_the_writer(client, app, token) -> None:
    """Many uses queue at most one write; the request path never awaits it."""
    key = (await create_key(client, token))["key"]
    state = auth_state(app)
    writer = app.config["SERVICES"].writer
    depth_before = writer.inbox.statistics().depth
    for _ in range(20):
        assert (await client.get("/api/websites", headers=with_key(key))).status_code == 200
    assert writer.inbox.statistics().depth <= depth_before + 1
    await state.flush_key_usage()
    assert state.usage.take() == {}


async def test_unknown_keys_are_401_even_with_a_valid_cookie(client, token) -> None:
    """The Bearer path decides when both are sent; there is no cookie fallback."""
    for bad in ("spk_selfhosted_" + "0" * 32, "garbage", ""):
        response = await client.get("/api/websites", headers=with_cookie(token, Authorization=f"Bearer {bad}"))
        await assert_error(response, 401, "unauthorized", "Not authenticated")


async def test_a_valid_key_wins_over_a_bad_cookie(client, token) -> None:
    key = (await create_key(client, token))["key"]
    assert (await client.get("/api/websites", headers=with_cookie("forged", Authorization=f"Bearer {key}"))).status_code == 200


async def test_revoke(client, token) -> None:
    key = await create_key(client, token)
    assert (await client.get("/api/websites", headers=with_key(key["key"]))).status_code == 200
    response = await client.delete(f"/api/auth/keys/{key['id']}", headers=with_cookie(token))
    assert response.status_code == 204 and await response.get_data() == b""
    await assert_error(await client.get("/api/websites", headers=with_key(key["key"])), 401, "unauthorized", "Not authenticated")
    again = await client.delete(f"/api/auth/keys/{key['id']}", headers=with_cookie(token))
    await assert_error(again, 404, "not_found", "API key not found")
    await assert_error(await client.delete("/api/auth/keys/key_0000000000", headers=with_cookie(token)), 404, "not_found", "API key not found")


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/api/auth/keys"),
        ("POST", "/api/auth/keys"),
        ("DELETE", "/api/auth/keys/key_0000000000"),
        ("GET", "/api/auth/session"),
        ("POST", "/api/auth/logout"),
        ("PUT", "/api/auth/password"),
    ],
)
async def test_keys_cannot_manage_auth_resources(client, token, method: str, path: str) -> None:
    key = (await create_key(client, token))["key"]
    body = {"name": "x", "current_password": "x", "new_password": "x" * 20}
    for headers in (with_key(key), with_cookie(token, Authorization=f"Bearer {key}")):
        response = await client.open(path, method=method, json=body, headers=headers)
        await assert_error(response, 403, "forbidden", "API keys cannot manage auth resources")


async def test_keys_need_a_cookie_session(client, token) -> None:
    await assert_error(await client.post("/api/auth/keys", json={"name": "x"}), 401, "unauthorized", "Not authenticated")
    await assert_error(await client.get("/api/auth/keys"), 401, "unauthorized", "Not authenticated")


async def test_keys_survive_a_password_change(client, token) -> None:
    """Rotating the JWT secret signs browsers out; API keys are separate credentials."""
    key = (await create_key(client, token))["key"]
    response = await client.put(
        "/api/auth/password",
        json={"current_password": "correct horse battery staple", "new_password": "a brand new password"},
        headers=with_cookie(token),
    )
    assert response.status_code == 200
    assert (await client.get("/api/websites", headers=with_key(key))).status_code == 200


@pytest.mark.parametrize("config", [PASSWORD], indirect=True, ids=["password"])
async def test_keys_in_password_mode(client) -> None:
    token = await login(client, SHARED_PASSWORD)
    key = await create_key(client, token)
    assert (await client.get("/api/websites", headers=with_key(key["key"]))).status_code == 200
    assert (await client.delete(f"/api/auth/keys/{key['id']}", headers=with_cookie(token))).status_code == 204
    await assert_error(await client.get("/api/websites", headers=with_key(key["key"])), 401, "unauthorized")
