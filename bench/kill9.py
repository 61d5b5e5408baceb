"""kill -9 during sustained ingest: is every acknowledged event stored, exactly once?

    python bench/kill9.py                        # 5 kills, ~4 s of ingest before each
    python bench/kill9.py --kills 3 --max-load 0

A real server on 127.0.0.1 (fresh data dir, auth none, rate limit off) on a fixed
port. ``--senders`` threads post batches of ``--batch`` pageviews without pause, each
event with a URL of its own; an event counts as acknowledged when its request got a
202. After ``--seconds`` of ingest the server gets SIGKILL and is started again on
the same data dir (the senders keep retrying while it is down); after the last round
one more short round runs and the server stops cleanly. Then the DuckDB file is read:
**lost** = acknowledged URLs not stored, **doubled** = URLs stored more than once.
Stored-but-unacknowledged events (requests in flight at the kill: fsynced, reply never
sent) are reported separately; they are allowed. Output: a table and
``bench/out/kill9.json``.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import (  # noqa: E402
    WEBSITE_ID, Server, create_website, free_port, load_average, machine, md_table, wait_for_quiet, write_json,
)


class Senders:
    """Threads that post batches until stopped and remember what was acknowledged."""

    def __init__(self, url: str, count: int, batch: int) -> None:
        self.url, self.batch = url, batch
        self.acknowledged: list[str] = []
        self.refused = Counter[str]()
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._threads = [threading.Thread(target=self._run, args=(n,), daemon=True) for n in range(count)]

    def start(self) -> None:
        for thread in self._threads:
            thread.start()

    def stop(self) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(30)

    def _run(self, sender: int) -> None:
        sequence = 0
        while not self._stop.is_set():
            urls = [f"https://www.example.com/k/{sender}/{sequence + i}" for i in range(self.batch)]
            sequence += self.batch
            body = json.dumps([{"website_id": WEBSITE_ID, "type": "pageview", "url": u} for u in urls]).encode()
            request = urllib.request.Request(f"{self.url}/api/collect", data=body, method="POST",
                                             headers={"Content-Type": "application/json"})
            try:
                with urllib.request.urlopen(request, timeout=10) as response:
                    ok = response.status == 202
            except urllib.error.HTTPError as error:
                ok = False
                self._count(f"HTTP {error.code}")
            except OSError:
                ok = False
                self._count("connection")
                time.sleep(0.05)
            if ok:
                with self._lock:
                    self.acknowledged.extend(urls)

    def _count(self, reason: str) -> None:
        with self._lock:
            self.refused[reason] += 1


def stored_urls(data_dir: Path) -> Counter[str]:
    import duckdb

    with duckdb.connect(str(data_dir / "sparklytics.db"), read_only=True) as con:
        return Counter(dict(con.execute("SELECT url, count(*) FROM events GROUP BY url").fetchall()))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kills", type=int, default=5)
    parser.add_argument("--seconds", type=float, default=4.0, help="ingest before each kill")
    parser.add_argument("--senders", type=int, default=8)
    parser.add_argument("--batch", type=int, default=10)
    parser.add_argument("--max-load", type=float, default=1.0, help="wait for a 1-min load below this (0: don't)")
    parser.add_argument("--wait", type=float, default=900.0)
    args = parser.parse_args()

    load_before = wait_for_quiet(args.max_load, timeout=args.wait)
    port = free_port()
    restarts: list[float] = []
    with tempfile.TemporaryDirectory(prefix="sparklytics-kill9-") as tmp:
        data_dir = Path(tmp) / "data"
        server = Server(data_dir, port=port)
        data_dir.mkdir(parents=True)
        create_website(server.env)
        server.start(timeout=120)
        senders = Senders(server.url, args.senders, args.batch)
        senders.start()
        try:
            for _ in range(args.kills):
                time.sleep(args.seconds)
                server.kill()  # SIGKILL
                started = time.monotonic()
                server = Server(data_dir, port=port).start(timeout=120)
                restarts.append(time.monotonic() - started)
            time.sleep(args.seconds)
            senders.stop()
            load_after = load_average()
            server.stop()
        finally:
            senders.stop()
            server.kill()
        stored = stored_urls(data_dir)

    acknowledged = Counter(senders.acknowledged)
    lost = [url for url in acknowledged if url not in stored]
    doubled = [url for url, n in stored.items() if n > 1]
    unacknowledged = sum(1 for url in stored if url not in acknowledged)
    summary = {
        "kills": args.kills, "acknowledged": len(acknowledged), "stored": sum(stored.values()), "lost": len(lost),
        "doubled": len(doubled), "stored_unacknowledged": unacknowledged, "refused_requests": dict(senders.refused),
        "restart_s_max": round(max(restarts), 2) if restarts else None, "senders": args.senders, "batch": args.batch,
        "seconds_per_round": args.seconds, "examples_lost": lost[:5], "examples_doubled": doubled[:5],
    }
    print(md_table(
        ["kills", "acknowledged", "stored", "lost", "doubled", "stored, unacknowledged", "refused requests",
         "slowest restart s", "load 1m before/after"],
        [[args.kills, len(acknowledged), summary["stored"], len(lost), len(doubled), unacknowledged,
          dict(senders.refused), summary["restart_s_max"], f"{load_before} / {load_after[0]}"]],
    ))
    path = write_json("kill9.json", {"machine": machine(), "load_before": load_before, "load_after": load_after, **summary})
    print(f"→ {path}")
    return 0 if not lost and not doubled else 1


if __name__ == "__main__":
    sys.exit(main())
