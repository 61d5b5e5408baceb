"""Ways to run the real server for tests.

* :func:`test_config` — a :class:`Config` for a temp data dir (auth none, no GeoIP at all:
  neither a MaxMind file nor the installed DB-IP files).
* :class:`LiveServer` — the HTTP server (``sparklytics.http_server.serve``, on the ingest
  path its config names) on ``127.0.0.1:<free port>`` with the actors, running
  ``trio.run`` in a background thread, for tests that drive it from outside (browsers,
  plain HTTP clients). ``query()`` reads the real DuckDB file through a cursor of the
  server's own database (DuckDB allows one process per file); ``flush()`` asks the
  Buffer to commit everything acknowledged so far.
* :class:`ServerProcess` — ``python -m sparklytics serve`` as a child process, for
  signal and ``kill -9`` tests.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import trio

from actors.runtime import ask
from actors.writer import RunWrite
from sparklytics.config import Config, load_config

REPO_ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_env(data_dir: Path, **overrides: str) -> dict[str, str]:
    env = {
        "SPARKLYTICS_DATA_DIR": str(data_dir),
        "SPARKLYTICS_AUTH": "none",
        "SPARKLYTICS_HTTPS": "false",
        "SPARKLYTICS_GEOIP_PATH": str(data_dir / "no-geoip.mmdb"),
        "SPARKLYTICS_GEOIP_DBIP_DIR": str(data_dir / "no-geoip"),
        "SPARKLYTICS_HOST": "127.0.0.1",
        "SPARKLYTICS_DUCKDB_MEMORY": "256MB",
        "SPARKLYTICS_ARGON2_MEMORY_KB": "8192",
    }
    env.update(overrides)
    return env


def test_config(data_dir: Path, **overrides: str) -> Config:
    return load_config(test_env(data_dir, **overrides))


test_env.__test__ = False  # helpers, not tests, despite their names
test_config.__test__ = False


async def on_duckdb_writer(services: Any, fn: Any, *, timeout: float = 60.0) -> Any:
    """Run ``fn(connection)`` on the Writer with its DuckDB connection, as a metadata write
    does: for tests that break or inspect the file between two real writes."""
    return await ask(services.writer.inbox, RunWrite(lambda: fn(services.db.writer)), timeout=timeout)


def wait_for_health(url: str, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(f"{url}/health", timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            pass
        if time.monotonic() > deadline:
            raise TimeoutError(f"{url} did not become healthy")
        time.sleep(0.05)


class LiveServer:
    """The real app on a real port, in a background thread of this process."""

    def __init__(self, data_dir: Path, **env: str) -> None:
        self.port = free_port()
        self.config = test_config(data_dir, SPARKLYTICS_PORT=str(self.port), **env)
        self.url = f"http://127.0.0.1:{self.port}"
        self.services: Any = None
        self._token: trio.lowlevel.TrioToken | None = None
        self._stop: trio.Event | None = None
        self._ready = threading.Event()
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._main, name="live-server", daemon=True)

    def start(self) -> LiveServer:
        self._thread.start()
        self._ready.wait(60)
        if self._error is not None:
            raise self._error
        wait_for_health(self.url)
        return self

    def stop(self) -> None:
        if self._token is not None and self._stop is not None:
            trio.from_thread.run_sync(self._stop.set, trio_token=self._token)
        self._thread.join(30)

    def flush(self) -> None:
        """Return once every event acknowledged so far is committed to DuckDB."""
        from actors.buffer import Flush
        from actors.runtime import ask

        trio.from_thread.run(
            lambda: ask(self.services.buffer.inbox, Flush(), timeout=60), trio_token=self._token
        )

    def call(self, async_fn: Any, *args: Any) -> Any:
        """Run ``async_fn(*args)`` on the server's Trio loop and return its result."""
        return trio.from_thread.run(async_fn, *args, trio_token=self._token)

    def query(self, sql: str, params: Any = None) -> list[tuple[Any, ...]]:
        cursor = self.services.db.writer.cursor()
        try:
            return cursor.execute(sql, params or []).fetchall()
        finally:
            cursor.close()

    def _main(self) -> None:
        try:
            trio.run(self._serve)
        except BaseException as exc:  # surfaced to the test by start()
            self._error = exc
            self._ready.set()

    async def _serve(self) -> None:
        from sparklytics.app import create_app
        from sparklytics.http_server import hypercorn_config, serve
        from sparklytics.services import open_services

        self._token = trio.lowlevel.current_trio_token()
        self._stop = trio.Event()
        async with open_services(self.config) as services:
            self.services = services
            hconfig = hypercorn_config(self.config, f"127.0.0.1:{self.port}", graceful_timeout=1)
            self._ready.set()
            await serve(create_app(services), self.config, hconfig, self._stop.wait)


class ServerProcess:
    """``python -m sparklytics serve`` as a child process with its own data dir."""

    def __init__(self, data_dir: Path, *args: str, **env: str) -> None:
        self.data_dir = data_dir
        self.args = args
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = {**os.environ, **test_env(data_dir, SPARKLYTICS_PORT=str(self.port), **env)}
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> ServerProcess:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "sparklytics", "serve", *self.args],
            env=self.env,
            cwd=REPO_ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        )
        wait_for_health(self.url)
        return self

    def kill(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(30)

    def terminate(self) -> tuple[int, str]:
        assert self.process is not None
        self.process.send_signal(signal.SIGTERM)
        output, _ = self.process.communicate(timeout=60)
        return self.process.returncode, output.decode(errors="replace")

    def close(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(30)


def run_cli(args: list[str], env: Mapping[str, str], timeout: float = 30) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "sparklytics", *args],
        env={**os.environ, **env},
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
