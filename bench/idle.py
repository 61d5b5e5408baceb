"""Idle RSS: start the real server N times and read its memory once it is idle.

    python bench/idle.py                 # 10 starts on a fresh data dir
    python bench/idle.py --db 1M         # 10 starts on bench/data/db-1M (copied first)

Each start: ``python -m sparklytics serve`` (through ``bench/_serve.py``) on 127.0.0.1,
healthy, then 2 s of silence, then VmRSS; then SIGTERM. The target is 120 MB (issue #7);
the figure moves by a few MB between starts (allocator and thread-stack timing), so
the median of several starts is what counts. Output: a table and ``bench/out/idle.json``.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import DATA_DIR, Server, git_commit, machine, mb, md_table, wait_for_quiet, write_json  # noqa: E402

IDLE_SECONDS = 2.0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--starts", type=int, default=10)
    parser.add_argument("--db", help="dataset size whose bench/data/db-<N> to copy (default: a fresh data dir)")
    parser.add_argument("--max-load", type=float, default=1.0, help="wait for a 1-min load below this (0: don't)")
    parser.add_argument("--wait", type=float, default=900.0)
    args = parser.parse_args()

    load_before = wait_for_quiet(args.max_load, timeout=args.wait)
    samples = []
    with tempfile.TemporaryDirectory(prefix="sparklytics-idle-") as tmp:
        work = Path(tmp) / "data"
        if args.db:
            shutil.copytree(DATA_DIR / f"db-{args.db}", work)
        for _ in range(args.starts):
            server = Server(work).start(timeout=300)
            try:
                time.sleep(IDLE_SECONDS)
                samples.append(mb(server.memory().get("VmRSS")))
            finally:
                server.stop()
    ordered = sorted(samples)
    summary = {"median": round(statistics.median(ordered), 1), "min": ordered[0], "max": ordered[-1]}
    print(md_table(["starts", "data", "median MB", "min MB", "max MB", "starts above 120 MB"],
                   [[len(samples), args.db or "empty", summary["median"], summary["min"], summary["max"],
                     sum(1 for s in samples if s > 120)]]))
    path = write_json("idle.json", {"machine": machine(), "commit": git_commit(), "load_before": load_before,
                                    "data": args.db or "empty", "samples_mb": samples, **summary})
    print(f"→ {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
