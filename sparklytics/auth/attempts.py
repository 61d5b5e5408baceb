"""The login lockout's memory: recent password attempts per client IP, never on disk.

Why memory (issue 13 #8, Decision 7): the attempts used to be stored as an HMAC of the
client IP, with the HMAC key in the same DuckDB file — anyone with the file alone could
hash every address of a /24 and read back who tried to log in (7 of 7 test addresses
in 2 ms). No value derived from an IP may sit beside the key that reverses it, and a
key kept outside the data folder would be one more secret to manage. The lockout only
needs the last :data:`window` of attempts, so they live here, in the one process that
checks them. The cost: a restart forgets them, which lets a locked-out client try again
sooner, at most :data:`max_failures` guesses per restart.

Every method is synchronous and the app runs on one Trio thread, so "count the recent
failures, then record this attempt" cannot interleave with another guess: an attempt
is recorded as failed *before* the password is checked and cleared when it matches, so
concurrent guesses cannot overshoot the limit. Memory is bounded: at most
:data:`max_clients` addresses are tracked, the longest-idle one forgotten first.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass, field
from datetime import datetime, timedelta


@dataclass(slots=True)
class Attempt:
    """One password check in progress: failed until :meth:`LoginAttempts.succeeded`."""

    client: str
    at: datetime
    succeeded: bool = field(default=False)


class LoginAttempts:
    def __init__(self, *, max_failures: int, window: timedelta, max_clients: int = 100_000) -> None:
        self.max_failures = max_failures
        self.window = window
        self.max_clients = max_clients
        self._by_client: OrderedDict[str, list[Attempt]] = OrderedDict()

    def __len__(self) -> int:
        """How many client addresses are tracked."""
        return len(self._by_client)

    def begin(self, client: str, now: datetime) -> Attempt | None:
        """Record a (so far failed) attempt by ``client``; ``None`` if it is locked out."""
        cutoff = now - self.window
        recent = [a for a in self._by_client.pop(client, []) if a.at >= cutoff and not a.succeeded]
        if len(recent) >= self.max_failures:
            self._by_client[client] = recent
            return None
        attempt = Attempt(client, now)
        recent.append(attempt)
        self._by_client[client] = recent
        while len(self._by_client) > self.max_clients:
            self._by_client.popitem(last=False)
        return attempt

    def succeeded(self, attempt: Attempt) -> None:
        """The password matched: this attempt no longer counts as a failure."""
        attempt.succeeded = True
