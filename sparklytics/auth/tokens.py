"""Session tokens: the HS256 JWT inside the ``spk_session`` cookie.

A session is nothing but a signed claim ``{"sub": "admin", "iat", "exp"}``; the server
keeps no session table. What makes a token die early is its *signing key*:

* ``jwt_secret`` (64 random hex chars in ``settings``) is rotated when the admin
  password changes, so every cookie issued before stops verifying;
* in ``SPARKLYTICS_AUTH=password`` mode the key also folds in a digest of the shared
  password (:func:`signing_key`), so changing ``SPARKLYTICS_PASSWORD`` and restarting
  signs everybody out too.

Everything here is fast (≈ 15–25 µs) and synchronous. Time is passed in (``now``,
naive UTC), never read from the wall clock, so tests can expire a token without
sleeping. Expiry allows :data:`LEEWAY_SECONDS` of clock skew, like PyJWT's default.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

import jwt

from sparklytics.auth.errors import InvalidToken

COOKIE_NAME = "spk_session"
ALGORITHM = "HS256"
SUBJECT = "admin"
LEEWAY_SECONDS = 60
MAX_TOKEN_CHARS = 4096


@dataclass(frozen=True, slots=True)
class Session:
    """A signed session token and the moment it stops working (naive UTC)."""

    token: str
    expires_at: datetime

    @property
    def expires_at_rfc3339(self) -> str:
        """``expires_at`` as the API shows server-made times: RFC 3339 with ``+00:00``."""
        return self.expires_at.replace(tzinfo=timezone.utc).isoformat(timespec="seconds")


def new_secret() -> str:
    """A fresh ``jwt_secret``: 64 lowercase hex characters (256 random bits)."""
    return secrets.token_hex(32)


def signing_key(jwt_secret: str, *, shared_password: str | None = None) -> str:
    """The HMAC key for session tokens; see the module docstring for why it varies."""
    if shared_password is None:
        return jwt_secret
    return f"{jwt_secret}:{hashlib.sha256(shared_password.encode()).hexdigest()}"


def issue(key: str, *, now: datetime, days: int) -> Session:
    """Sign a new admin session valid for ``days`` days from ``now``."""
    issued = _epoch(now)
    expires = issued + days * 86_400
    token = jwt.encode({"sub": SUBJECT, "iat": issued, "exp": expires}, key, algorithm=ALGORITHM)
    return Session(token, _from_epoch(expires))


def verify(key: str, token: str, *, now: datetime) -> Session:
    """The session ``token`` stands for; raise :class:`InvalidToken` if it is not valid.

    Checks the HS256 signature (no other algorithm is accepted), that ``sub``, ``iat``
    and ``exp`` are present and sane, and that ``exp`` (plus leeway) is still ahead.
    """
    if not token or len(token) > MAX_TOKEN_CHARS:
        raise InvalidToken("missing or oversized token")
    try:
        claims = jwt.decode(
            token,
            key,
            algorithms=[ALGORITHM],
            options={"require": ["sub", "iat", "exp"], "verify_exp": False, "verify_iat": False, "verify_nbf": False},
        )
    except jwt.InvalidTokenError as exc:
        raise InvalidToken(type(exc).__name__) from None
    issued, expires = claims["iat"], claims["exp"]
    if claims["sub"] != SUBJECT or not _is_int(issued) or not _is_int(expires):
        raise InvalidToken("unexpected claims")
    current = _epoch(now)
    if current >= expires + LEEWAY_SECONDS:
        raise InvalidToken("expired")
    if issued > current + LEEWAY_SECONDS:
        raise InvalidToken("issued in the future")
    return Session(token, _from_epoch(expires))


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _epoch(moment: datetime) -> int:
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return int(moment.timestamp())


def _from_epoch(seconds: int) -> datetime:
    return datetime(1970, 1, 1) + timedelta(seconds=seconds)
