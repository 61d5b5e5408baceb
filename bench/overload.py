"""Overload: past the ingest queue bound collect answers 503 + Retry-After and keeps what it took.

    python bench/overload.py                     # 16 senders x batches of 50 for 10 s
    python bench/overload.py --seconds 5 --max-load 0

A real server on 127.0.0.1 (fresh data dir, auth none, rate limit off) whose queue of
accepted-but-uncommitted events is cut to ``--queue`` events, so that ``--senders``
threads posting batches of ``--batch`` without pause outrun the Writer. Every answer is
tallied by status and error code; each 503 must carry ``Retry-After``. After a clean
stop the DuckDB file must hold exactly the events that got a 202: overload refuses,
it never drops what it acknowledged. Output: a table and ``bench/out/overload.json``.
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
    WEBSITE_ID, Server, count_events, create_website, load_average, machine, md_table, wait_for_quiet, write_json,
)


def send_until(url: str, batch: int, deadline: float, tally: Counter[str], accepted: list[int], lock: threading.Lock) -> None:
    body = json.dumps([{"website_id": WEBSITE_ID, "type": "pageview", "url": "https://www.example.com/o"}] * batch).encode()
    while time.monotonic() < deadline:
        request = urllib.request.Request(f"{url}/api/collect", data=body, method="POST", headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                outcome, events = f"{response.status}", int(response.headers["x-sparklytics-ingest-accepted-events"])
        except urllib.error.HTTPError as error:
            code = json.loads(error.read())["error"]["code"]
            retry = "with Retry-After" if error.headers.get("Retry-After") else "WITHOUT Retry-After"
            outcome, events = f"{error.code} {code} {retry}", 0
        except OSError as exc:
            outcome, events = f"error {type(exc).__name__}", 0
        with lock:
            tally[outcome] += 1
            accepted.append(events)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--senders", type=int, default=16)
    parser.add_argument("--batch", type=int, default=50)
    parser.add_argument("--queue", type=int, default=200, help="SPARKLYTICS_INGEST_QUEUE_MAX_EVENTS for the run")
    parser.add_argument("--max-load", type=float, default=1.0, help="wait for a 1-min load below this (0: don't)")
    parser.add_argument("--wait", type=float, default=900.0)
    args = parser.parse_args()

    load_before = wait_for_quiet(args.max_load, timeout=args.wait)
    tally: Counter[str] = Counter()
    accepted: list[int] = []
    lock = threading.Lock()
    with tempfile.TemporaryDirectory(prefix="sparklytics-overload-") as tmp:
        data_dir = Path(tmp) / "data"
        server = Server(data_dir, {"SPARKLYTICS_INGEST_QUEUE_MAX_EVENTS": str(args.queue)})
        data_dir.mkdir(parents=True)
        create_website(server.env)
        server.start(timeout=120)
        try:
            deadline = time.monotonic() + args.seconds
            threads = [threading.Thread(target=send_until, args=(server.url, args.batch, deadline, tally, accepted, lock))
                       for _ in range(args.senders)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join(args.seconds + 30)
            load_after = load_average()
            server.stop()
        finally:
            server.kill()
        stored = count_events(data_dir)["events"]

    acknowledged = sum(accepted)
    summary = {"requests": sum(tally.values()), "answers": dict(tally), "acknowledged_events": acknowledged,
               "stored_events": stored, "queue": args.queue, "senders": args.senders, "batch": args.batch,
               "seconds": args.seconds}
    print(md_table(
        ["requests", "answers", "acknowledged events", "stored events", "queue bound", "load 1m before/after"],
        [[summary["requests"], dict(tally), acknowledged, stored, args.queue, f"{load_before} / {load_after[0]}"]],
    ))
    path = write_json("overload.json", {"machine": machine(), "load_before": load_before, "load_after": load_after, **summary})
    print(f"→ {path}")
    unexpected = [o for o in tally if o != "202" and not (o.startswith("503 ") and o.endswith("with Retry-After"))]
    if unexpected:
        print(f"! unexpected answers: {unexpected}")
    return 0 if stored == acknowledged and not unexpected else 1


if __name__ == "__main__":
    sys.exit(main())
