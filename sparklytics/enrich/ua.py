"""User-Agent header → browser, OS and device type.

Parsing uses ua-parser's regex database through its Rust resolver (``ua-parser[regex]``,
about 13 µs per new string; the pure-Python resolver takes ~50x longer). Real traffic
repeats a few hundred user agents, so an LRU cache of 2 048 entries answers almost every
call in well under a microsecond. The resolver is built on the first parse (it compiles
~1 000 regexes, ~0.15 s), not at import, so commands that never parse pay nothing.

``device_type`` is one of ``mobile``, ``tablet`` or ``desktop``. ua-parser names device
families but does not classify them, so the rules are ours, in this order:

1. crawlers (ua-parser's ``Spider`` family) are ``desktop``;
2. ``tablet``: iPad, Kindle/Silk, tablet families or brands, "Tablet" in the string
   (not Windows' "Tablet PC"), and Android without "Mobile" (Google's own rule for
   telling Android tablets from phones);
3. ``mobile``: iPhone/iPod, phone operating systems, or "Mobi" in the string (MDN's
   recommended test);
4. anything else, including unknown strings, is ``desktop``.

Browser names are the ones people use, as Plausible shows them: ua-parser names a
browser's mobile and iOS builds apart ("Mobile Safari", "Chrome Mobile iOS"), which
splits one browser over several rows; :data:`BROWSER_NAMES` folds them into the
browser's name, since ``device_type`` already says mobile. Migration 0004
(``storage/schema.py``) renames stored rows with the same table.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

from ua_parser import Domain, load_lazy_builtins
from ua_parser.regex import Resolver

from sparklytics.enrich._cache import CacheStatistics, LruCache

CACHE_SIZE = 2048
# Real user agents stay under ~600 characters; longer ones are parsed but not cached.
MAX_CACHED_UA_CHARS = 1024

# ua-parser family → the name people know the browser by. Migration 0004 holds a frozen
# copy (tests/enrich/test_ua.py checks they agree); a new entry here needs a migration.
BROWSER_NAMES = {
    "Mobile Safari": "Safari",
    "Mobile Safari UI/WKWebView": "Safari",
    "Chrome Mobile": "Chrome",
    "Chrome Mobile iOS": "Chrome",
    "Chrome Mobile WebView": "Chrome Webview",
    "Firefox Mobile": "Firefox",
    "Firefox iOS": "Firefox",
    "Edge Mobile": "Edge",
    "Opera Mobile": "Opera",
    "IE Mobile": "IE",
    "IE Large Screen": "IE",
    "DuckDuckGo Mobile": "DuckDuckGo",
    "QQ Browser Mobile": "QQ Browser",
    "Ecosia iOS": "Ecosia",
}

_TABLET_FAMILIES = frozenset({"iPad", "Kindle", "Generic Tablet", "BlackBerry Playbook"})
_TABLET_BRANDS = frozenset({"Generic_Android_Tablet"})
_TABLET_OSES = frozenset({"BlackBerry Tablet OS"})
_PHONE_FAMILIES = frozenset({"iPhone", "iPod", "Generic Smartphone", "Generic Feature Phone"})
_PHONE_OSES = frozenset(
    {"iOS", "Windows Phone", "BlackBerry OS", "KaiOS", "Symbian OS", "Firefox OS"}
)


@dataclass(frozen=True, slots=True)
class UserAgentInfo:
    """What the dashboards show about a visitor's software; every field may be None."""

    browser: str | None
    browser_version: str | None
    os: str | None
    os_version: str | None
    device_type: str | None


_UNKNOWN = UserAgentInfo(None, None, None, None, None)


@functools.cache
def _resolver() -> Resolver:
    return Resolver(load_lazy_builtins())


def _family(family: str) -> str | None:
    return None if family == "Other" else family


def _version(*parts: str | None) -> str | None:
    present: list[str] = []
    for part in parts:
        if not part:
            break
        present.append(part)
    return ".".join(present) or None


def _device_type(ua: str, device_family: str, brand: str | None, os_family: str) -> str:
    if device_family == "Spider":
        return "desktop"
    if (
        device_family in _TABLET_FAMILIES
        or device_family.startswith("Kindle")
        or brand in _TABLET_BRANDS
        or os_family in _TABLET_OSES
        or "iPad" in ua
        or "Silk/" in ua
        or ("Tablet" in ua and "Tablet PC" not in ua)
        or (os_family == "Android" and "Mobile" not in ua)
    ):
        return "tablet"
    if (
        device_family in _PHONE_FAMILIES
        or os_family in _PHONE_OSES
        or "Mobi" in ua
        or "Opera Mini" in ua
    ):
        return "mobile"
    return "desktop"


def _parse(ua: str) -> UserAgentInfo:
    result = _resolver()(ua, Domain.ALL)
    agent, os, device = result.user_agent, result.os, result.device
    family = _family(agent.family) if agent else None
    browser = BROWSER_NAMES.get(family, family) if family else None
    os_name = _family(os.family) if os else None
    return UserAgentInfo(
        browser=browser,
        browser_version=_version(agent.major, agent.minor, agent.patch, agent.patch_minor)
        if agent and browser
        else None,
        os=os_name,
        os_version=_version(os.major, os.minor, os.patch, os.patch_minor)
        if os and os_name
        else None,
        device_type=_device_type(
            ua,
            device.family if device else "Other",
            device.brand if device else None,
            os.family if os else "Other",
        ),
    )


_cache: LruCache[UserAgentInfo] = LruCache(
    _parse, maxsize=CACHE_SIZE, max_key_chars=MAX_CACHED_UA_CHARS
)


def parse_user_agent(ua: str | None) -> UserAgentInfo:
    """Browser, OS (names and versions) and device type of a User-Agent header.

    An empty or missing header gives all-None; a string ua-parser does not recognise
    gives None names and ``device_type="desktop"``. Versions are dotted
    (``"120.0.6099"``); the names are ua-parser's families (``"Chrome"``,
    ``"Mac OS X"``…), mobile builds under their browser's name (``"Safari"``).
    """
    if not ua or ua.isspace():
        return _UNKNOWN
    return _cache(ua.strip())


def statistics() -> CacheStatistics:
    """Hit/miss counters of the parse cache."""
    return _cache.statistics()
