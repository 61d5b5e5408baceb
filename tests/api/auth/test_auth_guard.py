"""The guard as one mechanism over the whole URL map, and request security.

* a blueprint registered later is protected without doing anything, and the markers
  make a route public or cookie-only;
* a sweep of every registered route: without credentials, nothing but the public list
  answers anything but 401;
* state-changing routes refuse form posts (a cross-site HTML form cannot reach them);
* security headers on JSON and HTML responses.
"""

from __future__ import annotations

import base64
import hashlib
import re

import pytest
from quart import Blueprint, Response, jsonify

from sparklytics.api.dashboard import content_security_policy
from sparklytics.app import API_CSP
from sparklytics.auth.guards import Access, access_for, cookie_only, public
from tests.api.helpers import assert_error
from tests.auth.support import NONE, create_key, signed_in, with_cookie, with_key


def later_blueprint() -> Blueprint:
    """What an engineer adds in a later issue, with no auth code of its own."""
    bp = Blueprint("later", __name__)

    @bp.route("/api/later/things", methods=["GET", "POST"])
    async def things() -> Response:
        return jsonify({"data": "secret things"})

    @bp.route("/api/later/open", methods=["GET"])
    @public
    async def open_route() -> Response:
        return jsonify({"data": "for everybody"})

    @bp.route("/api/later/admin", methods=["GET"])
    @cookie_only
    async def admin_only() -> Response:
        return jsonify({"data": "admins in browsers"})

    @bp.route("/later/page", methods=["GET"])
    async def page() -> Response:
        return Response("<!doctype html><title>x</title>", mimetype="text/html")

    return bp


async def test_a_blueprint_added_later_is_protected_by_default(app, client) -> None:
    app.register_blueprint(later_blueprint())
    token = await signed_in(client)
    key = (await create_key(client, token))["key"]

    await assert_error(await client.get("/api/later/things"), 401, "unauthorized", "Not authenticated")
    await assert_error(await client.post("/api/later/things", json={}), 401, "unauthorized")
    assert (await client.get("/api/later/things", headers=with_cookie(token))).status_code == 200
    assert (await client.get("/api/later/things", headers=with_key(key))).status_code == 200

    assert (await client.get("/api/later/open")).status_code == 200

    assert (await client.get("/api/later/admin", headers=with_cookie(token))).status_code == 200
    await assert_error(await client.get("/api/later/admin", headers=with_key(key)), 403, "forbidden", "API keys cannot manage auth resources")
    await assert_error(await client.get("/api/later/admin"), 401, "unauthorized")

    assert (await client.get("/later/page")).status_code == 200  # outside /api/: public


async def test_unknown_paths_and_methods_are_left_to_the_router(client) -> None:
    await signed_in(client)
    await assert_error(await client.get("/api/no-such-thing"), 404, "not_found")
    await assert_error(await client.patch("/api/websites"), 405, "method_not_allowed")


# --- the sweep --------------------------------------------------------------------------

# Every /api/ route that may answer without credentials. Adding one is a security
# decision: extend this set (and guards.PUBLIC_PATHS) on purpose, never by accident.
EXPECTED_PUBLIC_API = {"/api/collect", "/api/auth/status", "/api/auth/setup", "/api/auth/login", "/api/openapi.json"}
EXPECTED_PUBLIC_API_PREFIXES = ("/api/share/",)


def concrete(rule: str, website_id: str = "site_missing0") -> str:
    path = re.sub(r"<(?:[^:<>]+:)?website_id>", website_id, rule)
    return re.sub(r"<[^<>]+>", "x0", path)


def routes(app) -> list[tuple[str, str, Access]]:
    found = []
    for rule in app.url_map.iter_rules():
        view = app.view_functions.get(rule.endpoint)
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            found.append((method, rule.rule, access_for(concrete(rule.rule), view)))
    return found


# The Plausible-compatible query route refuses in Plausible's words (docs/api.md).
WORDED_AS_PLAUSIBLE = {"/api/v2/query": "Missing API key. Please use a valid Plausible API key as a Bearer Token."}


async def test_only_the_public_list_answers_without_credentials(app, client) -> None:
    await signed_in(client)
    checked = 0
    for method, rule, access in routes(app):
        if access is Access.PUBLIC:
            if rule.startswith("/api/"):
                assert rule in EXPECTED_PUBLIC_API or rule.startswith(EXPECTED_PUBLIC_API_PREFIXES), rule
            continue
        response = await client.open(concrete(rule), method=method, json={})
        await assert_error(response, 401, "unauthorized", WORDED_AS_PLAUSIBLE.get(rule, "Not authenticated"))
        checked += 1
    assert checked >= 10


@pytest.mark.parametrize("config", [NONE], indirect=True, ids=["none"])
async def test_none_mode_guards_nothing(app, client) -> None:
    for method, rule, access in routes(app):
        if method == "GET" and "<" not in rule and rule.startswith("/api/") and access is not Access.PUBLIC:
            assert (await client.get(rule)).status_code == 200, rule


# --- cross-site forms -------------------------------------------------------------------

# POST routes that take no body at all (a form post there carries no cookie: the session
# cookie is SameSite=Strict). Patterns use <> for any path parameter.
BODYLESS = {
    ("POST", "/api/auth/logout"),
    ("POST", "/api/websites/<>/share"),
    ("POST", "/api/websites/<>/reports/<>/run"),
    ("POST", "/api/websites/<>/subscriptions/<>/test"),
    ("POST", "/api/websites/<>/alerts/<>/test"),
}
# Collect takes text/plain by design (the tracker avoids preflights); it is public.
TEXT_PLAIN_OK = {"/api/collect", "/e"}


async def test_state_changing_routes_refuse_form_posts(app, client) -> None:
    token = await signed_in(client)
    created = await client.post("/api/websites", json={"name": "Blog", "domain": "example.com"}, headers=with_cookie(token))
    site = (await created.get_json())["data"]["id"]
    checked = set()
    for method, rule, _ in routes(app):
        pattern = re.sub(r"<[^<>]+>", "<>", rule)
        if method not in ("POST", "PUT", "PATCH") or (method, pattern) in BODYLESS or rule in TEXT_PLAIN_OK:
            continue
        for form in ({"form": {"name": "x", "password": "x"}}, {"data": "name=x", "headers": {"Content-Type": "text/plain"}}):
            headers = {**with_cookie(token), **form.pop("headers", {})}
            response = await client.open(concrete(rule, site), method=method, headers=headers, **form)
            assert not 200 <= response.status_code < 300, (method, rule, response.status_code)
        checked.add((method, rule))
    # The routes of this issue and the spine answer exactly 415.
    for method, path in [
        ("POST", "/api/auth/setup"),
        ("POST", "/api/auth/login"),
        ("PUT", "/api/auth/password"),
        ("POST", "/api/auth/keys"),
        ("POST", "/api/websites"),
        ("PUT", f"/api/websites/{site}"),
    ]:
        response = await client.open(path, method=method, form={"name": "x"}, headers=with_cookie(token))
        await assert_error(response, 415, "unsupported_media_type")
    assert {("POST", "/api/auth/keys"), ("POST", "/api/websites")} <= checked


async def test_bodyless_deletes_are_fine(client) -> None:
    token = await signed_in(client)
    key = await create_key(client, token)
    created = await client.post("/api/websites", json={"name": "Blog", "domain": "example.com"}, headers=with_cookie(token))
    site = (await created.get_json())["data"]["id"]
    assert (await client.delete(f"/api/auth/keys/{key['id']}", headers=with_cookie(token))).status_code == 204
    assert (await client.delete(f"/api/websites/{site}", headers=with_cookie(token))).status_code == 204


# --- security headers -------------------------------------------------------------------


async def test_json_responses_carry_security_headers(client) -> None:
    for response in (await client.get("/api/auth/status"), await client.get("/api/websites")):
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["Referrer-Policy"] == "strict-origin-when-cross-origin"
        assert response.headers["X-Frame-Options"] == "DENY"
        assert response.headers["Content-Security-Policy"] == API_CSP
        assert response.headers["Cache-Control"] == "no-store"


async def test_html_pages_get_the_dashboard_csp(app, client) -> None:
    app.register_blueprint(later_blueprint())
    response = await client.get("/later/page")
    csp = response.headers["Content-Security-Policy"]
    assert csp == content_security_policy("local")
    assert "frame-ancestors 'none'" in csp and "'unsafe-inline'" not in csp
    assert response.headers["X-Frame-Options"] == "DENY"
    snippet = "window.__SPARKLYTICS_AUTH_MODE__='local';"
    digest = base64.b64encode(hashlib.sha256(snippet.encode()).digest()).decode()
    assert f"'sha256-{digest}'" in csp
