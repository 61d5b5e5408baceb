"""Freshness: how long from a collect's 202 until the event shows in ``/realtime``.

    python bench/freshness.py                    # 150 events, one per 200 ms (30 s)
    python bench/freshness.py --events 50 --max-load 0

A real server on 127.0.0.1 (fresh data dir, auth none). A sender thread posts one
pageview per ``--interval-ms`` on a fixed schedule (open loop: a slow server cannot
slow it down), each with its own URL and visitor, and notes when its 202 arrived. A poller thread
GETs ``/api/websites/{id}/realtime`` every ``--poll-ms`` and notes when each URL first
appears in ``recent_events``. Freshness = first seen − 202, so it includes up to one
poll interval of resolution. The target (API.md Decision 22) is p99 ≤ 1 s; with the
seed's 5 s flush timer it was ≈ 5.1 s. Output: a table and ``bench/out/freshness.json``.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import (  # noqa: E402
    WEBSITE_ID, Server, create_website, load_average, machine, md_table, percentile, wait_for_quiet, write_json,
)

# A browser's request headers: without them the bot scoring hides the events from /realtime.
HEADERS = {
    "Content-Type": "application/json",
    "User-Agent": "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36",
    "Accept": "*/*",
    "Accept-Language": "en-US,en;q=0.9",
}
SETTLE_SECONDS = 10.0


def send_events(url: str, count: int, interval: float, acked: dict[str, float], failures: list[str]) -> None:
    start = time.monotonic() + 0.5
    for i in range(count):
        due = start + i * interval
        time.sleep(max(0.0, due - time.monotonic()))
        page = f"https://www.example.com/fresh/{i}"
        body = json.dumps({"website_id": WEBSITE_ID, "type": "pageview", "url": page}).encode()
        # One visitor per event (X-Forwarded-For from a trusted 127.0.0.1): five pageviews
        # a second from one visitor would be scored a bot and hidden from /realtime.
        visitor = {"X-Forwarded-For": f"198.51.{100 + i // 250}.{1 + i % 250}"}
        request = urllib.request.Request(f"{url}/api/collect", data=body, headers={**HEADERS, **visitor}, method="POST")
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                if response.status == 202:
                    acked[page] = time.monotonic()
                    continue
                failures.append(f"{page}: HTTP {response.status}")
        except OSError as exc:
            failures.append(f"{page}: {exc}")


def poll_realtime(url: str, poll: float, seen: dict[str, float], stop: threading.Event, failures: list[str]) -> None:
    request = urllib.request.Request(f"{url}/api/websites/{WEBSITE_ID}/realtime", headers=HEADERS)
    while not stop.is_set():
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                events = json.loads(response.read())["data"]["recent_events"]
        except OSError as exc:
            failures.append(f"realtime: {exc}")
            time.sleep(poll)
            continue
        now = time.monotonic()
        for event in events:
            seen.setdefault(event["url"], now)
        time.sleep(poll)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=150)
    parser.add_argument("--interval-ms", type=float, default=200.0)
    parser.add_argument("--poll-ms", type=float, default=20.0)
    parser.add_argument("--max-load", type=float, default=1.0, help="wait for a 1-min load below this (0: don't)")
    parser.add_argument("--wait", type=float, default=900.0)
    args = parser.parse_args()

    load_before = wait_for_quiet(args.max_load, timeout=args.wait)
    acked: dict[str, float] = {}
    seen: dict[str, float] = {}
    failures: list[str] = []
    with tempfile.TemporaryDirectory(prefix="sparklytics-freshness-") as tmp:
        server = Server(Path(tmp) / "data", {"SPARKLYTICS_TRUSTED_PROXIES": "127.0.0.1/32"})
        server.data_dir.mkdir(parents=True)
        create_website(server.env)
        server.start(timeout=120)
        stop = threading.Event()
        poller = threading.Thread(target=poll_realtime, args=(server.url, args.poll_ms / 1000, seen, stop, failures), daemon=True)
        try:
            poller.start()
            send_events(server.url, args.events, args.interval_ms / 1000, acked, failures)
            deadline = time.monotonic() + SETTLE_SECONDS
            while time.monotonic() < deadline and not set(acked) <= set(seen):
                time.sleep(0.05)
            stop.set()
            poller.join(15)
            load_after = load_average()
        finally:
            server.stop()

    delays = sorted((seen[page] - at) * 1000 for page, at in acked.items() if page in seen)
    never_seen = sorted(set(acked) - set(seen))
    summary = {
        "events": args.events, "acknowledged": len(acked), "never_seen": never_seen, "failures": failures[:10],
        "p50_ms": round(percentile(delays, 0.50)), "p99_ms": round(percentile(delays, 0.99)),
        "max_ms": round(delays[-1]) if delays else None, "interval_ms": args.interval_ms, "poll_ms": args.poll_ms,
    }
    print(md_table(
        ["events", "acknowledged", "never seen", "p50 ms", "p99 ms", "max ms", "poll ms", "load 1m before/after"],
        [[args.events, len(acked), len(never_seen), summary["p50_ms"], summary["p99_ms"], summary["max_ms"],
          args.poll_ms, f"{load_before} / {load_after[0]}"]],
    ))
    path = write_json("freshness.json", {"machine": machine(), "load_before": load_before,
                                         "load_after": load_after, **summary, "delays_ms": [round(d, 1) for d in delays]})
    print(f"→ {path}")
    return 0 if not failures and not never_seen else 1


if __name__ == "__main__":
    sys.exit(main())
