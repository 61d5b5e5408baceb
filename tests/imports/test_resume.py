"""An import stopped part way is resumed by running it again: nothing doubled or lost.

The import is a real ``sparklytics import`` process, killed with SIGKILL while it sends
batches; the next run of the same command must end with exactly the numbers one
uninterrupted run gives (pageviews, visitors, visits, bounces, per-page counts), which
also means each visitor kept its id across the two runs.
"""

from __future__ import annotations

import os
import select
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest

from tests.harness import REPO_ROOT, test_env
from tests.imports.conftest import create_website, csv_text, serving, sparklytics_import, write_zip
from tests.imports.test_umami import EVENT_COLUMNS, SESSION_COLUMNS, UMAMI_SITE, event

VISITS = 8_000
PAGES = ("/", "/pricing", "/docs", "/blog", "/signup")
# Small batches (the queue bound caps them, and each waits for the one before to be
# committed), so the import sends many and takes seconds, and a kill lands among them.
BATCH = "100"
RANGE = {"start_date": "2024-01-01", "end_date": "2024-01-31"}


def big_export(path: Path) -> Path:
    """``VISITS`` Umami sessions in time order over January 2024, 1–5 pageviews each."""
    events, sessions = [], []
    n = 0
    for visit in range(VISITS):
        session = f"00000000-0000-4000-9000-{visit:012d}"
        day, minute = 1 + visit * 30 // VISITS, (visit * 7) % 600
        sessions.append([session, UMAMI_SITE, "chrome", "Windows 10", "desktop", "1920x1080", "en-US", "DE", "", "",
                         "", f"2024-01-{day:02d} 08:00:00+00"])
        for step in range(1 + visit % 5):
            n += 1
            at = f"2024-01-{day:02d} {8 + (minute + step) // 60:02d}:{(minute + step) % 60:02d}:00+00"
            events.append((at, n, event(n, session, at, PAGES[(visit + step) % len(PAGES)])))
    rows = [row for _, _, row in sorted(events)]
    return write_zip(path, {"website_event.csv": csv_text(EVENT_COLUMNS, rows),
                            "session.csv": csv_text(SESSION_COLUMNS, sessions)})


def numbers(data_dir: Path, site: str) -> tuple:
    with serving(data_dir) as api:
        stats = api.get(f"/api/websites/{site}/stats", **RANGE)["data"]
        pages = api.get(f"/api/websites/{site}/metrics", type="page", **RANGE)["data"]["rows"]
    return (stats["pageviews"], stats["visitors"], stats["sessions"], stats["bounce_rate"],
            sorted((r["value"], r["visitors"], r["pageviews"]) for r in pages))


def import_env(data_dir: Path) -> dict[str, str]:
    return {**os.environ, **test_env(data_dir, SPARKLYTICS_INGEST_QUEUE_MAX_EVENTS=BATCH)}


def kill_while_importing(data_dir: Path, site: str, export: Path) -> None:
    """Start the import and SIGKILL it once it reports progress part way (a line with an
    ETA: the final line has none)."""
    process = subprocess.Popen(
        [sys.executable, "-m", "sparklytics", "import", str(export), "--website", site],
        env=import_env(data_dir), cwd=REPO_ROOT, stderr=subprocess.PIPE, stdout=subprocess.DEVNULL,
    )
    assert process.stderr is not None
    deadline = time.monotonic() + 60
    seen = b""
    while b"ETA" not in seen and process.poll() is None and time.monotonic() < deadline:
        ready, _, _ = select.select([process.stderr], [], [], 0.1)
        if ready:
            seen += os.read(process.stderr.fileno(), 4096)
    assert process.poll() is None and b"ETA" in seen, f"the import ended before it could be killed: {seen!r}"
    process.send_signal(signal.SIGKILL)
    process.wait()


def stopped_import(data_dir: Path) -> tuple:
    with duckdb.connect(str(data_dir / "sparklytics.db")) as con:
        return con.execute("SELECT finished, events, rows_done, rows_sending FROM imported_exports").fetchone()


def resume(data_dir: Path, site: str, export: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "sparklytics", "import", str(export), "--website", site],
                          env=import_env(data_dir), cwd=REPO_ROOT, capture_output=True, text=True, timeout=300)


@pytest.fixture(scope="module")
def export_and_numbers(tmp_path_factory) -> tuple[Path, tuple]:
    """The export, and the numbers one uninterrupted import of it gives."""
    tmp = tmp_path_factory.mktemp("whole")
    export = big_export(tmp / "umami.zip")
    site = create_website(tmp / "data")
    assert sparklytics_import(tmp / "data", str(export), "--website", site).returncode == 0
    return export, numbers(tmp / "data", site)


def killed_import(data: Path, export: Path) -> str:
    """A new website in ``data`` with the export's import killed part way into it."""
    site = create_website(data)
    kill_while_importing(data, site, export)
    return site


def test_an_import_killed_part_way_ends_with_the_numbers_of_one_run(tmp_path: Path, export_and_numbers) -> None:
    export, expected = export_and_numbers
    site = killed_import(tmp_path, export)
    finished, _, rows_done, _ = stopped_import(tmp_path)
    assert not finished and rows_done > 0
    again = resume(tmp_path, site, export)
    assert again.returncode == 0, again.stderr
    assert "resumed an import that had stopped" in again.stderr
    assert numbers(tmp_path, site) == expected
    assert stopped_import(tmp_path)[0] is True
    # Whole now: a third run is refused rather than doubling everything.
    assert "imported into" in resume(tmp_path, site, export).stderr


def test_a_batch_that_landed_before_its_progress_was_saved_is_not_sent_again(tmp_path: Path, export_and_numbers) -> None:
    """The kill fell after a batch was acknowledged but before the next progress record:
    the record says that batch was being sent, and the resumed run must find it stored.
    After a kill the batch in flight may or may not be in the log; the server's replay
    tells which (every row is one pageview), and where it is not, the record is moved one
    batch back (to a batch the log holds for certain: it was acknowledged)."""
    export, expected = export_and_numbers
    site = killed_import(tmp_path, export)
    _, events, rows_done, rows_sending = stopped_import(tmp_path)
    stored = numbers(tmp_path, site)[0]  # the server replays the log first
    assert stored in (events, events + rows_sending - rows_done)
    if stored == events:
        back = int(BATCH)
        assert rows_done >= back
        with duckdb.connect(str(tmp_path / "sparklytics.db")) as con:
            con.execute("UPDATE imported_exports SET events = ?, rows_done = ?, rows_sending = ?",
                        [events - back, rows_done - back, rows_done])
        rows_sending = rows_done
    again = resume(tmp_path, site, export)
    assert again.returncode == 0, again.stderr
    assert f"its first {rows_sending} rows were already imported" in again.stderr
    assert numbers(tmp_path, site) == expected
