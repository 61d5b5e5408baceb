"""RateLimiter: per-client sliding windows, the first stop of every public request.

It owns one sliding-window log per key. Keys are namespaced by their limit
(``"<name>:<max>:<ip>"``), so the collect, share, login … buckets of one client are
independent (§2 step 4). The key map is bounded: when it is full and no key's window
has expired, a *new* key is refused (fail closed) rather than letting an attacker
with many addresses grow memory or evict real clients' windows.

It never enriches or stores anything. For collect it sits at the head of the ingest
pipeline: ``Admit`` carries the request on to the next mailbox when the client is
within its limit, so a request costs one round trip (ARCHITECTURE.md). Back-pressure:
if the next mailbox is full the request is refused at once (503), never queued.
"""

from __future__ import annotations

import time
from collections import OrderedDict, deque
from dataclasses import dataclass, field
from typing import Any

import trio

from actors.buffer import IngestOverloaded
from actors.runtime import Actor, ActorStatistics, Mailbox, MailboxFull, Reply


@dataclass(frozen=True, slots=True)
class Limit:
    """At most ``max_requests`` per ``window`` seconds, for the bucket called ``name``."""

    name: str
    max_requests: int
    window: float = 60.0

    @property
    def family(self) -> str:
        """The name up to its first dot: ``funnels.reads`` and ``funnels.results`` are
        both ``funnels``, so one switch can lift a family of limits."""
        return self.name.partition(".")[0]


@dataclass(frozen=True, slots=True)
class Admit:
    """Count a request of ``client`` under ``limit``; if allowed pass ``message`` on."""

    limit: Limit
    client: str
    next_mailbox: Mailbox[Any]
    message: Any

    @property
    def reply(self) -> Reply:
        return self.message.reply


@dataclass(frozen=True, slots=True)
class Check:
    """Count a request of ``client`` under ``limit``; reply None or fail RateLimited."""

    limit: Limit
    client: str
    reply: Reply = field(default_factory=Reply)


class RateLimited(Exception):
    """The client is over its limit (or the key map is full): answer 429."""

    def __init__(self, retry_after: int) -> None:
        super().__init__("Rate limit exceeded")
        self.retry_after = retry_after


@dataclass(frozen=True, slots=True)
class RateLimiterStatistics(ActorStatistics):
    keys: int
    max_keys: int
    limited: int
    refused_new_keys: int


class RateLimiter(Actor):
    def __init__(self, *, max_keys: int, disabled_limits: frozenset[str] = frozenset()) -> None:
        super().__init__("ratelimiter", capacity=4096)
        self._max_keys = max_keys
        self._disabled = disabled_limits
        self._windows: OrderedDict[str, tuple[float, deque[float]]] = OrderedDict()
        self._limited = 0
        self._refused_new_keys = 0

    async def run(self, *, task_status: trio.TaskStatus[None] = trio.TASK_STATUS_IGNORED) -> None:
        task_status.started()
        async for msg in self.inbox:
            match msg:
                case Admit(limit, client, next_mailbox, message):
                    self._admit(limit, client, next_mailbox, message)
                case Check(limit, client, reply):
                    retry_after = self._hit(limit, client)
                    if retry_after is None:
                        reply.send(None)
                    else:
                        reply.fail(RateLimited(retry_after))
                case _:
                    raise TypeError(f"rate limiter got an unknown message: {msg!r}")

    def statistics(self) -> RateLimiterStatistics:
        return RateLimiterStatistics(*self._actor_statistics(), len(self._windows), self._max_keys, self._limited, self._refused_new_keys)

    def _admit(self, limit: Limit, client: str, next_mailbox: Mailbox[Any], message: Any) -> None:
        retry_after = self._hit(limit, client)
        if retry_after is not None:
            message.reply.fail(RateLimited(retry_after))
            return
        try:
            next_mailbox.send_nowait(message)
        except MailboxFull:
            message.reply.fail(IngestOverloaded(f"{next_mailbox.name} is busy"))

    def _hit(self, limit: Limit, client: str) -> int | None:
        """Record one request; None if allowed, else seconds until it would be."""
        if limit.family in self._disabled:
            return None
        now = time.monotonic()
        key = f"{limit.name}:{limit.max_requests}:{client}"
        entry = self._windows.get(key)
        if entry is None:
            if len(self._windows) >= self._max_keys and not self._evict_expired(now):
                self._refused_new_keys += 1
                self._limited += 1
                return int(limit.window)
            window: deque[float] = deque()
            self._windows[key] = (limit.window, window)
        else:
            window = entry[1]
            self._windows.move_to_end(key)
        while window and window[0] <= now - limit.window:
            window.popleft()
        if len(window) >= limit.max_requests:
            self._limited += 1
            return max(1, int(window[0] + limit.window - now + 0.999))
        window.append(now)
        return None

    def _evict_expired(self, now: float) -> bool:
        """Drop the least recently used key if its window is over; False if it is not."""
        key, (length, window) = next(iter(self._windows.items()))
        if window and window[-1] > now - length:
            return False
        del self._windows[key]
        return True
