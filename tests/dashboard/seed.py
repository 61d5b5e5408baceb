"""A deterministic, readable dataset for the dashboard's browser tests, sent through
``POST /api/collect`` (never written to DuckDB directly).

Collect stamps events with the current time, so everything lands "today": the tests
compare the dashboard with the API for the same range rather than with fixed dates.
Visitors are told apart with ``visitor_id`` (the tracker's ``identify()``), browsers,
OSes and devices with the request's ``User-Agent``.
"""

from __future__ import annotations

import json
import urllib.request
from dataclasses import dataclass, field

UA = {
    "chrome-windows": "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36",
    "firefox-linux": "Mozilla/5.0 (X11; Linux x86_64; rv:125.0) Gecko/20100101 Firefox/125.0",
    "safari-iphone": "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1",
    "chrome-android": "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Mobile Safari/537.36",
    "safari-mac": "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_4) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Safari/605.1.15",
}


@dataclass(frozen=True)
class Visit:
    """One visitor's session: the pages they saw, in order, and where they came from."""

    visitor: str
    ua: str
    pages: tuple[str, ...]
    referrer: str | None = None
    utm_source: str | None = None
    language: str = "en-US"
    screen: str = "1920x1080"
    events: tuple[tuple[str, dict], ...] = ()


@dataclass
class Dataset:
    visits: list[Visit] = field(default_factory=list)

    @property
    def pageviews(self) -> int:
        return sum(len(v.pages) for v in self.visits)

    @property
    def visitors(self) -> int:
        return len({v.visitor for v in self.visits})


def default_dataset() -> Dataset:
    """12 visitors, 25 pageviews, 4 custom events; a mix of sources, devices and pages."""
    return Dataset(
        [
            Visit("v01", "chrome-windows", ("/", "/pricing", "/signup"), referrer="https://www.google.com/search?q=x",
                  events=(("signup", {"plan": "pro"}),)),
            Visit("v02", "chrome-windows", ("/",), referrer="https://www.google.com/"),
            Visit("v03", "firefox-linux", ("/blog/hello", "/"), referrer="https://news.ycombinator.com/item?id=1",
                  language="de-DE", screen="2560x1440"),
            Visit("v04", "safari-iphone", ("/",), referrer="https://t.co/abc", screen="390x844", language="fr-FR"),
            Visit("v05", "safari-iphone", ("/pricing", "/signup"), utm_source="newsletter", screen="390x844",
                  events=(("signup", {"plan": "free"}),)),
            Visit("v06", "chrome-android", ("/",), screen="412x915"),
            Visit("v07", "chrome-android", ("/blog/hello",), referrer="https://www.google.com/", screen="412x915"),
            Visit("v08", "safari-mac", ("/", "/docs", "/docs/install", "/pricing"), screen="1512x982",
                  events=(("download", {"file": "guide.pdf"}),)),
            Visit("v09", "safari-mac", ("/docs",), referrer="https://github.com/x/y", screen="1512x982"),
            Visit("v10", "chrome-windows", ("/", "/pricing"), utm_source="newsletter"),
            Visit("v11", "firefox-linux", ("/blog/hello",), referrer="https://news.ycombinator.com/", language="de-DE"),
            Visit("v12", "chrome-windows", ("/", "/docs", "/signup"), referrer="https://www.bing.com/",
                  events=(("signup", {"plan": "pro"}),)),
        ]
    )


def collect(base_url: str, events: list[dict], ua: str) -> None:
    request = urllib.request.Request(
        f"{base_url}/api/collect",
        data=json.dumps(events).encode(),
        headers={"Content-Type": "application/json", "User-Agent": UA[ua]},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        assert response.status == 202, response.status


def visit_events(website_id: str, visit: Visit, host: str) -> list[dict]:
    """The collect payloads of one visit, in the order they happen: pages, then events."""
    events = []
    for i, page in enumerate(visit.pages):
        event = {
            "website_id": website_id,
            "type": "pageview",
            "url": f"{host}{page}" + (f"?utm_source={visit.utm_source}" if visit.utm_source and i == 0 else ""),
            "screen": visit.screen,
            "language": visit.language,
            "visitor_id": visit.visitor,
        }
        if i == 0 and visit.referrer:
            event["referrer"] = visit.referrer
        if visit.utm_source:
            event["utm_source"] = visit.utm_source
        events.append(event)
    for name, data in visit.events:
        events.append({
            "website_id": website_id, "type": "event", "url": f"{host}{visit.pages[-1]}",
            "event_name": name, "event_data": data, "visitor_id": visit.visitor,
            "screen": visit.screen, "language": visit.language,
        })
    return events


def seed(base_url: str, website_id: str, dataset: Dataset | None = None, *, host: str = "https://shop.example") -> Dataset:
    """Sends ``dataset`` for ``website_id``; one collect request per user agent (≤ 50 events)."""
    dataset = dataset or default_dataset()
    by_ua: dict[str, list[dict]] = {}
    for visit in dataset.visits:
        by_ua.setdefault(visit.ua, []).extend(visit_events(website_id, visit, host))
    for ua, events in by_ua.items():
        for start in range(0, len(events), 50):
            collect(base_url, events[start:start + 50], ua)
    return dataset


def seed_in_order(base_url: str, website_id: str, dataset: Dataset, *, host: str = "https://shop.example") -> Dataset:
    """Like :func:`seed`, but every visit's n-th event goes out in a later request than its
    (n−1)-th. Collect stamps a whole request with one time, and funnels count a step only
    strictly after the step before, so ordered reports need each step in its own request."""
    rounds: list[dict[str, list[dict]]] = []
    for visit in dataset.visits:
        for i, event in enumerate(visit_events(website_id, visit, host)):
            if len(rounds) == i:
                rounds.append({})
            rounds[i].setdefault(visit.ua, []).append(event)
    for by_ua in rounds:
        for ua, events in by_ua.items():
            for start in range(0, len(events), 50):
                collect(base_url, events[start:start + 50], ua)
    return dataset
