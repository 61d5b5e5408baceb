"""Our own CSV export round-trips: collect → export → import into a fresh data dir →
the same numbers on stats, pages and sources (and places, devices, events)."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

from tests.imports.conftest import UA_CHROME, UA_FIREFOX, create_website, serving, sparklytics_import

UA_IPHONE = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1"
REPORTS = [
    ("metrics", {"type": "page"}),
    ("metrics", {"type": "referrer"}),
    ("metrics", {"type": "channel"}),
    ("metrics", {"type": "utm_source"}),
    ("metrics", {"type": "entry_page"}),
    ("metrics", {"type": "browser"}),
    ("metrics", {"type": "os"}),
    ("metrics", {"type": "device"}),
    ("metrics", {"type": "language"}),
    ("metrics", {"type": "event_name"}),
    ("stats", {}),
    ("pageviews", {"granularity": "day"}),
]


def collect(api, site: str, user_agent: str, events: list[dict]) -> None:
    response = api.client.post(
        "/api/collect", json=[{"website_id": site, **e} for e in events], headers={"User-Agent": user_agent}
    )
    assert response.status_code == 202, response.text


def numbers(api, site: str, day: str) -> list[dict]:
    out = []
    for route, params in REPORTS:
        body = api.get(f"/api/websites/{site}/{route}", start_date=day, end_date=day, **params)
        out.append(body["data"])
    return out


def test_export_then_import_into_a_fresh_data_dir_gives_the_same_numbers(tmp_path: Path) -> None:
    day = datetime.now(timezone.utc).date().isoformat()
    first = tmp_path / "first"
    site = create_website(first)
    with serving(first) as api:
        collect(api, site, UA_CHROME, [
            {"type": "pageview", "url": "https://example.com/a?utm_source=news&utm_medium=email", "referrer": "https://mail.example.org/", "language": "en-US"},
            {"type": "pageview", "url": "https://example.com/b", "referrer": "https://example.com/a", "language": "en-US"},
            {"type": "event", "url": "https://example.com/b", "event_name": "signup", "event_data": {"plan": "pro"}, "language": "en-US"},
        ])
        collect(api, site, UA_FIREFOX, [
            {"type": "pageview", "url": "https://example.com/a", "referrer": "https://www.google.com/", "language": "de-DE"},
        ])
        collect(api, site, UA_IPHONE, [
            {"type": "pageview", "url": "https://example.com/=sum", "language": "fr-FR"},
            {"type": "pageview", "url": "https://example.com/a", "language": "fr-FR"},
            {"type": "event", "url": "https://example.com/a", "event_name": "=formula", "language": "fr-FR"},
        ])
        api.server.flush()
        before = numbers(api, site, day)
        exported = api.client.get(f"/api/websites/{site}/export", params={"start_date": day, "end_date": day})
        assert exported.status_code == 200
    csv_file = tmp_path / "events.csv"
    csv_file.write_bytes(exported.content)

    second = tmp_path / "second"
    fresh = create_website(second)
    unknown = sparklytics_import(second, str(csv_file))  # into the website the file names: not here
    assert unknown.returncode == 2
    assert f"no website {site} here: create it first" in unknown.stderr
    done = sparklytics_import(second, str(csv_file), "--website", fresh)
    assert done.returncode == 0, done.stderr
    assert "imported 7 events in" in done.stderr
    with serving(second) as api:
        after = numbers(api, fresh, day)
        stored = api.server.query("SELECT event_data FROM events WHERE event_name = 'signup'")
    assert after == before
    assert stats_of(before) == {"pageviews": 5, "visitors": 3, "sessions": 3}
    assert stored == [('{"plan":"pro"}',)]
    # the export's formula guard ('=formula) is undone on the way back
    assert [r["value"] for r in after[REPORTS.index(("metrics", {"type": "event_name"}))]["rows"]] == ["=formula", "signup"]


def stats_of(reports: list[dict]) -> dict:
    stats = reports[REPORTS.index(("stats", {}))]
    return {k: stats[k] for k in ("pageviews", "visitors", "sessions")}
