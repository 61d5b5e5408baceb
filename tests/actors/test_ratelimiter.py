"""The RateLimiter actor: sliding windows per (limit, client), and switching families off."""

from __future__ import annotations

import trio

from actors.ratelimiter import Check, Limit, RateLimited, RateLimiter
from actors.runtime import ask

READS = Limit("funnels.reads", 2)
RESULTS = Limit("funnels.results", 1)
COLLECT = Limit("collect", 1)


async def check(limiter: RateLimiter, limit: Limit, client: str) -> int | None:
    """None when allowed, else the Retry-After seconds of the refusal."""
    try:
        await ask(limiter.inbox, Check(limit, client), timeout=5)
    except RateLimited as refused:
        return refused.retry_after
    return None


async def test_each_limit_and_client_has_its_own_window() -> None:
    limiter = RateLimiter(max_keys=100)
    async with trio.open_nursery() as nursery:
        await nursery.start(limiter.run)
        assert [await check(limiter, READS, "a") for _ in range(3)] == [None, None, 60]
        assert await check(limiter, READS, "b") is None
        assert await check(limiter, RESULTS, "a") is None
        limiter.inbox.close()


async def test_a_disabled_family_lifts_every_limit_named_after_it() -> None:
    assert READS.family == RESULTS.family == "funnels"
    limiter = RateLimiter(max_keys=100, disabled_limits=frozenset({"funnels"}))
    async with trio.open_nursery() as nursery:
        await nursery.start(limiter.run)
        assert [await check(limiter, READS, "a") for _ in range(5)] == [None] * 5
        assert [await check(limiter, RESULTS, "a") for _ in range(5)] == [None] * 5
        assert [await check(limiter, COLLECT, "a") for _ in range(2)] == [None, 60]
        limiter.inbox.close()
