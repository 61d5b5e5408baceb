"""``sparklytics migrate --to cloud``: a self-hosted install's reports read the same from a
cloud node after the copy, and copying again (from the start) doubles nothing."""

from __future__ import annotations

import uuid

import httpx
import psycopg

from tests.cloud.conftest import LOCKOUT_SECRET, recent_days
from tests.harness import ServerProcess, run_cli

AGENT = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36"
REPORTS = [("stats", {}), ("pageviews", {"unit": "day"}), ("metrics", {"type": "page"}),
           ("metrics", {"type": "referrer"}), ("events", {})]


def _answers(base: str, site: str) -> list[dict]:
    answers = []
    for report, params in REPORTS:
        response = httpx.get(f"{base}/api/websites/{site}/{report}", params={**recent_days(), **params}, timeout=30)
        assert response.status_code == 200, response.text
        answers.append(response.json())
    return answers


def test_a_migrated_site_reads_the_same_and_a_second_copy_doubles_nothing(cluster, tmp_path) -> None:
    source = ServerProcess(tmp_path / "selfhosted").start()
    try:
        site = httpx.post(f"{source.url}/api/websites", json={"name": "moving", "domain": "example.com"}).json()["data"]["id"]
        for n in range(30):
            event = {"website_id": site, "type": "pageview", "url": f"https://example.com/p{n % 4}",
                     "visitor_id": f"v{n % 6}", "referrer": "https://duckduckgo.com/" if n % 6 == 0 else None}
            assert httpx.post(f"{source.url}/api/collect", json=event, headers={"User-Agent": AGENT}).status_code == 202
        before = _answers(source.url, site)
    finally:
        assert source.terminate()[0] == 0
    assert before[0]["data"]["pageviews"] == 30

    name = f"migrated_{uuid.uuid4().hex[:8]}"
    server_dsn = cluster.state["postgres"].rsplit("/", 1)[0]
    with psycopg.connect(f"{server_dsn}/postgres", autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name}")
    cloud = {
        "SPARKLYTICS_MODE": "cloud",
        "SPARKLYTICS_CLICKHOUSE_URL": ",".join(cluster.state["clickhouse"]),
        "SPARKLYTICS_CLICKHOUSE_CLUSTER": "sparklytics",
        "SPARKLYTICS_CLICKHOUSE_DATABASE": name,
        "SPARKLYTICS_DATABASE_URL": f"{server_dsn}/{name}",
        "SPARKLYTICS_LOCKOUT_SECRET": LOCKOUT_SECRET,
    }
    first = run_cli(["migrate", "--to", "cloud"], {"SPARKLYTICS_DATA_DIR": str(tmp_path / "selfhosted"), **cloud}, timeout=120)
    assert first.returncode == 0, first.stderr
    assert "migrate: events [" in first.stderr and "30/30" in first.stderr
    (tmp_path / "selfhosted" / "migrate-cloud.json").unlink()  # copy everything again
    again = run_cli(["migrate", "--to", "cloud"], {"SPARKLYTICS_DATA_DIR": str(tmp_path / "selfhosted"), **cloud}, timeout=120)
    assert again.returncode == 0, again.stderr

    node = ServerProcess(tmp_path / "node", **cloud).start()
    try:
        assert _answers(node.url, site) == before
    finally:
        node.close()
