import pytest

from sparklytics.enrich._cache import CacheStatistics, LruCache


def make(maxsize=2, max_key_chars=10):
    calls = []

    def upper(key):
        calls.append(key)
        return key.upper()

    return LruCache(upper, maxsize=maxsize, max_key_chars=max_key_chars), calls


def test_hits_misses_and_size():
    cache, calls = make()
    assert [cache("a"), cache("a"), cache("b")] == ["A", "A", "B"]
    assert calls == ["a", "b"]
    assert cache.statistics() == CacheStatistics(hits=1, misses=2, size=2)


def test_least_recently_used_entry_is_evicted():
    cache, calls = make(maxsize=2)
    cache("a")
    cache("b")
    cache("a")
    cache("c")  # evicts "b"
    cache("a")
    cache("b")
    assert calls == ["a", "b", "c", "b"]
    assert cache.statistics().size == 2


def test_oversized_keys_are_computed_every_time_and_never_stored():
    cache, calls = make(max_key_chars=3)
    assert cache("long") == "LONG"
    assert cache("long") == "LONG"
    assert calls == ["long", "long"]
    assert cache.statistics() == CacheStatistics(hits=0, misses=2, size=0)


def test_clear_resets_entries_and_counters():
    cache, _ = make(max_key_chars=1)
    cache("a")
    cache("a")
    cache("ab")
    cache.clear()
    assert cache.statistics() == CacheStatistics(hits=0, misses=0, size=0)


def test_maxsize_must_be_positive():
    with pytest.raises(ValueError, match=r"^maxsize must be at least 1$"):
        LruCache(str.upper, maxsize=0, max_key_chars=1)
