"""Website domain validation (API.md §1.16): a registrable hostname, nothing else.

The Public Suffix List check uses tldextract's bundled snapshot and never touches the
network (``sparklytics.suffixes``).
"""

from __future__ import annotations

import ipaddress
import re

from sparklytics.suffixes import suffix_extractor

_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")
_FORBIDDEN = ("://", "/", "@", "?", "#", ":")


class InvalidDomain(ValueError):
    """The domain is not acceptable; the message is the API's error text."""


def normalize_domain(raw: str) -> str:
    """Trim, drop a trailing dot and lower-case; raise :class:`InvalidDomain` if unfit."""
    domain = raw.strip().rstrip(".").lower()
    if not domain:
        raise InvalidDomain("domain is required")
    if any(token in domain for token in _FORBIDDEN):
        raise InvalidDomain("domain must be a hostname without scheme, path, credentials, or port")
    if domain == "localhost" or _is_ip(domain):
        return domain
    labels = domain.encode("idna").decode("ascii").split(".") if _is_ascii_convertible(domain) else []
    if len(domain) > 253 or not labels or not all(_LABEL.match(label) for label in labels):
        raise InvalidDomain("domain is invalid")
    parts = suffix_extractor()(domain)
    if not parts.domain or not parts.suffix:
        raise InvalidDomain("domain must be a registrable hostname (not a public suffix)")
    return domain


def _is_ip(text: str) -> bool:
    try:
        ipaddress.ip_address(text.strip("[]"))
    except ValueError:
        return False
    return True


def _is_ascii_convertible(domain: str) -> bool:
    try:
        domain.encode("idna")
    except UnicodeError:
        return False
    return True
