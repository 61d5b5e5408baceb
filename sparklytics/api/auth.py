"""``/api/auth/*``: status, setup, login, logout, session, password, API keys (§1.17, §4).

Registered only when ``SPARKLYTICS_AUTH`` is ``local`` or ``password`` (in ``none``
mode these paths are 404, Decision 13). Access classes: status, setup and login are
public (listed in :data:`sparklytics.auth.guards.PUBLIC_PATHS`); logout, session and
password are cookie-only and usable during a forced rotation; the key routes are
cookie-only. The guard has run before any handler here.

Bodies are JSON only (415 otherwise), so a cross-site form cannot post here; the
session cookie is ``SameSite=Strict`` besides.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field
from quart import Blueprint, Response, current_app, jsonify, request

from sparklytics.api.errors import ApiError, bad_request, not_found
from sparklytics.api.requests import client_ip, parse_json_body
from sparklytics.api.validation import parse_model
from sparklytics.auth.guards import auth_state, cookie_only, cookie_only_during_rotation, current_principal
from sparklytics.auth.state import rfc3339
from sparklytics.auth.tokens import COOKIE_NAME
from sparklytics.openapi import Query, operation
from sparklytics.openapi.responses import ApiKeyCreated, ApiKeysPage, AuthSession, AuthStatus, Data, Ok

MAX_BODY_BYTES = 4_096
MAX_PASSWORD_CHARS = 1_024
MAX_KEY_NAME_CHARS = 200

auth_bp = Blueprint("auth", __name__)


class SetupBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    bootstrap_password: str = Field(max_length=MAX_PASSWORD_CHARS)
    password: str = Field(max_length=MAX_PASSWORD_CHARS)


class LoginBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    password: str = Field(max_length=MAX_PASSWORD_CHARS)


class ChangePasswordBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    current_password: str = Field(max_length=MAX_PASSWORD_CHARS)
    new_password: str = Field(max_length=MAX_PASSWORD_CHARS)


class CreateKeyBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(max_length=MAX_KEY_NAME_CHARS)


@auth_bp.route("/api/auth/status", methods=["GET"])
@operation("Auth mode and whether this browser is signed in", tag="Auth", response=AuthStatus)
async def status() -> Response:
    """Flat, never 401 (Decision 13); ``authenticated`` looks at the cookie only."""
    auth = auth_state(current_app)
    await auth.ensure_loaded()
    return jsonify(
        {
            "mode": auth.mode,
            "setup_required": auth.setup_required,
            "authenticated": auth.session_is_valid(request.cookies.get(COOKIE_NAME)),
            "password_change_required": auth.password_change_required,
        }
    )


@auth_bp.route("/api/auth/setup", methods=["POST"])
@operation("Set the admin password (first run, local mode)", tag="Auth", ok=201, body=SetupBody, response=Data[Ok], errors=[(401, "unauthorized"), (410, "gone"), (429, "rate_limited")])
async def setup() -> tuple[Response, int]:
    auth = auth_state(current_app)
    if auth.mode != "local":
        raise bad_request("setup is only available when SPARKLYTICS_AUTH=local")
    body = parse_model(SetupBody, await parse_json_body(MAX_BODY_BYTES))
    await auth.setup(body.bootstrap_password, body.password, client=_client())
    return jsonify({"data": {"ok": True}}), 201


@auth_bp.route("/api/auth/login", methods=["POST"])
@operation("Sign in (sets the session cookie)", tag="Auth", body=LoginBody, errors=[(401, "unauthorized"), (429, "rate_limited")], headers={"Set-Cookie": "`spk_session`, HttpOnly, SameSite=Strict"})
async def login() -> Response:
    body = parse_model(LoginBody, await parse_json_body(MAX_BODY_BYTES))
    session = await auth_state(current_app).login(body.password, client=_client())
    response = jsonify({"data": {"expires_at": session.expires_at_rfc3339}})
    config = current_app.config["SERVICES"].config
    _set_session_cookie(response, session.token, max_age=config.session_days * 86_400)
    return response


@auth_bp.route("/api/auth/logout", methods=["POST"])
@cookie_only_during_rotation
@operation("Sign out", tag="Auth", response=Data[Ok])
async def logout() -> Response:
    current = current_principal().session
    if current is not None:  # a cookie session: revoke it, so copies of it die too
        await auth_state(current_app).logout(current)
    response = jsonify({"data": {"ok": True}})
    _set_session_cookie(response, "", max_age=0)
    return response


@auth_bp.route("/api/auth/session", methods=["GET"])
@cookie_only_during_rotation
@operation("The current session", tag="Auth", response=Data[AuthSession])
async def session() -> Response:
    current = current_principal().session
    assert current is not None  # the guard let a cookie session through
    return jsonify(
        {"data": {"authenticated": True, "mode": auth_state(current_app).mode, "expires_at": current.expires_at_rfc3339}}
    )


@auth_bp.route("/api/auth/password", methods=["PUT"])
@cookie_only_during_rotation
@operation("Change the admin password (local mode)", tag="Auth", body=ChangePasswordBody, response=Data[Ok], errors=[(401, "unauthorized"), (405, "method_not_allowed")])
async def change_password() -> Response:
    auth = auth_state(current_app)
    if auth.mode != "local":
        raise ApiError(405, "method_not_allowed", "Method not allowed for this auth mode")
    body = parse_model(ChangePasswordBody, await parse_json_body(MAX_BODY_BYTES))
    await auth.change_password(body.current_password, body.new_password, client=_client())
    # The JWT secret rotated: this browser's cookie is dead too, so drop it.
    response = jsonify({"data": {"ok": True}})
    _set_session_cookie(response, "", max_age=0)
    return response


@auth_bp.route("/api/auth/keys", methods=["GET"])
@cookie_only
@operation("List API keys", tag="Auth", response=ApiKeysPage, query=(Query("limit", "keys per page", {"type": "integer", "minimum": 1, "maximum": 100, "default": 20}), Query("offset", "keys to skip", {"type": "integer", "minimum": 0, "default": 0})), errors=[(400, "validation_error")])
async def list_keys() -> Response:
    limit = max(1, min(100, _int_arg("limit", 20)))
    offset = max(0, _int_arg("offset", 0))
    rows, total = await auth_state(current_app).list_keys(limit=limit, offset=offset)
    return jsonify(
        {
            "data": rows,
            "pagination": {"total": total, "limit": limit, "offset": offset, "has_more": offset + len(rows) < total},
        }
    )


@auth_bp.route("/api/auth/keys", methods=["POST"])
@cookie_only
@operation("Create an API key", tag="Auth", ok=201, body=CreateKeyBody, response=Data[ApiKeyCreated])
async def create_key() -> tuple[Response, int]:
    body = parse_model(CreateKeyBody, await parse_json_body(MAX_BODY_BYTES))
    name = body.name.strip()
    if not name:
        raise bad_request("name is required", field="name")
    created = await auth_state(current_app).create_key(name)
    return jsonify(
        {
            "data": {
                "id": created.key.id,
                "name": created.name,
                "key": created.key.raw,
                "prefix": created.key.prefix,
                "created_at": rfc3339(created.created_at),
            }
        }
    ), 201


@auth_bp.route("/api/auth/keys/<key_id>", methods=["DELETE"])
@cookie_only
@operation("Revoke an API key", tag="Auth", ok=204)
async def revoke_key(key_id: str) -> Response:
    if not await auth_state(current_app).revoke_key(key_id):
        raise not_found("API key not found")
    return Response("", status=204)


def _client() -> str:
    return client_ip(current_app.config["SERVICES"].trusted_proxies)


def _set_session_cookie(response: Response, value: str, *, max_age: int) -> None:
    """``spk_session`` with the contract's flags; ``max_age=0`` clears it."""
    response.set_cookie(
        COOKIE_NAME,
        value,
        max_age=max_age,
        path="/",
        secure=current_app.config["SERVICES"].config.https,
        httponly=True,
        samesite="Strict",
    )


def _int_arg(name: str, default: int) -> int:
    raw = request.args.get(name)
    if raw is None or not raw.strip():
        return default
    try:
        return int(raw)
    except ValueError:
        raise bad_request(f"{name} must be an integer", field=name) from None
