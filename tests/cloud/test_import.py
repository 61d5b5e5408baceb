"""``sparklytics import`` in cloud mode, beside running nodes: a Plausible export's
aggregates land in PostgreSQL and the reports add them through either node; events go
through the import's own node (its id and WAL, ``imports/cloud_node.py``) into ClickHouse,
counted once next to what a running node takes at the same time."""

from __future__ import annotations

import fcntl
import json
import time
from pathlib import Path

import httpx
import psycopg

from tests.cloud.conftest import LOCKOUT_SECRET, new_website, recent_days, wait_for_pageviews
from tests.harness import run_cli, test_env
from tests.imports.test_plausible import RANGE, plausible_export

BROWSER = "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.0 Safari/605.1.15"


def _import_env(cluster) -> dict[str, str]:
    """Node 1's own settings and data folder: the import runs beside it, as an operator
    would run it on that node's host."""
    return test_env(
        cluster.data / "node1",
        SPARKLYTICS_MODE="cloud",
        SPARKLYTICS_NODE_ID="node1",
        SPARKLYTICS_CLICKHOUSE_URL=",".join(cluster.state["clickhouse"]),
        SPARKLYTICS_CLICKHOUSE_CLUSTER="sparklytics",
        SPARKLYTICS_DATABASE_URL=cluster.state["postgres"],
        SPARKLYTICS_LOCKOUT_SECRET=LOCKOUT_SECRET,
    )


def test_a_plausible_import_is_added_by_the_reports_of_every_node(cluster, api, tmp_path: Path) -> None:
    site = new_website(api, "plausible")
    with psycopg.connect(cluster.state["postgres"], autocommit=True) as conn:  # node 1's recompute at work
        conn.execute("INSERT INTO bot_recompute_runs (id, website_id, start_date, end_date, status, created_at,"
                     " owner_node) VALUES (%s, %s, now(), now(), 'running', now(), 'node1')", [f"job_{site}", site])
    imported = run_cli(["import", str(plausible_export(tmp_path / "export.zip")), "--website", site],
                       _import_env(cluster), timeout=120)
    assert imported.returncode == 0, imported.stderr
    # The import is a node of its own ("node1-import"): its start leaves node 1's job running.
    with psycopg.connect(cluster.state["postgres"], autocommit=True) as conn:
        assert conn.execute("DELETE FROM bot_recompute_runs WHERE id = %s RETURNING status",
                            [f"job_{site}"]).fetchone() == ("running",)
    for node in (cluster.node(1), cluster.node(2)):
        with httpx.Client(base_url=node, timeout=30, cookies=api.cookies) as client:
            stats = client.get(f"/api/websites/{site}/stats", params={**RANGE, "with_imported": "true"}).json()
            # 10 + 5 visitors, 30 + 8 pageviews, 12 + 6 visits, 4 + 2 bounces, 600 + 120 s
            assert {k: stats["data"][k] for k in ("pageviews", "visitors", "sessions", "bounce_rate", "avg_duration_seconds")} \
                == {"pageviews": 38, "visitors": 15, "sessions": 18, "bounce_rate": 0.333, "avg_duration_seconds": 40.0}
            assert stats["meta"] == {"imports_included": True}
            pages = client.get(f"/api/websites/{site}/metrics",
                               params={**RANGE, "type": "page", "with_imported": "true"}).json()["data"]["rows"]
            assert [(row["value"], row["pageviews"]) for row in pages] == [("/a", 20), ("/c", 8)]
            series = client.get(f"/api/websites/{site}/pageviews",
                                params={**RANGE, "granularity": "day", "with_imported": "true"}).json()["data"]["series"]
            assert [(point["date"], point["pageviews"]) for point in series] == [("2024-01-10", 30), ("2024-01-11", 8)]


def test_an_event_import_beside_a_running_node_counts_every_event_once(cluster, api, tmp_path: Path) -> None:
    site = new_website(api, "events")
    now = time.time()
    rows = [
        {"website_id": site, "type": "pageview", "url": f"https://example.com/{n}", "visitor_id": f"v{n % 3}",
         "timestamp": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(now - 600 + n)), "user_agent": BROWSER}
        for n in range(40)
    ]
    export = tmp_path / "events.jsonl"
    export.write_text("".join(json.dumps(row) + "\n" for row in rows))
    live = {"website_id": site, "type": "pageview", "url": "https://example.com/live", "visitor_id": "live"}
    assert httpx.post(f"{cluster.node(1)}/api/collect", json=live, headers={"User-Agent": BROWSER}).status_code == 202
    imported = run_cli(["import", str(export)], _import_env(cluster), timeout=120)
    assert imported.returncode == 0, imported.stderr
    assert httpx.post(f"{cluster.node(1)}/api/collect", json=live, headers={"User-Agent": BROWSER}).status_code == 202
    assert wait_for_pageviews(api, site, 42) == 42
    time.sleep(1.5)  # nodes commit within a second: nothing more may arrive
    stats = api.get(f"/api/websites/{site}/stats", params={**recent_days(), "include_bots": "true"}).json()
    assert stats["data"]["pageviews"] == 42
    # Everything the import read is committed: its WAL holds nothing to replay.
    assert all(p.stat().st_size == 0 for p in (cluster.data / "node1" / "import" / "ingest-wal").glob("segment-*.log"))


def test_a_second_import_from_the_same_data_folder_is_refused(cluster, tmp_path: Path) -> None:
    export = tmp_path / "events.jsonl"
    export.write_text(json.dumps({"website_id": "any", "type": "pageview", "url": "https://example.com/",
                                  "timestamp": "2026-01-01T00:00:00Z"}) + "\n")
    lock = cluster.data / "node1" / "import" / "import.lock"
    lock.parent.mkdir(parents=True, exist_ok=True)
    with lock.open("a") as held:
        fcntl.flock(held, fcntl.LOCK_EX)
        refused = run_cli(["import", str(export)], _import_env(cluster), timeout=60)
    assert refused.returncode == 2
    assert "another import is running" in refused.stderr
