"""Bot recompute and the bot reports on a loaded dataset (issue 16).

    python bench/load.py --events 1M && python bench/recompute.py --events 1M

Runs a server on a copy of ``bench/data/db-<N>``, times the bot summary and the bot
report over the last 30 days (median of ``--repeat``), then adds a blocklist rule
(``ua_contains Firefox``) and recomputes those 30 days. While the job runs, one client
sends single pageviews at ``--rate`` req/s and records their latency, so the table shows
what a recompute costs ingest (p50/p99 before and during). Output: a table on stdout
and ``bench/out/recompute-<N>.json``.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import sys
import threading
import time
from datetime import date, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import (  # noqa: E402
    DATA_DIR, WEBSITE_ID, Client, Server, human_count, load_average, machine, md_table, parse_count, wait_for_quiet,
    write_json,
)


BROWSER = {"User-Agent": "Mozilla/5.0 Chrome/126.0", "Accept": "*/*", "Accept-Language": "en"}


def call(client: Client, method: str, path: str, body: Any = None) -> tuple[int, Any, float]:
    """(status, parsed JSON or None, milliseconds)."""
    if body is None:
        status, raw, seconds = client.send(method, path)
    else:
        status, raw, seconds = client.send(method, path, json.dumps(body), {"Content-Type": "application/json", **BROWSER})
    return status, (json.loads(raw) if raw else None), seconds * 1000


class PacedIngest(threading.Thread):
    """Single-event collect requests at a steady rate; latencies in ms."""

    def __init__(self, port: int, rate: float) -> None:
        super().__init__(daemon=True)
        self.port, self.interval = port, 1.0 / rate
        self.latencies: list[float] = []
        self.statuses: set[int] = set()
        self.stop = threading.Event()

    def run(self) -> None:
        client = Client(self.port)
        event = {"website_id": WEBSITE_ID, "type": "pageview", "url": "https://www.example.com/bench"}
        next_at = time.perf_counter()
        while not self.stop.is_set():
            status, _, ms = call(client, "POST", "/api/collect", event)
            self.latencies.append(ms)
            self.statuses.add(status)
            next_at += self.interval
            time.sleep(max(0.0, next_at - time.perf_counter()))


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, int(p * len(ordered)))], 1) if ordered else 0.0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", default="1M")
    parser.add_argument("--repeat", type=int, default=10)
    parser.add_argument("--rate", type=float, default=100.0, help="req/s of single events during the job")
    parser.add_argument("--max-load", type=float, default=1.0, help="wait for a 1-min load average below this (0: don't)")
    parser.add_argument("--wait", type=float, default=3600)
    args = parser.parse_args(argv)

    label = human_count(parse_count(args.events))
    source = DATA_DIR / f"db-{label}"
    meta = json.loads((source / "dataset.json").read_text())
    work = DATA_DIR / f"recompute-{label}"
    if work.exists():
        shutil.rmtree(work)
    shutil.copytree(source, work)
    end = date.fromisoformat(meta["end"][:10])
    window = {"start_date": (end - timedelta(days=29)).isoformat(), "end_date": end.isoformat()}
    query = "&".join(f"{k}={v}" for k, v in window.items())
    base = f"/api/websites/{WEBSITE_ID}"

    load_before = wait_for_quiet(args.max_load, timeout=args.wait)
    server = Server(work, {"SPARKLYTICS_GEOIP_PATH": meta["geoip"], "SPARKLYTICS_RATE_LIMIT_DISABLE": "true"}).start()
    try:
        client = Client(server.port)
        reports = {}
        for name, path in (("bot-summary", f"{base}/bot-summary?{query}"), ("bot/report day", f"{base}/bot/report?{query}"),
                           ("bot/report hour", f"{base}/bot/report?{query}&granularity=hour")):
            call(client, "GET", path)
            reports[name] = statistics.median(call(client, "GET", path)[2] for _ in range(args.repeat))

        ingest = PacedIngest(server.port, args.rate)
        ingest.start()
        time.sleep(10)
        before = list(ingest.latencies)
        status, entry, _ = call(client, "POST", f"{base}/bot/blocklist", {"match_type": "ua_contains", "match_value": "Firefox"})
        assert status == 201, entry
        started = time.perf_counter()
        status, job, _ = call(client, "POST", f"{base}/bot/recompute", window)
        assert status == 202, job
        mark = len(ingest.latencies)
        while True:
            _, body, _ = call(client, "GET", f"{base}/bot/recompute/{job['job_id']}")
            if body["data"]["status"] in ("success", "failed"):
                break
            time.sleep(0.2)
        seconds = time.perf_counter() - started
        during = ingest.latencies[mark:]
        ingest.stop.set()
        ingest.join()
        server.stop()
    finally:
        server.kill()

    result = {
        "machine": machine(), "events": meta["events"], "window": window, "load_before": load_before,
        "load_after": load_average()[0], "reports_median_ms": {k: round(v, 1) for k, v in reports.items()},
        "job": body["data"], "recompute_seconds": round(seconds, 1), "ingest_rate": args.rate,
        "ingest_before": {"p50": percentile(before, 0.5), "p99": percentile(before, 0.99), "n": len(before)},
        "ingest_during": {"p50": percentile(during, 0.5), "p99": percentile(during, 0.99), "n": len(during)},
        "ingest_statuses": sorted(ingest.statuses),
    }
    path = write_json(f"recompute-{label}.json", result)
    print(md_table(["measure", "value"], [
        *[[f"{name} median ms", ms] for name, ms in result["reports_median_ms"].items()],
        ["recompute status", body["data"]["status"]],
        ["events re-classified", f"{body['data']['events_done']:,} of {body['data']['events_total']:,}"],
        ["recompute seconds", result["recompute_seconds"]],
        [f"ingest p50 / p99 ms before ({args.rate:g} req/s)", f"{result['ingest_before']['p50']} / {result['ingest_before']['p99']}"],
        ["ingest p50 / p99 ms during", f"{result['ingest_during']['p50']} / {result['ingest_during']['p99']}"],
        ["ingest statuses", ",".join(map(str, result["ingest_statuses"]))],
    ]))
    print(f"→ {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
