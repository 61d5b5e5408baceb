"""Ingest through the real cloud topology (``scripts/cluster.sh``): events/s per app node.

Starts the cluster in a temp folder (auth off, rate limits off), then for each target —
node 1 alone, then HAProxy over both nodes — sends ``--events`` pageviews in collect
batches of ``--batch`` from ``--senders`` threads, and reports two rates: acknowledged
(202s per second) and stored (until the API counts them all, i.e. committed to
ClickHouse through the WAL). Also the ClickHouse bytes on disk per 1M events stored.
Everything shares the machine (two shards, PostgreSQL, the nodes, this client), so
the figures are what one small box gives, with the load average printed beside them.
For each target also the CPU time (user + system, from ``/proc/<pid>/stat``) that each
app node and each shard spent per stored event, from the first send until the API
counts them all (the count polls, a stats query every 0.2 s, are included).

    python bench/cluster_ingest.py --events 20000 --batch 20 --senders 4
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import tempfile
import threading
import time
from pathlib import Path

import httpx

from _common import REPO_ROOT, cpu_seconds, load_average, machine  # first: puts the checkout on sys.path

AGENT = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36"


def start_cluster(root: Path, port: int) -> subprocess.Popen:
    env = {**os.environ, "SPARKLYTICS_DATA_DIR": str(root / "data"), "SPARKLYTICS_PORT": str(port),
           "SPARKLYTICS_AUTH": "none", "SPARKLYTICS_HTTPS": "false", "SPARKLYTICS_RATE_LIMIT_DISABLE": "true",
           "SPARKLYTICS_HOST": "127.0.0.1"}
    process = subprocess.Popen(["bash", "scripts/cluster.sh"], cwd=REPO_ROOT, env=env,
                               stdout=(root / "cluster.log").open("wb"), stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        try:
            if (root / "data" / "cluster.json").exists() and httpx.get(f"http://127.0.0.1:{port}/health").status_code == 200:
                return process
        except httpx.TransportError:
            pass
        time.sleep(0.3)
    raise SystemExit(f"cluster did not start: {(root / 'cluster.log').read_text()[-2000:]}")


MEASURED = ("node1", "node2", "shard1", "shard2")


def send(url: str, site: str, events: int, batch: int, senders: int) -> float:
    """Seconds until every event was acknowledged (202)."""
    per_sender = events // senders // batch

    def run(sender: int) -> None:
        with httpx.Client(timeout=30, headers={"User-Agent": AGENT}) as client:
            for n in range(per_sender):
                body = [{"website_id": site, "type": "pageview", "url": f"https://example.com/p{i % 50}",
                         "visitor_id": f"s{sender}v{(n * batch + i) % 997}"} for i in range(batch)]
                response = client.post(f"{url}/api/collect", json=body)
                assert response.status_code == 202, response.text

    threads = [threading.Thread(target=run, args=(s,)) for s in range(senders)]
    start = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return time.perf_counter() - start


def stored_after(api: str, site: str, expected: int) -> None:
    day = time.strftime("%Y-%m-%d", time.gmtime())
    while True:
        stats = httpx.get(f"{api}/api/websites/{site}/stats", params={"start_date": day, "end_date": day,
                                                                      "include_bots": "true"}, timeout=60)
        if stats.status_code == 200 and stats.json()["data"]["pageviews"] >= expected:
            return
        time.sleep(0.2)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=20_000)
    parser.add_argument("--batch", type=int, default=20)
    parser.add_argument("--senders", type=int, default=4)
    args = parser.parse_args()
    root = Path(tempfile.mkdtemp(prefix="sparklytics-bench-cluster-"))
    root.chmod(0o711)
    port = 38_000 + os.getpid() % 1000
    cluster = start_cluster(root, port)
    try:
        state = json.loads((root / "data" / "cluster.json").read_text())
        api = f"http://127.0.0.1:{port}"
        events = args.events // (args.senders * args.batch) * args.senders * args.batch
        print(json.dumps({"machine": machine(), "events": events, "batch": args.batch, "senders": args.senders}))
        for label, url in (("node1 alone", state["nodes"]["node1"]), ("haproxy, 2 nodes", api)):
            site = httpx.post(f"{api}/api/websites", json={"name": label, "domain": "example.com"}).json()["data"]["id"]
            before = load_average()
            pids = {name: state["components"][name] for name in MEASURED}
            cpu_before = {name: cpu_seconds(pid) for name, pid in pids.items()}
            start = time.perf_counter()
            acked = send(url, site, events, args.batch, args.senders)
            stored_after(api, site, events)
            stored = time.perf_counter() - start
            cpu_us = {name: round((cpu_seconds(pid) - cpu_before[name]) / events * 1e6) for name, pid in pids.items()}
            print(json.dumps({"target": label, "acked_eps": round(events / acked), "stored_eps": round(events / stored),
                              "cpu_us_per_event": cpu_us, "load_before": before, "load_after": load_average()}))
        total = 0
        for url in state["clickhouse"]:
            total += int(httpx.post(url, content="SELECT sum(bytes_on_disk) FROM system.parts WHERE active AND "
                                    "database = 'sparklytics' AND table = 'events_local'").text)
        print(json.dumps({"clickhouse_bytes_per_1M_events": round(total / (2 * events) * 1_000_000)}))
    finally:
        cluster.send_signal(signal.SIGTERM)
        cluster.wait(timeout=120)


if __name__ == "__main__":
    main()
