"""API keys: format, hashing, the Bearer header, the in-memory ring and usage batching."""

from __future__ import annotations

import hashlib
import re
from datetime import datetime, timedelta

import pytest

from sparklytics.auth.keys import KeyRing, KeyUsage, bearer_token, hash_key, new_key

NOW = datetime(2026, 3, 29, 12, 0, 0)


def test_new_key_format() -> None:
    key = new_key()
    assert re.fullmatch(r"spk_selfhosted_[0-9a-f]{32}", key.raw)
    assert re.fullmatch(r"key_[0-9a-z]{10}", key.id)
    assert key.prefix == key.raw[:20] and len(key.prefix) == 20
    assert key.key_hash == hashlib.sha256(key.raw.encode()).hexdigest()
    assert re.fullmatch(r"[0-9a-f]{64}", key.key_hash)
    assert new_key().raw != key.raw


def test_hash_key_is_lowercase_sha256_hex() -> None:
    assert hash_key("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"


@pytest.mark.parametrize(
    ("header", "token"),
    [
        (None, None),
        ("", None),
        ("Basic dXNlcjpwYXNz", None),
        ("Bearer spk_selfhosted_abc", "spk_selfhosted_abc"),
        ("bearer spk_selfhosted_abc", "spk_selfhosted_abc"),
        ("BEARER   spk_selfhosted_abc  ", "spk_selfhosted_abc"),
        ("Bearer", ""),
        ("Bearer ", ""),
    ],
)
def test_bearer_token(header: str | None, token: str | None) -> None:
    assert bearer_token(header) == token


def test_key_ring_finds_only_active_keys() -> None:
    first, second = new_key(), new_key()
    ring = KeyRing({first.key_hash: first.id})
    ring.add(second.key_hash, second.id)
    assert ring.find(first.raw) == first.id
    assert ring.find(second.raw) == second.id
    assert ring.find(first.key_hash) is None  # the hash itself is not a key
    assert ring.find(first.raw + "0") is None
    assert ring.find("") is None
    assert ring.find("x" * 10_000) is None
    ring.remove(first.key_hash)
    assert ring.find(first.raw) is None
    assert len(ring) == 1


def test_usage_asks_for_one_flush_at_a_time() -> None:
    usage = KeyUsage()
    assert usage.note("key_a", NOW) is True  # first use: hand a flush to the writer
    assert usage.note("key_b", NOW) is False  # joins the queued flush
    assert usage.take() == {"key_a": NOW, "key_b": NOW}
    assert usage.take() == {}


def test_usage_is_coalesced_per_key_per_minute() -> None:
    usage = KeyUsage(granularity=timedelta(seconds=60))
    usage.note("key_a", NOW)
    usage.take()
    assert usage.note("key_a", NOW + timedelta(seconds=30)) is False
    assert usage.take() == {}
    assert usage.note("key_a", NOW + timedelta(seconds=60)) is True
    assert usage.take() == {"key_a": NOW + timedelta(seconds=60)}


def test_a_flush_that_could_not_be_queued_is_retried_by_the_next_use() -> None:
    usage = KeyUsage()
    assert usage.note("key_a", NOW) is True
    usage.flush_not_queued()
    assert usage.note("key_a", NOW + timedelta(seconds=1)) is True  # still pending
    assert usage.take() == {"key_a": NOW}


def test_forget_drops_pending_usage() -> None:
    usage = KeyUsage()
    usage.note("key_a", NOW)
    usage.forget("key_a")
    assert usage.take() == {}
