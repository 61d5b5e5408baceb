"""Queries: every analytics route over a 30-day range on a loaded dataset.

    python bench/load.py --events 1M && python bench/queries.py --events 1M
    python bench/queries.py --events 10M --repeat 10

Runs a server (auth none, ``SPARKLYTICS_DUCKDB_MEMORY=1GB``) on a *copy* of the data
dir that ``bench/load.py`` left (``bench/data/db-<N>``), sends a few hundred live
events first so that realtime has something to show, creates one funnel
(:data:`FUNNEL`), then times every route of API.md §1.5–§1.7, the funnel results,
journey and retention of §1.9–§1.11, the goal reports of §1.8 (ten goals,
:data:`GOALS`) and the export of §1.16: one warm-up request, then ``--repeat``
timed requests on one keep-alive connection; the table shows the median (and p90,
max). Client-side wall time, so it includes HTTP and JSON (≈ 1 ms). Every answer must
be 200. Also the server's CPU time per request (all its threads, the mean over the
timed requests, from /proc): on a shared box wall time grows with the other processes'
load, CPU time much less, so it is what compares two versions run at different loads.

The range is the dataset's last 30 days (``start_date`` = end − 29 days, UTC, as the
dashboard's "last 30 days"). Export is capped by the API at 500 000 rows, so it uses
the longest range ending on the same day whose rows fit (noted in the table).

Also reported: idle RSS after start, peak RSS (VmHWM) after all queries, the DuckDB
file size (bytes per 1M events). Output: a table on stdout and
``bench/out/queries-<N>.json``.
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import statistics
import sys
import time
from datetime import date, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import (  # noqa: E402
    DATA_DIR, WEBSITE_ID, Client, Server, cpu_seconds, dir_size, human_count, load_average, machine, mb, md_table, parse_count,
    wait_for_quiet, write_json,
)

METRIC_TYPES = (
    "page", "referrer", "channel", "country", "region", "city", "browser", "os", "device", "screen",
    "language", "event_name", "utm_source", "utm_medium", "utm_campaign", "entry_page", "exit_page",
)
OVERVIEW = {"stats", "pageviews", "metrics page", "metrics referrer", "metrics country", "metrics browser", "metrics device"}
# ms targets of issue #7: (1M, 10M); None = no target at that size
TARGET_1M_MS = 100
TARGET_10M_MS = 1000
EXPLORE_TARGET_1M_MS = 300  # funnels, retention, journey
EXPLORE = ("funnel", "journey", "retention")
# The dataset's conversion path: landing on the home page, pricing, then a signup event.
FUNNEL = {
    "name": "Home to signup",
    "steps": [
        {"step_type": "page_view", "match_value": "/", "label": "Home"},
        {"step_type": "page_view", "match_value": "/pricing", "label": "Pricing"},
        {"step_type": "event", "match_value": "signup", "label": "Signup"},
    ],
}
EXPORT_MAX_ROWS = 450_000
GOALS_TARGET_1M_MS = 150  # the goal conversions panel and attribution (issue 15)
# Ten goals over the dataset's pages and custom events (purchase carries an amount).
GOALS = [
    {"name": "Purchase", "goal_type": "event", "match_value": "purchase", "value_mode": "event_property",
     "value_property_key": "amount"},
    {"name": "Signup", "goal_type": "event", "match_value": "signup"},
    {"name": "CTA click", "goal_type": "event", "match_value": "cta_click", "value_mode": "fixed", "fixed_value": 1},
    {"name": "Newsletter", "goal_type": "event", "match_value": "newsletter_subscribe"},
    {"name": "Download", "goal_type": "event", "match_value": "download", "match_operator": "contains"},
    {"name": "Pricing page", "goal_type": "page_view", "match_value": "/pricing"},
    {"name": "Signup page", "goal_type": "page_view", "match_value": "/signup"},
    {"name": "Docs", "goal_type": "page_view", "match_value": "/docs", "match_operator": "contains"},
    {"name": "Thank you", "goal_type": "page_view", "match_value": "/thank-you"},
    {"name": "Demo", "goal_type": "page_view", "match_value": "/demo"},
]


def routes(
    start: str, end: str, export_range: tuple[str, str], session_id: str | None, funnel_id: str | None,
    purchase_goal_id: str | None,
) -> list[tuple[str, str, dict[str, str]]]:
    """(label, path, params) of every route to time."""
    base = f"/api/websites/{WEBSITE_ID}"
    rng = {"start_date": start, "end_date": end}
    out = [
        ("stats", f"{base}/stats", rng),
        ("stats compare", f"{base}/stats", {**rng, "compare_mode": "previous_period"}),
        ("stats filter country=US", f"{base}/stats", {**rng, "filter_country": "US"}),
        ("pageviews", f"{base}/pageviews", rng),
        ("pageviews hour", f"{base}/pageviews", {**rng, "granularity": "hour"}),
    ]
    out += [(f"metrics {t}", f"{base}/metrics", {**rng, "type": t}) for t in METRIC_TYPES]
    out += [
        ("metrics page filter browser", f"{base}/metrics", {**rng, "type": "page", "filter_browser": "Chrome"}),
        ("realtime", f"{base}/realtime", {}),
        ("events", f"{base}/events", rng),
        ("events/properties", f"{base}/events/properties", {**rng, "event_name": "cta_click"}),
        ("events/timeseries", f"{base}/events/timeseries", {**rng, "event_name": "cta_click"}),
        ("sessions", f"{base}/sessions", rng),
    ]
    if session_id:
        out.append(("sessions/{id}", f"{base}/sessions/{session_id}", {}))
    if funnel_id:
        out.append(("funnel results", f"{base}/funnels/{funnel_id}/results", rng))
    out += [
        ("journey next /pricing", f"{base}/journey",
         {**rng, "anchor_type": "page", "anchor_value": "/pricing", "direction": "next", "max_depth": "3"}),
        ("journey previous signup", f"{base}/journey",
         {**rng, "anchor_type": "event", "anchor_value": "signup", "direction": "previous", "max_depth": "3"}),
        ("retention week", f"{base}/retention", {**rng, "cohort_granularity": "week"}),
        ("retention day", f"{base}/retention", {**rng, "cohort_granularity": "day"}),
        ("retention filter country=US", f"{base}/retention", {**rng, "cohort_granularity": "week", "filter_country": "US"}),
    ]
    if purchase_goal_id:
        goal = {**rng, "goal_id": purchase_goal_id}
        out += [
            (f"goals conversions ({len(GOALS)} goals)", f"{base}/goals/conversions", rng),
            ("goal stats purchase", f"{base}/goals/{purchase_goal_id}/stats", rng),
            ("attribution purchase last_touch", f"{base}/attribution", goal),
            ("attribution purchase first_touch", f"{base}/attribution", {**goal, "model": "first_touch"}),
            ("revenue summary purchase", f"{base}/revenue/summary", goal),
            ("stats filter_goal purchase", f"{base}/stats", {**rng, "filter_goal": purchase_goal_id}),
        ]
    out.append((f"export {export_range[0]}..{export_range[1]}", f"{base}/export",
                {"start_date": export_range[0], "end_date": export_range[1], "format": "csv"}))
    return out


def create_funnel(client: Client) -> str | None:
    """The id of :data:`FUNNEL`, created on the benchmark website (None if refused)."""
    status, body = client.post_json(f"/api/websites/{WEBSITE_ID}/funnels", FUNNEL)
    if status != 201:
        print(f"  funnel create answered {status}: {body}", file=sys.stderr)
        return None
    return body["data"]["id"]


def create_goals(client: Client) -> str | None:
    """Create :data:`GOALS`; the id of the purchase goal (None if one was refused)."""
    ids = []
    for goal in GOALS:
        status, body = client.post_json(f"/api/websites/{WEBSITE_ID}/goals", goal)
        if status != 201:
            print(f"  goal create answered {status}: {body}", file=sys.stderr)
            return None
        ids.append(body["data"]["id"])
    return ids[0]


def send_live_events(client: Client, count: int = 300) -> int:
    """Recent events from 60 visitors, so realtime's 30-minute window is not empty."""
    import generate as g

    rng = random.Random(5)
    geo, user_agents = g.Geo(), g._user_agents()
    visitors = []
    for _ in range(60):
        ip, _ = geo.address(rng)
        visitors.append((ip, user_agents(rng)[0]))
    accepted = 0
    for _ in range(count // 10):
        ip, ua = rng.choice(visitors)
        batch = [{"website_id": WEBSITE_ID, "type": "pageview", "url": f"https://www.example.com{g._PATH_PICK(rng)}",
                  "screen": "1920x1080", "language": "en-US"} for _ in range(10)]
        status = client.post("/api/collect", batch, {"User-Agent": ua, "X-Forwarded-For": ip})
        accepted += 10 if status == 202 else 0
    return accepted


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", default="1M", help="which loaded dataset (bench/data/db-<N>)")
    parser.add_argument("--source", type=Path, help="data dir to copy (default bench/data/db-<N>)")
    parser.add_argument("--days", type=int, default=30, help="range length in days")
    parser.add_argument("--repeat", type=int, default=10)
    parser.add_argument("--only", action="append", default=[], help="time only routes whose label starts with this (repeatable)")
    parser.add_argument("--memory", default="1GB", help="SPARKLYTICS_DUCKDB_MEMORY")
    parser.add_argument("--max-load", type=float, default=1.0, help="wait for a 1-min load average below this (0: don't)")
    parser.add_argument("--wait", type=float, default=3600)
    args = parser.parse_args(argv)

    n = parse_count(args.events)
    label = human_count(n)
    source = args.source or DATA_DIR / f"db-{label}"
    meta = json.loads((source / "dataset.json").read_text())
    work = DATA_DIR / f"queries-{label}"
    if work.exists():
        shutil.rmtree(work)
    shutil.copytree(source, work)
    db_bytes = (work / "sparklytics.db").stat().st_size

    end = date.fromisoformat(meta["end"][:10])
    start = end - timedelta(days=args.days - 1)
    per_day = meta["events"] / meta["days"]
    export_days = max(1, min(args.days, int(EXPORT_MAX_ROWS / per_day)))
    export_range = ((end - timedelta(days=export_days - 1)).isoformat(), end.isoformat())

    load_before = wait_for_quiet(args.max_load, timeout=args.wait)
    server = Server(work, {"SPARKLYTICS_GEOIP_PATH": meta["geoip"], "SPARKLYTICS_DUCKDB_MEMORY": args.memory,
                           "SPARKLYTICS_TRUSTED_PROXIES": "127.0.0.1/32"})
    started = time.monotonic()
    server.start(timeout=300)
    start_seconds = time.monotonic() - started
    results: list[dict[str, Any]] = []
    try:
        time.sleep(2.0)
        idle = server.memory()
        client = Client(server.port)
        live = send_live_events(client)
        time.sleep(6.0)  # the buffer flushes every 5 s
        status, body, _ = client.get(f"/api/websites/{WEBSITE_ID}/sessions", {"start_date": start.isoformat(), "end_date": end.isoformat(), "limit": "1"})
        session_id = json.loads(body)["data"][0]["session_id"] if status == 200 and json.loads(body)["data"] else None
        funnel_id = create_funnel(client)
        purchase_goal_id = create_goals(client)
        loads = []
        for label_, path, params in routes(
            start.isoformat(), end.isoformat(), export_range, session_id, funnel_id, purchase_goal_id
        ):
            if args.only and not label_.startswith(tuple(args.only)):
                continue
            status, body, _ = client.get(path, params)  # warm-up
            times, statuses = [], {status}
            cpu_before = cpu_seconds(server.pid)
            for _ in range(args.repeat):
                status, body, seconds = client.get(path, params)
                times.append(seconds * 1000)
                statuses.add(status)
            cpu_ms = (cpu_seconds(server.pid) - cpu_before) * 1000 / args.repeat
            loads.append(load_average()[0])
            memory_now = server.memory()
            times.sort()
            target = (TARGET_1M_MS if n <= 1_000_000 else (TARGET_10M_MS if label_ in OVERVIEW else None))
            if n <= 1_000_000 and (label_.startswith(("events", "export", "sessions/", "stats compare", "stats filter", "pageviews hour", "metrics page filter"))):
                target = None  # no explicit target: measured for information
            if label_.startswith(EXPLORE):
                target = EXPLORE_TARGET_1M_MS if n <= 1_000_000 and "filter" not in label_ else None
            if label_.startswith(("goals conversions", "attribution")):
                target = GOALS_TARGET_1M_MS if n <= 1_000_000 else None
            elif label_.startswith(("goal stats", "revenue summary", "stats filter_goal")):
                target = None
            median = statistics.median(times)
            row = {
                "route": label_, "path": path, "params": params, "statuses": sorted(statuses),
                "median_ms": round(median, 1), "min_ms": round(times[0], 1),
                "p90_ms": round(times[int(0.9 * (len(times) - 1))], 1), "max_ms": round(times[-1], 1),
                "server_cpu_ms": round(cpu_ms, 1),
                "response_bytes": len(body), "target_ms": target,
                "rss_after_mb": mb(memory_now.get("VmRSS")), "peak_rss_after_mb": mb(memory_now.get("VmHWM")),
                "met": None if target is None else (median <= target and statuses == {200}),
            }
            results.append(row)
            print(f"  {label_:32s} {row['median_ms']:8.1f} ms  CPU {row['server_cpu_ms']:7.1f} ms  {sorted(statuses)}  RSS {row['rss_after_mb']} MB, "
                  f"peak {row['peak_rss_after_mb']} MB", file=sys.stderr)
        memory = server.memory()
        server.stop()
    finally:
        server.kill()
    output = {
        "machine": machine(),
        "dataset": {k: meta[k] for k in ("events", "days", "seed", "first_day", "end")},
        "range": [start.isoformat(), end.isoformat()],
        "export_range": list(export_range),
        "repeat": args.repeat,
        "duckdb_memory": args.memory,
        "load_before": load_before,
        "load_during_max": max(loads) if loads else None,
        "live_events_sent": live,
        "server_start_seconds": round(start_seconds, 1),
        "db_bytes": db_bytes,
        "db_mb_per_1m_events": round(db_bytes / 1e6 / (meta["events"] / 1e6), 1),
        "wal_bytes": dir_size(work / "ingest-wal"),
        "server_rss_idle_mb": mb(idle.get("VmRSS")),
        "server_rss_end_mb": mb(memory.get("VmRSS")),
        "server_rss_peak_mb": mb(memory.get("VmHWM")),
        "routes": results,
        "actor_statistics": server.statistics(),
    }
    path = write_json(f"queries-{label}.json", output)
    print(md_table(
        ["route", "median ms", "p90 ms", "max ms", "server CPU ms", "target ms", "met", "status", "RSS after MB", "peak RSS MB"],
        [[r["route"], r["median_ms"], r["p90_ms"], r["max_ms"], r["server_cpu_ms"], r["target_ms"] or "—",
          {True: "yes", False: "**no**", None: "—"}[r["met"]], ",".join(map(str, r["statuses"])),
          r["rss_after_mb"], r["peak_rss_after_mb"]] for r in results],
    ))
    print(f"\n{label}: DB {db_bytes / 1e6:.1f} MB ({output['db_mb_per_1m_events']} MB per 1M events), "
          f"idle RSS {output['server_rss_idle_mb']} MB, peak RSS {output['server_rss_peak_mb']} MB "
          f"(DuckDB memory {args.memory}), load before {load_before}, max during {output['load_during_max']}")
    print(f"→ {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
