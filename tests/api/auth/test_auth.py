"""Auth routes and the guard over HTTP in all three modes: API.md §1.0, §1.17, §4 and
Decisions 8, 13, 14.

Every test here runs local mode with a custom bootstrap password unless it asks for
another mode with ``@mode(...)``. The client keeps no cookie jar: tests send their
cookies themselves, so which credential a request carries is always visible.
"""

from __future__ import annotations

import dataclasses
import hashlib
import hmac
import re
import shutil

import duckdb
import jwt
import pytest

from sparklytics.app import create_app
from sparklytics.auth.guards import auth_state
from tests.api.helpers import assert_error, from_ip
from tests.auth.support import (
    ADMIN_PASSWORD,
    BOOTSTRAP,
    LOCAL,
    LOCAL_DEFAULT_BOOTSTRAP,
    NEW_PASSWORD,
    NONE,
    PASSWORD,
    SHARED_PASSWORD,
    Clock,
    cookie_attributes,
    login,
    session_cookie,
    setup_admin,
    signed_in,
    use_clock,
    with_cookie,
)
from tests.harness import on_duckdb_writer


def mode(env: dict[str, str]):
    return pytest.mark.parametrize("config", [env], indirect=True, ids=[env["SPARKLYTICS_AUTH"]])


async def status(client, **kwargs) -> dict:
    response = await client.get("/api/auth/status", **kwargs)
    assert response.status_code == 200
    return await response.get_json()


# --- status -----------------------------------------------------------------------------


async def test_status_is_flat_on_a_fresh_local_install(client) -> None:
    assert await status(client) == {
        "mode": "local",
        "setup_required": True,
        "authenticated": False,
        "password_change_required": False,
    }


async def test_status_reports_a_valid_cookie_only(client) -> None:
    token = await signed_in(client)
    assert (await status(client, headers=with_cookie(token)))["authenticated"] is True
    assert (await status(client, headers=with_cookie(token[:-3] + "abc")))["authenticated"] is False
    assert (await status(client))["authenticated"] is False


@mode(PASSWORD)
async def test_status_in_password_mode(client) -> None:
    assert await status(client) == {
        "mode": "password",
        "setup_required": False,
        "authenticated": False,
        "password_change_required": False,
    }
    token = await login(client, SHARED_PASSWORD)
    assert (await status(client, headers=with_cookie(token)))["authenticated"] is True


@mode(NONE)
@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/api/auth/status"),
        ("POST", "/api/auth/setup"),
        ("POST", "/api/auth/login"),
        ("POST", "/api/auth/logout"),
        ("GET", "/api/auth/session"),
        ("PUT", "/api/auth/password"),
        ("GET", "/api/auth/keys"),
        ("POST", "/api/auth/keys"),
        ("DELETE", "/api/auth/keys/key_0123456789"),
    ],
)
async def test_none_mode_has_no_auth_routes(client, method: str, path: str) -> None:
    await assert_error(await client.open(path, method=method, json={}), 404, "not_found")


@mode(NONE)
async def test_none_mode_leaves_everything_open(client) -> None:
    response = await client.post("/api/websites", json={"name": "Blog", "domain": "example.com"})
    assert response.status_code == 201
    assert (await client.get("/api/websites")).status_code == 200


# --- setup ------------------------------------------------------------------------------


async def test_before_setup_every_guarded_route_says_setup_required(client) -> None:
    for method, path in [("GET", "/api/websites"), ("GET", "/api/auth/keys"), ("GET", "/api/auth/session"), ("POST", "/api/auth/logout")]:
        await assert_error(
            await client.open(path, method=method, headers={"Authorization": "Bearer spk_selfhosted_nope"}),
            403, "setup_required", "Admin setup required. POST /api/auth/setup first.",
        )
    await assert_error(
        await client.post("/api/auth/login", json={"password": ADMIN_PASSWORD}),
        403, "setup_required", "Admin setup required. POST /api/auth/setup first.",
    )


async def test_setup_with_the_configured_bootstrap(client) -> None:
    response = await setup_admin(client)
    assert await response.get_json() == {"data": {"ok": True}}
    assert "Set-Cookie" not in response.headers  # setup does not log in
    assert await status(client) == {
        "mode": "local",
        "setup_required": False,
        "authenticated": False,
        "password_change_required": False,
    }


async def test_setup_happens_once(client) -> None:
    await setup_admin(client)
    response = await client.post("/api/auth/setup", json={"bootstrap_password": BOOTSTRAP, "password": NEW_PASSWORD})
    await assert_error(response, 410, "gone", "Setup already completed")
    await login(client, ADMIN_PASSWORD)  # the first password stands


@pytest.mark.parametrize("bootstrap", ["sparklytics", "wrong", "", BOOTSTRAP + " "])
async def test_setup_with_a_wrong_bootstrap_is_refused(client, bootstrap: str) -> None:
    response = await client.post("/api/auth/setup", json={"bootstrap_password": bootstrap, "password": ADMIN_PASSWORD})
    await assert_error(response, 401, "unauthorized", "Unauthorized")
    assert (await status(client))["setup_required"] is True


@pytest.mark.parametrize(
    ("password", "message"),
    [
        ("short", "password must be at least 12 characters"),
        ("            ", "password cannot be empty or whitespace-only"),
        ("", "password cannot be empty or whitespace-only"),
    ],
)
async def test_setup_refuses_weak_passwords(client, password: str, message: str) -> None:
    response = await client.post("/api/auth/setup", json={"bootstrap_password": BOOTSTRAP, "password": password})
    await assert_error(response, 400, "validation_error", message, "password")
    assert (await status(client))["setup_required"] is True


async def test_setup_body_must_be_json_with_both_fields(client) -> None:
    await assert_error(
        await client.post("/api/auth/setup", form={"bootstrap_password": BOOTSTRAP, "password": ADMIN_PASSWORD}),
        415, "unsupported_media_type",
    )
    await assert_error(await client.post("/api/auth/setup", json={"password": ADMIN_PASSWORD}), 422, "validation_error", field="bootstrap_password")


@mode(PASSWORD)
async def test_setup_is_for_local_mode_only(client) -> None:
    response = await client.post("/api/auth/setup", json={"bootstrap_password": "sparklytics", "password": ADMIN_PASSWORD})
    await assert_error(response, 400, "validation_error", "setup is only available when SPARKLYTICS_AUTH=local")


# --- the default bootstrap forces a password change -------------------------------------


@mode(LOCAL_DEFAULT_BOOTSTRAP)
async def test_default_bootstrap_forces_rotation_before_anything_else(client) -> None:
    await setup_admin(client, bootstrap="sparklytics")
    assert (await status(client))["password_change_required"] is True
    token = await login(client)
    cookie = with_cookie(token)
    for method, path in [("GET", "/api/websites"), ("POST", "/api/websites"), ("GET", "/api/auth/keys"), ("POST", "/api/auth/keys")]:
        await assert_error(
            await client.open(path, method=method, headers=cookie, json={"name": "x", "domain": "example.com"}),
            403, "password_change_required", "Password change required before continuing",
        )
    assert (await client.get("/api/auth/session", headers=cookie)).status_code == 200
    response = await client.put(
        "/api/auth/password", json={"current_password": ADMIN_PASSWORD, "new_password": NEW_PASSWORD}, headers=cookie
    )
    assert response.status_code == 200
    assert (await status(client))["password_change_required"] is False
    fresh = with_cookie(await login(client, NEW_PASSWORD))
    assert (await client.get("/api/websites", headers=fresh)).status_code == 200


@mode(LOCAL_DEFAULT_BOOTSTRAP)
async def test_logout_works_while_rotation_is_pending(client) -> None:
    await setup_admin(client, bootstrap="sparklytics")
    token = await login(client)
    assert (await client.post("/api/auth/logout", headers=with_cookie(token))).status_code == 200


# --- login, cookie, session, logout -----------------------------------------------------


async def test_login_sets_the_session_cookie(client, app) -> None:
    clock = use_clock(app, Clock())
    await setup_admin(client)
    response = await client.post("/api/auth/login", json={"password": ADMIN_PASSWORD})
    assert response.status_code == 200
    assert await response.get_json() == {"data": {"expires_at": "2026-04-05T12:00:00+00:00"}}
    assert clock.now.isoformat() == "2026-03-29T12:00:00"
    attributes = cookie_attributes(response)
    assert attributes["httponly"] == "" and attributes["samesite"] == "Strict" and attributes["path"] == "/"
    assert attributes["max-age"] == "604800"
    assert "secure" not in attributes  # SPARKLYTICS_HTTPS=false in tests
    assert re.fullmatch(r"[\w-]+\.[\w-]+\.[\w-]+", session_cookie(response))


@mode({**LOCAL, "SPARKLYTICS_HTTPS": "true", "SPARKLYTICS_PUBLIC_URL": "https://stats.example.com", "SPARKLYTICS_SESSION_DAYS": "2"})
async def test_cookies_are_secure_when_https_is_on(client, app) -> None:
    use_clock(app, Clock())
    await setup_admin(client)
    response = await client.post("/api/auth/login", json={"password": ADMIN_PASSWORD})
    assert (await response.get_json())["data"]["expires_at"] == "2026-03-31T12:00:00+00:00"
    attributes = cookie_attributes(response)
    assert "secure" in attributes and attributes["max-age"] == str(2 * 86400)
    assert attributes["httponly"] == "" and attributes["samesite"] == "Strict"
    logout = await client.post("/api/auth/logout", headers=with_cookie(session_cookie(response)))
    cleared = cookie_attributes(logout)
    assert session_cookie(logout) == "" and cleared["max-age"] == "0" and "secure" in cleared


async def test_wrong_password_is_unauthorized(client) -> None:
    await setup_admin(client)
    response = await client.post("/api/auth/login", json={"password": "not the password"})
    await assert_error(response, 401, "unauthorized", "Unauthorized")
    assert "Set-Cookie" not in response.headers


async def test_login_body_must_be_json(client) -> None:
    await setup_admin(client)
    await assert_error(await client.post("/api/auth/login", form={"password": ADMIN_PASSWORD}), 415, "unsupported_media_type")
    await assert_error(await client.post("/api/auth/login", data="password=x", headers={"Content-Type": "text/plain"}), 415, "unsupported_media_type")
    await assert_error(await client.post("/api/auth/login", json={}), 422, "validation_error", field="password")
    await assert_error(await client.post("/api/auth/login", json=["x"]), 422, "validation_error")


async def test_session_describes_the_cookie(client, app) -> None:
    use_clock(app, Clock())
    token = await signed_in(client)
    response = await client.get("/api/auth/session", headers=with_cookie(token))
    assert await response.get_json() == {
        "data": {"authenticated": True, "mode": "local", "expires_at": "2026-04-05T12:00:00+00:00"}
    }


async def test_cookie_routes_need_a_cookie(client) -> None:
    await setup_admin(client)
    for method, path in [("POST", "/api/auth/logout"), ("GET", "/api/auth/session"), ("PUT", "/api/auth/password")]:
        await assert_error(await client.open(path, method=method, json={}), 401, "unauthorized", "Not authenticated")


async def test_logout_clears_the_cookie(client) -> None:
    token = await signed_in(client)
    response = await client.post("/api/auth/logout", headers=with_cookie(token))
    assert response.status_code == 200 and await response.get_json() == {"data": {"ok": True}}
    attributes = cookie_attributes(response)
    assert session_cookie(response) == "" and attributes["max-age"] == "0"
    assert attributes["httponly"] == "" and attributes["samesite"] == "Strict" and attributes["path"] == "/"


async def test_no_credentials_is_401_on_protected_routes(client) -> None:
    await setup_admin(client)
    await assert_error(await client.get("/api/websites"), 401, "unauthorized", "Not authenticated")
    await assert_error(await client.post("/api/websites", json={"name": "a", "domain": "a.com"}), 401, "unauthorized", "Not authenticated")


async def test_a_tampered_cookie_is_401(client) -> None:
    token = await signed_in(client)
    header, payload, signature = token.split(".")
    tampered = [
        f"{header}.{payload}.{signature[:-1]}{'A' if signature[-1] != 'A' else 'B'}",
        f"{header}.{payload[:-2]}xx.{signature}",
        "not-a-jwt",
        "",
    ]
    for bad in tampered:
        await assert_error(await client.get("/api/websites", headers=with_cookie(bad)), 401, "unauthorized", "Not authenticated")
    assert (await client.get("/api/websites", headers=with_cookie(token))).status_code == 200


async def test_an_expired_cookie_is_401(client, app) -> None:
    clock = use_clock(app, Clock())
    token = await signed_in(client)
    clock.advance(days=7)
    assert (await client.get("/api/websites", headers=with_cookie(token))).status_code == 200  # within leeway
    clock.advance(seconds=60)
    await assert_error(await client.get("/api/websites", headers=with_cookie(token)), 401, "unauthorized", "Not authenticated")
    assert (await status(client, headers=with_cookie(token)))["authenticated"] is False


# --- lockout ----------------------------------------------------------------------------


async def fail_login(client, **kwargs):
    return await client.post("/api/auth/login", json={"password": "wrong password!"}, **kwargs)


async def test_sixth_failure_in_fifteen_minutes_is_locked_out(client, app) -> None:
    clock = use_clock(app, Clock())
    await setup_admin(client)
    me = from_ip("198.51.100.7")
    for _ in range(5):
        await assert_error(await fail_login(client, scope_base=me), 401, "unauthorized")
        clock.advance(minutes=1)
    response = await fail_login(client, scope_base=me)
    await assert_error(response, 429, "rate_limited", "Rate limit exceeded")
    assert response.headers["Retry-After"] == "900"
    # Locked out means locked out: even the right password is not checked.
    locked = await client.post("/api/auth/login", json={"password": ADMIN_PASSWORD}, scope_base=me)
    await assert_error(locked, 429, "rate_limited")
    # Another client is not affected.
    await login(client, scope_base=from_ip("203.0.113.9"))
    # Once the first failure is older than 15 minutes, one more try is allowed.
    clock.advance(minutes=11)
    await login(client, scope_base=me)


async def test_failed_setup_attempts_count_too(client, app) -> None:
    use_clock(app, Clock())
    me = from_ip("198.51.100.7")
    for _ in range(5):
        response = await client.post("/api/auth/setup", json={"bootstrap_password": "guess", "password": ADMIN_PASSWORD}, scope_base=me)
        await assert_error(response, 401, "unauthorized")
    response = await client.post("/api/auth/setup", json={"bootstrap_password": BOOTSTRAP, "password": ADMIN_PASSWORD}, scope_base=me)
    await assert_error(response, 429, "rate_limited")
    assert response.headers["Retry-After"] == "900"


async def test_successful_logins_do_not_count(client) -> None:
    await setup_admin(client)
    for _ in range(7):
        await login(client)


@mode({**LOCAL, "SPARKLYTICS_TRUSTED_PROXIES": "10.0.0.0/8"})
async def test_lockout_keys_on_the_forwarded_client_only_behind_a_trusted_proxy(client) -> None:
    await setup_admin(client)
    proxy = from_ip("10.0.0.1")
    for _ in range(5):
        await fail_login(client, scope_base=proxy, headers={"X-Forwarded-For": "203.0.113.5, 10.0.0.1"})
    await assert_error(await fail_login(client, scope_base=proxy, headers={"X-Forwarded-For": "203.0.113.5"}), 429, "rate_limited")
    # Another client behind the same proxy is a different client.
    await login(client, scope_base=proxy, headers={"X-Forwarded-For": "203.0.113.6"})

    # A direct (untrusted) peer cannot pick its identity with X-Forwarded-For.
    direct = from_ip("198.51.100.20")
    for i in range(5):
        await fail_login(client, scope_base=direct, headers={"X-Forwarded-For": f"192.0.2.{i}"})
    response = await fail_login(client, scope_base=direct, headers={"X-Forwarded-For": "192.0.2.99"})
    await assert_error(response, 429, "rate_limited")


@mode({**LOCAL, "SPARKLYTICS_TRUSTED_PROXIES": "10.0.0.0/8"})
async def test_a_locked_out_client_cannot_get_back_in_by_forging_x_forwarded_for(client) -> None:
    """Decision 23: nginx appends the real address after whatever the client sent, so the
    client is the right-most untrusted entry; the first entry is the client's own text."""
    await setup_admin(client)
    proxy = from_ip("10.0.0.1")
    for _ in range(5):
        await fail_login(client, scope_base=proxy, headers={"X-Forwarded-For": "203.0.113.5"})
    for i in range(8):
        forged = {"X-Forwarded-For": f"198.51.100.{i}, 203.0.113.5"}
        await assert_error(await fail_login(client, scope_base=proxy, headers=forged), 429, "rate_limited")
    # Two proxies deep (a CDN, then nginx): still the same client.
    chained = {"X-Forwarded-For": "198.51.100.99, 203.0.113.5, 10.20.0.3"}
    await assert_error(await fail_login(client, scope_base=proxy, headers=chained), 429, "rate_limited")


async def test_the_data_folder_alone_yields_no_login_ip(client, services, config, tmp_path) -> None:
    """Issue 13 #8: login attempts were stored as HMAC(ip) with the key in the same file,
    so scanning two /24s recovered every address in 2 ms. With a copy of the database
    alone, look for the raw text, and for the SHA-256 and HMAC-SHA256 of every address of
    their /24s under every 64-hex secret stored anywhere in it."""
    await setup_admin(client)
    addresses = ["198.51.100.7", "198.51.100.200", "203.0.113.9"]
    for ip in addresses:
        for _ in range(3):
            await fail_login(client, scope_base=from_ip(ip))
    await login(client, scope_base=from_ip(addresses[0]))
    await on_duckdb_writer(services, lambda con: con.execute("CHECKPOINT"))

    copy = tmp_path / "copy.db"
    shutil.copy(config.data_dir / "sparklytics.db", copy)
    with duckdb.connect(str(copy), read_only=True) as con:
        columns = con.execute(
            "SELECT table_name, column_name FROM information_schema.columns WHERE data_type = 'VARCHAR'"
        ).fetchall()
        stored = {value for table, column in columns for (value,) in con.execute(f'SELECT "{column}" FROM "{table}"').fetchall() if value}
    text = "\n".join(stored)
    keys = [value.encode() for value in stored if re.fullmatch(r"[0-9a-f]{64}", value)] + [b""]
    raw = b"".join(path.read_bytes() for path in config.data_dir.rglob("*") if path.is_file())
    for ip in addresses:
        assert ip not in text and ip.encode() not in raw
    for prefix in {ip.rsplit(".", 1)[0] for ip in addresses}:
        for last in range(256):
            candidate = f"{prefix}.{last}".encode()
            digests = [hashlib.sha256(candidate).hexdigest()] + [hmac.new(k, candidate, hashlib.sha256).hexdigest() for k in keys]
            assert not any(digest in text for digest in digests), candidate


# --- logout revokes ---------------------------------------------------------------------


async def test_a_copied_cookie_stops_working_at_logout_and_after_a_restart(client, services) -> None:
    token = await signed_in(client)
    copy = token
    other_browser = await login(client)
    assert (await client.post("/api/auth/logout", headers=with_cookie(token))).status_code == 200
    for request in (client.get("/api/websites", headers=with_cookie(copy)), client.get("/api/auth/session", headers=with_cookie(copy))):
        await assert_error(await request, 401, "unauthorized", "Not authenticated")
    assert (await status(client, headers=with_cookie(copy)))["authenticated"] is False
    # Only that session: the other browser stays signed in.
    assert (await client.get("/api/websites", headers=with_cookie(other_browser))).status_code == 200

    restarted = create_app(services).test_client(use_cookies=False)  # a new app reloads the auth state
    await assert_error(await restarted.get("/api/websites", headers=with_cookie(copy)), 401, "unauthorized")
    assert (await restarted.get("/api/websites", headers=with_cookie(other_browser))).status_code == 200


async def test_a_signed_token_with_an_absurd_exp_is_401_not_500(client, services) -> None:
    await setup_admin(client)
    secret = await services.db.read(lambda cur: cur.execute("SELECT value FROM settings WHERE key = 'jwt_secret'").fetchone()[0])
    for exp in (10**20, 2**63, 10**11):
        forged = jwt.encode({"sub": "admin", "iat": 1_700_000_000, "exp": exp, "jti": "forged"}, secret, algorithm="HS256")
        await assert_error(await client.get("/api/websites", headers=with_cookie(forged)), 401, "unauthorized", "Not authenticated")
        assert (await status(client, headers=with_cookie(forged)))["authenticated"] is False


# --- password change --------------------------------------------------------------------


async def change(client, token: str, current: str = ADMIN_PASSWORD, new: str = NEW_PASSWORD):
    return await client.put("/api/auth/password", json={"current_password": current, "new_password": new}, headers=with_cookie(token))


async def test_password_change_signs_every_session_out(client) -> None:
    token = await signed_in(client)
    other_browser = await login(client)
    response = await change(client, token)
    assert response.status_code == 200 and await response.get_json() == {"data": {"ok": True}}
    assert session_cookie(response) == "" and cookie_attributes(response)["max-age"] == "0"
    for old in (token, other_browser):
        await assert_error(await client.get("/api/websites", headers=with_cookie(old)), 401, "unauthorized", "Not authenticated")
        await assert_error(await client.get("/api/auth/session", headers=with_cookie(old)), 401, "unauthorized")
    await assert_error(await client.post("/api/auth/login", json={"password": ADMIN_PASSWORD}), 401, "unauthorized")
    fresh = await login(client, NEW_PASSWORD)
    assert (await client.get("/api/websites", headers=with_cookie(fresh))).status_code == 200


async def test_password_change_needs_the_current_password(client) -> None:
    token = await signed_in(client)
    await assert_error(await change(client, token, current="not my password"), 401, "unauthorized", "Unauthorized")
    assert (await client.get("/api/websites", headers=with_cookie(token))).status_code == 200  # nothing changed


@pytest.mark.parametrize(
    ("new", "message"),
    [("tiny", "password must be at least 12 characters"), ("      \t     ", "password cannot be empty or whitespace-only")],
)
async def test_password_change_refuses_weak_passwords(client, new: str, message: str) -> None:
    token = await signed_in(client)
    await assert_error(await change(client, token, new=new), 400, "validation_error", message, "new_password")
    await login(client, ADMIN_PASSWORD)


@mode(PASSWORD)
async def test_password_mode_cannot_change_the_password(client) -> None:
    token = await login(client, SHARED_PASSWORD)
    response = await change(client, token, current=SHARED_PASSWORD)
    await assert_error(response, 405, "method_not_allowed", "Method not allowed for this auth mode")


# --- password mode ----------------------------------------------------------------------


@mode(PASSWORD)
async def test_password_mode_login_and_use(client) -> None:
    await assert_error(await client.post("/api/auth/login", json={"password": "nope nope nope"}), 401, "unauthorized")
    await assert_error(await client.get("/api/websites"), 401, "unauthorized", "Not authenticated")
    token = await login(client, SHARED_PASSWORD)
    assert (await client.get("/api/websites", headers=with_cookie(token))).status_code == 200
    session = await client.get("/api/auth/session", headers=with_cookie(token))
    assert (await session.get_json())["data"]["mode"] == "password"


@mode(PASSWORD)
async def test_password_mode_locks_out_too(client) -> None:
    for _ in range(5):
        await fail_login(client)
    response = await client.post("/api/auth/login", json={"password": SHARED_PASSWORD})
    await assert_error(response, 429, "rate_limited")
    assert response.headers["Retry-After"] == "900"


@mode(PASSWORD)
async def test_password_mode_sessions_die_when_the_password_changes(client, app) -> None:
    """The shared password is part of the signing key: a restart with a new one signs out."""
    token = await login(client, SHARED_PASSWORD)
    state = auth_state(app)
    state._config = dataclasses.replace(state._config, password="a new shared password")  # as after a restart
    await assert_error(await client.get("/api/websites", headers=with_cookie(token)), 401, "unauthorized")
    fresh = await login(client, "a new shared password")
    assert (await client.get("/api/websites", headers=with_cookie(fresh))).status_code == 200


# --- nothing secret leaves the server ---------------------------------------------------


async def test_no_response_carries_the_password_hash_or_a_raw_key(client, services) -> None:
    responses = [await client.get("/api/auth/status"), await setup_admin(client)]
    login_response = await client.post("/api/auth/login", json={"password": ADMIN_PASSWORD})
    responses.append(login_response)
    cookie = with_cookie(session_cookie(login_response))
    created = await client.post("/api/auth/keys", json={"name": "ci"}, headers=cookie)
    raw_key = (await created.get_json())["data"]["key"]
    responses += [
        await client.get("/api/auth/status", headers=cookie),
        await client.get("/api/auth/session", headers=cookie),
        await client.get("/api/auth/keys", headers=cookie),
        await client.get("/api/websites", headers={"Authorization": f"Bearer {raw_key}"}),
        await client.get("/api/auth/keys", headers={"Authorization": f"Bearer {raw_key}"}),
        await client.post("/api/auth/login", json={"password": "wrong password"}),
        await change(client, session_cookie(login_response)),
    ]
    password_hash, jwt_secret = await services.db.read(
        lambda cur: cur.execute(
            "SELECT max(value) FILTER (key = 'admin_password_hash'), max(value) FILTER (key = 'jwt_secret') FROM settings"
        ).fetchone()
    )
    assert password_hash.startswith("$argon2id$")
    hash_body = password_hash.rsplit("$", 1)[1]
    for response in responses:
        text = (await response.get_data(as_text=True)) + str(response.headers)
        for secret in (password_hash, hash_body, jwt_secret, raw_key, ADMIN_PASSWORD):
            assert secret not in text, (response.status_code, text)
