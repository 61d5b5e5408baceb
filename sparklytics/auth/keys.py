"""API keys: ``Authorization: Bearer spk_selfhosted_<32 hex>``.

A key is shown once, in the create response; the database keeps only its SHA-256
(``key_hash``, 64 lowercase hex) and its first 20 characters (``key_prefix``) so a
list can tell keys apart. Keys are high-entropy random strings, so an unsalted fast
hash is enough: there is nothing to brute-force.

* :func:`new_key` makes a key; :func:`hash_key` and :func:`bearer_token` are the pieces
  the guard needs.
* :class:`KeyRing` is the set of non-revoked keys, held in memory so authenticating a
  request costs a hash and a dict lookup, not a database round trip. It is loaded once
  and changed only by the code that creates and revokes keys (one process owns the
  DuckDB file, so nothing else can change the table behind its back).
* :class:`KeyUsage` collects ``last_used_at`` times so that a request never waits for
  a database write: uses are coalesced per key (one per :data:`USAGE_GRANULARITY`) and
  written later by the Writer in one small batch.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from sparklytics.enrich import random_id

KEY_PREFIX = "spk_selfhosted_"
KEY_RANDOM_BYTES = 16
DISPLAY_PREFIX_CHARS = 20
KEY_ID_PREFIX = "key_"
KEY_ID_LENGTH = 10
MAX_KEY_CHARS = 256
USAGE_GRANULARITY = timedelta(seconds=60)


@dataclass(frozen=True, slots=True)
class NewKey:
    """A freshly made key: ``raw`` goes to the user once, the rest to the database."""

    id: str
    raw: str
    key_hash: str
    prefix: str


def new_key() -> NewKey:
    raw = KEY_PREFIX + secrets.token_hex(KEY_RANDOM_BYTES)
    return NewKey(random_id(KEY_ID_PREFIX, KEY_ID_LENGTH), raw, hash_key(raw), raw[:DISPLAY_PREFIX_CHARS])


def hash_key(raw: str) -> str:
    """Lowercase hex SHA-256 of the raw key, as stored in ``local_api_keys.key_hash``."""
    return hashlib.sha256(raw.encode()).hexdigest()


def bearer_token(authorization: str | None) -> str | None:
    """The credential of an ``Authorization: Bearer <token>`` header, else None.

    The scheme is case-insensitive; ``Bearer`` with nothing after it gives ``""`` (a
    Bearer attempt that must fail, not a missing header).
    """
    if not authorization:
        return None
    scheme, _, credential = authorization.strip().partition(" ")
    if scheme.lower() != "bearer":
        return None
    return credential.strip()


class KeyRing:
    """The non-revoked keys, by hash. ``find(raw)`` gives the key id or None."""

    def __init__(self, active: Mapping[str, str] | None = None) -> None:
        self._by_hash: dict[str, tuple[str, str]] = {}
        for key_hash, key_id in (active or {}).items():
            self.add(key_hash, key_id)

    def __len__(self) -> int:
        return len(self._by_hash)

    def find(self, raw: str) -> str | None:
        if not raw or len(raw) > MAX_KEY_CHARS:
            return None
        digest = hash_key(raw)
        entry = self._by_hash.get(digest)
        # The dict matched on the digest (which the caller cannot steer); the final
        # comparison is constant-time all the same.
        if entry is None or not hmac.compare_digest(entry[1], digest):
            return None
        return entry[0]

    def add(self, key_hash: str, key_id: str) -> None:
        self._by_hash[key_hash] = (key_id, key_hash)

    def remove(self, key_hash: str) -> None:
        self._by_hash.pop(key_hash, None)


class KeyUsage:
    """``last_used_at`` times waiting to be written, at most one per key per minute.

    :meth:`note` is called on the request path and never blocks; it returns True when
    the caller should hand a flush to the Writer (only one flush is queued at a time:
    later uses join the batch it will take). :meth:`take` is called by that flush — in
    the Writer's thread, hence the lock.
    """

    def __init__(self, *, granularity: timedelta = USAGE_GRANULARITY) -> None:
        self._granularity = granularity
        self._lock = threading.Lock()
        self._pending: dict[str, datetime] = {}
        self._noted: dict[str, datetime] = {}
        self._flush_queued = False

    def note(self, key_id: str, at: datetime) -> bool:
        with self._lock:
            last = self._noted.get(key_id)
            if last is None or at - last >= self._granularity:
                self._noted[key_id] = at
                self._pending[key_id] = at
            if self._pending and not self._flush_queued:
                self._flush_queued = True
                return True
            return False

    def take(self) -> dict[str, datetime]:
        with self._lock:
            batch, self._pending = self._pending, {}
            self._flush_queued = False
            return batch

    def flush_not_queued(self) -> None:
        """The flush could not be handed over (Writer busy): let a later use retry."""
        with self._lock:
            self._flush_queued = False

    def forget(self, key_id: str) -> None:
        with self._lock:
            self._pending.pop(key_id, None)
            self._noted.pop(key_id, None)
