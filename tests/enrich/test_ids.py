import hashlib
import hmac
import re

import pytest

from sparklytics.enrich.ids import (
    new_salt,
    public_session_id,
    random_id,
    session_id,
    session_key,
    visitor_id,
    website_id,
)

SALT = "00" * 31 + "01"


def test_new_salt_is_64_random_hex_chars():
    salts = {new_salt() for _ in range(20)}
    assert len(salts) == 20
    assert all(re.fullmatch(r"[0-9a-f]{64}", salt) for salt in salts)


def test_visitor_id_is_truncated_hmac_of_site_ip_and_ua():
    expected = hmac.new(bytes.fromhex(SALT), b"site_abc1.2.3.4Mozilla", hashlib.sha256).hexdigest()[:16]
    assert visitor_id(SALT, "site_abc", "1.2.3.4", "Mozilla") == expected
    assert re.fullmatch(r"[0-9a-f]{16}", expected)


def test_pinned_values():
    # Computed with openssl/sha256sum; a change here would split every visitor and session.
    assert visitor_id("ab" * 32, "site_0123456789", "203.0.113.9", "UA/1.0") == "d58d515132d00c8a"
    assert session_id("0123456789abcdef", "site_0123456789", "https://example.com/", 1_700_000_000_000) == (
        "f592bd65d7169b66"
    )


@pytest.mark.parametrize(
    "change",
    [
        {"salt": new_salt()},
        {"website_id": "site_other"},
        {"ip": "1.2.3.5"},
        {"user_agent": "Mozilla2"},
    ],
)
def test_visitor_id_changes_with_each_input(change):
    base = {"salt": SALT, "website_id": "site_abc", "ip": "1.2.3.4", "user_agent": "Mozilla"}
    assert visitor_id(**base) != visitor_id(**(base | change))


def test_visitor_id_rejects_a_non_hex_salt():
    with pytest.raises(ValueError):
        visitor_id("not hex", "site_abc", "1.2.3.4", "Mozilla")


def test_session_id_is_first_8_bytes_of_sha256():
    material = "0123456789abcdefsite_abchttps://example.com/1700000000000"
    expected = hashlib.sha256(material.encode()).digest()[:8].hex()
    assert session_id("0123456789abcdef", "site_abc", "https://example.com/", 1_700_000_000_000) == expected
    assert re.fullmatch(r"[0-9a-f]{16}", expected)


def test_random_id_shape():
    ids = {random_id("goal_", 21) for _ in range(50)}
    assert len(ids) == 50
    assert all(re.fullmatch(r"goal_[0-9a-z]{21}", value) for value in ids)


def test_random_id_rejects_empty_length():
    with pytest.raises(ValueError, match=r"^length must be at least 1$"):
        random_id("x_", 0)


def test_website_id_shape():
    assert re.fullmatch(r"site_[0-9a-z]{10}", website_id())


def test_visitor_id_under_alternating_salts_matches_a_fresh_hmac():
    # Ids are computed from keyed HMACs cached per salt: each id must still be the
    # HMAC of its own salt, whatever was computed before.
    salts = [new_salt() for _ in range(6)]
    for salt in salts + salts[::-1]:
        expected = hmac.new(bytes.fromhex(salt), b"site_abc1.2.3.4Mozilla", hashlib.sha256).hexdigest()[:16]
        assert visitor_id(salt, "site_abc", "1.2.3.4", "Mozilla") == expected


def test_session_ids_are_stored_as_the_number_they_spell() -> None:
    public = session_id("v", "site_x", "https://example.com/", 0)
    key = session_key(public)
    assert 0 <= key < 2**64 and public_session_id(key) == public
    assert public_session_id(1) == "0000000000000001"
    for not_an_id in ("", "nope", "00FF00FF00FF00FF", "0123456789abcdef0", "0123456789abcde", " 0123456789abcdef"):
        assert session_key(not_an_id) is None
