"""Nothing acknowledged is lost: ``kill -9`` right after a 202, and a clean SIGTERM.

These tests run the real ``python -m sparklytics serve`` process and read the DuckDB
file after it has exited (DuckDB allows one process per file).
"""

from __future__ import annotations

import json
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import duckdb

from tests.harness import ServerProcess, run_cli

HEADERS = {"Content-Type": "application/json", "User-Agent": "Mozilla/5.0 Firefox/128.0", "Accept": "*/*", "Accept-Language": "en"}


def post(url: str, body: object) -> tuple[int, dict]:
    request = urllib.request.Request(url, data=json.dumps(body).encode(), headers=HEADERS, method="POST")
    with urllib.request.urlopen(request, timeout=30) as response:
        return response.status, dict(response.headers)


def create_website(server: ServerProcess) -> str:
    request = urllib.request.Request(
        f"{server.url}/api/websites",
        data=json.dumps({"name": "Durable", "domain": "durable.example.com"}).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read())["data"]["id"]


def stored(data_dir: Path, website_id: str) -> list[str]:
    with duckdb.connect(str(data_dir / "sparklytics.db"), read_only=True) as con:
        rows = con.execute("SELECT url FROM events WHERE website_id = ? ORDER BY url", [website_id]).fetchall()
    return [url for (url,) in rows]


def send_events(server: ServerProcess, website_id: str, count: int, *, batch: int) -> list[str]:
    """Send ``count`` uniquely-numbered events from 8 threads; return the acknowledged URLs."""
    urls = [f"https://durable.example/e/{i:05d}" for i in range(count)]
    chunks = [urls[i : i + batch] for i in range(0, count, batch)]

    def send(chunk: list[str]) -> list[str]:
        status, headers = post(f"{server.url}/api/collect", [{"website_id": website_id, "type": "pageview", "url": u} for u in chunk])
        assert status == 202 and headers["x-sparklytics-ingest-ack"] == "durable"
        return chunk

    with ThreadPoolExecutor(8) as pool:
        return [url for chunk in pool.map(send, chunks) for url in chunk]


def test_kill_9_right_after_the_last_202_loses_and_doubles_nothing(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    server = ServerProcess(data_dir, SPARKLYTICS_RATE_LIMIT_DISABLE="true").start()
    try:
        website_id = create_website(server)
        acknowledged = send_events(server, website_id, 730, batch=7)
        last = "https://durable.example/last"
        post(f"{server.url}/api/collect", {"website_id": website_id, "type": "pageview", "url": last})
        acknowledged.append(last)
        server.kill()
    finally:
        server.close()
    # The last event waits for the 5 s flush, so only the WAL has it now.
    assert last not in stored(data_dir, website_id)

    restarted = ServerProcess(data_dir).start()
    try:
        returncode, _ = restarted.terminate()
    finally:
        restarted.close()
    assert returncode == 0
    assert stored(data_dir, website_id) == sorted(acknowledged)


def test_sigterm_flushes_everything_and_exits_0(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    server = ServerProcess(data_dir, SPARKLYTICS_RATE_LIMIT_DISABLE="true").start()
    try:
        website_id = create_website(server)
        acknowledged = send_events(server, website_id, 120, batch=1)
        returncode, output = server.terminate()
    finally:
        server.close()
    assert returncode == 0, output
    assert "stopped cleanly" in output
    assert stored(data_dir, website_id) == sorted(acknowledged)
    wal = data_dir / "ingest-wal"
    with duckdb.connect(str(data_dir / "sparklytics.db"), read_only=True) as con:
        segment, offset = con.execute('SELECT segment, "offset" FROM ingest_cursor').fetchone()
    assert (wal / f"segment-{segment:012d}.log").stat().st_size == offset


def test_health_command_probes_the_running_server(tmp_path: Path) -> None:
    server = ServerProcess(tmp_path / "data").start()
    try:
        assert run_cli(["health"], {"SPARKLYTICS_PORT": str(server.port)}).returncode == 0
    finally:
        server.terminate()
        server.close()
    assert run_cli(["health"], {"SPARKLYTICS_PORT": str(server.port)}).returncode == 1
