import importlib
import ipaddress
import logging

import pytest

from sparklytics.enrich.client_ip import TrustedProxies, client_ip

client_ip_module = importlib.import_module("sparklytics.enrich.client_ip")

PROXIES = TrustedProxies([ipaddress.ip_network("10.0.0.0/8"), ipaddress.ip_network("fd00::/8")])
NO_PROXIES = TrustedProxies([])


@pytest.fixture(autouse=True)
def _fresh_warning_flag(monkeypatch):
    """Each test sees the process-wide "warned once" flag unset."""
    monkeypatch.setattr(client_ip_module, "_warned_untrusted_forwarding", False)


@pytest.mark.parametrize(
    ("peer", "forwarded_for", "trusted", "expected"),
    [
        # A trusted proxy: the right-most X-Forwarded-For entry that is not a trusted proxy
        # is the client (Decision 23); entries to its left are the client's own text.
        ("10.1.2.3", "198.51.100.66, 203.0.113.7", PROXIES, "203.0.113.7"),
        ("10.1.2.3", "198.51.100.66, 203.0.113.7, 10.4.4.4", PROXIES, "203.0.113.7"),
        ("10.1.2.3", "10.5.5.5, 10.4.4.4", PROXIES, "10.5.5.5"),
        ("10.1.2.3", "203.0.113.7, garbage", PROXIES, "10.1.2.3"),
        ("10.1.2.3", "203.0.113.7, garbage, 10.4.4.4", PROXIES, "10.4.4.4"),
        ("10.1.2.3", "203.0.113.7", PROXIES, "203.0.113.7"),
        ("10.1.2.3", " 203.0.113.7 , 10.9.9.9", PROXIES, "203.0.113.7"),
        ("10.1.2.3", "203.0.113.7:51234", PROXIES, "203.0.113.7"),
        ("10.1.2.3", "[2001:DB8::7]:443, 10.0.0.1", PROXIES, "2001:db8::7"),
        ("10.1.2.3", "2001:db8::7", PROXIES, "2001:db8::7"),
        ("10.1.2.3", "::ffff:203.0.113.7", PROXIES, "203.0.113.7"),
        ("fd00::5", "198.51.100.1", PROXIES, "198.51.100.1"),
        ("::ffff:10.1.2.3", "198.51.100.1", PROXIES, "198.51.100.1"),
        # ... but an unusable header falls back to the peer.
        ("10.1.2.3", "garbage", PROXIES, "10.1.2.3"),
        ("10.1.2.3", "unknown, 203.0.113.7", PROXIES, "203.0.113.7"),
        ("10.1.2.3", "", PROXIES, "10.1.2.3"),
        ("10.1.2.3", None, PROXIES, "10.1.2.3"),
        # An untrusted peer: the header is ignored.
        ("198.51.100.9", "203.0.113.7", PROXIES, "198.51.100.9"),
        ("198.51.100.9", "203.0.113.7", NO_PROXIES, "198.51.100.9"),
        ("::ffff:198.51.100.9", None, NO_PROXIES, "198.51.100.9"),
        ("2001:DB8:0:0::9", None, NO_PROXIES, "2001:db8::9"),
        ("[2001:db8::9]:5000", None, NO_PROXIES, "2001:db8::9"),
        ("198.51.100.9:5000", None, NO_PROXIES, "198.51.100.9"),
        # No socket information (tests, some ASGI servers): header or "unknown".
        (None, "203.0.113.7, 10.0.0.1", NO_PROXIES, "10.0.0.1"),
        (None, "203.0.113.7, 10.0.0.1", PROXIES, "203.0.113.7"),
        ("", "203.0.113.7", NO_PROXIES, "203.0.113.7"),
        (None, "nonsense", NO_PROXIES, "unknown"),
        (None, None, NO_PROXIES, "unknown"),
        ("not-an-address", None, PROXIES, "unknown"),
    ],
)
def test_client_ip(peer, forwarded_for, trusted, expected):
    assert client_ip(peer, forwarded_for, trusted) == expected


@pytest.mark.parametrize(
    ("ip", "inside"),
    [
        ("10.255.0.1", True),
        ("::ffff:10.0.0.1", True),
        ("[fd00::1]:80", True),
        ("11.0.0.1", False),
        ("2001:db8::1", False),
        ("nonsense", False),
    ],
)
def test_trusted_proxies_contains(ip, inside):
    assert PROXIES.contains(ip) is inside


def test_no_trusted_proxies_contains_nothing():
    assert NO_PROXIES.networks == ()
    assert not NO_PROXIES.contains("10.0.0.1")


def test_forwarding_without_trusted_proxies_warns_once(caplog):
    with caplog.at_level(logging.WARNING, logger="sparklytics.client_ip"):
        client_ip("198.51.100.9", "203.0.113.7", NO_PROXIES)
        client_ip("198.51.100.10", "203.0.113.8", NO_PROXIES)
    assert len(caplog.records) == 1
    assert "SPARKLYTICS_TRUSTED_PROXIES" in caplog.records[0].getMessage()


def test_no_warning_when_proxies_are_configured_or_header_absent(caplog):
    with caplog.at_level(logging.WARNING, logger="sparklytics.client_ip"):
        client_ip("198.51.100.9", "203.0.113.7", PROXIES)
        client_ip("198.51.100.9", None, NO_PROXIES)
    assert caplog.records == []


def test_parsed_addresses_are_cached():
    trusted = TrustedProxies([ipaddress.ip_network("10.0.0.0/8")])
    before = client_ip_module.statistics()
    for _ in range(3):
        assert client_ip("10.1.2.3", "[2001:DB8::1]:443, 10.0.0.1", trusted) == "2001:db8::1"
    after = client_ip_module.statistics()
    assert after.hits - before.hits >= 4  # peer and forwarded, from the second call on


def test_an_oversized_forwarded_entry_is_parsed_not_cached():
    padded = " " * 100 + "203.0.113.9"
    before = client_ip_module.statistics()
    assert client_ip(None, padded, TrustedProxies([])) == "203.0.113.9"
    after = client_ip_module.statistics()
    assert (after.misses - before.misses, after.size) == (1, before.size)
