"""``sparklytics import``: historical events through the same enrichment and writer."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb

from sparklytics.importer import import_file
from sparklytics.services import open_services
from sparklytics.stores.duckdb.websites import insert_website
from tests.harness import ServerProcess, on_duckdb_writer, run_cli, test_config, test_env

UA = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36"


async def make_website(config) -> None:
    async with open_services(config) as services:
        await on_duckdb_writer(services, lambda con: insert_website(con, website_id="site_import001", name="I", domain="i.example.com", timezone="UTC"))


def read(config, sql: str) -> list[tuple]:
    with duckdb.connect(str(config.db_path), read_only=True) as con:
        return con.execute(sql).fetchall()


async def test_json_lines_are_enriched_sessionised_and_stored_with_their_timestamps(config, tmp_path: Path) -> None:
    await make_website(config)
    rows = [
        {"timestamp": "2026-03-01T10:00:00Z", "website_id": "site_import001", "type": "pageview", "url": "https://i.example.com/a", "ip": "203.0.113.9", "user_agent": UA, "referrer": "https://duckduckgo.com/"},
        {"timestamp": "2026-03-01T10:05:00Z", "website_id": "site_import001", "type": "pageview", "url": "https://i.example.com/b", "ip": "203.0.113.9", "user_agent": UA},
        {"timestamp": "2026-03-01T12:10:00+02:00", "website_id": "site_import001", "type": "event", "url": "/b", "event_name": "signup", "event_data": {"plan": "pro"}, "ip": "203.0.113.9", "user_agent": UA},
        {"timestamp": "not a time", "website_id": "site_import001", "type": "pageview", "url": "/x"},
        {"timestamp": "2026-03-02T09:00:00", "website_id": "site_import001", "type": "pageview", "url": "/c", "ip": "203.0.113.9", "user_agent": UA},
    ]
    source = tmp_path / "events.jsonl"
    source.write_text("\n".join(json.dumps(r) for r in rows) + "\n{broken\n")
    result = await import_file(config, source, progress=None)
    assert (result.imported, result.skipped) == (4, 2)
    assert result.errors == ["line 4: timestamp is not ISO 8601: 'not a time'", "line 6: not valid JSON"]
    assert result.skipped_by_reason == {"timestamp is not ISO 8601": 1, "not valid JSON": 1}
    stored = read(config, "SELECT path, event_type, CAST(created_at AS VARCHAR), browser, channel, session_id, visitor_id FROM events ORDER BY created_at")
    assert [row[:5] for row in stored] == [
        ("/a", "pageview", "2026-03-01 10:00:00", "Chrome", "Organic Search"),
        ("/b", "pageview", "2026-03-01 10:05:00", "Chrome", "Direct"),
        ("/b", "event", "2026-03-01 10:10:00", "Chrome", "Direct"),
        ("/c", "pageview", "2026-03-02 09:00:00", "Chrome", "Direct"),
    ]
    sessions = [row[5] for row in stored]
    visitors = [row[6] for row in stored]
    assert sessions[0] == sessions[1] == sessions[2] != sessions[3]
    assert visitors[0] == visitors[1] == visitors[2] != visitors[3]  # a new day, a new salt
    assert read(config, "SELECT pageview_count, event_count, entry_path, exit_path FROM sessions ORDER BY first_seen") == [
        (2, 3, "/a", "/b"),
        (1, 1, "/c", "/c"),
    ]


async def test_an_import_larger_than_the_ingest_queue_waits_for_the_writer(tmp_path: Path) -> None:
    # The importer outruns the Writer; a batch past the queue bound used to end the
    # import with IngestOverloaded (bench/: a 1M-event import died at ~800k).
    config = test_config(tmp_path / "data", SPARKLYTICS_INGEST_QUEUE_MAX_EVENTS="100")
    await make_website(config)
    source = tmp_path / "events.jsonl"
    source.write_text("".join(
        json.dumps({"timestamp": f"2026-03-01T10:{i // 60:02d}:{i % 60:02d}Z", "website_id": "site_import001",
                    "type": "pageview", "url": f"/p{i % 7}", "ip": f"203.0.113.{i % 50}", "user_agent": UA}) + "\n"
        for i in range(1_000)
    ))
    result = await import_file(config, source, progress=None)
    assert (result.imported, result.skipped) == (1_000, 0)
    assert read(config, "SELECT count(*) FROM events") == [(1_000,)]
    # and the import's WAL, all committed, is gone (no segment holds a record)
    assert [p.stat().st_size for p in config.wal_dir.iterdir()] == [0]


def test_the_cli_imports_csv_and_refuses_a_running_servers_file(tmp_path: Path, config) -> None:
    import trio

    trio.run(make_website, config)
    source = tmp_path / "events.csv"
    source.write_text(
        "timestamp,website_id,type,url,event_name,event_data,screen_width,screen_height\n"
        "2026-03-01T10:00:00Z,site_import001,pageview,https://i.example.com/,,,1280,720\n"
        '2026-03-01T10:01:00Z,site_import001,event,https://i.example.com/,click,"{""id"": 3}",,\n'
    )
    env = test_env(config.data_dir)
    result = run_cli(["import", str(source)], env)
    assert result.returncode == 0, result.stderr
    assert "imported 2 events" in result.stderr
    assert read(config, "SELECT screen, event_name, event_data FROM events ORDER BY created_at") == [
        ("1280x720", None, None),
        (None, "click", '{"id":3}'),
    ]
    assert run_cli(["import", str(tmp_path / "missing.csv")], env).returncode == 2

    server = ServerProcess(config.data_dir).start()
    try:
        refused = run_cli(["import", str(source)], env)
    finally:
        server.terminate()
        server.close()
    assert refused.returncode == 2
    assert "cannot open the database (is the server running?)" in refused.stderr
