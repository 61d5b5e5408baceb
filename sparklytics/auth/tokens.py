"""Session tokens: the HS256 JWT inside the ``spk_session`` cookie.

A session is a signed claim ``{"sub": "admin", "iat", "exp", "jti"}``. Two things make
a token die before ``exp``: logout, which records its ``jti`` as revoked until it would
have expired (``sparklytics.auth.state``; a copied cookie stops working at once), and its
*signing key*:

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
# No token we sign lives longer (SPARKLYTICS_SESSION_DAYS is at most 365); a longer
# claimed lifetime is a forgery, and an ``exp`` of 10**20 would overflow a datetime.
MAX_LIFETIME_SECONDS = 366 * 86_400
MAX_JTI_CHARS = 64


@dataclass(frozen=True, slots=True)
class Session:
    """A signed session token, its id and the moment it stops working (naive UTC)."""

    token: str
    jti: str
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
    jti = secrets.token_hex(16)
    token = jwt.encode({"sub": SUBJECT, "iat": issued, "exp": expires, "jti": jti}, key, algorithm=ALGORITHM)
    return Session(token, jti, _from_epoch(expires))


def verify(key: str, token: str, *, now: datetime) -> Session:
    """The session ``token`` stands for; raise :class:`InvalidToken` if it is not valid.

    Checks the HS256 signature (no other algorithm is accepted), that ``sub``, ``iat``,
    ``exp`` and ``jti`` are present and sane, and that ``exp`` (plus leeway) is still
    ahead. Revocation is the caller's check (it needs the revoked ids).
    """
    if not token or len(token) > MAX_TOKEN_CHARS:
        raise InvalidToken("missing or oversized token")
    try:
        claims = jwt.decode(
            token,
            key,
            algorithms=[ALGORITHM],
            options={"require": ["sub", "iat", "exp", "jti"], "verify_exp": False, "verify_iat": False, "verify_nbf": False},
        )
    except jwt.InvalidTokenError as exc:
        raise InvalidToken(type(exc).__name__) from None
    issued, expires, jti = claims["iat"], claims["exp"], claims["jti"]
    if claims["sub"] != SUBJECT or not _is_int(issued) or not _is_int(expires):
        raise InvalidToken("unexpected claims")
    if not isinstance(jti, str) or not 0 < len(jti) <= MAX_JTI_CHARS:
        raise InvalidToken("unexpected claims")
    if not 0 < expires - issued <= MAX_LIFETIME_SECONDS:
        raise InvalidToken("impossible lifetime")
    current = _epoch(now)
    if current >= expires + LEEWAY_SECONDS:
        raise InvalidToken("expired")
    if issued > current + LEEWAY_SECONDS:
        raise InvalidToken("issued in the future")
    return Session(token, jti, _from_epoch(expires))


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _epoch(moment: datetime) -> int:
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return int(moment.timestamp())


def _from_epoch(seconds: int) -> datetime:
    return datetime(1970, 1, 1) + timedelta(seconds=seconds)
