"""The import's progress line and skipped-row summary."""

from __future__ import annotations

import io
import json
from pathlib import Path

from sparklytics.importer import import_file
from sparklytics.imports.progress import Progress
from sparklytics.imports.skipped import Skipped
from tests.harness import test_config
from tests.imports.conftest import UA_CHROME, create_website


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_rate_share_and_eta_from_the_bytes_read_then_a_final_line() -> None:
    clock, out = Clock(), io.StringIO()
    progress = Progress(out, total_bytes=1_000, unit="events", clock=clock)
    clock.now = 100.5
    progress.advance(50, 100)  # not a second yet: nothing drawn
    clock.now = 102.0
    progress.advance(150, 250)
    clock.now = 110.0
    assert progress.finish(1_000) == 10.0
    assert out.getvalue().splitlines() == [
        "imported 200 events in 2.0 s (100/s), 25%, ETA 0:00:06",
        "imported 200 events in 10.0 s (20/s)",
    ]


def test_without_a_total_it_is_a_running_count_rewritten_in_place_on_a_terminal() -> None:
    clock, out = Clock(), Terminal()
    progress = Progress(out, total_bytes=None, clock=clock)
    clock.now = 101.0
    progress.advance(3, 10)
    clock.now = 102.0
    progress.advance(4, 20)
    progress.finish(20)
    assert out.getvalue() == (
        "\rimported 3 rows in 1.0 s (3/s)"
        "\rimported 7 rows in 2.0 s (4/s)"
        "\rimported 7 rows in 2.0 s (4/s)\n"
    )


def test_the_summary_counts_by_reason_with_the_first_lines() -> None:
    skipped = Skipped()
    for line in range(2, 9):
        skipped.add("created_at is missing", str(line))
    skipped.add("url is missing or longer than 4096 characters", "12")
    assert skipped.total == 8
    assert skipped.by_reason() == {"created_at is missing": 7, "url is missing or longer than 4096 characters": 1}
    assert skipped.summary() == [
        "skipped 7 row(s): created_at is missing (line 2, 3, 4, 5, 6, …)",
        "skipped 1 row(s): url is missing or longer than 4096 characters (line 12)",
    ]


async def test_an_import_reports_progress_per_batch(tmp_path: Path) -> None:
    data = tmp_path / "data"
    site = await trio_create_website(data)
    source = tmp_path / "events.jsonl"
    source.write_text("".join(
        json.dumps({"timestamp": f"2026-03-01T10:{i // 60:02d}:{i % 60:02d}Z", "website_id": site, "type": "pageview",
                    "url": f"/p{i}", "ip": "203.0.113.7", "user_agent": UA_CHROME}) + "\n"
        for i in range(300)
    ))
    out = io.StringIO()
    config = test_config(data, SPARKLYTICS_INGEST_QUEUE_MAX_EVENTS="100")  # batches of 100
    result = await import_file(config, source, progress=out, progress_interval=0)
    assert (result.imported, result.skipped) == (300, 0)
    lines = out.getvalue().splitlines()
    assert [line.split(" in ")[0] for line in lines] == [
        "imported 100 events", "imported 200 events", "imported 300 events", "imported 300 events",
    ]
    assert all("/s)" in line for line in lines)
    assert "%, ETA " in lines[0] and "100%, ETA 0:00:00" in lines[2]


async def trio_create_website(data: Path) -> str:
    import trio

    return await trio.to_thread.run_sync(create_website, data)
