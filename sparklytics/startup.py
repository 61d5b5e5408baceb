"""Checks and messages for a server that cannot start: one clear line, exit code 2.

A start-up failure used to print a long ``ExceptionGroup`` traceback, and a data folder
whose ``sparklytics.db`` had been deleted started silently as an empty install, then
replayed its ingest WAL into it: events of websites the new database does not know.
Now each failure that retrying cannot fix is raised as :class:`StartupError` where it is
understood, naming the file and what to do, and ``sparklytics.cli`` prints it alone.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from pathlib import Path

from actors.runtime import StartupError
from sparklytics.config import Config

log = logging.getLogger("sparklytics")

ACCEPT_ORPHANED_WAL_FLAG = "--accept-wal-without-database"


def check_data_folder(config: Config, *, accept_wal_without_database: bool) -> None:
    """The data folder is usable, and its WAL is not left over from a lost database."""
    folder = config.data_dir
    try:
        folder.mkdir(parents=True, exist_ok=True)
        probe = folder / ".write-probe"
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as error:
        raise StartupError(
            f"cannot write the data folder {folder} ({error.strerror or error}): "
            "fix its permissions or point SPARKLYTICS_DATA_DIR at a writable folder"
        ) from None
    # In cloud mode the WAL's events belong to ClickHouse, which a data folder never holds.
    if config.mode == "cloud" or config.db_path.exists() or not _holds_events(config.wal_dir):
        return
    if not accept_wal_without_database:
        raise StartupError(
            f"{config.wal_dir} holds acknowledged events but {config.db_path} is missing: restore the "
            f"database from a backup, or start with `sparklytics serve {ACCEPT_ORPHANED_WAL_FLAG}` to set "
            "that WAL aside (kept on disk, not loaded) and begin with an empty database"
        )
    aside = config.wal_dir.with_name(f"{config.wal_dir.name}-orphaned-{datetime.now(UTC):%Y%m%dT%H%M%SZ}")
    config.wal_dir.rename(aside)
    log.warning("%s has no database: its WAL was moved to %s and not loaded", folder, aside)


def _holds_events(wal_dir: Path) -> bool:
    return wal_dir.is_dir() and any(p.stat().st_size > 0 for p in wal_dir.glob("segment-*.log"))
