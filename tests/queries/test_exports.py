"""The public surface of ``sparklytics.queries`` (what the API layer imports)."""

from __future__ import annotations

import importlib

import sparklytics.queries as queries

MODULES = ("breakdowns", "events", "export", "filters", "realtime", "sessions", "share", "stats", "timeseries")


def test_package_exports():
    assert sorted(queries.__all__) == sorted(
        [
            "QueryError", "ReportQuery", "ReportResult", "compile_where", "event_properties",
            "event_timeseries", "events_list", "export_csv", "export_filename", "metrics", "overview",
            "pageviews", "parse_report_query", "realtime", "session_detail", "sessions_list",
            "share_metrics", "share_pageviews", "share_stats", "stats", "time_bounds",
        ]
    )
    for name in queries.__all__:
        assert hasattr(queries, name), name


def test_module_exports_exist_and_every_module_documents_itself():
    for name in MODULES:
        module = importlib.import_module(f"sparklytics.queries.{name}")
        assert module.__doc__ and len(module.__doc__) > 200, name
        for exported in module.__all__:
            assert hasattr(module, exported), f"{name}.{exported}"
