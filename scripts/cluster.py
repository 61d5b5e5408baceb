"""The whole cloud topology on one machine, in the foreground (``bash scripts/cluster.sh``).

Two ClickHouse shards (``scripts/clickhouse_shard.py`` in ``.venv-clickhouse``),
PostgreSQL (Debian's server binaries, a cluster under the data folder, run as the
``postgres`` user when we are root: it refuses to run as root), two app nodes in
``SPARKLYTICS_MODE=cloud`` on internal loopback ports and HAProxy in front of them on
``SPARKLYTICS_PORT``: round-robin, no stickiness, health checks on ``/health``. A node
counts as up when it answers there at all, 503 ``degraded`` included: a store outage
hits every node alike, and a degraded node still acknowledges events into its WAL,
so taking it out would only turn those acknowledgements into errors.

Same environment contract as ``sparklytics serve``: every ``SPARKLYTICS_*`` setting is
passed on to the nodes (the cluster's own — mode, stores, port, data folder, node id —
are set here; ``SPARKLYTICS_LOCKOUT_SECRET``, when unset, is made for this run and kept
in memory only, so a restart of the script forgets the login lockout), and all state
lives under ``SPARKLYTICS_DATA_DIR``::

    <data>/clickhouse/shard1, shard2   the shards' parts
    <data>/postgres/                   the PostgreSQL cluster (data/, server.log)
    <data>/node1, node2/               each node's ingest WAL
    <data>/haproxy.cfg, cluster.json   this run's config and ports/pids (for tests)

A component that dies is started again after a second (a node killed with ``kill -9``
comes back and replays its WAL), unless ``<data>/hold-<name>`` exists: tests use that
to keep a shard down for a while. SIGTERM or SIGINT stops everything this started,
HAProxy and the nodes first, so the nodes flush to the stores before those stop.
"""

from __future__ import annotations

import glob
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
APP = ROOT / ".venv" / "bin" / "sparklytics"
CHDB_PYTHON = ROOT / ".venv-clickhouse" / "bin" / "python"
SHARD_LAUNCHER = ROOT / "scripts" / "clickhouse_shard.py"
CLUSTER_NAME = "sparklytics"
DATABASE = "sparklytics"
START_TIMEOUT_S = 50.0  # the whole topology must answer /health within 60 s
RESTART_DELAY_S = 1.0


def log(message: str) -> None:
    print(f"cluster: {message}", file=sys.stderr, flush=True)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Component:
    """One process this script started and keeps running."""

    name: str
    command: list[str]
    log_path: Path
    env: dict[str, str] | None = None
    process: subprocess.Popen | None = None
    died_at: float | None = None

    def start(self) -> None:
        with self.log_path.open("ab") as out:
            self.process = subprocess.Popen(self.command, stdout=out, stderr=subprocess.STDOUT, env=self.env, cwd=ROOT)
        self.died_at = None

    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def stop(self, grace: float = 20.0) -> None:
        if not self.running():
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


@dataclass
class Postgres:
    folder: Path
    port: int
    bin: Path = field(init=False)

    def __post_init__(self) -> None:
        folders = [Path(f) for f in glob.glob("/usr/lib/postgresql/*/bin") if (Path(f) / "initdb").exists()]
        if not folders:
            sys.exit("cluster: PostgreSQL server binaries are missing: run `bash scripts/install.sh --test`")
        self.bin = max(folders, key=lambda f: int(f.parent.name))

    @property
    def as_postgres(self) -> bool:
        return os.geteuid() == 0

    def run(self, *args: str) -> None:
        command = [str(self.bin / args[0]), *args[1:]]
        if self.as_postgres:
            command = ["runuser", "-u", "postgres", "--", *command]
        done = subprocess.run(command, capture_output=True, text=True, timeout=120)
        if done.returncode != 0:
            raise RuntimeError(f"{args[0]} failed: {done.stderr.strip() or done.stdout.strip()}")

    def start(self) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        if self.as_postgres:
            shutil.chown(self.folder, "postgres", "postgres")
            probe = subprocess.run(["runuser", "-u", "postgres", "--", "test", "-w", str(self.folder)])
            if probe.returncode != 0:
                sys.exit(f"cluster: the postgres user cannot reach {self.folder}: give the data folder's parents o+x")
        data = self.folder / "data"
        if not (data / "PG_VERSION").exists():
            self.run("initdb", "-D", str(data), "-U", "postgres", "--auth=trust", "-E", "UTF8", "--locale=C.UTF-8")
        options = f"-p {self.port} -c listen_addresses=127.0.0.1 -c unix_socket_directories='{self.folder}'"
        self.run("pg_ctl", "-D", str(data), "-l", str(self.folder / "server.log"), "-o", options, "-w", "start")
        exists = subprocess.run(
            self._psql("SELECT 1 FROM pg_database WHERE datname = 'sparklytics'"), capture_output=True, text=True
        )
        if exists.stdout.strip() != "1":
            subprocess.run(self._psql(f"CREATE DATABASE {DATABASE}"), check=True, capture_output=True)

    def _psql(self, sql: str) -> list[str]:
        command = [str(self.bin / "psql"), "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", "-tAc", sql]
        return ["runuser", "-u", "postgres", "--", *command] if self.as_postgres else command

    def stop(self) -> None:
        if (self.folder / "data" / "postmaster.pid").exists():
            self.run("pg_ctl", "-D", str(self.folder / "data"), "-m", "fast", "-w", "stop")

    @property
    def dsn(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{DATABASE}"


def haproxy_config(host: str, port: int, nodes: list[int]) -> str:
    servers = "\n".join(
        f"    server node{n} 127.0.0.1:{node_port} check inter 1s fall 2 rise 1" for n, node_port in enumerate(nodes, 1)
    )
    return f"""global
    maxconn 4096

defaults
    mode http
    timeout connect 5s
    timeout client 60s
    timeout server 60s
    option forwardfor
    option http-server-close
    retries 2
    option redispatch

frontend sparklytics
    bind {host}:{port}
    default_backend nodes

backend nodes
    balance roundrobin
    option httpchk GET /health
    http-check expect rstatus ^(200|503)$
{servers}
"""


def wait_for(url: str, component: Component, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not component.running():
            tail = component.log_path.read_text(errors="replace")[-2000:]
            sys.exit(f"cluster: {component.name} exited while starting:\n{tail}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, OSError):
            pass
        time.sleep(0.2)
    sys.exit(f"cluster: {component.name} did not answer {url} within {timeout:.0f} s")


class Cluster:
    def __init__(self, environ: dict[str, str]) -> None:
        self.environ = environ
        self.data = Path(environ.get("SPARKLYTICS_DATA_DIR") or "./data").resolve()
        self.port = int(environ.get("SPARKLYTICS_PORT") or "3000")
        self.host = environ.get("SPARKLYTICS_HOST") or "0.0.0.0"
        self.components: list[Component] = []
        self.postgres = Postgres(self.data / "postgres", free_port())
        # Never written anywhere: the data folder holds PostgreSQL, which must not hold the key.
        self.lockout_secret = environ.get("SPARKLYTICS_LOCKOUT_SECRET") or secrets.token_hex(32)
        self.stopping = False

    def start(self) -> None:
        for path, what in ((APP, "the app"), (CHDB_PYTHON, "ClickHouse (chdb-core)")):
            if not path.exists():
                sys.exit(f"cluster: {what} is not installed ({path}): run `bash scripts/install.sh --test`")
        if shutil.which("haproxy") is None and not Path("/usr/sbin/haproxy").exists():
            sys.exit("cluster: haproxy is not installed: run `bash scripts/install.sh --test`")
        self.data.mkdir(parents=True, exist_ok=True)
        self.data.chmod(0o711)  # PostgreSQL, run as its own user, must reach its folder
        self.postgres.start()
        shards = self._start_shards()
        nodes = self._start_nodes(shards)
        self._start_haproxy([port for _, port in nodes])
        (self.data / "cluster.json").write_text(json.dumps({
            "port": self.port,
            "postgres": self.postgres.dsn,
            "clickhouse": [f"http://127.0.0.1:{http}" for _, http in shards],
            "components": {c.name: c.process.pid for c in self.components},
            "nodes": {c.name: f"http://127.0.0.1:{p}" for c, p in nodes},
        }, indent=2))
        log(f"healthy on http://{self.host}:{self.port} (data in {self.data})")

    def _start_shards(self) -> list[tuple[Component, int]]:
        ports = [(free_port(), free_port()) for _ in range(2)]
        members = [f"--shard=127.0.0.1:{tcp}" for _, tcp in ports]
        shards = []
        for n, (http, tcp) in enumerate(ports, 1):
            folder = self.data / "clickhouse" / f"shard{n}"
            folder.mkdir(parents=True, exist_ok=True)
            shard = Component(
                f"shard{n}",
                [str(CHDB_PYTHON), str(SHARD_LAUNCHER), str(folder), str(http), str(tcp),
                 f"--cluster={CLUSTER_NAME}", *members],
                folder / "launcher.log",
            )
            shard.start()
            self.components.append(shard)
            shards.append((shard, http))
        for shard, http in shards:
            wait_for(f"http://127.0.0.1:{http}/ping", shard, START_TIMEOUT_S)
        return shards

    def _node_env(self, n: int, port: int, shards: list[tuple[Component, int]]) -> dict[str, str]:
        env = dict(self.environ)
        trusted = ",".join(p for p in (env.get("SPARKLYTICS_TRUSTED_PROXIES", ""), "127.0.0.1/32") if p.strip())
        env.update({
            "SPARKLYTICS_MODE": "cloud",
            "SPARKLYTICS_HOST": "127.0.0.1",
            "SPARKLYTICS_PORT": str(port),
            "SPARKLYTICS_DATA_DIR": str(self.data / f"node{n}"),
            "SPARKLYTICS_NODE_ID": f"node{n}",
            "SPARKLYTICS_CLICKHOUSE_URL": ",".join(f"http://127.0.0.1:{http}" for _, http in shards),
            "SPARKLYTICS_CLICKHOUSE_CLUSTER": CLUSTER_NAME,
            "SPARKLYTICS_DATABASE_URL": self.postgres.dsn,
            "SPARKLYTICS_LOCKOUT_SECRET": self.lockout_secret,
            "SPARKLYTICS_TRUSTED_PROXIES": trusted,
        })
        return env

    def _start_nodes(self, shards: list[tuple[Component, int]]) -> list[tuple[Component, int]]:
        nodes = []
        for n in (1, 2):
            port = free_port()
            folder = self.data / f"node{n}"
            folder.mkdir(parents=True, exist_ok=True)
            node = Component(f"node{n}", [str(APP), "serve"], folder / "server.log", self._node_env(n, port, shards))
            node.start()
            self.components.append(node)
            nodes.append((node, port))
            # One at a time: the first applies the migrations the second then finds done.
            wait_for(f"http://127.0.0.1:{port}/health", node, START_TIMEOUT_S)
        return nodes

    def _start_haproxy(self, node_ports: list[int]) -> None:
        config = self.data / "haproxy.cfg"
        config.write_text(haproxy_config(self.host, self.port, node_ports))
        binary = shutil.which("haproxy") or "/usr/sbin/haproxy"
        proxy = Component("haproxy", [binary, "-db", "-f", str(config)], self.data / "haproxy.log")
        proxy.start()
        self.components.append(proxy)
        wait_for(f"http://127.0.0.1:{self.port}/health", proxy, START_TIMEOUT_S)

    def supervise(self) -> None:
        """Start again what died (unless held), until asked to stop."""
        while not self.stopping:
            for component in self.components:
                if component.running() or self.stopping:
                    continue
                if component.died_at is None:
                    component.died_at = time.monotonic()
                    log(f"{component.name} exited ({component.process.returncode})")
                held = (self.data / f"hold-{component.name}").exists()
                if not held and time.monotonic() - component.died_at >= RESTART_DELAY_S:
                    log(f"starting {component.name} again")
                    component.start()
                    (self.data / "cluster.json").write_text(self._with_pid(component))
            time.sleep(0.2)

    def _with_pid(self, component: Component) -> str:
        state = json.loads((self.data / "cluster.json").read_text())
        state["components"][component.name] = component.process.pid
        return json.dumps(state, indent=2)

    def stop(self) -> None:
        self.stopping = True
        order = ["haproxy", "node1", "node2", "shard1", "shard2"]
        for component in sorted(self.components, key=lambda c: order.index(c.name)):
            component.stop()
        self.postgres.stop()
        log("stopped")


def main() -> None:
    cluster = Cluster(dict(os.environ))

    def on_signal(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    try:
        cluster.start()
        cluster.supervise()
    except KeyboardInterrupt:
        pass
    finally:
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        cluster.stop()


if __name__ == "__main__":
    main()
