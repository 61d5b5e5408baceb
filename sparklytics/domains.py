"""Website domain validation (API.md §1.16): a registrable hostname, nothing else.

Users paste what their address bar shows (``https://example.com/``, ``localhost:3150``,
``http://user@shop.example.com:8080/cart?x``), so the host is taken out of it first:
scheme, credentials, port, path, query and fragment are dropped, not refused. Only
input with no usable host in it is an error.

The Public Suffix List check uses tldextract's bundled snapshot and never touches the
network (``sparklytics.suffixes``).
"""

from __future__ import annotations

import ipaddress
import re
from urllib.parse import urlsplit

from sparklytics.suffixes import suffix_extractor

_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")


class InvalidDomain(ValueError):
    """The domain is not acceptable; the message is the API's error text."""


def normalize_domain(raw: str) -> str:
    """The host of ``raw``, trimmed, without a trailing dot and lower-cased; raise
    :class:`InvalidDomain` if there is none or it is not a registrable hostname."""
    text = raw.strip()
    if not text:
        raise InvalidDomain("domain is required")
    domain = _host(text).rstrip(".")
    if not domain:
        raise InvalidDomain(f"domain must be a host name such as example.com (found none in {text!r})")
    if domain == "localhost" or _is_ip(domain):
        return domain
    labels = domain.encode("idna").decode("ascii").split(".") if _is_ascii_convertible(domain) else []
    if len(domain) > 253 or not labels or not all(_LABEL.match(label) for label in labels):
        raise InvalidDomain("domain is invalid")
    parts = suffix_extractor()(domain)
    if not parts.domain or not parts.suffix:
        raise InvalidDomain("domain must be a registrable hostname (not a public suffix)")
    return domain


def _host(text: str) -> str:
    """The lower-cased host of a URL or ``host[:port]`` (IPv6 without brackets); ""
    when there is none."""
    if _is_ip(text):
        return text.strip("[]").lower()
    try:
        host = urlsplit(text if "://" in text else "//" + text).hostname
    except ValueError:  # an unclosed IPv6 bracket
        return ""
    return host or ""


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
