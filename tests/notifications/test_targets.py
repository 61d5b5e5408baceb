"""Targets (API.md §1.14): every malformed e-mail and every refused webhook host."""

from __future__ import annotations

import ipaddress

import pytest

from sparklytics.notifications.targets import InvalidTarget, check_target, is_public_address


@pytest.mark.parametrize("target", ["ops@example.com", "a.b+tag@mail.example.co.uk", "  x@y.io  "])
def test_good_email_targets(target) -> None:
    assert check_target("email", target) == target.strip()


@pytest.mark.parametrize(
    "target", ["example.com", "@example.com", "ops@example", "ops@.example.com", "ops@example.com.", "o ps@example.com", "a@b@c"]
)
def test_each_invalid_email_form(target) -> None:
    with pytest.raises(InvalidTarget, match=r"^invalid email target$"):
        check_target("email", target)


@pytest.mark.parametrize("target", ["", "   ", None])
def test_blank_target(target) -> None:
    for channel in ("email", "webhook"):
        with pytest.raises(InvalidTarget, match=r"^target is required$"):
            check_target(channel, target)


@pytest.mark.parametrize("target", ["https://hooks.example.com/x", "http://93.184.216.34:8080/in", "https://[2606:4700::1111]/"])
def test_good_webhook_targets(target) -> None:
    assert check_target("webhook", target) == target


@pytest.mark.parametrize(
    "target",
    [
        "http://localhost/x",
        "http://LOCALHOST./x",
        "http://app.localhost/x",
        "http://127.0.0.1/",
        "http://10.1.2.3/",
        "http://172.16.0.1/",
        "http://192.168.1.1/",
        "http://169.254.169.254/latest/meta-data",  # link-local: cloud metadata
        "http://0.0.0.0/",
        "http://0.1.2.3/",
        "http://224.0.0.1/",
        "http://255.255.255.255/",
        "http://100.64.0.1/",  # carrier-grade NAT
        "http://[::1]/",
        "http://[::]/",
        "http://[fe80::1]/",
        "http://[fd00::1]/",  # ULA
        "http://[fc00::1]/",
        "http://[ff02::1]/",
        "http://[::ffff:127.0.0.1]/",  # mapped IPv4 loopback
        "http://[::ffff:10.0.0.1]/",
        "http://[64:ff9b::a00:1]/",  # NAT64 of 10.0.0.1
    ],
)
def test_each_refused_webhook_host(target) -> None:
    with pytest.raises(InvalidTarget, match=r"^webhook target host is not allowed$"):
        check_target("webhook", target)


@pytest.mark.parametrize("target", ["ftp://example.com/x", "file://example.com/etc/passwd"])
def test_webhook_scheme(target) -> None:
    with pytest.raises(InvalidTarget, match=r"^webhook target must use http or https$"):
        check_target("webhook", target)


@pytest.mark.parametrize("target", ["not a url", "https://", "http://exa mple.com:99999/", "hooks.example.com/x"])
def test_invalid_webhook(target) -> None:
    with pytest.raises(InvalidTarget, match=r"^invalid webhook target$"):
        check_target("webhook", target)


@pytest.mark.parametrize("address,public", [("8.8.8.8", True), ("2001:4860:4860::8888", True), ("127.0.0.53", False), ("::ffff:8.8.8.8", True), ("192.0.2.1", False)])
def test_is_public_address(address, public) -> None:
    assert is_public_address(ipaddress.ip_address(address)) is public
