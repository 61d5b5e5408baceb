"""The auth flows and the little state they keep: :class:`AuthState`, one per app.

What it holds in memory, loaded once from ``settings`` and ``local_api_keys`` on first
use and changed only by its own methods (one process owns the DuckDB file, so nothing
else writes these rows):

* whether an admin password exists, its hash and the forced-rotation flag (local mode);
* ``jwt_secret`` (session signing) and the ids of logged-out sessions that have not
  expired yet (a copied cookie dies at logout);
* the :class:`~sparklytics.auth.keys.KeyRing` of usable API keys and the
  :class:`~sparklytics.auth.keys.KeyUsage` batch of ``last_used_at`` times.

So a guarded request costs a dict lookup or an HMAC, never a database round trip.

In cloud mode other app nodes write these rows too (a login, logout, key or password
change on one node), so the state is read again when it is older than
:data:`CLOUD_RELOAD_SECONDS`: a change made on one node holds on every node within
that time, at one PostgreSQL round trip per node per interval.
Every change is written through the Writer first and mirrored here only once it has
committed.

Flows raise the precise errors of :mod:`sparklytics.auth.errors`; HTTP is not spoken
here. Attempts to prove a password — login, setup's bootstrap password and the current
password of a change — share one lockout per client IP: at most
:data:`~sparklytics.auth.attempts.MAX_FAILURES` failures in
:data:`~sparklytics.auth.attempts.LOCKOUT_WINDOW`, then :class:`LockedOut`. The attempts
are the services' ``login_attempts``: this process's memory, or in cloud mode PostgreSQL,
shared by every node without storing anything that yields an IP
(:mod:`sparklytics.auth.attempts` says why and how).

The clock (``clock``, naive UTC) is an attribute: tests replace it to expire sessions
and age attempts without sleeping.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

import trio

from sparklytics.auth import tokens
from sparklytics.auth.errors import (
    InvalidCredentials,
    LockedOut,
    SetupAlreadyDone,
    SetupRequired,
)
from sparklytics.auth.keys import KeyRing, KeyUsage, NewKey, new_key
from sparklytics.auth.passwords import PasswordHasher, check_new_password, secrets_match
from sparklytics.clock import utc_now
from sparklytics.stores.errors import StorageFault

if TYPE_CHECKING:
    from sparklytics.services import Services

log = logging.getLogger("sparklytics.auth")

DEFAULT_BOOTSTRAP_PASSWORD = "sparklytics"
# Cloud mode: how old the auth state may get before a node reads it again (other nodes write it).
CLOUD_RELOAD_SECONDS = 1.0
LOCKOUT_SECONDS = 900


def rfc3339(moment: datetime) -> str:
    """A naive UTC time as the API shows server-made times: ``…T…+00:00``."""
    return moment.replace(tzinfo=timezone.utc).isoformat(timespec="seconds")


@dataclass(frozen=True, slots=True)
class CreatedKey:
    """A new API key as the create response shows it (``raw`` only this once)."""

    key: NewKey
    name: str
    created_at: datetime


class AuthState:
    """Auth for one running app. Call :meth:`ensure_loaded` before the sync checks."""

    def __init__(
        self,
        services: Services,
        *,
        clock: Callable[[], datetime] = utc_now,
        hasher: PasswordHasher | None = None,
    ) -> None:
        self.mode: str = services.config.auth
        self.clock = clock
        self._services = services
        self._config = services.config
        self._hasher = hasher or PasswordHasher(memory_kb=services.config.argon2_memory_kb)
        self._load_lock = trio.Lock()
        self._loaded = False
        self._loaded_at = 0.0
        self._reload_after = CLOUD_RELOAD_SECONDS if services.config.mode == "cloud" else None
        self._password_hash: str | None = None
        self._change_required = False
        self._jwt_secret = ""
        self._revoked: dict[str, datetime] = {}
        self._attempts = services.login_attempts
        self.keys = KeyRing()
        self.usage = KeyUsage()

    # --- loading and the synchronous checks the guard makes ----------------------------

    async def ensure_loaded(self) -> None:
        """Read the auth settings once (creating the secrets on a fresh install); in
        cloud mode again once they are older than :data:`CLOUD_RELOAD_SECONDS`."""
        if self._loaded and not self._stale():
            return
        async with self._load_lock:
            if self._loaded and not self._stale():
                return
            settings = await self._services.metadata.load_auth_settings(
                new_jwt_secret=tokens.new_secret(), now=self.clock()
            )
            self._password_hash = settings.admin_password_hash
            self._change_required = settings.password_change_required
            self._jwt_secret = settings.jwt_secret
            self._revoked = settings.revoked_sessions
            self.keys = KeyRing(settings.active_keys)
            self._loaded = True
            self._loaded_at = trio.current_time()

    def _stale(self) -> bool:
        return self._reload_after is not None and trio.current_time() - self._loaded_at >= self._reload_after

    @property
    def setup_required(self) -> bool:
        """Local mode without an admin password: everything but setup is refused."""
        return self.mode == "local" and self._password_hash is None

    @property
    def password_change_required(self) -> bool:
        """Local mode after a setup with the default bootstrap password (ignored otherwise)."""
        return self.mode == "local" and self._change_required

    def verify_session(self, token: str) -> tokens.Session:
        """The session of a cookie value; raises ``InvalidToken`` (also once logged out)."""
        session = tokens.verify(self._session_key(), token, now=self.clock())
        if session.jti in self._revoked:
            raise tokens.InvalidToken("logged out")
        return session

    def session_is_valid(self, token: str | None) -> bool:
        if not token or self.setup_required:
            return False
        try:
            self.verify_session(token)
        except tokens.InvalidToken:
            return False
        return True

    def find_key(self, raw: str) -> str | None:
        """The id of the usable API key ``raw``, or None."""
        return self.keys.find(raw)

    def note_key_used(self, key_id: str) -> None:
        """Remember that a key was used, without waiting for any write."""
        if not self.usage.note(key_id, self.clock()):
            return
        try:
            self._services.metadata.record_key_usage_soon(self._take_usage)
        except StorageFault:
            self.usage.flush_not_queued()

    async def flush_key_usage(self) -> None:
        """Write every pending ``last_used_at`` now (before listing keys)."""
        await self._services.metadata.record_key_usage(self._take_usage)

    # --- flows --------------------------------------------------------------------------

    async def setup(self, bootstrap_password: str, password: str, *, client: str) -> None:
        """Set the first admin password (local mode). Does not log in."""
        await self.ensure_loaded()
        if not self.setup_required:
            raise SetupAlreadyDone()
        expected = self._config.bootstrap_password or DEFAULT_BOOTSTRAP_PASSWORD

        async def bootstrap_matches() -> bool:
            return secrets_match(expected, bootstrap_password)

        await self._attempt(client, bootstrap_matches)
        check_new_password(password)
        password_hash = await self._hasher.hash(password)
        change_required = self._config.bootstrap_password is None
        stored = await self._services.metadata.complete_setup(password_hash=password_hash, change_required=change_required)
        if not stored:
            raise SetupAlreadyDone()
        self._password_hash = password_hash
        self._change_required = change_required

    async def login(self, password: str, *, client: str) -> tokens.Session:
        """Check the password and sign a session (local or password mode)."""
        await self.ensure_loaded()
        if self.setup_required:
            raise SetupRequired()
        await self._attempt(client, lambda: self._password_matches(password))
        return tokens.issue(self._session_key(), now=self.clock(), days=self._config.session_days)

    async def logout(self, session: tokens.Session) -> None:
        """Revoke ``session`` for good: a copy of its cookie stops working too.

        The revocation is stored (it survives a restart) until the token would have
        expired; the Scheduler deletes it after that, and expired ones are dropped
        from memory here.
        """
        await self._services.metadata.revoke_session(session.jti, session.expires_at)
        now = self.clock()
        self._revoked = {jti: expires for jti, expires in self._revoked.items() if expires > now}
        self._revoked[session.jti] = session.expires_at

    async def change_password(self, current_password: str, new_password: str, *, client: str) -> None:
        """Replace the admin password (local mode) and sign every session out."""
        await self.ensure_loaded()
        if self.setup_required:
            raise SetupRequired()
        await self._attempt(client, lambda: self._password_matches(current_password))
        check_new_password(new_password, field="new_password")
        password_hash = await self._hasher.hash(new_password)
        jwt_secret = tokens.new_secret()
        await self._services.metadata.change_password(password_hash=password_hash, jwt_secret=jwt_secret)
        self._password_hash = password_hash
        self._change_required = False
        self._jwt_secret = jwt_secret

    async def create_key(self, name: str) -> CreatedKey:
        key = new_key()
        now = self.clock().replace(microsecond=0)
        await self._services.metadata.insert_api_key(
            key_id=key.id, name=name, key_hash=key.key_hash, key_prefix=key.prefix, created_at=now
        )
        self.keys.add(key.key_hash, key.id)
        return CreatedKey(key, name, now)

    async def list_keys(self, *, limit: int, offset: int) -> tuple[list[dict[str, Any]], int]:
        await self.flush_key_usage()
        return await self._services.metadata.list_api_keys(limit=limit, offset=offset)

    async def revoke_key(self, key_id: str) -> bool:
        """Revoke a usable key; False if there is none with that id."""
        now = self.clock()
        key_hash = await self._services.metadata.revoke_api_key(key_id, now)
        if key_hash is None:
            return False
        self.keys.remove(key_hash)
        self.usage.forget(key_id)
        return True

    # --- helpers ------------------------------------------------------------------------

    def _session_key(self) -> str:
        shared = self._config.password if self.mode == "password" else None
        return tokens.signing_key(self._jwt_secret, shared_password=shared)

    async def _password_matches(self, password: str) -> bool:
        if self.mode == "password":
            return secrets_match(self._config.password or "", password)
        if self._password_hash is None:
            return False
        return await self._hasher.verify(self._password_hash, password)

    async def _attempt(self, client_ip: str, check: Callable[[], Awaitable[bool]]) -> None:
        """Run one password check under the per-client lockout (see module docstring)."""
        attempt = await self._attempts.begin(client_ip, self.clock())
        if attempt is None:
            raise LockedOut(LOCKOUT_SECONDS)
        if not await check():
            raise InvalidCredentials()
        await self._attempts.succeeded(attempt)

    def _take_usage(self) -> dict[str, datetime]:
        """The pending ``last_used_at`` batch, taken when its write runs."""
        return self.usage.take()
