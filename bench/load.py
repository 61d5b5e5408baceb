"""Bulk load: ``sparklytics import`` of a generated dataset into a fresh data dir.

    python bench/load.py --events 1M                 # generates the dataset if missing
    python bench/load.py --events 10M --profile      # + a py-spy profile of the import

Measures wall time and events/s of ``sparklytics import`` (Enricher → WAL → Writer,
as live traffic), the importer's peak RSS, then the stored rows, the DuckDB file size
(bytes per 1M events) and the WAL left behind. The data dir it leaves
(``bench/data/db-<N>``) is what ``bench/queries.py`` reads. Output: a table on stdout
and ``bench/out/load-<N>.json``.

``--profile`` runs the import under ``py-spy record --gil`` (whoever holds the GIL, 200 Hz, raw
collapsed stacks in ``bench/out/``) and prints the functions holding the most samples,
by self time and by inclusive time.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import (  # noqa: E402
    BENCH_DIR, DATA_DIR, OUT_DIR, REPO_ROOT, count_events, create_website, dir_size, human_count,
    machine, mb, md_table, parse_count, proc_memory, server_env, wait_for_quiet, write_json,
)

PY_SPY = Path(sys.executable).parent / "py-spy"


def ensure_dataset(n: int, days: int, seed: int) -> tuple[Path, dict]:
    path = DATA_DIR / f"events-{human_count(n)}.jsonl"
    meta_path = Path(str(path) + ".meta.json")
    if not path.exists() or not meta_path.exists():
        subprocess.run([sys.executable, str(BENCH_DIR / "generate.py"), "--events", str(n), "--days", str(days),
                        "--seed", str(seed), "--out", str(path)], check=True, stdout=subprocess.DEVNULL)
    return path, json.loads(meta_path.read_text())


def summarize_profile(raw: Path, top: int = 25) -> dict[str, list[tuple[str, float]]]:
    """Self and inclusive sample shares per function from py-spy's collapsed stacks."""
    own: Counter[str] = Counter()
    inclusive: Counter[str] = Counter()
    total = 0
    for line in raw.read_text().splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not stack:
            continue
        count = int(count_text)
        frames = [re.sub(r":\d+\)$", ")", re.sub(r" \((.*/)?", " (", f)) for f in stack.split(";")]
        frames = [f for f in frames if not f.startswith(("process ", "thread "))]
        if not frames:
            continue
        total += count
        own[frames[-1]] += count
        for frame in set(frames):
            inclusive[frame] += count
    share = lambda c: [(name, round(100 * n / total, 1)) for name, n in c.most_common(top)]  # noqa: E731
    return {"samples": total, "self": share(own), "inclusive": share(inclusive)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", default="1M")
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--data-dir", type=Path, help="default bench/data/db-<N> (deleted first)")
    parser.add_argument("--profile", action="store_true", help="run under py-spy record")
    parser.add_argument("--max-load", type=float, default=1.0, help="wait for a 1-min load average below this (0: don't)")
    parser.add_argument("--wait", type=float, default=3600, help="longest wait for a quiet machine, seconds")
    args = parser.parse_args(argv)

    n = parse_count(args.events)
    label = human_count(n)
    dataset, meta = ensure_dataset(n, args.days, args.seed)
    data_dir = args.data_dir or DATA_DIR / f"db-{label}"
    if data_dir.exists():
        shutil.rmtree(data_dir)
    env = server_env(data_dir, 3999, SPARKLYTICS_GEOIP_PATH=meta["geoip"], SPARKLYTICS_LOG_LEVEL="info")
    create_website(env)

    load_before = wait_for_quiet(args.max_load, timeout=args.wait)
    command = [sys.executable, "-m", "sparklytics", "import", str(dataset)]
    profile_raw = OUT_DIR / f"load-{label}.pyspy.txt"
    if args.profile:
        OUT_DIR.mkdir(parents=True, exist_ok=True)
        command = [str(PY_SPY), "record", "--gil", "--rate", "200", "--format", "raw", "--nonblocking",
                   "-o", str(profile_raw), "--", *command]
    started = time.monotonic()
    process = subprocess.Popen(command, env=env, cwd=REPO_ROOT, stderr=subprocess.PIPE, text=True)
    peak = {"VmHWM": 0}
    loads: list[float] = []

    def watch() -> None:  # the importer's peak RSS (py-spy wraps it: find the python child)
        while process.poll() is None:
            pids = [process.pid] + _children(process.pid)
            for pid in pids:
                memory = proc_memory(pid)
                if memory.get("VmHWM", 0) > peak["VmHWM"]:
                    peak.update(memory)
            loads.append(os.getloadavg()[0])
            time.sleep(0.5)

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    _, stderr = process.communicate(timeout=6 * 3600)
    seconds = time.monotonic() - started
    watcher.join(5)
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    (OUT_DIR / f"load-{label}.log").write_text(stderr)
    if process.returncode != 0 or "Traceback" in stderr:  # py-spy does not pass the exit code on
        print(stderr[-4000:], file=sys.stderr)
        raise SystemExit(f"import failed with {process.returncode}")
    reported = re.findall(r"imported ([\d,]+) events in ([\d.]+) s", stderr)
    (data_dir / "dataset.json").write_text(json.dumps(meta, indent=2) + "\n")  # for bench/queries.py
    counts = count_events(data_dir)
    if counts["events"] != meta["events"]:
        raise SystemExit(f"stored {counts['events']:,} events of {meta['events']:,}: the import lost events")
    db_bytes = (data_dir / "sparklytics.db").stat().st_size
    result = {
        "machine": machine(),
        "load_before": load_before,
        "load_during_max": round(max(loads), 2) if loads else None,
        "dataset": {k: meta[k] for k in ("events", "days", "seed", "first_day", "end", "bytes")},
        "profiled": args.profile,
        "wall_seconds": round(seconds, 1),
        "importer_seconds": float(reported[-1][1]) if reported else None,
        "events_per_second": round(counts["events"] / seconds),
        "stored_events": counts["events"],
        "stored_sessions": counts["sessions"],
        "db_bytes": db_bytes,
        "db_mb_per_1m_events": round(db_bytes / 1e6 / (counts["events"] / 1e6), 1),
        "wal_bytes_left": dir_size(data_dir / "ingest-wal"),
        "importer_peak_rss_mb": mb(peak.get("VmHWM")),
        "data_dir": str(data_dir),
    }
    if args.profile:
        result["profile"] = summarize_profile(profile_raw)
    path = write_json(f"load-{label}{'-profile' if args.profile else ''}.json", result)
    print(md_table(
        ["dataset", "events stored", "sessions", "wall s", "events/s", "DB MB", "MB per 1M events", "importer peak RSS MB", "load before/max"],
        [[label, f"{counts['events']:,}", f"{counts['sessions']:,}", result["wall_seconds"], f"{result['events_per_second']:,}",
          round(db_bytes / 1e6, 1), result["db_mb_per_1m_events"], result["importer_peak_rss_mb"],
          f"{load_before} / {result['load_during_max']}"]],
    ))
    if args.profile:
        prof = result["profile"]
        print(f"\npy-spy: {prof['samples']} samples; top self time:")
        for name, pct in prof["self"][:20]:
            print(f"  {pct:5.1f}%  {name}")
        print("top inclusive:")
        for name, pct in prof["inclusive"][:25]:
            print(f"  {pct:5.1f}%  {name}")
    print(f"\n→ {path}")
    return 0


def _children(pid: int) -> list[int]:
    try:
        text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    except OSError:
        return []
    return [int(p) for p in text.split()]


if __name__ == "__main__":
    sys.exit(main())
