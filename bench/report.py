"""Render the tables of RESULTS.md from the JSON in ``bench/out/``.

    python bench/report.py > /tmp/tables.md

Prints markdown: machine, bulk load, ingest, queries (1M and 10M side by side) and
storage, each with the load average it was measured at. RESULTS.md holds these tables
plus the analysis written by hand.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import OUT_DIR, md_table  # noqa: E402


def _load(name: str) -> dict | None:
    path = OUT_DIR / name
    return json.loads(path.read_text()) if path.exists() else None


def main() -> int:
    sections = []
    for label in ("1M", "10M"):
        load = _load(f"load-{label}.json")
        if load:
            m = load["machine"]
            sections.append(
                f"**Bulk load {label}** ({m['date']}, commit {m['commit']}, load {load['load_before']} before, "
                f"max {load['load_during_max']} during)\n\n" + md_table(
                    ["events", "sessions", "wall s", "events/s", "DB MB", "MB per 1M events", "importer peak RSS MB"],
                    [[f"{load['stored_events']:,}", f"{load['stored_sessions']:,}", load["wall_seconds"],
                      f"{load['events_per_second']:,}", round(load["db_bytes"] / 1e6, 1), load["db_mb_per_1m_events"],
                      load["importer_peak_rss_mb"]]]))
    ingest = _load("ingest.json")
    if ingest:
        m = ingest["machine"]
        rows = [[
            r["scenario"], r["batch"], r["connections"], f"{r['req_per_s']:,}", f"{r['accepted_events_per_s']:,}",
            f"{r['persisted_events_per_s']:,}", r["drops"], r["latency_ms"]["p50"], r["latency_ms"]["p99"],
            r["server_cpu_pct"], r["generator_cpu_pct"], r.get("other_cpu_pct", "—"), r["server_rss_idle_mb"],
            r["server_rss_peak_mb"], r["stop_seconds"], r["load_average_1m_at_start"],
        ] for r in ingest["medians"]]
        sections.append(
            f"**Ingest** ({m['date']}, commit {m['commit']}, {ingest['duration_s']:.0f} s per run, median of "
            f"{max(r['run'] for r in ingest['runs'])} run(s))\n\n" + md_table(
                ["scenario", "events/req", "conns", "req/s", "accepted ev/s", "persisted ev/s", "drops", "p50 ms",
                 "p99 ms", "server CPU %", "generator CPU %", "other CPU %", "idle RSS MB", "peak RSS MB", "stop s",
                 "load 1m"], rows))
        stats_rows = []
        for r in ingest["medians"]:
            final = (r.get("actor_statistics") or {}).get("final")
            if final:
                w, b = final["writer"], final["buffer"]
                stats_rows.append([r["scenario"], final["derived"]["events_per_fsync"], f"{b['fsyncs']:,}",
                                   final["derived"]["rows_per_commit"], f"{w['commits']:,}",
                                   f"{w['session_cache_hits']:,} / {w['session_cache_misses']:,}", b["write_failures"]])
        if stats_rows:
            sections.append("Actors at stop (`statistics()`, median run):\n\n" + md_table(
                ["scenario", "events per WAL fsync", "fsyncs", "rows per DuckDB commit", "commits",
                 "session cache hits / misses", "write failures"], stats_rows))
        for r in ingest["medians"]:
            if r.get("generator"):
                g = r["generator"]
                sections.append(
                    f"{r['scenario']}: open-loop generator woke p50 {g['wake_lag_ms']['p50']} ms / p99 "
                    f"{g['wake_lag_ms']['p99']} ms late and wrote p99 {g['send_lag_ms']['p99']} ms late; "
                    f"latency p99.9 {r['latency_ms']['p999']} ms, max {r['latency_ms']['max']} ms.")
    q1, q10 = _load("queries-1M.json"), _load("queries-10M.json")
    if q1 or q10:
        by_route: dict[str, dict] = {}
        for label, q in (("1M", q1), ("10M", q10)):
            for r in (q or {}).get("routes", []):
                key = r["route"].split(" 20")[0]  # export label carries its range
                by_route.setdefault(key, {})[label] = r
        rows = []
        for route, sizes in by_route.items():
            row = [route]
            for label in ("1M", "10M"):
                r = sizes.get(label)
                if r is None:
                    row += ["—", "—"]
                    continue
                mark = {True: " ✓", False: " ✗", None: ""}[r["met"]]
                row += [f"{r['median_ms']}{mark}", f"{r['p90_ms']}"]
            rows.append(row)
        head = []
        for label, q in (("1M", q1), ("10M", q10)):
            if q:
                head.append(
                    f"{label}: {q['machine']['date']}, commit {q['machine']['commit']}, range {q['range'][0]}..{q['range'][1]}, "
                    f"export {q['export_range'][0]}..{q['export_range'][1]}, load {q['load_before']} before / max {q['load_during_max']}; "
                    f"DB {q['db_bytes'] / 1e6:.1f} MB ({q['db_mb_per_1m_events']} MB per 1M events); RSS idle "
                    f"{q['server_rss_idle_mb']} MB, peak {q['server_rss_peak_mb']} MB (DuckDB memory {q['duckdb_memory']})")
        sections.append("**Queries** (ms, median and p90 of 10 after a warm-up; ✓/✗ = target met/missed)\n\n"
                        + "\n".join(f"- {h}" for h in head) + "\n\n"
                        + md_table(["route", "1M median", "1M p90", "10M median", "10M p90"], rows))
    print("\n\n".join(sections))
    return 0


if __name__ == "__main__":
    sys.exit(main())
