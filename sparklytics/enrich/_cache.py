"""A bounded LRU memo for one-string-argument functions, with hit statistics.

Enrichment sees the same few hundred user agents, URLs and referrers over and over, so
each parser sits behind a small LRU cache (``functools.lru_cache``: C speed, thread
safe). Two things are added on top:

* **Memory stays bounded under hostile input.** Keys come from request headers and
  bodies. A string longer than ``max_key_chars`` is computed but never stored, so a
  client sending 100 kB user agents cannot make the cache hold 2 048 of them.
* **``statistics()``** returns a frozen :class:`CacheStatistics` that ``/health`` and
  ``bench/`` print. Uncached (oversized) calls count as misses.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Generic, TypeVar

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class CacheStatistics:
    """How a cache has fared since the process started (or since it was cleared)."""

    hits: int
    misses: int
    size: int


class LruCache(Generic[T]):
    """Memoizes ``fn(key)`` for at most ``maxsize`` keys of at most ``max_key_chars``.

    ``fn`` must be pure: the cache never expires entries, it only evicts the least
    recently used one when full.
    """

    __slots__ = ("_fn", "_cached", "_max_key_chars", "_oversized")

    def __init__(self, fn: Callable[[str], T], *, maxsize: int, max_key_chars: int) -> None:
        if maxsize < 1:
            raise ValueError("maxsize must be at least 1")
        self._fn = fn
        self._cached = functools.lru_cache(maxsize=maxsize)(fn)
        self._max_key_chars = max_key_chars
        self._oversized = 0

    def __call__(self, key: str) -> T:
        if len(key) > self._max_key_chars:
            self._oversized += 1
            return self._fn(key)
        return self._cached(key)

    def statistics(self) -> CacheStatistics:
        """Hits, misses (oversized keys included) and the number of stored entries."""
        info = self._cached.cache_info()
        return CacheStatistics(
            hits=info.hits, misses=info.misses + self._oversized, size=info.currsize
        )

    def clear(self) -> None:
        """Forget every entry and reset the counters."""
        self._cached.cache_clear()
        self._oversized = 0
