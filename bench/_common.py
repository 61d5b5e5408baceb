"""Shared helpers of the benchmarks: machine facts, quiet-machine wait, the server as a
child process, its memory, and the DuckDB file read back after a clean stop.

Nothing here is a test. Every loop is bounded in count and in time; every server and
load generator binds or targets 127.0.0.1 only.
"""

from __future__ import annotations

import http.client
import json
import os
import platform
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

BENCH_DIR = Path(__file__).resolve().parent
REPO_ROOT = BENCH_DIR.parent
DATA_DIR = BENCH_DIR / "data"
OUT_DIR = BENCH_DIR / "out"

if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

WEBSITE_ID = "site_bench00001"  # "site_" + 10 chars (API.md §0.4)
WEBSITE_DOMAIN = "www.example.com"


# machine ------------------------------------------------------------------------------


def load_average() -> tuple[float, float, float]:
    one, five, fifteen = os.getloadavg()
    return round(one, 2), round(five, 2), round(fifteen, 2)


def machine() -> dict[str, Any]:
    """nproc, CPU model, RAM, kernel, Python, date, git commit (and whether dirty)."""
    cpu = "unknown"
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    mem_kb = 0
    with open("/proc/meminfo") as f:
        for line in f:
            if line.startswith("MemTotal:"):
                mem_kb = int(line.split()[1])
    return {
        "date": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "nproc": os.cpu_count(),
        "cpu": cpu,
        "ram_gb": round(mem_kb / 1024 / 1024, 1),
        "kernel": platform.release(),
        "python": platform.python_version(),
        "commit": git_commit(),
        "load_average": load_average(),
    }


def git_commit() -> str:
    def git(*args: str) -> str:
        return subprocess.run(["git", *args], cwd=REPO_ROOT, capture_output=True, text=True).stdout.strip()

    commit = git("rev-parse", "--short", "HEAD")
    if not commit:  # an exported tree (git archive): bench/run-from-export.sh writes .bench-commit
        marker = REPO_ROOT / ".bench-commit"
        return marker.read_text().strip() if marker.exists() else "unknown"
    dirty = git("status", "--porcelain", "--untracked-files=no", "--", "sparklytics", "actors")
    return commit + ("+dirty" if dirty else "")


def wait_for_quiet(max_load: float, *, timeout: float, poll: float = 15.0) -> float:
    """Wait until the 1-minute load average is below ``max_load``; return it.

    ``max_load <= 0`` skips the wait. Gives up after ``timeout`` seconds and says so
    (the figures are then marked as taken under load by the caller).
    """
    if max_load <= 0:
        return load_average()[0]
    deadline = time.monotonic() + timeout
    while True:
        one = load_average()[0]
        if one < max_load:
            return one
        if time.monotonic() >= deadline:
            print(f"! load average still {one} after {timeout:.0f} s; measuring anyway", file=sys.stderr)
            return one
        print(f"  waiting for a quiet machine: load {one} >= {max_load}", file=sys.stderr)
        time.sleep(poll)


def write_json(name: str, payload: Mapping[str, Any]) -> Path:
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    path = OUT_DIR / name
    path.write_text(json.dumps(payload, indent=2, default=str) + "\n")
    return path


def parse_count(text: str) -> int:
    """``1M`` → 1_000_000, ``250k`` → 250_000, ``1e6`` → 1_000_000."""
    text = text.strip().lower().replace("_", "")
    scale = {"k": 1_000, "m": 1_000_000}.get(text[-1:], 1)
    number = text[:-1] if scale > 1 else text
    return int(float(number) * scale)


def human_count(n: int) -> str:
    if n % 1_000_000 == 0:
        return f"{n // 1_000_000}M"
    if n % 1_000 == 0:
        return f"{n // 1_000}k"
    return str(n)


# memory -------------------------------------------------------------------------------


def proc_memory(pid: int) -> dict[str, int]:
    """VmRSS and VmHWM (peak RSS) of ``pid`` in kB, from /proc (psutil is not installed)."""
    out = {}
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith(("VmRSS:", "VmHWM:")):
                    key, value = line.split(":", 1)
                    out[key] = int(value.split()[0])
    except FileNotFoundError:
        pass
    return out


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds ``pid`` has used so far (all its threads), from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def mb(kb: int | None) -> float | None:
    return None if kb is None else round(kb / 1024, 1)


def dir_size(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file()) if path.exists() else 0


# server -------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def server_env(data_dir: Path, port: int, **overrides: str) -> dict[str, str]:
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("SPARKLYTICS_")},
        "PYTHONPATH": str(REPO_ROOT),
        "SPARKLYTICS_DATA_DIR": str(data_dir),
        "SPARKLYTICS_HOST": "127.0.0.1",
        "SPARKLYTICS_PORT": str(port),
        "SPARKLYTICS_AUTH": "none",
        "SPARKLYTICS_HTTPS": "false",
        "SPARKLYTICS_RATE_LIMIT_DISABLE": "true",
        "SPARKLYTICS_DUCKDB_MEMORY": "1GB",
        "SPARKLYTICS_GEOIP_PATH": str(data_dir / "no-geoip.mmdb"),
        "SPARKLYTICS_LOG_LEVEL": "warning",
    }
    env.update(overrides)
    return env


def create_website(env: Mapping[str, str], website_id: str = WEBSITE_ID, timezone_name: str = "UTC") -> None:
    """Create the benchmark website in the data dir of ``env`` (server must be stopped)."""
    code = (
        "import os, trio\n"
        "from sparklytics.config import load_config\n"
        "from sparklytics.services import open_services\n"
        "async def main():\n"
        "    async with open_services(load_config(os.environ)) as s:\n"
        f"        if await s.metadata.get_website({website_id!r}) is None:\n"
        f"            await s.metadata.insert_website(website_id={website_id!r}, name='Bench', domain={WEBSITE_DOMAIN!r}, timezone={timezone_name!r})\n"
        "trio.run(main)\n"
    )
    subprocess.run([sys.executable, "-c", code], env=dict(env), cwd=REPO_ROOT, check=True, timeout=120)


@dataclass
class Server:
    """``python -m sparklytics serve`` as a child process on 127.0.0.1."""

    data_dir: Path
    env_overrides: dict[str, str] = field(default_factory=dict)
    port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None
    log_path: Path | None = None
    stats_path: Path | None = None
    stop_seconds: float | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def env(self) -> dict[str, str]:
        return server_env(self.data_dir, self.port, **self.env_overrides)

    def start(self, timeout: float = 60.0) -> Server:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.log_path = self.data_dir / "server.log"
        log = self.log_path.open("ab")
        self.stats_path = self.data_dir / "actor-statistics.json"
        self.stats_path.unlink(missing_ok=True)
        # bench/_serve.py = `sparklytics serve` + the actors' statistics() at the end
        self.process = subprocess.Popen(
            [sys.executable, str(BENCH_DIR / "_serve.py")],
            env={**self.env, "SPARKLYTICS_BENCH_STATS": str(self.stats_path)},
            cwd=REPO_ROOT, stdout=log, stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + timeout
        while True:
            if self.process.poll() is not None:
                raise RuntimeError(f"server exited with {self.process.returncode}; see {self.log_path}")
            try:
                with urllib.request.urlopen(f"{self.url}/health", timeout=2) as response:
                    if response.status == 200:
                        return self
            except OSError:
                pass
            if time.monotonic() > deadline:
                self.kill()
                raise TimeoutError(f"server not healthy after {timeout} s; see {self.log_path}")
            time.sleep(0.1)

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    def memory(self) -> dict[str, int]:
        return proc_memory(self.pid)

    def stop(self, timeout: float = 600.0) -> int:
        """SIGTERM (the server flushes every acknowledged event), wait; return the exit code."""
        assert self.process is not None
        started = time.monotonic()
        self.process.send_signal(signal.SIGTERM)
        try:
            code = self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            raise
        self.stop_seconds = time.monotonic() - started
        return code

    def statistics(self) -> dict[str, Any] | None:
        """The actors' statistics written at stop (None if the server did not stop cleanly)."""
        if self.stats_path is None or not self.stats_path.exists():
            return None
        return json.loads(self.stats_path.read_text())

    def kill(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(30)

    def __enter__(self) -> Server:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.kill()


def http_json(url: str, *, method: str = "GET", body: Any = None, timeout: float = 60.0) -> tuple[int, Any, bytes]:
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, method=method)
    if data is not None:
        request.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            raw = response.read()
            status = response.status
    except urllib.error.HTTPError as error:
        raw = error.read()
        status = error.code
    try:
        return status, json.loads(raw), raw
    except ValueError:
        return status, None, raw


def count_events(data_dir: Path) -> dict[str, int]:
    """Rows in events and sessions, read-only (the server must have stopped)."""
    import duckdb

    with duckdb.connect(str(data_dir / "sparklytics.db"), read_only=True) as con:
        events = con.execute("SELECT count(*) FROM events").fetchone()[0]
        sessions = con.execute("SELECT count(*) FROM sessions").fetchone()[0]
    return {"events": events, "sessions": sessions}


def percentile(sorted_values: list[float], q: float) -> float:
    if not sorted_values:
        return float("nan")
    index = min(len(sorted_values) - 1, max(0, round(q * (len(sorted_values) - 1))))
    return sorted_values[index]


def md_table(headers: list[str], rows: list[list[Any]]) -> str:
    lines = ["| " + " | ".join(headers) + " |", "|" + "|".join("---" for _ in headers) + "|"]
    for row in rows:
        lines.append("| " + " | ".join("" if v is None else str(v) for v in row) + " |")
    return "\n".join(lines)


class Client:
    """One keep-alive HTTP/1.1 connection to 127.0.0.1 that reconnects once when the
    server closed it (an idle keep-alive timeout)."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)

    def send(self, method: str, url: str, body: str | None = None, headers: dict[str, str] | None = None
             ) -> tuple[int, bytes, float]:
        """(status, body, seconds)."""
        for attempt in (1, 2):
            started = time.perf_counter()
            try:
                self.conn.request(method, url, body=body, headers=headers or {})
                response = self.conn.getresponse()
                raw = response.read()
            except (http.client.HTTPException, OSError):
                self.conn.close()
                self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=120)
                if attempt == 2:
                    raise
                continue
            return response.status, raw, time.perf_counter() - started
        raise AssertionError("unreachable")

    def get(self, path: str, params: dict[str, str]) -> tuple[int, bytes, float]:
        """(status, body, seconds)."""
        return self.send("GET", path + ("?" + urlencode(params) if params else ""))

    def post(self, path: str, body: Any, headers: dict[str, str]) -> int:
        return self.post_json(path, body, headers)[0]

    def post_json(self, path: str, body: Any, headers: dict[str, str] | None = None) -> tuple[int, Any]:
        """(status, parsed JSON body or None)."""
        status, raw, _ = self.send("POST", path, json.dumps(body), {"Content-Type": "application/json", **(headers or {})})
        return status, json.loads(raw) if raw else None
