"""A server that cannot start says why in one line and exits 2 (issue 13 #5), checked by
starting the real ``sparklytics`` command."""

from __future__ import annotations

import json
import urllib.request
from pathlib import Path

from sparklytics.wal import WriteAheadLog
from tests.harness import ServerProcess, run_cli, test_env


def start_failure(data_dir: Path, *args: str) -> str:
    """Run ``sparklytics serve`` expecting it to refuse; return its one error line."""
    result = run_cli(["serve", *args], test_env(data_dir, SPARKLYTICS_PORT="1"))
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr and "ExceptionGroup" not in result.stderr, result.stderr
    [line] = [line for line in result.stderr.splitlines() if line.startswith("sparklytics: ")]
    return line


def test_a_file_that_is_not_a_database(tmp_path) -> None:
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    (data_dir / "sparklytics.db").write_bytes(b"\x13" * 100_000)
    line = start_failure(data_dir)
    assert line.startswith(f"sparklytics: cannot open the database {data_dir / 'sparklytics.db'}: ")
    assert "restore it from a backup or move it away" in line


def test_a_database_with_damaged_blocks(tmp_path) -> None:
    data_dir = tmp_path / "data"
    server = ServerProcess(data_dir).start()
    server.terminate()
    server.close()
    db = bytearray((data_dir / "sparklytics.db").read_bytes())
    db[8192:] = b"\xab" * (len(db) - 8192)
    (data_dir / "sparklytics.db").write_bytes(bytes(db))
    line = start_failure(data_dir)
    assert line.startswith(f"sparklytics: cannot open the database {data_dir / 'sparklytics.db'}: ")


def test_a_data_folder_that_cannot_be_written(tmp_path) -> None:
    not_a_folder = tmp_path / "data"
    not_a_folder.write_text("a file where the data folder should be")
    line = start_failure(not_a_folder)
    assert line.startswith(f"sparklytics: cannot write the data folder {not_a_folder} ")
    assert "SPARKLYTICS_DATA_DIR" in line


def test_a_wal_without_its_database_is_refused_unless_the_operator_says_so(tmp_path) -> None:
    data_dir = tmp_path / "data"
    wal = WriteAheadLog(data_dir / "ingest-wal")
    wal.append([[["an acknowledged event of a website the lost database knew"]]])
    wal.sync()
    wal.close()

    line = start_failure(data_dir)
    assert "holds acknowledged events" in line and "sparklytics.db is missing" in line
    assert "--accept-wal-without-database" in line
    assert not (data_dir / "sparklytics.db").exists()

    server = ServerProcess(data_dir, "--accept-wal-without-database").start()
    try:
        with urllib.request.urlopen(f"{server.url}/health", timeout=10) as response:
            assert json.load(response)["status"] == "ok"
    finally:
        assert server.terminate()[0] == 0
        server.close()
    [aside] = data_dir.glob("ingest-wal-orphaned-*")
    assert (aside / "segment-000000000001.log").stat().st_size > 0
