"""What can go wrong when someone proves who they are.

These errors say *what* happened, never *how to answer*: the HTTP layer
(``sparklytics/api/errors.py``) maps each one to its status, code and message of
API.md §0.2, and nothing else does::

    AuthError
    ├── NotAuthenticated        no credentials, or a cookie/key that is not valid → 401
    │   └── InvalidToken        the session JWT is malformed, forged or expired   → 401
    ├── InvalidCredentials      wrong password, bootstrap or current password     → 401
    ├── SetupRequired           local mode and no admin password yet              → 403
    ├── PasswordChangeRequired  the default bootstrap was used: rotate first      → 403
    ├── KeyNotAllowed           an API key on a cookie-only (auth) route          → 403
    ├── SetupAlreadyDone        POST /api/auth/setup after it succeeded once      → 410
    ├── WeakPassword(message)   a new password that is blank or too short         → 400
    └── LockedOut(retry_after)  too many failed attempts from this client         → 429

Raised by :mod:`sparklytics.auth.state` (flows), :mod:`~sparklytics.auth.tokens`
(``InvalidToken``), :mod:`~sparklytics.auth.passwords` (``WeakPassword``) and
:mod:`~sparklytics.auth.guards` (the request checks).
"""

from __future__ import annotations


class AuthError(Exception):
    """Base of every authentication and authorization failure."""


class NotAuthenticated(AuthError):
    """The request carries no valid session cookie or API key."""

    def __init__(self, message: str = "Not authenticated") -> None:
        super().__init__(message)


class InvalidToken(NotAuthenticated):
    """A session token failed verification (signature, claims or expiry)."""

    def __init__(self, reason: str) -> None:
        super().__init__(f"invalid session token: {reason}")
        self.reason = reason


class InvalidCredentials(AuthError):
    """A password (login, bootstrap or current password) did not match."""

    def __init__(self) -> None:
        super().__init__("Invalid credentials")


class SetupRequired(AuthError):
    """Local mode has no admin password yet: POST /api/auth/setup first."""


class PasswordChangeRequired(AuthError):
    """The default bootstrap password was used; only a password change is allowed."""


class KeyNotAllowed(AuthError):
    """API keys cannot manage auth resources (cookie-only routes)."""


class SetupAlreadyDone(AuthError):
    """Setup runs once; afterwards the admin password changes via PUT /api/auth/password."""


class WeakPassword(AuthError):
    """A new password was refused; ``message`` says why, in the contract's words."""

    def __init__(self, message: str, *, field: str = "password") -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class LockedOut(AuthError):
    """Too many failed attempts from this client; retry after ``retry_after`` seconds."""

    def __init__(self, retry_after: int) -> None:
        super().__init__(f"too many failed attempts; retry after {retry_after} s")
        self.retry_after = retry_after
