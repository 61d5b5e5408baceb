"""Referrer + UTM tags → acquisition channel ("Organic Search", "Paid Social", …).

The channel is decided once, at ingest, so the Channels report is a plain GROUP BY.
The rules follow GA4's default channel grouping, as Plausible does, with the source
being ``utm_source`` or else the referrer's domain, and a referrer without tags
counting as medium ``referral`` (GA4 does the same). Checked in this order, first
match wins (source and medium compared lower-cased):

=========================  ===========================================================
Direct                     no source and no medium (or source ``(direct)``)
Cross-network              campaign contains ``cross-network``
Paid Shopping              (shopping source or shopping campaign) and paid medium
Paid Search                search source and paid medium
Paid Social                social source and paid medium
Paid Video                 video source and paid medium
Display                    medium display, banner, expandable, interstitial or cpm
Paid Other                 paid medium: ``^(.*cp.*|ppc|retargeting|paid.*)$``
AI Assistants              AI assistant source (ours; GA4 calls these Referral)
Organic Shopping           shopping source or shopping campaign
Organic Social             social source, or medium social / sm / social-network …
Organic Video              video source, or medium containing ``video``
Organic Search             search source, or medium ``organic``
Email                      webmail source, or source/medium email / e-mail / newsletter …
Affiliates                 medium ``affiliate``
Audio                      medium ``audio``
SMS                        source or medium ``sms``
Mobile Push Notifications  medium ending in ``push`` or containing ``mobile`` or
                           ``notification``, or source ``firebase``
Referral                   medium referral, app or link (so any untagged referrer)
Unassigned                 tagged traffic that fits nothing above
=========================  ===========================================================

Email sits before Referral (as in Plausible) so that a click in webmail, which arrives
as an untagged referrer, counts as Email.

Source categories come from the data files in ``data/`` (one entry per line, see the
header of ``search_engines.txt``): ``facebook.com`` matches that host and its
subdomains; ``google.*`` matches the registrable domain ``google`` on any public suffix
(``www.google.co.uk``) with only www/m/mobile/search or two-letter (country)
subdomains, so ``docs.google.com`` stays a Referral; a bare word is a ``utm_source``
name. The most specific host entry wins (``mail.google.com`` is email, not search).
Public suffixes come from tldextract's bundled snapshot (``sparklytics.suffixes``). The
files are read once, at import.
"""

from __future__ import annotations

import re
from importlib import resources

from sparklytics.enrich._cache import CacheStatistics, LruCache
from sparklytics.suffixes import suffix_extractor

DIRECT = "Direct"
CROSS_NETWORK = "Cross-network"
PAID_SHOPPING = "Paid Shopping"
PAID_SEARCH = "Paid Search"
PAID_SOCIAL = "Paid Social"
PAID_VIDEO = "Paid Video"
DISPLAY = "Display"
PAID_OTHER = "Paid Other"
AI_ASSISTANTS = "AI Assistants"
ORGANIC_SHOPPING = "Organic Shopping"
ORGANIC_SOCIAL = "Organic Social"
ORGANIC_VIDEO = "Organic Video"
ORGANIC_SEARCH = "Organic Search"
EMAIL = "Email"
AFFILIATES = "Affiliates"
AUDIO = "Audio"
SMS = "SMS"
MOBILE_PUSH = "Mobile Push Notifications"
REFERRAL = "Referral"
UNASSIGNED = "Unassigned"

CHANNELS = (
    DIRECT, CROSS_NETWORK, PAID_SHOPPING, PAID_SEARCH, PAID_SOCIAL, PAID_VIDEO, DISPLAY,
    PAID_OTHER, AI_ASSISTANTS, ORGANIC_SHOPPING, ORGANIC_SOCIAL, ORGANIC_VIDEO,
    ORGANIC_SEARCH, EMAIL, AFFILIATES, AUDIO, SMS, MOBILE_PUSH, REFERRAL, UNASSIGNED,
)  # fmt: skip

SEARCH, SOCIAL, VIDEO, SHOPPING, WEBMAIL, AI = (
    "search", "social", "video", "shopping", "email", "ai",
)  # fmt: skip
_DATA_FILES = {
    SEARCH: "search_engines.txt",
    SOCIAL: "social_networks.txt",
    VIDEO: "video_sites.txt",
    SHOPPING: "shopping_sites.txt",
    WEBMAIL: "email_providers.txt",
    AI: "ai_assistants.txt",
}

_PAID_MEDIUM = re.compile(r"^(.*cp.*|ppc|retargeting|paid.*)$")
_SHOPPING_CAMPAIGN = re.compile(r"^(.*(([^a-df-z]|^)shop|shopping).*)$")
_DISPLAY_MEDIUMS = frozenset({"display", "banner", "expandable", "interstitial", "cpm"})
_SOCIAL_MEDIUMS = frozenset(
    {"social", "social-network", "social-media", "sm", "social network", "social media"}
)
_EMAIL_WORDS = frozenset({"email", "e-mail", "e_mail", "e mail", "newsletter"})
_REFERRAL_MEDIUMS = frozenset({"referral", "app", "link"})
_WILDCARD_SUBDOMAINS = frozenset({"www", "m", "mobile", "search"})

HOST_CACHE_SIZE = 4096
MAX_HOST_CHARS = 253


def _load() -> tuple[dict[str, str], dict[str, str], dict[str, str]]:
    """Reads the data files into (host suffix, wildcard label, utm_source word) → category."""
    domains: dict[str, str] = {}
    labels: dict[str, str] = {}
    words: dict[str, str] = {}
    package = resources.files("sparklytics.enrich") / "data"
    for category, filename in _DATA_FILES.items():
        for line in (package / filename).read_text(encoding="utf-8").splitlines():
            entry = line.partition("#")[0].strip().lower()
            if not entry:
                continue
            if entry.endswith(".*"):
                targets = (labels, words)
                key = entry[:-2]
            elif "." in entry:
                targets = (domains,)
                key = entry
            else:
                targets = (words,)
                key = entry
            for target in targets:
                if key in target:
                    raise ValueError(f"{filename}: {entry!r} is already listed as {target[key]}")
                target[key] = category
    return domains, labels, words


_DOMAINS, _LABELS, _WORDS = _load()


def _host_category(host: str) -> str | None:
    labels = host.split(".")
    for start in range(len(labels) - 1):
        category = _DOMAINS.get(".".join(labels[start:]))
        if category is not None:
            return category
    parts = suffix_extractor().extract_str(host)
    category = _LABELS.get(parts.domain)
    if category is None or not parts.suffix:
        return None
    subdomains = parts.subdomain.split(".") if parts.subdomain else ()
    if all(label in _WILDCARD_SUBDOMAINS or len(label) == 2 for label in subdomains):
        return category
    return None


_cache: LruCache[str | None] = LruCache(
    _host_category, maxsize=HOST_CACHE_SIZE, max_key_chars=MAX_HOST_CHARS
)


def source_category(source: str) -> str | None:
    """``search``, ``social``, ``video``, ``shopping``, ``email``, ``ai`` or None.

    ``source`` is a lower-cased referrer host or ``utm_source`` value: a value with a
    dot is matched as a host (``l.facebook.com``, ``google.de``), one without as a
    ``utm_source`` word (``fb``, ``google``).
    """
    if "." in source:
        return _cache(source)
    return _WORDS.get(source)


def _clean(value: str | None) -> str:
    return value.strip().lower() if value else ""


def channel_for(
    referrer_domain: str | None,
    utm_source: str | None,
    utm_medium: str | None,
    utm_campaign: str | None,
) -> str:
    """The acquisition channel of a visit; one of :data:`CHANNELS`."""
    tagged_source = _clean(utm_source)
    referrer = _clean(referrer_domain)
    source = tagged_source or referrer
    medium = _clean(utm_medium) or ("referral" if referrer and not tagged_source else "")
    campaign = _clean(utm_campaign)

    if not source and not medium:
        return DIRECT
    if source == "(direct)" and medium in ("", "(none)", "(not set)"):
        return DIRECT
    if "cross-network" in campaign:
        return CROSS_NETWORK
    category = source_category(source) if source else None
    shopping = category == SHOPPING or bool(_SHOPPING_CAMPAIGN.match(campaign))
    paid = bool(_PAID_MEDIUM.match(medium))
    if paid and shopping:
        return PAID_SHOPPING
    if paid and category == SEARCH:
        return PAID_SEARCH
    if paid and category == SOCIAL:
        return PAID_SOCIAL
    if paid and category == VIDEO:
        return PAID_VIDEO
    if medium in _DISPLAY_MEDIUMS:
        return DISPLAY
    if paid:
        return PAID_OTHER
    if category == AI:
        return AI_ASSISTANTS
    if shopping:
        return ORGANIC_SHOPPING
    if category == SOCIAL or medium in _SOCIAL_MEDIUMS:
        return ORGANIC_SOCIAL
    if category == VIDEO or "video" in medium:
        return ORGANIC_VIDEO
    if category == SEARCH or medium == "organic":
        return ORGANIC_SEARCH
    if category == WEBMAIL or source in _EMAIL_WORDS or medium in _EMAIL_WORDS:
        return EMAIL
    if medium == "affiliate":
        return AFFILIATES
    if medium == "audio":
        return AUDIO
    if source == "sms" or medium == "sms":
        return SMS
    if (
        medium.endswith("push")
        or "mobile" in medium
        or "notification" in medium
        or source == "firebase"
    ):
        return MOBILE_PUSH
    if medium in _REFERRAL_MEDIUMS:
        return REFERRAL
    return UNASSIGNED


def statistics() -> CacheStatistics:
    """Hit/miss counters of the host → category cache."""
    return _cache.statistics()
