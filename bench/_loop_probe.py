"""Where the server's time goes in the tail: GC pauses, long task steps, slow stages.

A request's latency in the tail is time during which the one trio thread did not serve
it. ``bench/ingest.py --probe`` has the server (``bench/_serve.py``) run this probe and
write :meth:`LoopProbe.summary` next to its statistics. It measures:

* every **garbage collection**, by generation (``gc.callbacks``), in CPU time of the
  collecting thread, which other processes on a busy box do not stretch;
* **long task steps**: a task that ran ≥ 2 ms between two checkpoints (by task name);
* **late wake-ups**: the loop came back from waiting for I/O ≥ 2 ms after its timeout
  (another thread held the GIL, or the box had no CPU for it);
* the **pipeline stages** around the durable ack: the WAL fsync in its thread, the
  Buffer's whole durable append as its intake loop awaits it (fsync plus the thread
  round trip), and the DuckDB commit (wall and CPU time of the Writer's thread).

It costs a few µs per task step: use it to find a cause, not to quote a rate.
"""

from __future__ import annotations

import gc
import time
from collections import Counter, defaultdict
from typing import Any

import trio

LONG_STEP_SECONDS = 0.002
LATE_WAKE_SECONDS = 0.002


class LoopProbe(trio.abc.Instrument):
    def __init__(self) -> None:
        self.step_started = time.perf_counter()
        self.long_steps: dict[str, list[float]] = defaultdict(list)
        self.steps: Counter[str] = Counter()
        self.step_seconds: Counter[str] = Counter()
        self.wait_started = 0.0
        self.wait_timeout = 0.0
        self.late_wakes: list[float] = []
        self.waits = 0
        self.gc_started = 0.0
        self.gc_pauses: dict[int, list[float]] = defaultdict(list)
        self.stages: dict[str, list[float]] = defaultdict(list)

    def before_task_step(self, task: trio.lowlevel.Task) -> None:
        self.step_started = time.perf_counter()

    def after_task_step(self, task: trio.lowlevel.Task) -> None:
        elapsed = time.perf_counter() - self.step_started
        self.steps[task.name] += 1
        self.step_seconds[task.name] += elapsed
        if elapsed >= LONG_STEP_SECONDS:
            self.long_steps[task.name].append(elapsed)

    def before_io_wait(self, timeout: float) -> None:
        self.wait_started = time.perf_counter()
        self.wait_timeout = timeout

    def after_io_wait(self, timeout: float) -> None:
        self.waits += 1
        late = time.perf_counter() - self.wait_started - self.wait_timeout
        if late >= LATE_WAKE_SECONDS:
            self.late_wakes.append(late)

    def gc_callback(self, phase: str, info: dict[str, Any]) -> None:
        if phase == "start":
            self.gc_started = time.thread_time()
        else:
            self.gc_pauses[info["generation"]].append(time.thread_time() - self.gc_started)

    def summary(self) -> dict[str, Any]:
        tracked = Counter(type(o).__name__ for o in gc.get_objects())
        busiest = sorted(self.step_seconds.items(), key=lambda item: -item[1])[:12]
        return {
            "gc_pauses": {f"gen{gen}": _ms(values) for gen, values in sorted(self.gc_pauses.items())},
            "pipeline": {stage: _ms(values) for stage, values in self.stages.items() if values},
            "long_steps": {name: _ms(values) for name, values in sorted(self.long_steps.items(), key=lambda i: -sum(i[1]))},
            "step_seconds": {name: {"steps": self.steps[name], "total_s": round(total, 3)} for name, total in busiest},
            "late_wakes": _ms(self.late_wakes) | {"io_waits": self.waits},
            "tracked_objects": {"total": sum(tracked.values()), "frozen": gc.get_freeze_count(),
                                "by_type": dict(tracked.most_common(15))},
        }

    def time_stages(self) -> None:
        """Wrap the WAL fsync, the Buffer's durable append and the DuckDB commit."""
        from actors.buffer import Buffer
        from sparklytics.stores.duckdb import events as duckdb_events
        from sparklytics.wal import WriteAheadLog

        sync, append_durably, commit = WriteAheadLog.sync, Buffer._append_durably, duckdb_events.commit_events
        stages = self.stages

        def timed_sync(wal: Any) -> None:
            started = time.perf_counter()
            sync(wal)
            stages["fsync"].append(time.perf_counter() - started)

        async def timed_append(buffer: Any, batches: Any) -> Any:
            started = time.perf_counter()
            try:
                return await append_durably(buffer, batches)
            finally:
                stages["append_durably"].append(time.perf_counter() - started)

        def timed_commit(*args: Any) -> Any:
            started, cpu = time.perf_counter(), time.thread_time()
            try:
                return commit(*args)
            finally:
                stages["commit_wall"].append(time.perf_counter() - started)
                stages["commit_cpu"].append(time.thread_time() - cpu)

        WriteAheadLog.sync = timed_sync  # type: ignore[method-assign]
        Buffer._append_durably = timed_append  # type: ignore[method-assign]
        duckdb_events.commit_events = timed_commit


def _ms(values: list[float]) -> dict[str, Any]:
    ordered = sorted(values)

    def at(fraction: float) -> float:
        return round(1000 * ordered[min(len(ordered) - 1, int(len(ordered) * fraction))], 2) if ordered else 0.0

    return {"count": len(ordered), "total_ms": round(1000 * sum(ordered), 1),
            "p50_ms": at(0.5), "p90_ms": at(0.9), "p99_ms": at(0.99), "max_ms": at(1.0)}


def install() -> LoopProbe:
    """Start probing this process (inside ``trio.run``, before the services start)."""
    probe = LoopProbe()
    trio.lowlevel.add_instrument(probe)
    gc.callbacks.append(probe.gc_callback)
    probe.time_stages()
    return probe

