"""Umami's CSV data export: ``website_event`` rows with their ``session`` rows.

The sample files carry the columns of Umami's Prisma schema (``website_event``:
``event_id`` … ``hostname``; ``session``: ``session_id`` … ``city``) and its codes
(``event_type`` 1 = pageview, 2 = custom event; detect-browser names such as
``chrome`` and ``ios``). Geo and device come from the export; visitors from Umami's
session id, keyed; visits from our session rules.
"""

from __future__ import annotations

import re
from pathlib import Path

from tests.imports.conftest import create_website, csv_text, serving, sparklytics_import, write_zip

EVENT_COLUMNS = [
    "event_id", "website_id", "session_id", "visit_id", "created_at", "url_path", "url_query",
    "utm_source", "utm_medium", "utm_campaign", "utm_content", "utm_term", "referrer_path",
    "referrer_query", "referrer_domain", "page_title", "gclid", "fbclid", "msclkid", "ttclid",
    "li_fat_id", "twclid", "event_type", "event_name", "tag", "hostname",
]
SESSION_COLUMNS = ["session_id", "website_id", "browser", "os", "device", "screen", "language", "country", "region", "city", "distinct_id", "created_at"]
UMAMI_SITE = "0f6a4c2e-9b1d-4e3a-8c55-3b7d2a1e9f00"
S1 = "5b1c8a7e-2f4d-4c1b-9e6a-7d3f0a2b4c11"
S2 = "9e2d4f6a-1b3c-4d5e-8f7a-6b5c4d3e2f22"
RANGE = {"start_date": "2024-03-01", "end_date": "2024-03-02"}


def event(n: int, session: str, at: str, path: str, *, kind: int = 1, name: str = "", query: str = "",
          utm: tuple[str, str] = ("", ""), referrer: tuple[str, str] = ("", "")) -> list[str]:
    values = {
        "event_id": f"00000000-0000-4000-8000-{n:012d}", "website_id": UMAMI_SITE, "session_id": session,
        "visit_id": f"11111111-0000-4000-8000-{n:012d}", "created_at": at, "url_path": path, "url_query": query,
        "utm_source": utm[0], "utm_medium": utm[1], "referrer_domain": referrer[0], "referrer_path": referrer[1],
        "page_title": "A page", "event_type": str(kind), "event_name": name, "hostname": "example.com",
    }
    return [values.get(column, "") for column in EVENT_COLUMNS]


def umami_events() -> list[list[str]]:
    return [
        event(1, S1, "2024-03-01 10:00:00+00", "/pricing", query="utm_source=newsletter&utm_medium=email", utm=("newsletter", "email")),
        event(2, S1, "2024-03-01 10:03:00+00", "/signup", referrer=("example.com", "/pricing")),
        event(3, S1, "2024-03-01 10:04:00+00", "/signup", kind=2, name="signup"),
        event(4, S2, "2024-03-01 12:00:00.5+00", "/", referrer=("news.ycombinator.com", "/item")),
        event(5, S2, "2024-03-02 09:00:00+00", "/blog", referrer=("google.com", "/")),
        event(6, S2, "2024-03-02 09:01:00+00", "/go", kind=3),
        event(7, S2, "yesterday", "/x"),
        event(8, "", "2024-03-02 09:02:00+00", "/y"),
    ]


def umami_sessions() -> list[list[str]]:
    return [
        [S1, UMAMI_SITE, "chrome", "Windows 10", "desktop", "1920x1080", "en-US", "DE", "DE-BE", "Berlin", "", "2024-03-01 10:00:00+00"],
        [S2, UMAMI_SITE, "ios", "iOS", "mobile", "390x844", "fr-FR", "FR", "FR-IDF", "Paris", "", "2024-03-01 12:00:00+00"],
    ]


def breakdown(api, site: str, metric: str) -> dict[str, tuple[int, int]]:
    body = api.get(f"/api/websites/{site}/metrics", type=metric, **RANGE)
    return {r["value"]: (r["visitors"], r["pageviews"]) for r in body["data"]["rows"]}


def test_an_umami_export_keeps_times_paths_sources_geo_and_devices(tmp_path: Path) -> None:
    data = tmp_path / "data"
    site = create_website(data)
    export = tmp_path / "umami"
    export.mkdir()
    (export / "website_event.csv").write_text(csv_text(EVENT_COLUMNS, umami_events()))
    (export / "session.csv").write_text(csv_text(SESSION_COLUMNS, umami_sessions()))
    (export / "session_data.csv").write_text(csv_text(["session_id", "data_key", "string_value"], [[S1, "email", "x@example.com"]]))
    (export / "event_data.csv").write_text(csv_text(
        ["event_data_id", "website_id", "website_event_id", "data_key", "string_value", "number_value", "date_value", "data_type", "created_at"],
        [
            ["e1", UMAMI_SITE, umami_events()[2][0], "plan", "pro", "", "", "1", "2024-03-01 10:04:00+00"],
            ["e2", UMAMI_SITE, umami_events()[2][0], "seats", "", "3.0000", "", "2", "2024-03-01 10:04:00+00"],
            ["e3", UMAMI_SITE, umami_events()[2][0], "trial", "true", "", "", "3", "2024-03-01 10:04:00+00"],
            ["e4", UMAMI_SITE, umami_events()[2][0], "price", "", "9.5000", "", "2", "2024-03-01 10:04:00+00"],
        ],
    ))

    assert sparklytics_import(data, str(export)).returncode == 2  # where to? --website is required
    done = sparklytics_import(data, str(export), "--website", site)
    assert done.returncode == 1, done.stderr  # rows were skipped
    assert "imported 5 events in" in done.stderr
    assert "skipped 1 row(s): event_type is not 1 (pageview) or 2 (custom event) (line 7)" in done.stderr
    assert "skipped 1 row(s): created_at is not ISO 8601 (line 8)" in done.stderr
    assert "skipped 1 row(s): session_id is missing (line 9)" in done.stderr

    with serving(data) as api:
        stats = api.get(f"/api/websites/{site}/stats", **RANGE)["data"]
        # S1: one visit of two pages (+ the signup event, 4 minutes); S2: two visits of one
        # page on two days, still one visitor (Umami's session id, keyed, not a daily salt)
        assert {k: stats[k] for k in ("pageviews", "visitors", "sessions", "bounce_rate", "avg_duration_seconds")} == {
            "pageviews": 4, "visitors": 2, "sessions": 3, "bounce_rate": 0.667, "avg_duration_seconds": 80.0,
        }
        assert breakdown(api, site, "page") == {"/pricing": (1, 1), "/signup": (1, 1), "/": (1, 1), "/blog": (1, 1)}
        assert breakdown(api, site, "referrer") == {"(direct)": (1, 2), "news.ycombinator.com": (1, 1), "google.com": (1, 1)}
        assert breakdown(api, site, "utm_source") == {"newsletter": (1, 2)}
        assert breakdown(api, site, "channel") == {"Email": (1, 2), "Organic Social": (1, 1), "Organic Search": (1, 1)}
        assert breakdown(api, site, "country") == {"DE": (1, 2), "FR": (1, 2)}
        assert breakdown(api, site, "region") == {"DE-BE": (1, 2), "FR-IDF": (1, 2)}
        assert breakdown(api, site, "city") == {"Berlin": (1, 2), "Paris": (1, 2)}
        assert breakdown(api, site, "browser") == {"Chrome": (1, 2), "Safari": (1, 2)}
        assert breakdown(api, site, "os") == {"Windows": (1, 2), "iOS": (1, 2)}
        assert breakdown(api, site, "device") == {"desktop": (1, 2), "mobile": (1, 2)}
        assert breakdown(api, site, "screen") == {"1920x1080": (1, 2), "390x844": (1, 2)}
        assert breakdown(api, site, "language") == {"en-US": (1, 2), "fr-FR": (1, 2)}
        names = api.get(f"/api/websites/{site}/metrics", type="event_name", **RANGE)["data"]["rows"]
        assert [(r["value"], r["events"]) for r in names] == [("signup", 1)]

        stored = api.server.query("SELECT url, CAST(created_at AS VARCHAR), visitor_id FROM events ORDER BY created_at")
        assert [row[:2] for row in stored] == [
            ("https://example.com/pricing?utm_source=newsletter&utm_medium=email", "2024-03-01 10:00:00"),
            ("https://example.com/signup", "2024-03-01 10:03:00"),
            ("https://example.com/signup", "2024-03-01 10:04:00"),
            ("https://example.com/", "2024-03-01 12:00:00.5"),
            ("https://example.com/blog", "2024-03-02 09:00:00"),
        ]
        assert api.server.query("SELECT event_data FROM events WHERE event_type = 'event'") == [
            ('{"plan":"pro","seats":3,"trial":true,"price":9.5}',),
        ]
        visitor_ids = {row[2] for row in stored}
        assert len(visitor_ids) == 2 and all(re.fullmatch(r"[0-9a-f]{16}", v) for v in visitor_ids)
        dump = " ".join(str(v) for row in api.server.query("SELECT * FROM events UNION ALL BY NAME SELECT * FROM sessions") for v in row)
        assert S1 not in dump and S1.replace("-", "")[:16] not in dump  # Umami's ids are never stored

    again = sparklytics_import(data, str(export), "--website", site)
    assert again.returncode == 2
    assert f"import refused, nothing was imported: this export was imported into {site} on " in again.stderr
    assert "importing it again would count its events twice (--again does so anyway)" in again.stderr
    assert sparklytics_import(data, str(export), "--website", site, "--again").returncode == 1
    with serving(data) as api:
        assert api.get(f"/api/websites/{site}/stats", **RANGE)["data"]["pageviews"] == 8


def test_a_single_website_event_csv_with_inline_session_columns_in_a_zip(tmp_path: Path) -> None:
    # Umami's ClickHouse table keeps the session's columns on each event (region as
    # subdivision1).
    data = tmp_path / "data"
    site = create_website(data)
    columns = EVENT_COLUMNS + ["browser", "os", "device", "country", "subdivision1", "city"]
    rows = [event(1, S1, "2024-03-01T10:00:00Z", "/a") + ["firefox", "Linux", "laptop", "AT", "AT-9", "Vienna"]]
    export = write_zip(tmp_path / "umami.zip", {"website_event.csv": csv_text(columns, rows)})
    done = sparklytics_import(data, str(export), "--website", site, "--format", "umami")
    assert done.returncode == 0, done.stderr
    with serving(data) as api:
        stored = api.server.query("SELECT path, browser, os, device_type, country, region, city FROM events")
        assert stored == [("/a", "Firefox", "Linux", "desktop", "AT", "AT-9", "Vienna")]
