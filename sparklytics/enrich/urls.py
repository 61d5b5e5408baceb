"""Page URL → normalized ``path`` and ``hostname`` (API.md, Decision 3).

The tracker may send ``location.href`` (absolute) or a bare path, and both must land in
the same ``page`` row. So the stored URL is kept as sent, and next to it:

* ``path``: no scheme, host, query or fragment; always starts with ``/`` (``""`` → ``/``,
  ``a/b`` → ``/a/b``); trailing slashes and letter case are kept as sent, since servers
  may treat ``/a`` and ``/a/`` differently; at most 2 048 characters.
* ``hostname``: lower-cased host without port, credentials or trailing dot, for
  ``http(s)://`` and scheme-relative ``//host/…`` URLs; None for relative URLs and
  other schemes.

The split is a few string operations rather than ``urllib.parse.urlsplit``, which
raises on a malformed ``[v6]`` host: enrichment must accept whatever a client sends.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from sparklytics.enrich._cache import CacheStatistics, LruCache

MAX_PATH_CHARS = 2048
CACHE_SIZE = 4096
MAX_CACHED_URL_CHARS = 4096

# "scheme://" or "//" (network-path reference), else an optional bare "scheme:".
_AUTHORITY_START = re.compile(r"(?:([A-Za-z][A-Za-z0-9+.\-]*):)?//")
_OPAQUE_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*:")
_WEB_SCHEMES = frozenset({"http", "https", ""})


@dataclass(frozen=True, slots=True)
class UrlParts:
    """The normalized path of a page URL and its host (None for relative URLs)."""

    path: str
    hostname: str | None


def host_of_authority(authority: str) -> str | None:
    """``user:pw@Host.Example:8080`` → ``host.example``; ``[::1]:80`` → ``::1``."""
    host = authority.rpartition("@")[2]
    if host.startswith("["):
        host = host[1:].partition("]")[0]
    else:
        host = host.partition(":")[0]
    host = host.rstrip(".").lower()
    return host or None


def _split(url: str) -> UrlParts:
    text = url.strip()
    for delimiter in ("#", "?"):
        text = text.partition(delimiter)[0]
    hostname = None
    start = _AUTHORITY_START.match(text)
    if start is not None:
        rest = text[start.end() :]
        slash = rest.find("/")
        authority, path = (rest, "") if slash < 0 else (rest[:slash], rest[slash:])
        if (start.group(1) or "").lower() in _WEB_SCHEMES:
            hostname = host_of_authority(authority)
    else:
        opaque = _OPAQUE_SCHEME.match(text)
        path = text[opaque.end() :] if opaque is not None else text
    if not path.startswith("/"):
        path = "/" + path
    return UrlParts(path=path[:MAX_PATH_CHARS], hostname=hostname)


_cache: LruCache[UrlParts] = LruCache(
    _split, maxsize=CACHE_SIZE, max_key_chars=MAX_CACHED_URL_CHARS
)


def split_url(url: str) -> UrlParts:
    """``https://Ex.com:8080/a/b?x#y`` and ``/a/b?x`` both give path ``/a/b``.

    The hostname is ``ex.com`` for the first and None for the second.
    """
    return _cache(url)


def statistics() -> CacheStatistics:
    """Hit/miss counters of the split cache."""
    return _cache.statistics()
