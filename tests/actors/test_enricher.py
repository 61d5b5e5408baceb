"""The Enricher's per-website peak admission (§2 step 5), without a server."""

from __future__ import annotations

from datetime import date

import pytest

import actors.enricher as enricher_module
from actors.enricher import Enricher
from sparklytics.enrich import GeoLookup, new_salt
from sparklytics.stores.metadata import Salts, WebsiteIngestInfo


def website(website_id: str, peak_events_per_sec: int | None) -> WebsiteIngestInfo:
    return WebsiteIngestInfo(website_id, "UTC", peak_events_per_sec, None, "balanced", 70)


@pytest.fixture
def clock(monkeypatch):
    """The Enricher's monotonic clock, set by the test (whole seconds)."""
    now = [1000.0]
    monkeypatch.setattr(enricher_module.time, "monotonic", lambda: now[0])
    return now


@pytest.fixture
def enricher():
    """An Enricher whose peak admission is called directly (no DB, no Buffer)."""
    return Enricher(
        None,  # type: ignore[arg-type]
        None,  # type: ignore[arg-type]
        Salts(new_salt(), date(2026, 1, 1), None, None),
        geo=GeoLookup(None),
        website_queue_default=1000,
        website_peak_eps_default=1000,
        cache_max_entries=10,
        cache_ttl_seconds=60,
    )


def events(website_id: str, count: int) -> list[dict]:
    return [{"website_id": website_id, "n": i} for i in range(count)]


def test_peak_window_slides_over_60_seconds(enricher, clock):
    sites = {"a": website("a", 1)}  # 1 event/s: 60 per minute
    assert len(enricher._admit_peak(events("a", 50), sites)) == 50
    clock[0] += 30
    assert len(enricher._admit_peak(events("a", 20), sites)) == 10
    clock[0] += 29  # 59 s after the first 50: still in the window
    assert enricher._admit_peak(events("a", 5), sites) == []
    clock[0] += 1  # the first second leaves the window, 10 events remain in it
    assert len(enricher._admit_peak(events("a", 60), sites)) == 50
    clock[0] += 120  # everything left the window
    assert len(enricher._admit_peak(events("a", 70), sites)) == 60
    assert enricher.statistics().peak_dropped == 10 + 5 + 10 + 10


def test_peak_windows_are_per_website(enricher, clock):
    sites = {"a": website("a", 1), "b": website("b", None)}  # b: the default, 1000/s
    mixed = events("a", 70) + events("b", 70)
    admitted = enricher._admit_peak(mixed, sites)
    assert [e["website_id"] for e in admitted] == ["a"] * 60 + ["b"] * 70
