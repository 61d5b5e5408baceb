"""A deterministic, realistic event stream for ``sparklytics import`` (JSON lines).

    python bench/generate.py --events 1M            # → bench/data/events-1M.jsonl (+ .meta.json)
    python bench/generate.py --events 10M --days 30 --seed 7 --end 2026-11-25T12:00:00Z

Same arguments, same bytes: one seeded ``random.Random`` drives everything (the GeoIP
file has the same records; only its metadata's build time differs). The file is
written in time order (``sparklytics import`` resolves sessions in arrival order, and
DuckDB compresses time-ordered rows best) and *streamed*: sessions of one day are
planned as small tuples, and their events are merged through a heap that only holds
the sessions still running, so 10M events need tens of MB, not GB.

What it models (shares are of visitors or sessions unless noted):

* traffic: N events over D days ending at ``--end``; weekends ×0.7, a +15 % trend over
  the period, ±7 % daily noise, a diurnal curve peaking 13–16 UTC (Europe + Americas);
* visitors: ~20 % of new visitors come back on a later day (some several times), ~6 %
  start a second session later the same day; each visitor has a fixed IP, User-Agent,
  screen and language; ~4 % of humans send a ``visitor_id`` (``identify()``);
* sessions: 1–8 pageviews with a long tail to 40 (~45 % bounce), dwell times
  log-normal (median ~40 s, capped below the 30-minute session timeout), internal
  referrers after the landing page;
* paths: 200 paths (home, product, pricing, docs, blog posts, …) drawn with a Zipf
  law (s = 1.05); a few URLs carry a query string or a fragment; 3 % of pageviews use
  the bare domain instead of ``www.``;
* sources: ~30 referrers (search, social, email, AI assistants, communities, video,
  direct) and UTM-tagged campaigns (newsletter, cpc, paid social, partners); the
  tracker's ``utm_*`` fields travel with every event of a tagged session;
* clients: real User-Agent strings (Chrome/Safari/Edge/Firefox/Samsung/Opera on
  Windows/macOS/Linux/Android/iOS/iPadOS, several versions each) in 2025-like shares,
  ~60 % desktop / 36 % mobile / 4 % tablet; screens by device class; languages by
  country; IPs (92 % IPv4, 8 % IPv6) from per-city blocks in 25 countries;
* custom events (~10 % of events): signup, cta_click, outbound_link, file_download,
  newsletter_subscribe, purchase, video_play, search, copy_code — with properties;
* bots (~3 % of events): Googlebot, bingbot, AhrefsBot, GPTBot, python-requests,
  curl, HeadlessChrome, … crawling quickly, mostly without screen or language.

GeoIP: there is no GeoIP database at run time, so the generator also writes a small
GeoLite2-City-layout database (``--geoip``, default ``bench/data/geo-bench.mmdb``) for
exactly the IP blocks it draws from (built like ``tests/enrich/geo_fixture.py``); point
``SPARKLYTICS_GEOIP_PATH`` at it and countries, regions and cities get filled in. A
few blocks map to a country only, and one block (198.18.0.0/16) is in no record at
all, as with real databases.
"""

from __future__ import annotations

import argparse
import heapq
import ipaddress
import json
import math
import random
import sys
import time
from bisect import bisect
from collections import defaultdict
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import DATA_DIR, WEBSITE_DOMAIN, WEBSITE_ID, human_count, parse_count  # noqa: E402

DAY = 86_400.0


class Pick:
    """Weighted choice with a precomputed cumulative table (``random.choices`` is slower)."""

    __slots__ = ("items", "cum", "total")

    def __init__(self, pairs: list[tuple[Any, float]]) -> None:
        self.items = [item for item, _ in pairs]
        self.cum = []
        total = 0.0
        for _, weight in pairs:
            total += weight
            self.cum.append(total)
        self.total = total

    def __call__(self, rng: random.Random) -> Any:
        return self.items[bisect(self.cum, rng.random() * self.total)]


# clients ------------------------------------------------------------------------------

_WIN = "Windows NT 10.0; Win64; x64"
_MAC = "Macintosh; Intel Mac OS X 10_15_7"
_CHROME = [(f"{v}.0.0.0", w) for v, w in ((131, 40), (130, 30), (129, 12), (128, 8), (127, 4), (126, 3), (109, 3))]
_FIREFOX = [(f"{v}.0", w) for v, w in ((133, 40), (132, 30), (131, 10), (128, 15), (115, 5))]
_SAFARI = [("18.1", 35), ("18.0", 25), ("17.6", 25), ("17.5", 8), ("16.6", 7)]
_IOS = {"18.1": "18_1", "18.0": "18_0", "17.6": "17_6", "17.5": "17_5", "16.6": "16_6"}
_ANDROID = [("14", 40), ("13", 30), ("12", 15), ("11", 10), ("10", 5)]

# (family weight %, device, template, version table); {v} browser version, {a} Android, {i} iOS
_UA_FAMILIES: list[tuple[float, str, str, list[tuple[str, float]]]] = [
    (27.0, "desktop", f"Mozilla/5.0 ({_WIN}) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/{{v}} Safari/537.36", _CHROME),
    (7.0, "desktop", f"Mozilla/5.0 ({_MAC}) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/{{v}} Safari/537.36", _CHROME),
    (1.8, "desktop", "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/{v} Safari/537.36", _CHROME),
    (6.0, "desktop", f"Mozilla/5.0 ({_WIN}) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/{{v}} Safari/537.36 Edg/{{v}}", _CHROME),
    (0.6, "desktop", f"Mozilla/5.0 ({_MAC}) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/{{v}} Safari/537.36 Edg/{{v}}", _CHROME),
    (1.0, "desktop", f"Mozilla/5.0 ({_WIN}) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/{{v}} Safari/537.36 OPR/115.0.0.0", _CHROME),
    (6.5, "desktop", f"Mozilla/5.0 ({_MAC}) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/{{v}} Safari/605.1.15", _SAFARI),
    (3.5, "desktop", f"Mozilla/5.0 ({_WIN}; rv:{{v}}) Gecko/20100101 Firefox/{{v}}", _FIREFOX),
    (1.0, "desktop", "Mozilla/5.0 (Macintosh; Intel Mac OS X 10.15; rv:{v}) Gecko/20100101 Firefox/{v}", _FIREFOX),
    (1.2, "desktop", "Mozilla/5.0 (X11; Linux x86_64; rv:{v}) Gecko/20100101 Firefox/{v}", _FIREFOX),
    (1.0, "desktop", "Mozilla/5.0 (X11; Ubuntu; Linux x86_64; rv:{v}) Gecko/20100101 Firefox/{v}", _FIREFOX),
    (17.0, "mobile", "Mozilla/5.0 (Linux; Android {a}; K) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/{v} Mobile Safari/537.36", _CHROME),
    (14.0, "mobile", "Mozilla/5.0 (iPhone; CPU iPhone OS {i} like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/{v} Mobile/15E148 Safari/604.1", _SAFARI),
    (2.0, "mobile", "Mozilla/5.0 (iPhone; CPU iPhone OS {i} like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) CriOS/{v} Mobile/15E148 Safari/604.1", _CHROME),
    (2.6, "mobile", "Mozilla/5.0 (Linux; Android {a}; SAMSUNG SM-S921B) AppleWebKit/537.36 (KHTML, like Gecko) SamsungBrowser/26.0 Chrome/{v} Mobile Safari/537.36", _CHROME),
    (0.5, "mobile", "Mozilla/5.0 (Android {a}; Mobile; rv:{v}) Gecko/{v} Firefox/{v}", _FIREFOX),
    (2.8, "tablet", "Mozilla/5.0 (iPad; CPU OS {i} like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/{v} Mobile/15E148 Safari/604.1", _SAFARI),
    (1.2, "tablet", "Mozilla/5.0 (Linux; Android {a}; SM-X710) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/{v} Safari/537.36", _CHROME),
]


def _user_agents() -> Pick:
    """Concrete UA strings (a few hundred) with their share of visitors."""
    pairs: list[tuple[tuple[str, str], float]] = []
    for family_weight, device, template, versions in _UA_FAMILIES:
        version_total = sum(w for _, w in versions)
        androids = _ANDROID if "{a}" in template else [("", 1.0)]
        for version, vweight in versions:
            for android, aweight in androids:
                ua = template.format(v=version, a=android, i=_IOS.get(version, "17_6"))
                weight = family_weight * vweight / version_total * aweight / sum(w for _, w in androids)
                pairs.append(((ua, device), weight))
    return Pick(pairs)


_BOTS = Pick([
    ("Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)", 20),
    ("Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko; compatible; Googlebot/2.1; +http://www.google.com/bot.html) Chrome/131.0.6778.69 Safari/537.36", 10),
    ("Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)", 10),
    ("Mozilla/5.0 (compatible; AhrefsBot/7.0; +http://ahrefs.com/robot/)", 8),
    ("Mozilla/5.0 (compatible; SemrushBot/7~bl; +http://www.semrush.com/bot.html)", 6),
    ("Mozilla/5.0 (compatible; YandexBot/3.0; +http://yandex.com/bots)", 4),
    ("DuckDuckBot/1.1; (+http://duckduckgo.com/duckduckbot.html)", 3),
    ("Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko; compatible; GPTBot/1.2; +https://openai.com/gptbot)", 8),
    ("Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/131.0.0.0 Safari/537.36", 12),
    ("python-requests/2.32.3", 8),
    ("curl/8.5.0", 5),
    ("Go-http-client/1.1", 4),
    ("Mozilla/5.0 (compatible; MJ12bot/v1.4.8; http://mj12bot.com/)", 2),
])

_SCREENS = {
    "desktop": Pick([("1920x1080", 34), ("1536x864", 11), ("1366x768", 10), ("1440x900", 7), ("2560x1440", 9),
                     ("1280x720", 4), ("1680x1050", 4), ("1600x900", 4), ("3840x2160", 4), ("1280x800", 3),
                     ("1512x982", 5), ("1728x1117", 3), ("2560x1080", 2)]),
    "mobile": Pick([("390x844", 16), ("393x873", 10), ("414x896", 9), ("360x800", 12), ("412x915", 13),
                    ("375x812", 8), ("430x932", 9), ("393x852", 9), ("360x780", 5), ("384x854", 4), ("375x667", 5)]),
    "tablet": Pick([("810x1080", 25), ("820x1180", 25), ("768x1024", 20), ("800x1280", 15), ("1024x1366", 15)]),
}

# geo: code, share %, languages, (region, city, share) ----------------------------------

_COUNTRIES: list[tuple[str, float, list[tuple[str, float]], list[tuple[str | None, str | None, float]]]] = [
    ("US", 31, [("en-US", 92), ("es-US", 5), ("en", 3)], [("California", "San Francisco", 12), ("California", "Los Angeles", 10), ("New York", "New York", 16), ("Texas", "Austin", 6), ("Texas", "Houston", 6), ("Washington", "Seattle", 8), ("Illinois", "Chicago", 8), ("Massachusetts", "Boston", 6), ("Florida", "Miami", 5), ("Georgia", "Atlanta", 5), ("Colorado", "Denver", 4), (None, None, 10)]),
    ("GB", 7, [("en-GB", 90), ("en-US", 10)], [("England", "London", 55), ("England", "Manchester", 15), ("Scotland", "Edinburgh", 10), ("England", "Bristol", 10), (None, None, 10)]),
    ("DE", 7, [("de-DE", 78), ("de", 8), ("en-US", 14)], [("Berlin", "Berlin", 30), ("Bavaria", "Munich", 25), ("Hamburg", "Hamburg", 15), ("Hesse", "Frankfurt am Main", 15), (None, None, 15)]),
    ("IN", 8, [("en-IN", 60), ("en-US", 30), ("hi-IN", 10)], [("Karnataka", "Bengaluru", 35), ("Maharashtra", "Mumbai", 25), ("Delhi", "New Delhi", 20), ("Telangana", "Hyderabad", 10), (None, None, 10)]),
    ("FR", 4, [("fr-FR", 85), ("fr", 5), ("en-US", 10)], [("Île-de-France", "Paris", 60), ("Auvergne-Rhône-Alpes", "Lyon", 20), (None, None, 20)]),
    ("CA", 4, [("en-CA", 70), ("fr-CA", 20), ("en-US", 10)], [("Ontario", "Toronto", 45), ("British Columbia", "Vancouver", 25), ("Quebec", "Montreal", 20), (None, None, 10)]),
    ("BR", 3, [("pt-BR", 90), ("en-US", 10)], [("São Paulo", "São Paulo", 60), ("Rio de Janeiro", "Rio de Janeiro", 25), (None, None, 15)]),
    ("JP", 2.5, [("ja", 70), ("ja-JP", 25), ("en-US", 5)], [("Tokyo", "Tokyo", 70), ("Osaka", "Osaka", 20), (None, None, 10)]),
    ("NL", 2.5, [("nl-NL", 60), ("nl", 10), ("en-US", 30)], [("North Holland", "Amsterdam", 60), ("South Holland", "Rotterdam", 25), (None, None, 15)]),
    ("ES", 2, [("es-ES", 85), ("es", 5), ("en-US", 10)], [("Madrid", "Madrid", 50), ("Catalonia", "Barcelona", 40), (None, None, 10)]),
    ("IT", 2, [("it-IT", 88), ("en-US", 12)], [("Lombardy", "Milan", 50), ("Lazio", "Rome", 40), (None, None, 10)]),
    ("AU", 2, [("en-AU", 80), ("en-US", 20)], [("New South Wales", "Sydney", 50), ("Victoria", "Melbourne", 40), (None, None, 10)]),
    ("PL", 1.5, [("pl-PL", 85), ("en-US", 15)], [("Mazovia", "Warsaw", 60), ("Lesser Poland", "Kraków", 30), (None, None, 10)]),
    ("SE", 1.2, [("sv-SE", 75), ("en-US", 25)], [("Stockholm", "Stockholm", 80), (None, None, 20)]),
    ("CH", 1, [("de-CH", 55), ("fr-CH", 20), ("en-US", 25)], [("Zurich", "Zurich", 70), (None, None, 30)]),
    ("MX", 1.5, [("es-MX", 90), ("en-US", 10)], [("Mexico City", "Mexico City", 75), (None, None, 25)]),
    ("KR", 1, [("ko-KR", 90), ("en-US", 10)], [("Seoul", "Seoul", 85), (None, None, 15)]),
    ("CN", 1, [("zh-CN", 95), ("en-US", 5)], [("Beijing", "Beijing", 40), ("Shanghai", "Shanghai", 40), (None, None, 20)]),
    ("RU", 1, [("ru-RU", 90), ("en-US", 10)], [("Moscow", "Moscow", 70), (None, None, 30)]),
    ("TR", 1, [("tr-TR", 90), ("en-US", 10)], [("Istanbul", "Istanbul", 80), (None, None, 20)]),
    ("ID", 1, [("id-ID", 80), ("en-US", 20)], [("Jakarta", "Jakarta", 80), (None, None, 20)]),
    ("UA", 0.8, [("uk-UA", 70), ("ru-RU", 15), ("en-US", 15)], [("Kyiv City", "Kyiv", 80), (None, None, 20)]),
    ("SG", 0.8, [("en-SG", 60), ("en-US", 40)], [(None, "Singapore", 100)]),
    ("ZA", 0.6, [("en-ZA", 80), ("en-US", 20)], [("Gauteng", "Johannesburg", 60), ("Western Cape", "Cape Town", 40)]),
    ("NG", 0.6, [("en-NG", 60), ("en-US", 40)], [("Lagos", "Lagos", 80), (None, None, 20)]),
]
_UNKNOWN_GEO_SHARE = 1.5  # % of visitors from an address no record covers
_IPV6_SHARE = 0.08
# public first octets to carve /16 blocks from (none private, CGN, loopback or reserved)
_OCTETS = [23, 31, 37, 45, 46, 62, 77, 78, 79, 80, 81, 82, 83, 84, 85, 86, 87, 88, 89, 90, 91, 92, 93, 94, 95]


class Geo:
    """Per-city IP blocks, the weighted choice of them, and the mmdb rows covering them."""

    def __init__(self) -> None:
        pairs: list[tuple[tuple[int, int, str, str], float]] = []  # ((v4 base, v6 /32 prefix, country, lang-key), w)
        self.rows: dict[str, tuple[str | None, str | None, str | None]] = {}
        self.languages: dict[str, Pick] = {}
        index = 0
        for code, share, languages, cities in _COUNTRIES:
            self.languages[code] = Pick(languages)
            city_total = sum(w for _, _, w in cities)
            for region, city, weight in cities:
                octet, second = _OCTETS[index // 200], 10 + index % 200
                v4 = f"{octet}.{second}.0.0/16"
                v6_prefix = 0x2A0A0000 + index + 1
                v6 = f"{ipaddress.IPv6Address(v6_prefix << 96)}/32"
                self.rows[v4] = self.rows[v6] = (code, region, city)
                base = int(ipaddress.IPv4Address(f"{octet}.{second}.0.0"))
                pairs.append(((base, v6_prefix, code), share * weight / city_total))
                index += 1
        total = sum(w for _, w in pairs)
        pairs.append(((int(ipaddress.IPv4Address("198.18.0.0")), 0, "??"), total * _UNKNOWN_GEO_SHARE / 100))
        self.languages["??"] = Pick([("en-US", 70), ("en", 30)])
        self.blocks = Pick(pairs)

    def address(self, rng: random.Random) -> tuple[str, str]:
        """(IP address, country code) of a new visitor."""
        base, v6_prefix, code = self.blocks(rng)
        if v6_prefix and rng.random() < _IPV6_SHARE:
            low = rng.getrandbits(64) | 1
            text = str(ipaddress.IPv6Address((v6_prefix << 96) | (rng.getrandbits(32) << 64) | low))
        else:
            host = base + rng.randrange(1, 65_535)
            text = f"{host >> 24}.{(host >> 16) & 255}.{(host >> 8) & 255}.{host & 255}"
        return text, code

    def write_mmdb(self, path: Path) -> Path:
        sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
        from tests.enrich.geo_fixture import build_city_db

        return build_city_db(path, self.rows)


# pages and sources --------------------------------------------------------------------

_BLOG_SLUGS = [
    "privacy-first-analytics", "cookie-banners-are-optional", "gdpr-and-analytics", "self-hosting-guide",
    "duckdb-for-analytics", "why-we-left-google-analytics", "utm-parameters-explained", "bounce-rate-myths",
    "core-web-vitals", "launch-week-recap", "pricing-update-2026", "how-we-count-visitors",
    "server-side-tracking", "ad-blockers-and-analytics", "migrating-from-umami", "migrating-from-plausible",
    "building-dashboards", "funnel-analysis-101", "retention-cohorts", "seo-without-tracking",
    "open-source-business", "engineering-on-call", "postgres-vs-duckdb", "trio-structured-concurrency",
    "year-in-review-2025", "customer-story-acme", "customer-story-globex", "customer-story-initech",
    "release-notes-1-0", "release-notes-1-1", "release-notes-1-2", "release-notes-1-3", "release-notes-1-4",
    "docker-compose-setup", "kubernetes-helm-chart", "reverse-proxy-nginx", "reverse-proxy-caddy",
    "custom-events-guide", "goals-and-conversions", "revenue-attribution", "bot-filtering",
    "realtime-dashboard", "api-keys-and-automation", "exporting-your-data", "weekly-email-reports",
    "alerts-for-traffic-spikes", "shared-dashboards", "multi-site-setup", "single-page-apps",
    "next-js-integration", "astro-integration", "wordpress-plugin", "shopify-integration",
    "hugo-integration", "ghost-integration", "vue-integration", "svelte-integration",
    "rails-integration", "django-integration", "laravel-integration",
] + [f"weekly-notes-{n}" for n in range(1, 61)]
_DOCS = [
    "getting-started/installation", "getting-started/first-website", "getting-started/tracking-script",
    "getting-started/verify", "guides/custom-events", "guides/goals", "guides/funnels", "guides/utm",
    "guides/bots", "guides/spa", "guides/proxy", "guides/cloudflare", "guides/import", "guides/export",
    "api/authentication", "api/websites", "api/stats", "api/metrics", "api/events", "api/sessions",
    "api/collect", "api/errors", "config/environment", "config/geoip", "config/retention", "config/auth",
    "self-hosting/docker", "self-hosting/systemd", "self-hosting/backup", "self-hosting/upgrade",
    "self-hosting/performance", "self-hosting/troubleshooting", "sdk/javascript", "sdk/python", "sdk/go",
    "sdk/ruby", "faq", "changelog", "glossary", "privacy",
]
_TOP_PAGES = [
    "/", "/pricing", "/features", "/blog", "/docs", "/signup", "/login", "/about", "/demo", "/changelog",
    "/contact", "/integrations", "/compare/google-analytics", "/compare/plausible", "/compare/umami",
    "/customers", "/careers", "/security", "/privacy", "/terms", "/status", "/roadmap", "/community",
    "/features/realtime", "/features/funnels", "/features/goals", "/features/api", "/features/self-hosting",
    "/features/bots", "/features/sharing", "/enterprise", "/partners", "/press", "/brand", "/404",
    "/account", "/account/billing", "/account/sites", "/onboarding", "/thank-you",
]


def _paths() -> list[str]:
    """200 paths in rank order: top pages, then docs and blog posts interleaved."""
    paths = list(_TOP_PAGES)
    docs, blog = [f"/docs/{d}" for d in _DOCS], [f"/blog/{b}" for b in _BLOG_SLUGS]
    while len(paths) < 200 and (docs or blog):
        if docs:
            paths.append(docs.pop(0))
        if blog and len(paths) < 200:
            paths.append(blog.pop(0))
        if blog and len(paths) < 200:
            paths.append(blog.pop(0))
    return paths[:200]


PATHS = _paths()
_PATH_PICK = Pick([(p, 1 / (rank + 1) ** 1.05) for rank, p in enumerate(PATHS)])

# landing sources: (referrer URL or None, utm tags or None), share %
_SOURCES = Pick([
    ((None, None), 34.0),
    (("https://www.google.com/", None), 21.0),
    (("https://www.google.co.uk/", None), 2.0),
    (("https://www.google.de/", None), 2.0),
    (("https://www.bing.com/", None), 3.0),
    (("https://duckduckgo.com/", None), 2.5),
    (("https://search.yahoo.com/", None), 0.5),
    (("https://www.ecosia.org/", None), 0.6),
    (("https://yandex.ru/", None), 0.4),
    (("https://www.baidu.com/", None), 0.3),
    (("https://search.brave.com/", None), 0.5),
    (("https://t.co/", None), 2.0),
    (("https://www.facebook.com/", None), 1.0),
    (("https://l.facebook.com/", None), 0.8),
    (("https://www.linkedin.com/", None), 1.6),
    (("https://www.reddit.com/", None), 2.2),
    (("https://news.ycombinator.com/", None), 3.0),
    (("https://www.youtube.com/", None), 1.0),
    (("https://www.instagram.com/", None), 0.5),
    (("https://mail.google.com/", None), 0.8),
    (("https://outlook.live.com/", None), 0.4),
    (("https://github.com/", None), 3.0),
    (("https://stackoverflow.com/", None), 1.4),
    (("https://dev.to/", None), 1.0),
    (("https://medium.com/", None), 0.9),
    (("https://www.producthunt.com/", None), 0.6),
    (("https://chatgpt.com/", None), 1.2),
    (("https://www.perplexity.ai/", None), 0.5),
    (("android-app://com.google.android.gm/", None), 0.3),
    ((None, ("newsletter", "email", "weekly-digest")), 2.5),
    ((None, ("newsletter", "email", "product-update-nov")), 1.0),
    (("https://www.google.com/", ("google", "cpc", "brand-search")), 2.0),
    (("https://www.google.com/", ("google", "cpc", "competitor-terms")), 1.0),
    (("https://t.co/", ("twitter", "social", "launch-week")), 0.7),
    (("https://www.linkedin.com/", ("linkedin", "paid_social", "b2b-q4")), 0.6),
    (("https://www.facebook.com/", ("facebook", "cpc", "retargeting")), 0.5),
    (("https://partner.example.org/", ("partner-blog", "referral", "integration-launch")), 0.4),
    ((None, ("podcast", "audio", "devtools-fm")), 0.2),
])

_SEARCH_LANDING = Pick([(p, 1 / (rank + 1) ** 0.8) for rank, p in enumerate(p for p in PATHS if p.startswith(("/blog/", "/docs/", "/compare/")))])

# custom events ------------------------------------------------------------------------


def _event_for(path: str, rng: random.Random) -> tuple[str, dict[str, Any]]:
    r = rng.random()
    if path == "/pricing":
        if r < 0.6:
            return "cta_click", {"location": rng.choice(["plan_card", "hero", "faq"]), "label": rng.choice(["Start free trial", "Contact sales", "Choose Pro", "Choose Team"])}
        return "plan_toggle", {"billing": rng.choice(["monthly", "yearly"])}
    if path == "/signup":
        return "signup", {"plan": "free" if r < 0.7 else ("pro" if r < 0.95 else "team"), "method": rng.choice(["email", "email", "google", "github"])}
    if path in ("/account/billing", "/thank-you", "/onboarding"):
        plan = rng.choice(["pro", "pro", "team"])
        return "purchase", {"plan": plan, "amount": 29 if plan == "pro" else 99, "currency": rng.choice(["USD", "USD", "EUR", "GBP"]), "interval": rng.choice(["month", "year"])}
    if path.startswith("/docs/"):
        if r < 0.45:
            return "copy_code", {"language": rng.choice(["bash", "bash", "html", "javascript", "python", "yaml"]), "page": path}
        if r < 0.75:
            return "search", {"results": rng.choice([0, 1, 3, 5, 10, 20]), "query_length": rng.randint(2, 40)}
        return "file_download", {"file": rng.choice(["sparklytics-1.4.0.tar.gz", "docker-compose.yml", "openapi.json", "helm-chart-0.9.tgz"])}
    if path.startswith("/blog/"):
        if r < 0.5:
            return "outbound_link", {"url": rng.choice(["https://github.com/sparklytics/sparklytics", "https://duckdb.org/", "https://trio.readthedocs.io/", "https://news.ycombinator.com/item?id=42000000", "https://twitter.com/sparklytics"])}
        if r < 0.8:
            return "newsletter_subscribe", {"source": rng.choice(["blog_footer", "inline", "popup"])}
        return "share", {"network": rng.choice(["twitter", "linkedin", "copy_link", "reddit"])}
    if r < 0.45:
        return "cta_click", {"location": rng.choice(["hero", "nav", "footer", "sidebar"]), "label": rng.choice(["Get started", "Try it free", "Book a demo", "View on GitHub"])}
    if r < 0.7:
        return "video_play", {"video": rng.choice(["product-tour", "onboarding", "realtime-demo"]), "autoplay": False}
    if r < 0.85:
        return "outbound_link", {"url": "https://github.com/sparklytics/sparklytics"}
    return "404_seen" if path == "/404" else "scroll_depth", {"percent": rng.choice([25, 50, 75, 100])}


# traffic shape ------------------------------------------------------------------------

_HOURS = Pick([(h, w) for h, w in enumerate([
    2.2, 1.8, 1.6, 1.5, 1.6, 1.9, 2.6, 3.4, 4.3, 5.0, 5.5, 5.8,
    6.1, 6.5, 6.8, 6.9, 6.6, 6.0, 5.3, 4.7, 4.2, 3.7, 3.1, 2.6,
])])
_HOUR_SHARE = [w / _HOURS.total for w in (_HOURS.cum[0], *(b - a for a, b in zip(_HOURS.cum, _HOURS.cum[1:])))]

_PAGEVIEWS = Pick([(1, 45), (2, 17), (3, 11), (4, 8), (5, 6), (6, 4), (7, 3), (8, 2)] + [(n, 4.0 * 1.6 / n**1.6) for n in range(9, 41)])
CUSTOM_EVENT_PER_PAGEVIEW = 0.105
BOT_SESSION_SHARE = 0.0062  # of sessions: ~3 % of events, bots crawl ~15 pages each
RETURN_SHARE = 0.20
RETURN_AGAIN_SHARE = 0.30
SAME_DAY_AGAIN_SHARE = 0.06
IDENTIFIED_SHARE = 0.04
MAX_DWELL = 25 * 60.0


class Generator:
    def __init__(self, *, events: int, days: int, seed: int, end: datetime) -> None:
        self.n = events
        self.days = days
        self.rng = random.Random(seed)
        self.end = end.timestamp()
        self.first_day = (end - timedelta(days=days - 1)).date()
        self.geo = Geo()
        self.user_agents = _user_agents()
        self.returns: dict[int, list[tuple[Any, ...]]] = defaultdict(list)
        self.stats = {
            "events": 0, "pageviews": 0, "custom_events": 0, "bot_events": 0, "sessions": 0,
            "bot_sessions": 0, "visitors_new": 0, "visitors_returned": 0, "visitor_returns": 0,
            "identified_visitors": 0,
        }
        self._returned = bytearray()
        self._visitor_seq = 0

    # plan ---------------------------------------------------------------------------

    def day_targets(self) -> list[int]:
        """Events per day: weekday shape, trend, noise; the last day is cut at ``end``."""
        weights = []
        end_dt = datetime.fromtimestamp(self.end, timezone.utc)
        for i in range(self.days):
            day = self.first_day + timedelta(days=i)
            weight = {5: 0.7, 6: 0.75}.get(day.weekday(), 1.0)
            weight *= 1.0 + 0.15 * i / max(1, self.days - 1)
            weight *= self.rng.uniform(0.93, 1.07)
            if i == self.days - 1:
                elapsed = end_dt.hour + end_dt.minute / 60 - 1  # sessions stop an hour before end
                weight *= max(0.02, sum(_HOUR_SHARE[h] for h in range(24) if h < elapsed))
            weights.append(weight)
        total = sum(weights)
        targets = [int(self.n * w / total) for w in weights]
        targets[-1] += self.n - sum(targets)
        return targets

    def new_visitor(self) -> tuple[Any, ...]:
        rng = self.rng
        self._visitor_seq += 1
        self.stats["visitors_new"] += 1
        ip, country = self.geo.address(rng)
        ua, device = self.user_agents(rng)
        visitor_id = None
        if rng.random() < IDENTIFIED_SHARE:
            visitor_id = f"user-{self._visitor_seq:08d}"
            self.stats["identified_visitors"] += 1
        self._returned.append(0)
        return (ip, ua, _SCREENS[device](rng), self.geo.languages[country](rng), visitor_id, self._visitor_seq - 1)

    def bot_visitor(self) -> tuple[Any, ...]:
        rng = self.rng
        ua = _BOTS(rng)
        ip, _ = self.geo.address(rng)
        headless = "HeadlessChrome" in ua
        return (ip, ua, "1920x1080" if headless else None, "en-US" if headless else None, None, -1)

    def plan_day(self, index: int, target: int) -> list[tuple[float, int, tuple[Any, ...], bool]]:
        """Sessions of day ``index`` until their events reach ``target``: (start, size, visitor, bot)."""
        rng = self.rng
        day_start = datetime.combine(self.first_day + timedelta(days=index), datetime.min.time(), timezone.utc).timestamp()
        last_start = min(day_start + DAY, self.end - 3600.0)
        returning = self.returns.pop(index, [])
        rng.shuffle(returning)
        sessions = []
        planned = 0
        guard = target * 2 + 100
        while planned < target and guard > 0:
            guard -= 1
            bot = rng.random() < BOT_SESSION_SHARE
            if bot:
                visitor = self.bot_visitor()
                size = rng.randint(4, 30)
            else:
                if returning and rng.random() < 0.5:
                    visitor = returning.pop()
                    self.stats["visitor_returns"] += 1
                    if not self._returned[visitor[5]]:
                        self._returned[visitor[5]] = 1
                        self.stats["visitors_returned"] += 1
                    again = rng.random() < RETURN_AGAIN_SHARE
                else:
                    visitor = self.new_visitor()
                    again = rng.random() < RETURN_SHARE
                if again:
                    later = index + 1 + min(int(rng.expovariate(1 / 3.0)), 13)
                    if later < self.days:
                        self.returns[later].append(visitor)
                pageviews = _PAGEVIEWS(rng)
                size = pageviews + sum(1 for _ in range(pageviews) if rng.random() < CUSTOM_EVENT_PER_PAGEVIEW)
            size = min(size, target - planned)
            start = day_start + _HOURS(rng) * 3600.0 + rng.random() * 3600.0
            if start > last_start:
                start = day_start + rng.random() * max(60.0, last_start - day_start)
            sessions.append((start, size, visitor, bot))
            planned += size
            if not bot and rng.random() < SAME_DAY_AGAIN_SHARE and planned < target:
                again_start = start + rng.uniform(3600.0, 6 * 3600.0)
                if again_start < last_start:
                    size = min(_PAGEVIEWS(rng), target - planned)
                    sessions.append((again_start, size, visitor, False))
                    planned += size
        if returning and index + 1 < self.days:
            self.returns[index + 1].extend(returning)  # not seen today: tomorrow, then
        sessions.sort(key=lambda s: s[0])
        return sessions

    # events -------------------------------------------------------------------------

    def session_events(self, start: float, size: int, visitor: tuple[Any, ...], bot: bool) -> list[tuple[float, dict[str, Any]]]:
        rng = self.rng
        ip, ua, screen, language, visitor_id, _ = visitor
        base: dict[str, Any] = {"website_id": WEBSITE_ID, "ip": ip, "user_agent": ua}
        if screen:
            base["screen"] = screen
        if language:
            base["language"] = language
        if visitor_id:
            base["visitor_id"] = visitor_id
        out = []
        at = start
        limit = self.end - 0.001
        if bot:
            for _ in range(size):
                path = PATHS[rng.randrange(len(PATHS))] if rng.random() < 0.6 else _PATH_PICK(rng)
                out.append((min(at, limit), {**base, "type": "pageview", "url": f"https://{WEBSITE_DOMAIN}{path}"}))
                at += rng.uniform(0.3, 4.0)
            self.stats["bot_sessions"] += 1
            self.stats["bot_events"] += len(out)
            return out
        referrer, utm = _SOURCES(rng)
        if referrer and ("google" in referrer or "bing" in referrer or "duckduckgo" in referrer) and rng.random() < 0.7:
            path = _SEARCH_LANDING(rng)
        else:
            path = _PATH_PICK(rng)
        host = WEBSITE_DOMAIN if rng.random() < 0.97 else WEBSITE_DOMAIN.removeprefix("www.")
        query = ""
        if utm:
            source, medium, campaign = utm
            base.update(utm_source=source, utm_medium=medium, utm_campaign=campaign)
            query = f"?utm_source={source}&utm_medium={medium}&utm_campaign={campaign}"
        elif rng.random() < 0.02:
            query = rng.choice(["?ref=producthunt", "?ref=hn", "?s=pricing", "?lang=de"])
        url = f"https://{host}{path}{query}"
        previous_url = referrer
        remaining = size
        while remaining > 0:
            event = {**base, "type": "pageview", "url": url}
            if previous_url:
                event["referrer"] = previous_url
            out.append((min(at, limit), event))
            remaining -= 1
            dwell = min(MAX_DWELL, rng.lognormvariate(math.log(40.0), 1.1))
            if remaining > 0 and rng.random() < CUSTOM_EVENT_PER_PAGEVIEW * 1.6:
                name, data = _event_for(path, rng)
                custom = {**base, "type": "event", "url": url, "event_name": name, "event_data": data}
                out.append((min(at + dwell * rng.uniform(0.1, 0.9), limit), custom))
                remaining -= 1
            at += dwell
            previous_url = url
            path = _PATH_PICK(rng)
            if rng.random() < 0.3 and path == "/":
                path = "/pricing"
            url = f"https://{host}{path}" + ("#faq" if rng.random() < 0.01 else "")
        self.stats["custom_events"] += sum(1 for _, e in out if e["type"] == "event")
        return out

    def run(self, out) -> None:
        heap: list[tuple[float, int, dict[str, Any]]] = []
        seq = 0
        dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode
        written = 0

        def emit_until(limit: float) -> None:
            nonlocal written
            while heap and heap[0][0] <= limit:
                at, _, event = heapq.heappop(heap)
                event["timestamp"] = _iso(at)
                out.write(dumps(event))
                out.write("\n")
                written += 1

        for index, target in enumerate(self.day_targets()):
            for start, size, visitor, bot in self.plan_day(index, target):
                emit_until(start)
                self.stats["sessions"] += 1
                for at, event in self.session_events(start, size, visitor, bot):
                    seq += 1
                    heapq.heappush(heap, (at, seq, event))
            if sys.stderr.isatty():
                print(f"  day {index + 1}/{self.days}: {written:,} events written", file=sys.stderr, end="\r")
        emit_until(float("inf"))
        self.stats["events"] = written
        self.stats["pageviews"] = written - self.stats["custom_events"]


def _iso(ts: float) -> str:
    ms = int(round(ts * 1000))
    seconds, millis = divmod(ms, 1000)
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(seconds)) + f".{millis:03d}Z"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", default="1M", help="number of events: 1M, 10M, 250k … (default 1M)")
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--end", help="ISO time of the end of the data (default: now, to the hour)")
    parser.add_argument("--out", type=Path, help="output file (default bench/data/events-<N>.jsonl)")
    parser.add_argument("--geoip", type=Path, default=DATA_DIR / "geo-bench.mmdb", help="GeoLite2-City-layout db to write")
    args = parser.parse_args(argv)
    n = parse_count(args.events)
    if args.end:
        end = datetime.fromisoformat(args.end.replace("Z", "+00:00"))
        end = end.replace(tzinfo=timezone.utc) if end.tzinfo is None else end.astimezone(timezone.utc)
    else:
        end = datetime.now(timezone.utc).replace(minute=0, second=0, microsecond=0)
    out_path = args.out or DATA_DIR / f"events-{human_count(n)}.jsonl"
    out_path.parent.mkdir(parents=True, exist_ok=True)
    generator = Generator(events=n, days=args.days, seed=args.seed, end=end)
    started = time.monotonic()
    tmp = out_path.with_suffix(out_path.suffix + ".part")
    with tmp.open("w", encoding="utf-8", buffering=1 << 20) as out:
        generator.run(out)
    tmp.replace(out_path)
    seconds = time.monotonic() - started
    generator.geo.write_mmdb(args.geoip)
    stats = generator.stats
    meta = {
        "file": str(out_path),
        "bytes": out_path.stat().st_size,
        "events": stats["events"],
        "days": args.days,
        "seed": args.seed,
        "first_day": generator.first_day.isoformat(),
        "end": end.isoformat().replace("+00:00", "Z"),
        "website_id": WEBSITE_ID,
        "geoip": str(args.geoip),
        "stats": stats,
        "bot_event_share": round(stats["bot_events"] / max(1, stats["events"]), 4),
        "custom_event_share": round(stats["custom_events"] / max(1, stats["events"]), 4),
        "returning_visitor_share": round(stats["visitors_returned"] / max(1, stats["visitors_new"]), 4),
        "generate_seconds": round(seconds, 1),
    }
    Path(str(out_path) + ".meta.json").write_text(json.dumps(meta, indent=2) + "\n")
    print(json.dumps(meta, indent=2))
    print(f"generated {stats['events']:,} events in {seconds:.1f} s ({stats['events'] / seconds:,.0f}/s) → {out_path}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
