"""``sparklytics serve`` for the benchmarks, plus the actors' statistics at the end.

Runs the same services and Hypercorn as ``sparklytics.cli.serve`` (one process, one
nursery, SIGTERM flushes and stops), and writes the ``statistics()`` records of the
actors, the mailboxes and the database to the JSON file named by
``SPARKLYTICS_BENCH_STATS`` twice: when the stop signal arrives (``at_signal``) and
after every actor has drained and stopped (``final``).

    SPARKLYTICS_BENCH_STATS=/tmp/stats.json python bench/_serve.py
"""

from __future__ import annotations

import dataclasses
import json
import logging
import os
import signal
import sys
from pathlib import Path
from typing import Any

import trio

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from sparklytics.config import load_config  # noqa: E402


def statistics(services: Any) -> dict[str, Any]:
    def plain(record: Any) -> Any:
        if dataclasses.is_dataclass(record):
            return {k: plain(v) for k, v in dataclasses.asdict(record).items()}
        if isinstance(record, dict):
            return {str(k): plain(v) for k, v in record.items()}
        if isinstance(record, (list, tuple)):
            return [plain(r) for r in record]
        return record if isinstance(record, (int, float, str, bool, type(None))) else str(record)

    out = {
        "buffer": plain(services.buffer.statistics()),
        "writer": plain(services.writer.statistics()),
        "enricher": plain(services.enricher.statistics()),
        "ratelimiter": plain(services.ratelimiter.statistics()),
        "actors": plain(services.supervisor.statistics()),
        "database": plain(services.db.statistics()),
    }
    buffer, writer = out["buffer"], out["writer"]
    out["derived"] = {
        "events_per_fsync": round(buffer["accepted_events"] / buffer["fsyncs"], 1) if buffer["fsyncs"] else None,
        "rows_per_commit": round(writer["committed_rows"] / writer["commits"], 1) if writer["commits"] else None,
    }
    return out


async def serve(stats_path: Path) -> None:
    from sparklytics.app import create_app
    from sparklytics.http_server import hypercorn_config, serve as serve_http
    from sparklytics.process_tuning import tune_for_serving
    from sparklytics.services import open_services

    config = load_config(os.environ)
    stop = trio.Event()
    record: dict[str, Any] = {}

    async def wait_for_signal() -> None:
        with trio.open_signal_receiver(signal.SIGINT, signal.SIGTERM) as signals:
            async for _ in signals:
                stop.set()
                return

    probe = None
    if os.environ.get("BENCH_LOOP_PROBE"):  # bench/ingest.py --probe
        from _loop_probe import install

        probe = install()
    async with trio.open_nursery() as nursery:
        nursery.start_soon(wait_for_signal)
        async with open_services(config) as services:
            hconfig = hypercorn_config(config, f"{config.host}:{config.port}", graceful_timeout=5)
            app = create_app(services)
            tune_for_serving()
            await serve_http(app, config, hconfig, stop.wait)
            record["at_signal"] = statistics(services)
        record["final"] = statistics(services)
        nursery.cancel_scope.cancel()
    stats_path.write_text(json.dumps(record, indent=2) + "\n")
    if probe is not None:
        stats_path.with_name("loop-probe.json").write_text(json.dumps(probe.summary(), indent=2) + "\n")


def main() -> int:
    logging.basicConfig(level=os.environ.get("SPARKLYTICS_LOG_LEVEL", "info").upper(), stream=sys.stderr)
    trio.run(serve, Path(os.environ["SPARKLYTICS_BENCH_STATS"]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
