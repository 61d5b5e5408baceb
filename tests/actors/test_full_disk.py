"""A real full disk (issue 13, defect 4): the data folder on a small tmpfs that we fill up.

Needs ``mount -t tmpfs`` (root); skipped only where mounting is impossible, in which
case ``test_storage_faults.py`` still covers the WAL side with injected faults. Here
every layer meets the real error: the WAL append gets ENOSPC, DuckDB's commit fails,
and a checkpoint on the full disk invalidates the DuckDB instance for real.
"""

from __future__ import annotations

import errno
import subprocess
from collections import Counter
from pathlib import Path

import pytest
import trio

from tests.api.helpers import assert_error, create_website, pageview, send, stored_events
from tests.harness import on_duckdb_writer

DISK_SIZE = "48m"


@pytest.fixture
def data_dir(tmp_path: Path):
    """The data folder on a tmpfs of its own, unmounted after the test."""
    disk = tmp_path / "disk"
    disk.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={DISK_SIZE}", "tmpfs", str(disk)], capture_output=True, text=True
    )
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.strip()}")
    try:
        yield disk / "data"
    finally:
        subprocess.run(["umount", "-l", str(disk)], check=True)


def fill(disk: Path) -> Path:
    """Write a file until the disk refuses more; return it (delete it to free the space)."""
    filler = disk / "filler"
    with filler.open("wb", buffering=0) as handle:
        chunk = b"\0" * 65536
        try:
            while True:
                handle.write(chunk)
        except OSError as exc:
            assert exc.errno == errno.ENOSPC
        chunk = b"\0" * 512
        try:
            while True:
                handle.write(chunk)
        except OSError as exc:
            assert exc.errno == errno.ENOSPC
    return filler


async def test_a_full_disk_refuses_new_events_and_drains_everything_acknowledged_once_space_returns(
    client, services, data_dir
) -> None:
    site = await create_website(client)
    acknowledged: Counter[str] = Counter()
    for i in range(20):
        assert (await send(client, pageview(site, f"https://example.com/before/{i}"))).status_code == 202
        acknowledged[f"/before/{i}"] += 1
    await stored_events(services)  # committed to DuckDB, not yet checkpointed into its file
    filler = fill(data_dir.parent)

    big = [pageview(site, f"https://example.com/refused/{'x' * 500}")] * 50
    refused = await send(client, big)
    await assert_error(refused, 503, "storage_unavailable")
    assert refused.headers["Retry-After"] == "5"
    for i in range(20):  # small records may still fit in the WAL's last page
        if (await send(client, pageview(site, f"https://example.com/during/{i}"))).status_code == 202:
            acknowledged[f"/during/{i}"] += 1

    with pytest.raises(Exception, match="(?i)fatal|invalidated|No space"):
        await on_duckdb_writer(services, lambda con: con.execute("CHECKPOINT"))
    health = await client.get("/health")
    assert health.status_code == 503
    body = await health.get_json()
    assert body["status"] == "degraded"
    assert any("No space left on device" in reason for reason in body["reasons"]), body

    filler.unlink()
    with trio.fail_after(60):
        while (await client.get("/health")).status_code != 200:
            await trio.sleep(0.2)
    assert (await send(client, pageview(site, "https://example.com/after"))).status_code == 202
    acknowledged["/after"] += 1
    stored = Counter(event["path"] for event in await stored_events(services, "path"))
    assert stored == acknowledged  # every acknowledged event once, nothing refused
    assert services.writer.statistics().reopens >= 1
    assert services.writer.restarts == 0 and services.buffer.restarts == 0
