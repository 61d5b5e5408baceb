"""Referrer → ``referrer_domain``, the value the Sources report groups by.

Browsers send at most ``https://host/`` for cross-site navigation (the default
``strict-origin-when-cross-origin`` policy), so the host is all that is worth keeping:
lower-cased, without scheme, credentials, port, path or query. Beyond what browsers
send, the tracker and SDKs pass whatever ``document.referrer`` or the caller gave, so
the parser is tolerant:

* no scheme: ``google.com/search`` → ``google.com`` (and ``localhost:3000/x`` →
  ``localhost``);
* app referrers: ``android-app://com.google.android.gm/`` → ``com.google.android.gm``;
* anything without a host (``about:blank``, ``javascript:…``, ``data:…``, text that is
  not a hostname) → None.

A referrer whose host is the page's own hostname is internal navigation, not a source,
and gives None, as in Plausible. ``www.`` is ignored for that comparison only, so moving
from ``example.com`` to ``www.example.com`` is not counted as a referral either.
"""

from __future__ import annotations

import ipaddress
import re

from sparklytics.enrich._cache import CacheStatistics, LruCache
from sparklytics.enrich.urls import host_of_authority

CACHE_SIZE = 4096
MAX_CACHED_REFERRER_CHARS = 2048
MAX_HOST_CHARS = 253

_AUTHORITY_START = re.compile(r"(?:[A-Za-z][A-Za-z0-9+.\-]*:)?//")
# "scheme:" not followed by "//", unless it is really "host:port".
_OPAQUE_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*:(?!\d*(?:[/?#]|$))")
_AUTHORITY_END = re.compile(r"[/?#\\]")
_HOSTNAME = re.compile(r"[\w\-]+(?:\.[\w\-]+)*")


def _is_host(host: str) -> bool:
    if len(host) > MAX_HOST_CHARS:
        return False
    if _HOSTNAME.fullmatch(host):
        return True
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def _host(referrer: str) -> str | None:
    text = referrer.strip()
    start = _AUTHORITY_START.match(text)
    if start is not None:
        text = text[start.end() :]
    elif _OPAQUE_SCHEME.match(text):
        return None
    host = host_of_authority(_AUTHORITY_END.split(text, maxsplit=1)[0])
    return host if host is not None and _is_host(host) else None


def _without_www(host: str) -> str:
    return host[4:] if host.startswith("www.") else host


_cache: LruCache[str | None] = LruCache(
    _host, maxsize=CACHE_SIZE, max_key_chars=MAX_CACHED_REFERRER_CHARS
)


def referrer_domain(referrer: str | None, page_hostname: str | None = None) -> str | None:
    """The referrer's host, or None when there is none or it is the page's own host."""
    if not referrer:
        return None
    host = _cache(referrer)
    if host is None:
        return None
    if page_hostname and _without_www(host) == _without_www(page_hostname.lower()):
        return None
    return host


def statistics() -> CacheStatistics:
    """Hit/miss counters of the host cache."""
    return _cache.statistics()
