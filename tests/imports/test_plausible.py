"""Plausible CE's CSV export: daily aggregates added by ``with_imported=true``.

The sample export is built from the columns Plausible's CSV importer documents for
each ``imported_*`` table (``Plausible.Imported.CSVImporter``: ``imported_visitors``
= ``date, visitors, pageviews, bounces, visits, visit_duration`` …) and its file names
(``<table>_<first day>_<last day>.csv``, zipped). The site also has collected events
on the same days (imported as events, with their own timestamps), so every number
below is native + imported.
"""

from __future__ import annotations

import json
from pathlib import Path

from tests.imports.conftest import UA_CHROME, create_website, csv_text, serving, sparklytics_import, write_zip

RANGE = {"start_date": "2024-01-10", "end_date": "2024-01-11"}
SUFFIX = "_20240101_20240131.csv"


def plausible_export(path: Path, *, visitors_day_10: int = 10) -> Path:
    return write_zip(path, {
        "imported_visitors" + SUFFIX: csv_text(
            ["date", "visitors", "pageviews", "bounces", "visits", "visit_duration"],
            [["2024-01-10", visitors_day_10, 30, 4, 12, 600], ["2024-01-11", 5, 8, 2, 6, 120]],
        ),
        "imported_pages" + SUFFIX: csv_text(
            ["date", "hostname", "page", "visitors", "pageviews", "exits", "time_on_page"],
            [["2024-01-10", "example.com", "/a", 6, 20, 3, 100], ["2024-01-11", "example.com", "/c", 3, 8, 2, 50]],
        ),
        "imported_entry_pages" + SUFFIX: csv_text(
            ["date", "entry_page", "visitors", "entrances", "visit_duration", "bounces"],
            [["2024-01-10", "/a", 6, 7, 300, 2]],
        ),
        "imported_exit_pages" + SUFFIX: csv_text(
            ["date", "exit_page", "visitors", "exits"], [["2024-01-10", "/c", 4, 4]],
        ),
        "imported_sources" + SUFFIX: csv_text(
            ["date", "source", "utm_medium", "utm_campaign", "utm_content", "utm_term", "visitors", "visits", "visit_duration", "bounces"],
            [
                ["2024-01-10", "Google", "", "", "", "", 4, 5, 100, 2],
                ["2024-01-10", "Direct / None", "", "", "", "", 3, 3, 0, 3],
                ["2024-01-11", "Twitter", "social", "launch", "", "", 2, 2, 50, 1],
            ],
        ),
        "imported_locations" + SUFFIX: csv_text(
            ["date", "country", "region", "city", "visitors", "visits", "visit_duration", "bounces"],
            [["2024-01-10", "DE", "DE-BE", 2950159, 5, 6, 100, 2]],
        ),
        "imported_devices" + SUFFIX: csv_text(
            ["date", "device", "visitors", "visits", "visit_duration", "bounces"], [["2024-01-10", "Desktop", 7, 8, 100, 3]],
        ),
        "imported_browsers" + SUFFIX: csv_text(
            ["date", "browser", "visitors", "visits", "visit_duration", "bounces"], [["2024-01-10", "Chrome", 7, 8, 100, 3]],
        ),
        "imported_operating_systems" + SUFFIX: csv_text(
            ["date", "operating_system", "visitors", "visits", "visit_duration", "bounces"], [["2024-01-10", "Windows", 7, 8, 100, 3]],
        ),
        "imported_custom_events" + SUFFIX: csv_text(
            ["date", "name", "link_url", "path", "visitors", "events"], [["2024-01-10", "Signup", "", "", 2, 3]],
        ),
    })


def collected_events(path: Path, website_id: str) -> Path:
    """Three pageviews on 2024-01-10: visitor A lands on /a from Google then reads /b,
    visitor B bounces on /a."""
    rows = [
        {"timestamp": "2024-01-10T10:00:00Z", "type": "pageview", "url": "https://example.com/a", "referrer": "https://google.com/", "ip": "203.0.113.1"},
        {"timestamp": "2024-01-10T10:05:00Z", "type": "pageview", "url": "https://example.com/b", "ip": "203.0.113.1"},
        {"timestamp": "2024-01-10T11:00:00Z", "type": "pageview", "url": "https://example.com/a", "ip": "203.0.113.2"},
    ]
    path.write_text("".join(json.dumps({**r, "website_id": website_id, "user_agent": UA_CHROME}) + "\n" for r in rows))
    return path


def rows(api, website_id: str, metric: str, **params) -> dict[str, tuple[int, int]]:
    body = api.get(f"/api/websites/{website_id}/metrics", type=metric, **RANGE, **params)
    return {r["value"]: (r["visitors"], r["pageviews"]) for r in body["data"]["rows"]}


def test_a_plausible_export_is_added_to_every_overview_report_with_imported(tmp_path: Path) -> None:
    data = tmp_path / "data"
    site = create_website(data)
    assert sparklytics_import(data, str(collected_events(tmp_path / "e.jsonl", site))).returncode == 0
    done = sparklytics_import(data, str(plausible_export(tmp_path / "example_com_20240201.zip")), "--website", site)
    assert done.returncode == 0, done.stderr
    assert "imported aggregates replace those of 2024-01-01 … 2024-01-31" in done.stderr

    with serving(data) as api:
        native = api.get(f"/api/websites/{site}/stats", **RANGE)
        assert "meta" not in native
        assert {k: native["data"][k] for k in ("pageviews", "visitors", "sessions", "bounce_rate", "avg_duration_seconds")} == {
            "pageviews": 3, "visitors": 2, "sessions": 2, "bounce_rate": 0.5, "avg_duration_seconds": 150.0,
        }
        merged = api.get(f"/api/websites/{site}/stats", **RANGE, with_imported="true")
        assert merged["meta"] == {"imports_included": True}
        # 3+30+8 pageviews, 2+10+5 visitors, 2+12+6 sessions, (1+4+2)/20 bounces,
        # (150·2 + 600 + 120) / 20 seconds
        assert {k: merged["data"][k] for k in ("pageviews", "visitors", "sessions", "bounce_rate", "avg_duration_seconds")} == {
            "pageviews": 41, "visitors": 17, "sessions": 20, "bounce_rate": 0.35, "avg_duration_seconds": 51.0,
        }

        series = api.get(f"/api/websites/{site}/pageviews", **RANGE, granularity="day", with_imported="true")
        assert series["data"]["series"] == [
            {"date": "2024-01-10", "pageviews": 33, "visitors": 12},
            {"date": "2024-01-11", "pageviews": 8, "visitors": 5},
        ]
        assert api.get(f"/api/websites/{site}/pageviews", **RANGE, granularity="hour", with_imported="true")["meta"] == {
            "imports_included": False  # daily sums have no hours
        }

        assert rows(api, site, "page") == {"/a": (2, 2), "/b": (1, 1)}
        pages = api.get(f"/api/websites/{site}/metrics", type="page", **RANGE, with_imported="true")
        assert [(r["value"], r["visitors"], r["pageviews"]) for r in pages["data"]["rows"]] == [
            ("/a", 8, 22), ("/c", 3, 8), ("/b", 1, 1),
        ]
        assert pages["pagination"] == {"total": 3, "limit": 10, "offset": 0, "has_more": False}
        second = api.get(f"/api/websites/{site}/metrics", type="page", **RANGE, with_imported="true", limit=1, offset=1)
        assert [r["value"] for r in second["data"]["rows"]] == ["/c"]
        assert second["pagination"]["has_more"] is True

        assert rows(api, site, "referrer", with_imported="true") == {
            "Google": (4, 0), "(direct)": (4, 1), "Twitter": (2, 0), "google.com": (1, 2),
        }
        assert rows(api, site, "channel", with_imported="true") == {
            "Organic Search": (5, 2), "Direct": (4, 1), "Organic Social": (2, 0),
        }
        assert rows(api, site, "utm_campaign", with_imported="true") == {"launch": (2, 0)}
        entry = api.get(f"/api/websites/{site}/metrics", type="entry_page", **RANGE, with_imported="true")["data"]["rows"]
        assert [(r["value"], r["visitors"], r["bounce_rate"]) for r in entry] == [("/a", 8, 33.3)]  # (1+2)/(2+7)
        assert rows(api, site, "exit_page", with_imported="true") == {"/c": (4, 0), "/b": (1, 2), "/a": (1, 1)}
        assert rows(api, site, "country", with_imported="true") == {"DE": (5, 0)}
        assert rows(api, site, "region", with_imported="true") == {"DE-BE": (5, 0)}
        assert rows(api, site, "city", with_imported="true") == {"2950159": (5, 0)}
        assert rows(api, site, "device", with_imported="true") == {"desktop": (9, 3)}
        assert rows(api, site, "browser", with_imported="true") == {"Chrome": (9, 3)}
        assert rows(api, site, "os", with_imported="true") == {"Windows": (9, 3)}
        events = api.get(f"/api/websites/{site}/metrics", type="event_name", **RANGE, with_imported="true")["data"]["rows"]
        assert [(r["value"], r["visitors"], r["events"]) for r in events] == [("Signup", 2, 3)]

        # a filter, or a breakdown the export has no sums for, leaves them out and says so
        filtered = api.get(f"/api/websites/{site}/stats", **RANGE, with_imported="true", filter_page="/a")
        assert filtered["meta"] == {"imports_included": False}
        assert filtered["data"]["pageviews"] == 2
        screens = api.get(f"/api/websites/{site}/metrics", type="screen", **RANGE, with_imported="true")
        assert screens["meta"] == {"imports_included": False}
        outside = api.get(f"/api/websites/{site}/stats", start_date="2024-02-01", end_date="2024-02-02", with_imported="true")
        assert outside["meta"] == {"imports_included": False}


def test_reimporting_an_export_replaces_its_days_and_a_deleted_website_takes_them_along(tmp_path: Path) -> None:
    data = tmp_path / "data"
    site = create_website(data)
    other = create_website(data, "other.com")
    export = plausible_export(tmp_path / "export.zip")
    for target in (site, site, other):
        done = sparklytics_import(data, str(export), "--website", target)
        assert done.returncode == 0, done.stderr
    corrected = plausible_export(tmp_path / "corrected.zip", visitors_day_10=11)
    assert sparklytics_import(data, str(corrected), "--website", site).returncode == 0

    with serving(data) as api:
        stats = api.get(f"/api/websites/{site}/stats", **RANGE, with_imported="true")["data"]
        assert (stats["pageviews"], stats["visitors"]) == (38, 16)  # once, with the corrected day
        assert api.get(f"/api/websites/{other}/stats", **RANGE, with_imported="true")["data"]["visitors"] == 15
        assert api.client.delete(f"/api/websites/{site}").status_code == 204
        left = api.server.query("SELECT DISTINCT website_id FROM imported_totals UNION SELECT DISTINCT website_id FROM imported_breakdowns")
        assert left == [(other,)]


def test_bad_rows_are_skipped_and_summarised_and_a_broken_file_refuses_the_import(tmp_path: Path) -> None:
    data = tmp_path / "data"
    site = create_website(data)
    source = tmp_path / "export"
    source.mkdir()
    (source / ("imported_visitors" + SUFFIX)).write_text(csv_text(
        ["date", "visitors", "pageviews", "bounces", "visits", "visit_duration"],
        [["2024-01-10", 10, 30, 4, 12, 600], ["10/01/2024", 1, 1, 1, 1, 1], ["2024-01-11", "many", 1, 1, 1, 1], ["2024-01-12", 1, 2, 0, 1, 9]],
    ))
    (source / ("imported_browsers" + SUFFIX)).write_text(csv_text(
        ["date", "browser", "visitors", "visits", "visit_duration", "bounces"],
        [["2024-01-10", "", 3, 3, 0, 3], ["2024-01-10", "Firefox", 2, 2, 10, 1]],  # "" is an unknown browser
    ))
    (source / "imported_custom_events_props_20240101_20240131.csv").write_text("date,name\n2024-01-10,x\n")
    (source / ("imported_pages" + SUFFIX)).write_text(csv_text(
        ["date", "hostname", "page", "visitors", "pageviews", "exits", "time_on_page"],
        [["2024-01-10", "example.com", "", 1, 1, 0, 0]],
    ))
    done = sparklytics_import(data, str(source), "--website", site)
    assert done.returncode == 1
    assert "skipped 1 row(s): date is not a day (line imported_visitors_20240101_20240131.csv:3)" in done.stderr
    assert "skipped 1 row(s): visitors is not a whole number (line imported_visitors_20240101_20240131.csv:4)" in done.stderr
    assert "skipped 1 row(s): page is empty (line imported_pages_20240101_20240131.csv:2)" in done.stderr
    assert "imported 4 rows in" in done.stderr
    assert "not read (no table of ours for them): imported_custom_events_props_20240101_20240131.csv" in done.stderr

    (source / ("imported_devices" + SUFFIX)).write_text(csv_text(["date", "visitors"], [["2024-01-10", 1]]))
    refused = sparklytics_import(data, str(source), "--website", site)
    assert refused.returncode == 2
    assert "import refused, nothing was imported: imported_devices_20240101_20240131.csv lacks the column(s) device, visits" in refused.stderr
    assert sparklytics_import(data, str(source)).returncode == 2  # no --website
    with serving(data) as api:
        stats = api.get(f"/api/websites/{site}/stats", start_date="2024-01-10", end_date="2024-01-12", with_imported="true")
        assert (stats["data"]["pageviews"], stats["data"]["visitors"]) == (32, 11)
        browsers = api.get(f"/api/websites/{site}/metrics", type="browser", start_date="2024-01-10", end_date="2024-01-12", with_imported="true")
        assert [(r["value"], r["visitors"]) for r in browsers["data"]["rows"]] == [("Firefox", 2)]
        bad = api.client.get(f"/api/websites/{site}/stats", params={"with_imported": "yes"})
        assert bad.status_code == 400
        assert bad.json() == {"error": {"code": "validation_error", "message": "with_imported must be one of: true, false", "field": "with_imported"}}
