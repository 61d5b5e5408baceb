"""Nothing acknowledged is lost: ``kill -9`` right after a 202, and a clean SIGTERM.

These tests run the real ``python -m sparklytics serve`` process and read the DuckDB
file after it has exited (DuckDB allows one process per file).
"""

from __future__ import annotations

import itertools
import json
import socket
import threading
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import duckdb
import pytest

from tests.harness import ServerProcess, run_cli
from tests.over_http import INGEST_PATHS


@pytest.fixture(autouse=True, params=INGEST_PATHS)
def ingest_path(request, monkeypatch) -> None:
    """Every test on both ingest paths: the server process inherits the setting."""
    monkeypatch.setenv("SPARKLYTICS_INGEST_PATH", request.param)


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


def start_and_stop(data_dir: Path) -> None:
    """Start a server on ``data_dir`` and stop it cleanly (exit 0)."""
    server = ServerProcess(data_dir).start()
    try:
        returncode, _ = server.terminate()
    finally:
        server.close()
    assert returncode == 0


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
    # The Writer may or may not have committed the last events when the kill landed
    # (Decision 22: batches go to it as soon as it is idle); the WAL has the rest.

    start_and_stop(data_dir)  # the start replays the WAL; the clean stop commits it
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


def test_a_server_starts_on_a_wal_with_a_zero_filled_tail_and_keeps_every_event(tmp_path: Path) -> None:
    """Issue 13 #2: 8 zero bytes after the last record (a power loss on some filesystems)
    used to crash the Buffer on every start until the process gave up."""
    data_dir = tmp_path / "data"
    server = ServerProcess(data_dir, SPARKLYTICS_RATE_LIMIT_DISABLE="true").start()
    try:
        website_id = create_website(server)
        acknowledged = send_events(server, website_id, 120, batch=6)
        server.kill()
    finally:
        server.close()
    newest = sorted((data_dir / "ingest-wal").glob("segment-*.log"))[-1]
    with newest.open("ab") as handle:
        handle.write(b"\0" * 8)

    start_and_stop(data_dir)  # the start replays the WAL; the clean stop commits it
    assert stored(data_dir, website_id) == sorted(acknowledged)
    assert list((data_dir / "ingest-wal" / "quarantine").iterdir())


def test_sigterm_answers_every_request_it_read_and_tells_clients_to_go(tmp_path: Path) -> None:
    """Issue 13 #10: a stop used to leave requests without an answer, some of them stored,
    so a client's retry doubled them. Eight keep-alive connections send collect requests
    on raw sockets; SIGTERM lands mid-way. Requests begun before the signal are answered
    202 (with ``Connection: close`` once the stop began); those begun after it get 503
    ``shutting_down`` and are not stored; a request sent into a kept-alive connection the
    stop closed is never read. So every stored event was acknowledged, once, and nothing
    unacknowledged is stored: a client's retry cannot double anything."""
    data_dir = tmp_path / "data"
    server = ServerProcess(data_dir, SPARKLYTICS_RATE_LIMIT_DISABLE="true").start()
    website_id = create_website(server)
    lock, stop = threading.Lock(), threading.Event()
    acknowledged: list[str] = []
    unanswered: list[str] = []
    told_to_close = [0]

    def client(worker: int) -> None:
        sock: socket.socket | None = None
        for n in itertools.count():
            if stop.is_set():
                break
            url = f"https://durable.example/{worker}/{n}"
            body = json.dumps({"website_id": website_id, "type": "pageview", "url": url}).encode()
            request = (
                b"POST /api/collect HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nAccept: */*\r\n"
                b"User-Agent: Mozilla/5.0 (X11; Linux x86_64) Chrome/131.0\r\nContent-Length: %d\r\n\r\n%s"
            ) % (len(body), body)
            if sock is None:
                try:
                    sock = socket.create_connection(("127.0.0.1", server.port), timeout=10)
                except OSError:  # the listener is closed: this request was never accepted
                    time.sleep(0.01)
                    continue
            answer = b""
            try:
                sock.sendall(request)
                while not (b"\r\n\r\n" in answer and answer.endswith(b"}")):
                    chunk = sock.recv(65536)
                    if not chunk:
                        break
                    answer += chunk
            except ConnectionError:  # the stop reset a kept-alive connection: what came is the answer
                pass
            with lock:
                if answer.startswith(b"HTTP/1.1 202"):
                    acknowledged.append(url)
                else:
                    unanswered.append(url)
                if b"connection: close" in answer.lower() or not answer:
                    told_to_close[0] += bool(answer)
                    sock.close()
                    sock = None

    threads = [threading.Thread(target=client, args=(i,)) for i in range(8)]
    try:
        for thread in threads:
            thread.start()
        deadline = time.monotonic() + 60
        while len(acknowledged) <= 20 and time.monotonic() < deadline:  # the load runs before the stop
            time.sleep(0.05)
        returncode, _ = server.terminate()
    finally:
        stop.set()
        for thread in threads:
            thread.join(30)
        server.close()
    assert returncode == 0
    assert told_to_close[0] >= 1
    assert len(acknowledged) > 20  # the load really ran
    saved = stored(data_dir, website_id)
    assert saved == sorted(acknowledged)
    assert not set(unanswered) & set(saved)
