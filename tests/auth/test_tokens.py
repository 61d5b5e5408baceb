"""The session JWT: issue, verify, expiry with leeway, forgery and key rotation."""

from __future__ import annotations

import base64
import json
from datetime import datetime, timedelta

import jwt
import pytest

from sparklytics.auth import tokens
from sparklytics.auth.errors import InvalidToken, NotAuthenticated

NOW = datetime(2026, 3, 29, 12, 0, 0)
KEY = "a" * 64


def test_new_secret_is_64_hex_chars() -> None:
    secret = tokens.new_secret()
    assert len(secret) == 64 and int(secret, 16) >= 0
    assert tokens.new_secret() != secret


def test_issue_signs_admin_claims_with_hs256() -> None:
    session = tokens.issue(KEY, now=NOW, days=7)
    assert session.expires_at == NOW + timedelta(days=7)
    assert session.expires_at_rfc3339 == "2026-04-05T12:00:00+00:00"
    header = jwt.get_unverified_header(session.token)
    assert header["alg"] == "HS256"
    claims = jwt.decode(session.token, KEY, algorithms=["HS256"], options={"verify_exp": False})
    iat = int((NOW - datetime(1970, 1, 1)).total_seconds())
    assert claims == {"sub": "admin", "iat": iat, "exp": iat + 7 * 86400, "jti": session.jti}
    assert len(session.jti) == 32 and tokens.issue(KEY, now=NOW, days=7).jti != session.jti


def test_verify_returns_the_session() -> None:
    session = tokens.issue(KEY, now=NOW, days=7)
    assert tokens.verify(KEY, session.token, now=NOW + timedelta(days=6)) == session


def test_expiry_allows_sixty_seconds_of_leeway() -> None:
    session = tokens.issue(KEY, now=NOW, days=1)
    tokens.verify(KEY, session.token, now=NOW + timedelta(days=1, seconds=59))
    with pytest.raises(InvalidToken, match=r"^invalid session token: expired$"):
        tokens.verify(KEY, session.token, now=NOW + timedelta(days=1, seconds=60))


def test_a_token_from_the_future_is_refused() -> None:
    session = tokens.issue(KEY, now=NOW + timedelta(hours=1), days=7)
    with pytest.raises(InvalidToken, match=r"issued in the future"):
        tokens.verify(KEY, session.token, now=NOW)


def test_another_key_is_refused() -> None:
    """Rotating jwt_secret (password change) kills every earlier cookie."""
    session = tokens.issue(KEY, now=NOW, days=7)
    with pytest.raises(InvalidToken):
        tokens.verify("b" * 64, session.token, now=NOW)


def _b64(data: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def test_tampered_claims_are_refused() -> None:
    header, _, signature = tokens.issue(KEY, now=NOW, days=7).token.split(".")
    forged = f"{header}.{_b64({'sub': 'admin', 'iat': 0, 'exp': 9_999_999_999})}.{signature}"
    with pytest.raises(InvalidToken):
        tokens.verify(KEY, forged, now=NOW)


def test_a_flipped_signature_character_is_refused() -> None:
    token = tokens.issue(KEY, now=NOW, days=7).token
    flipped = token[:-2] + ("A" if token[-2] != "A" else "B") + token[-1]
    with pytest.raises(InvalidToken):
        tokens.verify(KEY, flipped, now=NOW)


def test_alg_none_is_refused() -> None:
    unsigned = f"{_b64({'alg': 'none', 'typ': 'JWT'})}.{_b64({'sub': 'admin', 'iat': 0, 'exp': 9_999_999_999})}."
    with pytest.raises(InvalidToken):
        tokens.verify(KEY, unsigned, now=NOW)


@pytest.mark.parametrize(
    "claims",
    [
        {"sub": "someone", "iat": 1, "exp": 9_999_999_999},
        {"iat": 1, "exp": 9_999_999_999},
        {"sub": "admin", "exp": 9_999_999_999},
        {"sub": "admin", "iat": 1},
        {"sub": "admin", "iat": "1", "exp": 9_999_999_999},
        {"sub": "admin", "iat": 1, "exp": True},
    ],
)
def test_unexpected_claims_are_refused(claims: dict) -> None:
    token = jwt.encode(claims, KEY, algorithm="HS256")
    with pytest.raises(InvalidToken):
        tokens.verify(KEY, token, now=NOW)


@pytest.mark.parametrize("token", ["", "garbage", "a.b.c", "x" * 5000])
def test_garbage_is_refused(token: str) -> None:
    with pytest.raises(NotAuthenticated):
        tokens.verify(KEY, token, now=NOW)


def test_password_mode_key_depends_on_the_shared_password() -> None:
    """Changing SPARKLYTICS_PASSWORD and restarting signs everybody out."""
    first = tokens.signing_key(KEY, shared_password="one shared password")
    second = tokens.signing_key(KEY, shared_password="another password")
    assert first != second != KEY
    assert tokens.signing_key(KEY) == KEY
    session = tokens.issue(first, now=NOW, days=7)
    with pytest.raises(InvalidToken):
        tokens.verify(second, session.token, now=NOW)


@pytest.mark.parametrize(
    "claims",
    [
        {"sub": "admin", "iat": 1_775_000_000, "exp": 10**20, "jti": "x"},  # an absurd exp: 401, not a 500
        {"sub": "admin", "iat": 0, "exp": 10**20, "jti": "x"},
        {"sub": "admin", "iat": 1_775_000_000, "exp": 1_775_000_000 + 367 * 86_400, "jti": "x"},
        {"sub": "admin", "iat": 1_775_000_000, "exp": 1_775_000_000 + 86_400},  # no jti (issued before logout revoked)
        {"sub": "admin", "iat": 1_775_000_000, "exp": 1_775_000_000 + 86_400, "jti": ""},
        {"sub": "admin", "iat": 1_775_000_000, "exp": 1_775_000_000 + 86_400, "jti": 7},
    ],
)
def test_impossible_claims_are_refused_even_when_signed(claims) -> None:
    token = jwt.encode(claims, KEY, algorithm="HS256")
    with pytest.raises(InvalidToken):
        tokens.verify(KEY, token, now=NOW)
