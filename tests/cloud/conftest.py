"""One ``scripts/cluster.sh`` topology for every test in tests/cloud (session fixture):
two ClickHouse shards, PostgreSQL, two cloud app nodes and HAProxy, started as an
operator would start it, in password mode so that auth crosses nodes too.

Tests reach the balancer (``cluster.url``) or one node directly (``cluster.node(1)``),
and stop or kill components by the pids ``cluster.json`` lists; ``hold(name)`` keeps a
killed component down until ``release(name)`` (the script's own ``hold-<name>`` files).
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from tests.harness import REPO_ROOT, free_port, test_env

PASSWORD = "cloud-test-password-1"
# Given to the nodes like any setting; the lockout test checks PostgreSQL does not hold it.
LOCKOUT_SECRET = "tests-cloud-lockout-secret-0123456789abcdef"
# Each node's bound on events acknowledged but not yet in ClickHouse: small enough that a
# test reaches it during an outage in seconds, far above what the other tests queue.
QUEUE_BOUND = 3000
START_TIMEOUT_S = 60.0


@dataclass
class Cluster:
    data: Path
    url: str
    process: subprocess.Popen

    @property
    def state(self) -> dict:
        return json.loads((self.data / "cluster.json").read_text())

    def node(self, n: int) -> str:
        return self.state["nodes"][f"node{n}"]

    def pid(self, name: str) -> int:
        return self.state["components"][name]

    def hold(self, name: str) -> None:
        (self.data / f"hold-{name}").touch()

    def release(self, name: str) -> None:
        (self.data / f"hold-{name}").unlink(missing_ok=True)

    def wait_until_running_again(self, name: str, old_pid: int, timeout: float = 60.0) -> None:
        """Until the script has started ``name`` again and it answers (nodes: /health)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            pid = self.pid(name)
            if pid != old_pid:
                url = self.node(int(name[-1])) if name.startswith("node") else None
                if url is None or _answers(f"{url}/health"):
                    return
            time.sleep(0.2)
        raise TimeoutError(f"{name} was not started again within {timeout} s")

    def client(self, base: str | None = None) -> httpx.Client:
        """A client logged in with the shared password (through the balancer by default)."""
        client = httpx.Client(base_url=base or self.url, timeout=30)
        client.post("/api/auth/login", json={"password": PASSWORD}).raise_for_status()
        return client


def _answers(url: str) -> bool:
    try:
        return httpx.get(url, timeout=2).status_code in (200, 503)
    except httpx.TransportError:
        return False


def cluster_env(data: Path, port: int) -> dict[str, str]:
    env = test_env(data, SPARKLYTICS_PORT=str(port), SPARKLYTICS_AUTH="password", SPARKLYTICS_PASSWORD=PASSWORD,
                   SPARKLYTICS_RATE_LIMIT_DISABLE="true", SPARKLYTICS_INGEST_RETRY_MAX_MS="1000",
                   SPARKLYTICS_INGEST_QUEUE_MAX_EVENTS=str(QUEUE_BOUND), SPARKLYTICS_LOCKOUT_SECRET=LOCKOUT_SECRET)
    return {**os.environ, **env}


@pytest.fixture(scope="session")
def cluster() -> Iterator[Cluster]:
    # Under /tmp itself, not pytest's 0700 tmp_path: PostgreSQL runs as its own user.
    root = Path(tempfile.mkdtemp(prefix="sparklytics-cluster-"))
    root.chmod(0o711)
    data = root / "data"
    port = free_port()
    log = (root / "cluster.log").open("wb")
    process = subprocess.Popen(["bash", "scripts/cluster.sh"], cwd=REPO_ROOT, env=cluster_env(data, port),
                               stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + START_TIMEOUT_S
    while not (data / "cluster.json").exists() or httpx.get(f"{url}/health", timeout=2).status_code != 200:
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            pytest.fail(f"scripts/cluster.sh did not become healthy:\n{(root / 'cluster.log').read_text()[-3000:]}")
        time.sleep(0.3)
    try:
        yield Cluster(data, url, process)
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=90)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture
def api(cluster: Cluster) -> Iterator[httpx.Client]:
    client = cluster.client()
    yield client
    client.close()


def new_website(client: httpx.Client, name: str = "cloud") -> str:
    response = client.post("/api/websites", json={"name": name, "domain": "example.com"})
    assert response.status_code == 201, response.text
    return response.json()["data"]["id"]


def wait_for_pageviews(client: httpx.Client, website_id: str, expected: int, timeout: float = 60.0) -> int:
    """Poll the stats until ``expected`` pageviews are counted; return the last count."""
    deadline = time.monotonic() + timeout
    count = -1
    while time.monotonic() < deadline:
        response = client.get(f"/api/websites/{website_id}/stats", params={**recent_days(), "include_bots": "true"})
        assert response.status_code in (200, 503), response.text  # 503: a store is still coming back
        if response.status_code == 200:
            count = response.json()["data"]["pageviews"]
            if count >= expected:
                return count
        time.sleep(0.3)
    return count


def recent_days() -> dict[str, str]:
    """Yesterday and today (UTC) as of the call, not of the import: a run that crosses midnight
    still reads what it sent a moment before."""
    now = time.time()
    return {"start_date": time.strftime("%Y-%m-%d", time.gmtime(now - 86_400)),
            "end_date": time.strftime("%Y-%m-%d", time.gmtime(now))}
