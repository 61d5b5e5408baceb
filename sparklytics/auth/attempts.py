"""The login lockout's record of recent password attempts per client IP, and its
in-memory implementation (self-hosted mode).

Every backend keeps one promise (issue 13 #8, Decision 7): nothing that yields a client
IP is kept beside what reverses it. The attempts used to be stored as an HMAC of the
client IP, with the HMAC key in the same DuckDB file — anyone with the file alone could
hash every address of a /24 and read back who tried to log in (7 of 7 test addresses
in 2 ms). Self-hosted mode therefore keeps them here, in the one process that checks
them: the lockout only needs the last :data:`LOCKOUT_WINDOW` of attempts, and a key
kept outside the data folder would be one more secret to manage. The cost: a restart
forgets them, which lets a locked-out client try again sooner, at most
:data:`MAX_FAILURES` guesses per restart. Cloud mode shares the attempts between nodes
in PostgreSQL under a key that PostgreSQL never holds
(:mod:`sparklytics.stores.postgres.login_attempts` argues why that keeps the promise).

The protocol of both: :meth:`begin` records an attempt as failed *before* the password
is checked, or refuses it when the client already has :data:`MAX_FAILURES` failures in
the window; :meth:`succeeded` takes it back when the password matched. So concurrent
guesses cannot overshoot the limit: each one is counted before it is checked.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Protocol, TypeVar

MAX_FAILURES = 5
LOCKOUT_WINDOW = timedelta(minutes=15)

AttemptT = TypeVar("AttemptT")


class AttemptLog(Protocol[AttemptT]):
    """Recent password attempts per client IP (see the module docstring)."""

    async def begin(self, client: str, now: datetime) -> AttemptT | None:
        """Record a (so far failed) attempt by ``client``; ``None`` if it is locked out."""

    async def succeeded(self, attempt: AttemptT) -> None:
        """The password matched: this attempt no longer counts as a failure."""

    async def forget(self, now: datetime) -> int:
        """Drop the attempts that left the window (the Scheduler's ``forget_login_attempts``,
        every :data:`LOCKOUT_WINDOW`); how many."""


@dataclass(slots=True)
class Attempt:
    """One password check in progress: failed until :meth:`LoginAttempts.succeeded`."""

    client: str
    at: datetime
    succeeded: bool = field(default=False)


class LoginAttempts:
    """The attempts of one process, in memory. Its methods never wait, and the app runs
    on one Trio thread, so "count the recent failures, then record this attempt" cannot
    interleave with another guess. Memory is bounded: at most ``max_clients`` addresses
    are tracked, the longest-idle one forgotten first."""

    def __init__(self, *, max_failures: int = MAX_FAILURES, window: timedelta = LOCKOUT_WINDOW,
                 max_clients: int = 100_000) -> None:
        self.max_failures = max_failures
        self.window = window
        self.max_clients = max_clients
        self._by_client: OrderedDict[str, list[Attempt]] = OrderedDict()

    def __len__(self) -> int:
        """How many client addresses are tracked."""
        return len(self._by_client)

    async def begin(self, client: str, now: datetime) -> Attempt | None:
        recent = self._failures_in_window(self._by_client.pop(client, []), now)
        if len(recent) >= self.max_failures:
            self._by_client[client] = recent
            return None
        attempt = Attempt(client, now)
        recent.append(attempt)
        self._by_client[client] = recent
        while len(self._by_client) > self.max_clients:
            self._by_client.popitem(last=False)
        return attempt

    async def succeeded(self, attempt: Attempt) -> None:
        attempt.succeeded = True

    async def forget(self, now: datetime) -> int:
        dropped = 0
        for client, attempts in list(self._by_client.items()):
            recent = self._failures_in_window(attempts, now)
            dropped += len(attempts) - len(recent)
            if recent:
                self._by_client[client] = recent
            else:
                del self._by_client[client]
        return dropped

    def _failures_in_window(self, attempts: list[Attempt], now: datetime) -> list[Attempt]:
        """The attempts that still count against their client at ``now``."""
        cutoff = now - self.window
        return [a for a in attempts if a.at >= cutoff and not a.succeeded]
