"""Authentication: passwords, session tokens, API keys and the request guard.

* :mod:`~sparklytics.auth.passwords` — Argon2id hashing off the event loop (async) and
  the rules for new passwords.
* :mod:`~sparklytics.auth.tokens` — the HS256 session JWT of the ``spk_session`` cookie.
* :mod:`~sparklytics.auth.keys` — ``spk_selfhosted_…`` API keys, their in-memory ring and
  the ``last_used_at`` batcher.
* :mod:`~sparklytics.auth.state` — :class:`AuthState`: the flows (setup, login, password
  change, keys) and what they cache.
* :mod:`~sparklytics.auth.guards` — the app-level guard and the restricted CORS layer;
  how a route is declared public or cookie-only.
* :mod:`~sparklytics.auth.errors` — the precise errors; only ``sparklytics/api/errors.py``
  maps them to HTTP.
"""

from sparklytics.auth.errors import (
    AuthError,
    InvalidCredentials,
    InvalidToken,
    KeyNotAllowed,
    LockedOut,
    NotAuthenticated,
    PasswordChangeRequired,
    SetupAlreadyDone,
    SetupRequired,
    WeakPassword,
)
from sparklytics.auth.guards import (
    Access,
    Principal,
    auth_state,
    cookie_only,
    cookie_only_during_rotation,
    current_principal,
    install,
    protected,
    public,
)
from sparklytics.auth.state import AuthState

__all__ = [
    "Access",
    "AuthError",
    "AuthState",
    "InvalidCredentials",
    "InvalidToken",
    "KeyNotAllowed",
    "LockedOut",
    "NotAuthenticated",
    "PasswordChangeRequired",
    "Principal",
    "SetupAlreadyDone",
    "SetupRequired",
    "WeakPassword",
    "auth_state",
    "cookie_only",
    "cookie_only_during_rotation",
    "current_principal",
    "install",
    "protected",
    "public",
]
