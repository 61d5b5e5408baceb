"""Makes dashboard/screenshot-overview.png: the overview of 30 days of made-up traffic,
compared with the 30 days before.

    python -m tests.dashboard.screenshot [--dark] [--out PATH]

Not a test. It builds a throwaway data directory, a tiny GeoIP database (so countries
and cities show), creates a website through the API, loads ~30 days of deterministic
traffic (60 days) with ``sparklytics import`` (collect cannot backdate events), then opens the
overview in Chromium and saves a full-page screenshot. Needs the dashboard build.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import tempfile
from datetime import datetime, timedelta, timezone
from pathlib import Path

import trio

from sparklytics.importer import import_file
from tests.browser import chromium
from tests.dashboard.conftest import Api
from tests.dashboard.seed import UA
from tests.enrich.geo_fixture import build_city_db
from tests.harness import REPO_ROOT, LiveServer, test_config

PLACES = {  # network → (country, region, city), weight
    "81.2.69.0/24": (("GB", "England", "London"), 14),
    "89.160.20.0/24": (("DE", "Berlin", "Berlin"), 18),
    "67.43.156.0/24": (("US", "California", "San Francisco"), 22),
    "216.160.83.0/24": (("US", "Washington", "Seattle"), 9),
    "2.125.160.0/24": (("FR", "Île-de-France", "Paris"), 8),
    "149.101.100.0/24": (("NL", "North Holland", "Amsterdam"), 7),
    "202.196.224.0/24": (("JP", "Tokyo", "Tokyo"), 6),
    "111.235.160.0/24": (("IN", "Maharashtra", "Mumbai"), 5),
    "190.50.0.0/24": (("BR", "São Paulo", "São Paulo"), 4),
}
PAGES = [("/", 30), ("/pricing", 12), ("/blog/duckdb-analytics", 9), ("/docs", 8), ("/docs/install", 6),
         ("/blog/privacy-first", 6), ("/signup", 5), ("/about", 3), ("/changelog", 3)]
SOURCES = [  # referrer, utm_source, weight
    (None, None, 30), ("https://www.google.com/", None, 28), ("https://news.ycombinator.com/item?id=4242", None, 8),
    ("https://duckduckgo.com/", None, 6), ("https://github.com/sparklytics/sparklytics", None, 6),
    ("https://t.co/x1", None, 4), ("https://www.reddit.com/r/selfhosted/", None, 5), (None, "newsletter", 6),
    ("https://www.bing.com/", None, 3),
]
AGENTS = [("chrome-windows", 34), ("safari-iphone", 20), ("safari-mac", 16), ("chrome-android", 16), ("firefox-linux", 8)]
SCREENS = {"chrome-windows": "1920x1080", "safari-iphone": "390x844", "safari-mac": "1512x982",
           "chrome-android": "412x915", "firefox-linux": "2560x1440"}
LANGUAGES = [("en-US", 45), ("de-DE", 16), ("en-GB", 12), ("fr-FR", 8), ("ja-JP", 5), ("pt-BR", 4), ("nl-NL", 5)]


def traffic(website_id: str, days: int = 60, seed: int = 42) -> list[dict]:
    rng = random.Random(seed)
    now = datetime.now(timezone.utc).replace(microsecond=0)
    start = (now - timedelta(days=days - 1)).replace(hour=0, minute=0, second=0)
    rows = []
    for day in range(days):
        base = start + timedelta(days=day)
        weekday = base.weekday()
        visits = int((30 + day * 1.2) * (0.62 if weekday >= 5 else 1.0) * rng.uniform(0.85, 1.15))
        if day == 49:
            visits = int(visits * 2.6)  # a Hacker News day
        for _ in range(visits):
            at = base + timedelta(seconds=int(rng.triangular(6, 23.9, 15) * 3600))
            if at > now:
                continue
            network = rng.choices(list(PLACES), weights=[w for _, w in PLACES.values()])[0]
            ip = network.rsplit(".", 1)[0] + f".{rng.randint(1, 254)}"
            agent = rng.choices([a for a, _ in AGENTS], weights=[w for _, w in AGENTS])[0]
            referrer, utm = rng.choices([(r, u) for r, u, _ in SOURCES], weights=[w for *_, w in SOURCES])[0]
            if day == 49 and rng.random() < 0.5:
                referrer, utm = "https://news.ycombinator.com/item?id=4242", None
            language = rng.choices([lang for lang, _ in LANGUAGES], weights=[w for _, w in LANGUAGES])[0]
            depth = rng.choices([1, 2, 3, 4, 5], weights=[45, 25, 15, 10, 5])[0]
            path = rng.choices([p for p, _ in PAGES], weights=[w for _, w in PAGES])[0]
            for step in range(depth):
                event = {
                    "website_id": website_id, "type": "pageview", "timestamp": at.isoformat(),
                    "url": f"https://acme.example.com{path}", "screen": SCREENS[agent], "language": language,
                    "ip": ip, "user_agent": UA[agent],
                }
                if step == 0 and referrer:
                    event["referrer"] = referrer
                if utm:
                    event["utm_source"] = utm
                    event["utm_medium"] = "email"
                rows.append(event)
                if path == "/signup" and rng.random() < 0.5:
                    rows.append({**{k: v for k, v in event.items() if k != "referrer"}, "type": "event",
                                 "event_name": "signup", "event_data": {"plan": rng.choice(["free", "pro", "team"])}})
                at += timedelta(seconds=rng.randint(15, 240))
                path = rng.choices([p for p, _ in PAGES], weights=[w for _, w in PAGES])[0]
    rows.sort(key=lambda r: r["timestamp"])
    return rows


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--dark", action="store_true")
    parser.add_argument("--out", default=str(REPO_ROOT / "dashboard" / "screenshot-overview.png"))
    args = parser.parse_args()
    root = Path(tempfile.mkdtemp(prefix="spk-shot-"))
    data = root / "data"
    geo = build_city_db(root / "city.mmdb", {net: place for net, (place, _) in PLACES.items()})
    env = {"SPARKLYTICS_GEOIP_PATH": str(geo)}

    server = LiveServer(data, **env).start()
    website_id = Api(server.url).create_website("Acme", domain="acme.example.com")
    server.stop()

    events = root / "events.jsonl"
    events.write_text("".join(json.dumps(e) + "\n" for e in traffic(website_id)))
    result = trio.run(import_file, test_config(data, **env), events)
    print(f"imported {result.imported} events, skipped {result.skipped}", file=sys.stderr)

    server = LiveServer(data, **env).start()
    try:
        with chromium() as browser:
            ctx = browser.new_context(viewport={"width": 1280, "height": 900}, device_scale_factor=1,
                                      color_scheme="dark" if args.dark else "light")
            page = ctx.new_page()
            page.goto(f"{server.url}/dashboard/{website_id}?compare_mode=previous_period")
            page.wait_for_selector("[data-testid=stat-cards][data-loaded='1']")
            page.wait_for_selector("[data-testid=traffic-chart] canvas")
            page.wait_for_selector("[data-testid=metric-country][data-loaded='1']")
            page.wait_for_timeout(500)
            page.screenshot(path=args.out, full_page=True)
            print(f"wrote {args.out}", file=sys.stderr)
    finally:
        server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
