"""Slots that keep expensive reports from crowding out the cheap ones.

The routes take a slot before they ask a store for an exploration report or an export;
waiting for one is bounded, so a burst is refused (429) instead of queueing for minutes.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import trio


class SlotsBusy(Exception):
    """Raised by :meth:`ReportSlots.hold` when no slot freed up in time: answer 429."""


class ReportSlots:
    """A few slots for expensive reports, so they cannot crowd out the cheap ones.

    Unlike the reader pool, waiting is bounded: a request that cannot get a slot within
    ``wait`` seconds is refused (429) instead of queueing behind minutes of work.
    """

    def __init__(self, slots: int, *, wait: float) -> None:
        self._limiter = trio.CapacityLimiter(slots)
        self._wait = wait

    @asynccontextmanager
    async def hold(self) -> AsyncIterator[None]:
        with trio.move_on_after(self._wait) as scope:
            await self._limiter.acquire()
        if scope.cancelled_caught:
            raise SlotsBusy("no report slot is free")
        try:
            yield
        finally:
            self._limiter.release()
