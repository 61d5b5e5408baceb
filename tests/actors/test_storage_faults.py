"""Storage faults (issue 13, defect 4): a full or read-only disk costs availability, never data.

The faults are injected at the OS boundary: ``os.write`` and ``os.fsync`` on files in
the ingest WAL directory fail the way a kernel fails them (a short write, then ENOSPC;
EROFS; EIO from fsync). Everything above that (WAL, Buffer, collect, /health) is real.
``test_full_disk.py`` fills a real tmpfs, DuckDB included.
"""

from __future__ import annotations

import errno
import os
from pathlib import Path

import pytest
import trio

from sparklytics.events import EVENT_ROWS
from sparklytics.wal import WalPosition, WriteAheadLog
from tests.api.helpers import assert_error, create_website, pageview, send, stored_events


class FailingDisk:
    """Makes ``os.write``/``os.fsync`` on files under ``directory`` fail while ``failing``.

    A failing write first puts half of its bytes down and reports a short write, as a
    disk that fills up mid-record does; the caller's next write gets the error.
    """

    def __init__(self, directory: Path, monkeypatch: pytest.MonkeyPatch, *, on: str, code: int) -> None:
        self.directory = str(directory.resolve())
        self.failing = False
        self.short_writes = 0
        self._on, self._code = on, code
        self._write, self._fsync = os.write, os.fsync
        monkeypatch.setattr(os, "write", self._failing_write)
        monkeypatch.setattr(os, "fsync", self._failing_fsync)

    def _hits(self, fd: int, operation: str) -> bool:
        if not self.failing or operation != self._on:
            return False
        try:
            return os.readlink(f"/proc/self/fd/{fd}").startswith(self.directory)
        except OSError:
            return False

    def _failing_write(self, fd: int, data: bytes) -> int:
        if self._hits(fd, "write"):
            if len(data) > 1 and self.short_writes == 0:
                self.short_writes += 1
                return self._write(fd, bytes(data[: len(data) // 2]))
            raise OSError(self._code, os.strerror(self._code))
        return self._write(fd, data)

    def _failing_fsync(self, fd: int) -> None:
        if self._hits(fd, "fsync"):
            raise OSError(self._code, os.strerror(self._code))
        self._fsync(fd)


def wal_bytes(wal_dir: Path) -> int:
    return sum(path.stat().st_size for path in wal_dir.glob("segment-*.log"))


@pytest.mark.parametrize(
    ("on", "code"),
    [("write", errno.ENOSPC), ("write", errno.EROFS), ("fsync", errno.EIO)],
    ids=["disk-full", "read-only", "fsync-error"],
)
async def test_collect_answers_503_while_the_wal_cannot_be_written_and_resumes_after(
    client, services, monkeypatch, on, code
) -> None:
    wal_dir = services.config.wal_dir
    site = await create_website(client)
    for i in range(3):
        assert (await send(client, pageview(site, f"https://example.com/before/{i}"))).status_code == 202
    disk = FailingDisk(wal_dir, monkeypatch, on=on, code=code)
    size_before = wal_bytes(wal_dir)

    disk.failing = True
    for i in range(2):
        refused = await send(client, [pageview(site, f"https://example.com/refused/{i}")] * 5)
        await assert_error(refused, 503, "storage_unavailable")
        assert refused.headers["Retry-After"] == "5"
        assert wal_bytes(wal_dir) == size_before  # no half record left behind
    if on == "write":
        assert disk.short_writes == 1  # the fault really left debris for the Buffer to cut
    health = await client.get("/health")
    assert health.status_code == 503
    body = await health.get_json()
    assert body["status"] == "degraded"
    assert any(os.strerror(code) in reason for reason in body["reasons"]), body

    disk.failing = False
    with trio.fail_after(10):  # the Buffer's probe write notices; no event needed
        while (await client.get("/health")).status_code != 200:
            await trio.sleep(0.1)
    assert (await send(client, pageview(site, "https://example.com/after"))).status_code == 202
    paths = [e["path"] for e in await stored_events(services, "path")]
    assert paths == ["/before/0", "/before/1", "/before/2", "/after"]
    assert services.buffer.restarts == 0 and services.writer.restarts == 0
    assert services.buffer.statistics().wal_failures == 2


async def test_the_wal_after_a_failed_append_replays_exactly_the_acknowledged_events(client, services, monkeypatch) -> None:
    wal_dir = services.config.wal_dir
    site = await create_website(client)
    assert (await send(client, pageview(site, "https://example.com/kept"))).status_code == 202
    disk = FailingDisk(wal_dir, monkeypatch, on="write", code=errno.ENOSPC)
    disk.failing = True
    await assert_error(await send(client, [pageview(site, "https://example.com/lost")] * 10), 503, "storage_unavailable")
    disk.failing = False
    assert (await send(client, pageview(site, "https://example.com/next"))).status_code == 202
    monkeypatch.undo()
    replayed = WriteAheadLog(wal_dir, EVENT_ROWS)
    try:
        records = replayed.replay(WalPosition(0, 0))
    finally:
        replayed.close()
    assert [event.path for record in records for event in record.events] == ["/kept", "/next"]
