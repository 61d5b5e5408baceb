"""Where a notification may go (API.md §1.14), checked when it is saved and again when
it is sent.

At save time :func:`check_target` refuses malformed e-mail addresses and webhook URLs
whose host is ``localhost`` or an IP literal that is not public. A host *name* can
resolve to anything, and can change what it resolves to between two lookups (DNS
rebinding), so the webhook sender resolves it once, refuses the delivery if any
address fails :func:`is_public_address`, and connects to the address it checked
(``webhook.py``).
"""

from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit

CHANNELS = ("email", "webhook")
MAX_TARGET_CHARS = 2048


class InvalidTarget(Exception):
    """The target is refused; ``message`` is the contract's text (400, field ``target``)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def check_target(channel: str, target: str | None) -> str:
    """The trimmed target for ``channel``; raises :class:`InvalidTarget`."""
    target = (target or "").strip()
    if not target:
        raise InvalidTarget("target is required")
    if len(target) > MAX_TARGET_CHARS:
        raise InvalidTarget(f"target must be at most {MAX_TARGET_CHARS} characters")
    if channel == "email":
        return _check_email(target)
    return _check_webhook(target)


def _check_email(target: str) -> str:
    local, at, domain = target.rpartition("@")
    if (
        not at
        or not local
        or "." not in domain
        or domain.startswith(".")
        or domain.endswith(".")
        or any(c.isspace() or c in "<>,;\"" for c in target)
    ):
        raise InvalidTarget("invalid email target")
    return target


def _check_webhook(target: str) -> str:
    try:
        parts = urlsplit(target)
        host = parts.hostname
        parts.port  # noqa: B018 - raises on a bad port
    except ValueError:
        raise InvalidTarget("invalid webhook target") from None
    if parts.scheme not in ("http", "https"):
        if parts.scheme and host:
            raise InvalidTarget("webhook target must use http or https")
        raise InvalidTarget("invalid webhook target")
    if not host:
        raise InvalidTarget("invalid webhook target")
    if host.rstrip(".").lower() == "localhost" or host.lower().endswith(".localhost"):
        raise InvalidTarget("webhook target host is not allowed")
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return target
    if not is_public_address(address):
        raise InvalidTarget("webhook target host is not allowed")
    return target


def is_public_address(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    """Whether a webhook may connect to ``address``: not private, loopback, link-local,
    multicast, broadcast, unspecified, ``0.x``, ULA, reserved or documentation space;
    an IPv4-mapped (or NAT64-embedded) IPv6 address is judged by its IPv4 address."""
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return is_public_address(address.ipv4_mapped)
        if address in _NAT64:
            return is_public_address(ipaddress.IPv4Address(int(address) & 0xFFFFFFFF))
    if address.version == 4 and address in _ZERO_NETWORK:
        return False
    return address.is_global and not address.is_multicast


_ZERO_NETWORK = ipaddress.ip_network("0.0.0.0/8")
_NAT64 = ipaddress.ip_network("64:ff9b::/96")
