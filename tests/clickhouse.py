"""Real ClickHouse shards for the tests: processes of ``scripts/clickhouse_shard.py``.

:class:`ShardCluster` starts ``count`` shards on free loopback ports, each its own
process of the chdb venv (``.venv-clickhouse``, made by ``scripts/install.sh --test``)
over its own data folder, every one knowing the whole cluster (``remote_servers``) so a
``Distributed`` table on any of them reaches all. A missing chdb venv fails the test
with the command that makes it: the ClickHouse contract is never skipped.
"""

from __future__ import annotations

import os
import socket
import subprocess
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
# A benchmark run from an export of HEAD (bench/run-from-export.sh) names the checkout's venv.
CHDB_PYTHON = Path(os.environ.get("SPARKLYTICS_CHDB_PYTHON", ROOT / ".venv-clickhouse" / "bin" / "python"))
LAUNCHER = ROOT / "scripts" / "clickhouse_shard.py"
CLUSTER = "sparklytics_test"
START_TIMEOUT_S = 60.0  # ≈ 1 s on an idle machine; the shared test machine can be slow


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Shard:
    folder: Path
    http_port: int
    tcp_port: int
    process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.http_port}"


@dataclass
class ShardCluster:
    folder: Path
    count: int = 2
    shards: list[Shard] = field(default_factory=list)

    def start(self) -> ShardCluster:
        if not CHDB_PYTHON.exists():
            raise RuntimeError(
                f"ClickHouse for the tests is missing: {CHDB_PYTHON} does not exist."
                " Run `bash scripts/install.sh --test` (it makes .venv-clickhouse with chdb-core)."
            )
        if not self.shards:
            self.shards = [
                Shard(self.folder / f"shard{n}", _free_port(), _free_port()) for n in range(1, self.count + 1)
            ]
        for shard in self.shards:
            self._launch(shard)
        for shard in self.shards:
            self._wait_ready(shard)
        return self

    @property
    def urls(self) -> tuple[str, ...]:
        return tuple(shard.url for shard in self.shards)

    def restart(self) -> None:
        """Stop every shard (SIGTERM) and start them again over the same data."""
        self.stop()
        self.start()

    def stop(self) -> None:
        for shard in self.shards:
            if shard.process is not None and shard.process.poll() is None:
                shard.process.terminate()
        for shard in self.shards:
            if shard.process is not None:
                try:
                    shard.process.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    shard.process.kill()
                    shard.process.wait()
                shard.process = None

    def new_database(self) -> str:
        """A fresh, empty database on every shard (one per test keeps tests apart)."""
        name = f"t_{uuid.uuid4().hex[:12]}"
        for url in self.urls:
            httpx.post(url, content=f"CREATE DATABASE {name}", timeout=30).raise_for_status()
        return name

    def _launch(self, shard: Shard) -> None:
        members = [f"--shard=127.0.0.1:{other.tcp_port}" for other in self.shards]
        shard.folder.mkdir(parents=True, exist_ok=True)
        log = (shard.folder / "launcher.log").open("ab")
        shard.process = subprocess.Popen(
            [str(CHDB_PYTHON), str(LAUNCHER), str(shard.folder), str(shard.http_port), str(shard.tcp_port),
             f"--cluster={CLUSTER}", *members],
            stdout=log, stderr=subprocess.STDOUT,
        )
        log.close()

    def _wait_ready(self, shard: Shard) -> None:
        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline:
            if shard.process.poll() is not None:
                log = (shard.folder / "launcher.log").read_text(errors="replace")[-2000:]
                raise RuntimeError(f"ClickHouse shard {shard.folder.name} exited: {log}")
            try:
                if httpx.get(f"{shard.url}/ping", timeout=1).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.1)
        raise RuntimeError(f"ClickHouse shard {shard.folder.name} did not answer /ping in {START_TIMEOUT_S} s")
