"""Ingest: POST /api/collect, GET /l/{slug} and GET /p/{key} against a real server
process on 127.0.0.1.

    python bench/ingest.py                       # every scenario, 30 s each
    python bench/ingest.py --only single-16 --duration 10 --max-load 0
    python bench/ingest.py --only single-16 --only single-64 --repeat 3 --compare-paths

Scenarios (each on a fresh data dir and a fresh server, auth none, rate limit off,
``SPARKLYTICS_TRUSTED_PROXIES=127.0.0.1/32`` so that X-Forwarded-For gives every
request its visitor's IP):

==============  =====================================================================
single-1/16/64  one event per request, 1 / 16 / 64 keep-alive connections (wrk, closed loop)
batch10-16      10 events per request, 16 connections (wrk)
batch50-16      50 events per request, 16 connections (wrk)
paced-500       one event per request at a steady 500 req/s, open loop (Python, below)
link-16         GET /l/<slug> of a campaign link with UTM tags, 16 connections (wrk): 302s
pixel-16        GET /p/<key>.gif of a tracking pixel, 16 connections (wrk): 200 GIFs
==============  =====================================================================

Requests vary: 5 000 visitors (IP from the generator's GeoIP blocks, real User-Agent,
screen, language), paths drawn Zipf-like from the generator's 200, landing referrers,
internal referrers after the first event of a batch, ~10 % custom events with
properties (``bench/wrk/collect.lua``). Link and pixel hits come from the same visitors,
half of them with a small query string (``bench/wrk/acquisition.lua``); each 302 or 200
is one accepted event.

Per scenario: accepted req/s and events/s (202 responses and their
``x-sparklytics-ingest-accepted-events``), **persisted** events/s, drops (non-2xx,
socket errors, soft drops reported in ``x-sparklytics-ingest-dropped-events``),
p50/p99 latency, server CPU (also in ms per request, the figure a busy box bends
least), server RSS (VmRSS/VmHWM from /proc). ``--probe`` adds, from inside the
server, where the loop's time went: GC pauses, the WAL fsync, the DuckDB commit,
long task steps (``bench/_loop_probe.py``). Persisted: after
the measured run the server gets SIGTERM (it flushes every acknowledged event and
exits), the DuckDB file is opened read-only and counted; persisted events/s = events
of the run in DuckDB ÷ (load duration + the time the server took to flush and stop).
A short warm-up runs first on the same server; its accepted events are subtracted.

``--compare-paths`` runs every scenario on both ingest paths (``SPARKLYTICS_INGEST_PATH``
classic, then lean, then classic, … — interleaved, so both see the same disturbances
on a shared box) and prints the median of each and the ratio lean ÷ classic.

The open-loop generator (``paced``): requests are due at fixed times t0 + i/rate, and
latency is measured from the *due* time, so a slow server cannot slow the generator
down and hide its own latency (coordinated omission). It reports how late it woke up
and how late it wrote each request, and its own CPU use, to show it kept up.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from load import summarize_profile  # noqa: E402
from _common import (  # noqa: E402
    BENCH_DIR, DATA_DIR, OUT_DIR, WEBSITE_DOMAIN, WEBSITE_ID, Server, count_events, cpu_seconds, create_website,
    load_average, machine, mb, md_table, percentile, server_env, wait_for_quiet, write_json,
)

WRK = shutil.which("wrk") or "/usr/bin/wrk"
PY_SPY = Path(sys.executable).parent / "py-spy"
LUA = BENCH_DIR / "wrk" / "collect.lua"
ACQUISITION_LUA = BENCH_DIR / "wrk" / "acquisition.lua"
SCENARIOS = {
    "single-1": ("wrk", 1, 1),
    "single-16": ("wrk", 1, 16),
    "single-64": ("wrk", 1, 64),
    "batch10-16": ("wrk", 10, 16),
    "batch50-16": ("wrk", 50, 16),
    "paced-500": ("paced", 1, 64),
    "link-16": ("link", 1, 16),
    "pixel-16": ("pixel", 1, 16),
}
VISITORS = 5_000


# request data -------------------------------------------------------------------------


def request_data(seed: int = 11) -> dict[str, Any]:
    """Visitors, paths, referrers and custom events drawn from the generator's tables."""
    import generate as g

    rng = random.Random(seed)
    geo = g.Geo()
    user_agents = g._user_agents()
    visitors = []
    for _ in range(VISITORS):
        ip, country = geo.address(rng)
        ua, device = user_agents(rng)
        visitors.append((ip, ua, g._SCREENS[device](rng), geo.languages[country](rng)))
    paths = [g._PATH_PICK(rng) for _ in range(4000)]
    referrers = [g._SOURCES(rng)[0] or "" for _ in range(1000)]
    custom = []
    for _ in range(300):
        name, data = g._event_for(rng.choice(g.PATHS[:60]), rng)
        custom.append((name, json.dumps(data, separators=(",", ":"))))
    return {"website": WEBSITE_ID, "host": WEBSITE_DOMAIN, "visitors": visitors, "paths": paths,
            "referrers": referrers, "custom": custom, "geoip": str(geo_db())}


def geo_db() -> Path:
    path = DATA_DIR / "geo-bench.mmdb"
    if not path.exists():
        import generate as g

        g.Geo().write_mmdb(path)
    return path


def write_lua_data(data: dict[str, Any], path: Path) -> Path:
    def s(value: str) -> str:
        return json.dumps(value, ensure_ascii=True)  # JSON string escapes are valid Lua here

    lines = ["return {", f"  website = {s(data['website'])},", f"  host = {s(data['host'])},", "  visitors = {"]
    lines += [f"    {{{s(ip)}, {s(ua)}, {s(screen)}, {s(lang)}}}," for ip, ua, screen, lang in data["visitors"]]
    lines += ["  },", "  paths = {"]
    lines += [f"    {s(p)}," for p in data["paths"]]
    lines += ["  },", "  referrers = {"]
    lines += [f"    {s(r)}," for r in data["referrers"]]
    lines += ["  },", "  custom = {"]
    lines += [f"    {{{s(name)}, {s(body)}}}," for name, body in data["custom"]]
    lines += ["  },", "}"]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n")
    return path


def paced_requests(data: dict[str, Any], port: int, count: int = 5_000, seed: int = 13) -> list[bytes]:
    """Ready-made single-event HTTP requests for the open-loop generator."""
    rng = random.Random(seed)
    out = []
    for _ in range(count):
        ip, ua, screen, lang = rng.choice(data["visitors"])
        event: dict[str, Any] = {"website_id": data["website"], "type": "pageview",
                                 "url": f"https://{data['host']}{rng.choice(data['paths'])}",
                                 "screen": screen, "language": lang}
        referrer = rng.choice(data["referrers"])
        if referrer:
            event["referrer"] = referrer
        if rng.random() < 0.1:
            name, body = rng.choice(data["custom"])
            event.update(type="event", event_name=name, event_data=json.loads(body))
        body = json.dumps(event, separators=(",", ":")).encode()
        head = (
            f"POST /api/collect HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Type: text/plain;charset=UTF-8\r\n"
            f"X-Forwarded-For: {ip}\r\nUser-Agent: {ua}\r\nAccept: */*\r\nAccept-Language: {lang}\r\n"
            f"Content-Length: {len(body)}\r\n\r\n"
        ).encode()
        out.append(head + body)
    return out


# load generators ----------------------------------------------------------------------


def run_wrk(url: str, data_file: Path, *, batch: int, connections: int, seconds: float,
            target: str | None = None) -> dict[str, Any]:
    """wrk with collect.lua (``batch`` events a request), or with acquisition.lua
    GETting ``target`` (a ``/l/…`` or ``/p/…`` path)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    script, script_args = (LUA, [str(data_file), str(batch)]) if target is None else (ACQUISITION_LUA, [str(data_file), target])
    command = [WRK, "-t1", f"-c{connections}", f"-d{max(1, round(seconds))}s", "--timeout", "10s",
               "-s", str(script), url, "--", *script_args]
    completed = subprocess.run(command, capture_output=True, text=True, timeout=seconds + 60)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    match = re.search(r"^RESULT (\{.*\})$", completed.stdout, re.MULTILINE)
    if completed.returncode != 0 or match is None:
        raise RuntimeError(f"wrk failed ({completed.returncode}): {completed.stdout[-2000:]} {completed.stderr[-2000:]}")
    result = json.loads(match.group(1))
    duration = result["duration_us"] / 1e6
    result["duration_s"] = duration
    result["generator_cpu_pct"] = round(100 * (after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime) / duration, 1)
    return result


async def _paced(port: int, requests: list[bytes], rate: float, seconds: float, max_connections: int) -> dict[str, Any]:
    import trio

    total = int(rate * seconds)
    wake_lag: list[float] = []
    send_lag: list[float] = []
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    errors = 0
    accepted = 0
    dropped = 0
    send_pool, receive_pool = trio.open_memory_channel[Any](max_connections)
    opened = 0

    async def connect() -> Any:
        stream = await trio.open_tcp_stream("127.0.0.1", port)
        stream.socket.setsockopt(6, 1, 1)  # TCP_NODELAY
        return [stream, b""]

    for _ in range(min(32, max_connections)):
        await send_pool.send(await connect())
        opened += 1

    async def one(index: int, due: float) -> None:
        nonlocal errors, accepted, dropped, opened
        conn = None
        try:
            with trio.fail_after(10):
                try:
                    conn = receive_pool.receive_nowait()
                except trio.WouldBlock:
                    if opened < max_connections:
                        opened += 1
                        conn = await connect()
                    else:
                        conn = await receive_pool.receive()
                stream = conn[0]
                await stream.send_all(requests[index % len(requests)])
                send_lag.append(trio.current_time() - due)
                buffer = conn[1]
                while b"\r\n\r\n" not in buffer:
                    chunk = await stream.receive_some(65536)
                    if not chunk:
                        raise ConnectionError("closed")
                    buffer += chunk
                head, _, rest = buffer.partition(b"\r\n\r\n")
                lines = head.split(b"\r\n")
                status = int(lines[0].split()[1])
                headers = dict(line.lower().split(b": ", 1) for line in lines[1:] if b": " in line)
                length = int(headers.get(b"content-length", b"0"))
                while len(rest) < length:
                    chunk = await stream.receive_some(65536)
                    if not chunk:
                        raise ConnectionError("closed")
                    rest += chunk
                conn[1] = rest[length:]
                latencies.append(trio.current_time() - due)
                statuses[status] = statuses.get(status, 0) + 1
                if 200 <= status < 300:
                    accepted += int(headers.get(b"x-sparklytics-ingest-accepted-events", b"0"))
                    dropped += int(headers.get(b"x-sparklytics-ingest-dropped-events", b"0"))
        except (trio.TooSlowError, OSError, ConnectionError, ValueError, IndexError):
            errors += 1
            if conn is not None:
                await conn[0].aclose()
                conn = await connect()
        if conn is not None:
            send_pool.send_nowait(conn)

    cpu_before = resource.getrusage(resource.RUSAGE_SELF)
    start = trio.current_time() + 0.2
    async with trio.open_nursery() as nursery:
        for index in range(total):
            due = start + index / rate
            await trio.sleep_until(due)
            wake_lag.append(trio.current_time() - due)
            nursery.start_soon(one, index, due)
    finished = trio.current_time()
    cpu_after = resource.getrusage(resource.RUSAGE_SELF)
    while True:
        try:
            conn = receive_pool.receive_nowait()
        except trio.WouldBlock:
            break
        await conn[0].aclose()
    latencies.sort()
    wake_lag.sort()
    send_lag.sort()
    duration = finished - start
    non2xx = sum(c for s, c in statuses.items() if not 200 <= s < 300)
    ms = lambda v: round(v * 1000, 2)  # noqa: E731
    return {
        "requests": total,
        "responses": len(latencies),
        "duration_s": duration,
        "target_rate": rate,
        "achieved_send_rate": round(len(send_lag) / (send_lag and (start + total / rate - start) or 1), 1),
        "non2xx": non2xx,
        "accepted_events": accepted,
        "dropped_events": dropped,
        "errors": {"socket_or_timeout": errors},
        "statuses": {str(k): v for k, v in statuses.items()},
        "latency_us": {
            "mean": round(1e6 * sum(latencies) / max(1, len(latencies)), 1),
            "p50": round(1e6 * percentile(latencies, 0.50)), "p90": round(1e6 * percentile(latencies, 0.90)),
            "p99": round(1e6 * percentile(latencies, 0.99)), "p999": round(1e6 * percentile(latencies, 0.999)),
            "max": round(1e6 * (latencies[-1] if latencies else 0)),
        },
        "generator": {
            "wake_lag_ms": {"p50": ms(percentile(wake_lag, 0.5)), "p99": ms(percentile(wake_lag, 0.99)), "max": ms(wake_lag[-1])},
            "send_lag_ms": {"p50": ms(percentile(send_lag, 0.5)), "p99": ms(percentile(send_lag, 0.99)), "max": ms(send_lag[-1]) if send_lag else None},
            "connections_opened": opened,
        },
        "generator_cpu_pct": round(100 * (cpu_after.ru_utime + cpu_after.ru_stime - cpu_before.ru_utime - cpu_before.ru_stime) / duration, 1),
    }


def run_paced(port: int, requests: list[bytes], *, rate: float, seconds: float, connections: int) -> dict[str, Any]:
    import trio

    return trio.run(_paced, port, requests, rate, seconds, connections)


def acquisition_target(base: str, kind: str) -> str:
    """Create the campaign link (with its UTM tags) or the pixel on the bench website;
    return the path a visitor GETs."""
    import urllib.request

    if kind == "link":
        path, body = "links", {"name": "Bench link", "destination_url": f"https://{WEBSITE_DOMAIN}/landing?x=1",
                               "utm_source": "newsletter", "utm_medium": "email", "utm_campaign": "bench run"}
    else:
        path, body = "pixels", {"name": "Bench pixel", "default_url": f"https://{WEBSITE_DOMAIN}/newsletter"}
    request = urllib.request.Request(f"{base}/api/websites/{WEBSITE_ID}/{path}", data=json.dumps(body).encode(),
                                     headers={"Content-Type": "application/json"}, method="POST")
    with urllib.request.urlopen(request, timeout=30) as response:
        created = json.load(response)["data"]
    return f"/l/{created['slug']}" if kind == "link" else f"/p/{created['pixel_key']}.gif"


# one scenario -------------------------------------------------------------------------


def machine_cpu() -> tuple[float, float]:
    """(busy, steal) CPU seconds of the whole machine so far, from /proc/stat."""
    fields = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    user, nice, system, idle, iowait, irq, softirq, steal = (fields + [0] * 8)[:8]
    tick = os.sysconf("SC_CLK_TCK")
    return (user + nice + system + irq + softirq) / tick, steal / tick


def run_scenario(name: str, *, template: Path, work: Path, data: dict[str, Any], lua_data: Path,
                 seconds: float, warmup: float, rate: float, profile: bool = False,
                 ingest_path: str | None = None, probe: bool = False) -> dict[str, Any]:
    kind, batch, connections = SCENARIOS[name]
    data_dir = work / name
    if data_dir.exists():
        shutil.rmtree(data_dir)
    shutil.copytree(template, data_dir)
    env = {"SPARKLYTICS_GEOIP_PATH": data["geoip"], "SPARKLYTICS_TRUSTED_PROXIES": "127.0.0.1/32"}
    if ingest_path is not None:
        env["SPARKLYTICS_INGEST_PATH"] = ingest_path
    if probe:
        env["BENCH_LOOP_PROBE"] = "1"
    server = Server(data_dir, env)
    server.start()
    try:
        time.sleep(2.0)
        idle = server.memory()
        target = acquisition_target(server.url, kind) if kind in ("link", "pixel") else None
        if kind != "paced":
            warm = run_wrk(server.url, lua_data, batch=batch, connections=connections, seconds=warmup, target=target)
        else:
            requests = paced_requests(data, server.port)
            warm = run_paced(server.port, requests, rate=rate, seconds=warmup, connections=connections)
        warm_events = warm["accepted_events"]
        load = load_average()[0]
        spy = None
        if profile:  # py-spy costs CPU on a 2-core box: profiled runs are for the profile only
            raw = OUT_DIR / f"ingest-{name}.pyspy.txt"
            spy = subprocess.Popen([str(PY_SPY), "record", "--pid", str(server.pid), "--gil", "--rate", "100",
                                    "--format", "raw", "--nonblocking", "-d", str(int(seconds)), "-o", str(raw)],
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        cpu_before = cpu_seconds(server.pid)
        machine_before = machine_cpu()
        if kind != "paced":
            result = run_wrk(server.url, lua_data, batch=batch, connections=connections, seconds=seconds, target=target)
        else:
            result = run_paced(server.port, requests, rate=rate, seconds=seconds, connections=connections)
        cpu_after = cpu_seconds(server.pid)
        machine_after = machine_cpu()
        if spy is not None:
            spy.wait(60)
        memory = server.memory()
        exit_code = server.stop()
    finally:
        server.kill()
    counts = count_events(data_dir)
    loop_probe = json.loads((data_dir / "loop-probe.json").read_text()) if probe else None
    duration = result["duration_s"]
    profile_summary = summarize_profile(OUT_DIR / f"ingest-{name}.pyspy.txt") if profile else None
    persisted = counts["events"] - warm_events
    drops = result["non2xx"] + sum(result["errors"].values()) + result["dropped_events"]
    # CPU that neither the server nor the load generator used: other people's work
    server_cpu = cpu_after - cpu_before
    generator_cpu = result["generator_cpu_pct"] * duration / 100
    other_cpu = machine_after[0] - machine_before[0] - server_cpu - generator_cpu
    steal = machine_after[1] - machine_before[1]
    return {
        "scenario": name,
        "ingest_path": ingest_path or "default",
        "kind": kind,
        "batch": batch,
        "connections": connections,
        "load_average_1m_at_start": load,
        "duration_s": round(duration, 2),
        "requests": result["responses"],
        "req_per_s": round(result["responses"] / duration),
        "accepted_events": result["accepted_events"],
        "accepted_events_per_s": round(result["accepted_events"] / duration),
        "persisted_events": persisted,
        "stop_seconds": round(server.stop_seconds or 0.0, 2),
        "persisted_events_per_s": round(persisted / (duration + (server.stop_seconds or 0.0))),
        "unpersisted_acked_events": max(0, result["accepted_events"] - persisted),
        "drops": drops,
        "non2xx": result["non2xx"],
        "errors": result["errors"],
        "soft_dropped_events": result["dropped_events"],
        "statuses": result["statuses"],
        "latency_ms": {k: round(v / 1000, 2) for k, v in result["latency_us"].items()},
        "server_cpu_pct": round(100 * server_cpu / duration, 1),
        "server_cpu_ms_per_req": round(1000 * server_cpu / max(1, result["responses"]), 3),
        "other_cpu_pct": round(100 * max(0.0, other_cpu) / duration, 1),
        "steal_cpu_pct": round(100 * steal / duration, 1),
        "generator_cpu_pct": result["generator_cpu_pct"],
        "generator": result.get("generator"),
        "server_rss_idle_mb": mb(idle.get("VmRSS")),
        "server_rss_end_mb": mb(memory.get("VmRSS")),
        "server_rss_peak_mb": mb(memory.get("VmHWM")),
        "server_exit_code": exit_code,
        "warmup_events": warm_events,
        "stored_sessions": counts["sessions"],
        "profiled": profile,
        "profile": profile_summary,
        "loop_probe": loop_probe,
        "actor_statistics": server.statistics(),
    }


def probe_report(probe: dict[str, Any]) -> str:
    """The loop probe's figures of one run (``bench/_loop_probe.py``), a line each."""
    lines = []
    for generation, pauses in probe["gc_pauses"].items():
        lines.append(f"  GC {generation}: {pauses['count']} collections, {pauses['total_ms']} ms CPU in all, "
                     f"p50 {pauses['p50_ms']} ms, max {pauses['max_ms']} ms")
    for stage, timing in probe["pipeline"].items():
        lines.append(f"  {stage}: {timing['count']}×, p50 {timing['p50_ms']} / p90 {timing['p90_ms']} / "
                     f"p99 {timing['p99_ms']} / max {timing['max_ms']} ms")
    late = probe["late_wakes"]
    lines.append(f"  loop woke ≥ 2 ms late {late['count']} times of {late['io_waits']:,} (max {late['max_ms']} ms)")
    for task, steps in list(probe["long_steps"].items())[:4]:
        lines.append(f"  steps ≥ 2 ms of {task}: {steps['count']}, max {steps['max_ms']} ms")
    lines.append(f"  objects the GC tracks at the end: {probe['tracked_objects']['total']:,} "
                 f"(+ {probe['tracked_objects']['frozen']:,} frozen)")
    return "\n".join(lines)


def path_ratios(names: list[str], runs: list[dict[str, Any]]) -> str:
    """A table of each scenario's median req/s and persisted events/s on both ingest
    paths, and lean ÷ classic."""
    def median(values: list[float]) -> float:
        ordered = sorted(values)
        middle = len(ordered) // 2
        return ordered[middle] if len(ordered) % 2 else (ordered[middle - 1] + ordered[middle]) / 2

    rows = []
    for name in names:
        of = {path: [r for r in runs if r["scenario"] == name and r["ingest_path"] == path] for path in ("classic", "lean")}
        req = {path: median([r["req_per_s"] for r in mine]) for path, mine in of.items()}
        persisted = {path: median([r["persisted_events_per_s"] for r in mine]) for path, mine in of.items()}
        cpu = {path: median([r["server_cpu_ms_per_req"] for r in mine]) for path, mine in of.items()}
        rows.append([
            name, len(of["classic"]), f"{req['classic']:,.0f}", f"{req['lean']:,.0f}", f"{req['lean'] / req['classic']:.2f}",
            f"{persisted['classic']:,.0f}", f"{persisted['lean']:,.0f}", f"{persisted['lean'] / persisted['classic']:.2f}",
            f"{cpu['classic']:.2f}", f"{cpu['lean']:.2f}",
            sum(r["drops"] for mine in of.values() for r in mine),
            " / ".join(str(r["load_average_1m_at_start"]) for mine in of.values() for r in mine),
        ])
    return md_table(["scenario", "runs each", "classic req/s", "lean req/s", "ratio", "classic persisted ev/s",
                     "lean persisted ev/s", "ratio", "classic CPU ms/req", "lean CPU ms/req", "drops (all runs)", "load 1m at start (classic… / lean…)"], rows)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", action="append", choices=sorted(SCENARIOS), help="run only these (repeatable)")
    parser.add_argument("--duration", type=float, default=30.0, help="seconds per measured run")
    parser.add_argument("--warmup", type=float, default=3.0)
    parser.add_argument("--rate", type=float, default=500.0, help="req/s of the paced scenario")
    parser.add_argument("--repeat", type=int, default=1, help="runs per scenario; the table shows the median run")
    parser.add_argument("--work", type=Path, default=DATA_DIR / "ingest", help="data dirs of the scenario servers")
    parser.add_argument("--max-load", type=float, default=1.0, help="wait for a 1-min load average below this (0: don't)")
    parser.add_argument("--wait", type=float, default=3600)
    parser.add_argument("--profile", action="store_true", help="py-spy the server during the measured runs (skews them)")
    parser.add_argument("--probe", action="store_true",
                        help="time GC pauses, long loop steps, the WAL fsync and the DuckDB commit in the server (bench/_loop_probe.py; costs a little CPU)")
    parser.add_argument("--out", default=None, help="JSON file name in bench/out (default ingest.json)")
    parser.add_argument("--compare-paths", action="store_true",
                        help="run each scenario on both ingest paths, interleaved; print both medians and their ratio")
    parser.add_argument("--max-other-cpu", type=float, default=15.0,
                        help="a run during which other processes used more than this %% of a core is repeated (twice at most)")
    args = parser.parse_args(argv)

    names = args.only or list(SCENARIOS)
    data = request_data()
    lua_data = write_lua_data(data, OUT_DIR / "collect-data.lua")
    template = args.work / "_template"
    if template.exists():
        shutil.rmtree(template)
    create_website(server_env(template, 3999, SPARKLYTICS_GEOIP_PATH=data["geoip"]))
    shutil.rmtree(template / "ingest-wal", ignore_errors=True)

    paths: tuple[str | None, ...] = ("classic", "lean") if args.compare_paths else (None,)
    runs: list[dict[str, Any]] = []
    for name in names:
        for attempt, ingest_path in ((a, p) for a in range(args.repeat) for p in paths):
            load = wait_for_quiet(args.max_load, timeout=args.wait)
            on_path = f", {ingest_path} path" if ingest_path else ""
            print(f"- {name} (run {attempt + 1}/{args.repeat}{on_path}, load {load})", file=sys.stderr)
            for retry in range(3):
                run = run_scenario(name, template=template, work=args.work, data=data, lua_data=lua_data,
                                   seconds=args.duration, warmup=args.warmup, rate=args.rate, profile=args.profile,
                                   ingest_path=ingest_path, probe=args.probe)
                if run["other_cpu_pct"] <= args.max_other_cpu or retry == 2:
                    break
                print(f"  disturbed: other processes used {run['other_cpu_pct']} % CPU; again", file=sys.stderr)
                wait_for_quiet(args.max_load, timeout=args.wait)
            run["run"] = attempt + 1
            runs.append(run)
            print(f"  {run['req_per_s']:,} req/s, {run['accepted_events_per_s']:,} ev/s accepted, "
                  f"{run['persisted_events_per_s']:,} ev/s persisted, drops {run['drops']}, "
                  f"p50 {run['latency_ms']['p50']} ms, p99 {run['latency_ms']['p99']} ms, "
                  f"server CPU {run['server_cpu_pct']} % ({run['server_cpu_ms_per_req']} ms/req), gen CPU {run['generator_cpu_pct']} %, "
                  f"other CPU {run['other_cpu_pct']} %, steal {run['steal_cpu_pct']} %", file=sys.stderr)
    medians = []
    for name in names:
        for ingest_path in paths:
            mine = sorted((r for r in runs if r["scenario"] == name and r["ingest_path"] == (ingest_path or "default")),
                          key=lambda r: r["persisted_events_per_s"])
            medians.append(mine[len(mine) // 2])
    rows = [[
        r["scenario"] + ("" if r["ingest_path"] == "default" else f" ({r['ingest_path']})"), r["batch"], r["connections"], f"{r['req_per_s']:,}", f"{r['accepted_events_per_s']:,}",
        f"{r['persisted_events_per_s']:,}", r["drops"], r["latency_ms"]["p50"], r["latency_ms"]["p99"],
        r["server_cpu_pct"], r["server_cpu_ms_per_req"], r["generator_cpu_pct"], r["other_cpu_pct"], r["server_rss_idle_mb"], r["server_rss_peak_mb"],
        r["stop_seconds"], r["load_average_1m_at_start"],
    ] for r in medians]
    table = md_table(
        ["scenario", "events/req", "conns", "req/s", "accepted ev/s", "persisted ev/s", "drops", "p50 ms", "p99 ms",
         "server CPU %", "server CPU ms/req", "generator CPU %", "other CPU %", "idle RSS MB", "peak RSS MB", "stop s", "load 1m"],
        rows,
    )
    print(table)
    if args.compare_paths:
        print("\nlean ÷ classic, medians of the runs above:")
        print(path_ratios(names, runs))
    print("\nactors at stop (events per WAL fsync, rows per DuckDB commit, session cache hits/misses):")
    for r in medians:
        stats = (r.get("actor_statistics") or {}).get("final")
        if stats:
            w = stats["writer"]
            print(f"  {r['scenario']}: {stats['derived']['events_per_fsync']} events/fsync "
                  f"({stats['buffer']['fsyncs']:,} fsyncs), {stats['derived']['rows_per_commit']} rows/commit "
                  f"({w['commits']:,} commits), session cache {w['session_cache_hits']:,}/{w['session_cache_misses']:,}, "
                  f"write failures {stats['buffer']['write_failures']}")
    for r in medians:
        if r["generator"]:
            print(f"\n{r['scenario']}: generator wake lag {r['generator']['wake_lag_ms']} ms, send lag "
                  f"{r['generator']['send_lag_ms']} ms, p99.9 {r['latency_ms']['p999']} ms, max {r['latency_ms']['max']} ms")
    for r in medians:
        if r["loop_probe"]:
            print(f"\n{r['scenario']} loop probe:\n{probe_report(r['loop_probe'])}")
    for r in medians:
        if r["profile"]:
            print(f"\n{r['scenario']} py-spy ({r['profile']['samples']} samples), top self:")
            for fn, pct in r["profile"]["self"][:15]:
                print(f"  {pct:5.1f}%  {fn}")
    path = write_json(args.out or ("ingest-profile.json" if args.profile else "ingest.json"), {"machine": machine(), "duration_s": args.duration, "runs": runs, "medians": medians})
    print(f"\n→ {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
