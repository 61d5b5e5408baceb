"""Password hashing (Argon2id) and the rules for new passwords.

Argon2id is deliberately slow and memory-hungry (≈ 150–250 ms and 64 MiB per hash at
the default cost, STACK-NOTES.md), so every hash and verify runs in a worker thread:
on the Trio loop it would stall every other request for that long. A small
``CapacityLimiter`` bounds how many run at once, which also bounds the memory they
take together — a flood of logins queues here instead of exhausting RAM.

Hashes are PHC strings (``$argon2id$v=19$m=…,t=3,p=1$salt$hash``): verification reads
the parameters from the string, so raising ``SPARKLYTICS_ARGON2_MEMORY_KB`` later does
not lock anyone out.

Shared secrets that are not hashed (the password of ``SPARKLYTICS_AUTH=password`` and
the bootstrap password) are compared with :func:`secrets_match`, in constant time.
"""

from __future__ import annotations

import hashlib
import hmac

import trio
from argon2 import PasswordHasher as _Argon2
from argon2 import Type
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from sparklytics.auth.errors import WeakPassword

MIN_PASSWORD_BYTES = 12
TIME_COST = 3
PARALLELISM = 1
HASH_LEN = 32
SALT_LEN = 16
# Two hashes at once: enough for an admin and a dashboard, and at most 2 × memory cost.
CONCURRENT_HASHES = 2


def check_new_password(password: str, *, field: str = "password") -> None:
    """Raise :class:`WeakPassword` unless ``password`` may become the admin password.

    The length counts UTF-8 bytes, as the contract does (API.md §4); ``field`` names
    the body field in the error.
    """
    if not password.strip():
        raise WeakPassword("password cannot be empty or whitespace-only", field=field)
    if len(password.encode()) < MIN_PASSWORD_BYTES:
        raise WeakPassword(f"password must be at least {MIN_PASSWORD_BYTES} characters", field=field)


def secrets_match(expected: str, given: str) -> bool:
    """Compare two secrets in constant time (lengths included: both are hashed first)."""
    return hmac.compare_digest(
        hashlib.sha256(expected.encode()).digest(), hashlib.sha256(given.encode()).digest()
    )


class PasswordHasher:
    """Argon2id with our parameters, run off the event loop.

    ``await hasher.hash(p)`` gives a PHC string; ``await hasher.verify(phc, p)`` says
    whether ``p`` matches it.
    """

    def __init__(self, *, memory_kb: int, limiter: trio.CapacityLimiter | None = None) -> None:
        self._argon2 = _Argon2(
            time_cost=TIME_COST,
            memory_cost=memory_kb,
            parallelism=PARALLELISM,
            hash_len=HASH_LEN,
            salt_len=SALT_LEN,
            type=Type.ID,
        )
        self._limiter = limiter or trio.CapacityLimiter(CONCURRENT_HASHES)

    async def hash(self, password: str) -> str:
        return await trio.to_thread.run_sync(self._argon2.hash, password, limiter=self._limiter)

    async def verify(self, password_hash: str, password: str) -> bool:
        """True if ``password`` matches; False on a mismatch or an unreadable hash."""
        return await trio.to_thread.run_sync(self._verify, password_hash, password, limiter=self._limiter)

    def _verify(self, password_hash: str, password: str) -> bool:
        try:
            return self._argon2.verify(password_hash, password)
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return False
