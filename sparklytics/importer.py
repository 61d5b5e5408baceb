"""``sparklytics import FILE``: load historical events through the live ingest path.

Each row is an event object as collect accepts it, plus ``timestamp`` (ISO 8601,
required; naive means UTC) and optionally ``ip`` and ``user_agent``. Rows go through
the same Enricher, write-ahead log and Writer as live traffic (as ``Import`` messages
of up to 5 000 events, without the live rate and peak limits), so imported data is
indistinguishable from collected data. The server must not be running: DuckDB allows
one process per file.

Rows should be in time order: sessions are resolved in arrival order, exactly as for
live traffic, and DuckDB compresses time-ordered rows best. Invalid rows are skipped
and reported with their line numbers; the exit status is 1 if any were skipped.

Back-pressure: parsing and enrichment outrun the Writer, and the Buffer refuses a batch
that would take the uncommitted events past ``SPARKLYTICS_INGEST_QUEUE_MAX_EVENTS``
(``IngestOverloaded``, a 503 for live traffic). The importer is the only producer, so
it waits for that room before sending each batch instead.
"""

from __future__ import annotations

import csv
import json
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, TextIO

import trio

from actors.buffer import Compact, Flush
from actors.enricher import ClientInfo, Import
from actors.runtime import ask, tell
from sparklytics.api.collect import parse_events
from sparklytics.api.errors import ApiError
from sparklytics.config import Config
from sparklytics.services import open_services

BATCH_SIZE = 5_000
QUEUE_WAIT_SECONDS = 600
_REPORTED_ERRORS = 10
_ROW_ONLY_FIELDS = ("timestamp", "ip", "user_agent")


@dataclass
class ImportResult:
    imported: int = 0
    skipped: int = 0
    seconds: float = 0.0
    errors: list[str] = field(default_factory=list)


class ImportRowError(ValueError):
    """A row that cannot be imported; the message names the problem."""


async def import_file(config: Config, path: Path, *, progress: TextIO | None = sys.stderr) -> ImportResult:
    result = ImportResult()
    started = time.monotonic()
    last_report = started
    batch_size = min(BATCH_SIZE, config.ingest_queue_max_events)
    async with open_services(config) as services:
        batch: list[tuple[dict[str, Any], ClientInfo, datetime]] = []
        for line, row in _read_rows(path):
            try:
                batch.append(_to_item(row))
            except ImportRowError as error:
                result.skipped += 1
                if len(result.errors) < _REPORTED_ERRORS:
                    result.errors.append(f"line {line}: {error}")
                continue
            if len(batch) >= batch_size:
                await _send(services, batch)
                result.imported += len(batch)
                batch = []
                if progress is not None and time.monotonic() - last_report >= 1:
                    last_report = time.monotonic()
                    _report(progress, result, last_report - started)
        if batch:
            await _send(services, batch)
            result.imported += len(batch)
        await ask(services.buffer.inbox, Flush(), timeout=3600)
        # Everything is committed: drop the import's WAL segment (≈ 0.5 GB per 1M
        # events) now, rather than leave it for the server's first compaction.
        await tell(services.buffer.inbox, Compact())
    result.seconds = time.monotonic() - started
    if progress is not None:
        _report(progress, result, result.seconds, final=True)
    return result


async def _send(services: Any, batch: list[tuple[dict[str, Any], ClientInfo, datetime]]) -> None:
    """Import ``batch`` once the ingest queue has room for it (see the module docstring)."""
    room = services.config.ingest_queue_max_events - len(batch)
    with trio.fail_after(QUEUE_WAIT_SECONDS):
        while services.buffer.statistics().unpersisted_events > room:
            await trio.sleep(0.01)
    await ask(services.enricher.inbox, Import(batch), timeout=600)


def _report(out: TextIO, result: ImportResult, seconds: float, *, final: bool = False) -> None:
    rate = result.imported / seconds if seconds > 0 else 0.0
    text = f"imported {result.imported:,} events in {seconds:.1f} s ({rate:,.0f}/s)"
    if result.skipped:
        text += f", skipped {result.skipped:,} invalid rows"
    out.write(("\r" if out.isatty() else "") + text + ("\n" if final or not out.isatty() else ""))
    out.flush()


def _read_rows(path: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    """(line number, row) pairs from a JSON-lines or CSV file (by extension)."""
    with path.open(newline="", encoding="utf-8") as handle:
        if path.suffix.lower() == ".csv":
            reader = csv.DictReader(handle)
            for row in reader:
                yield reader.line_num, _from_csv(row)
        else:
            for number, text in enumerate(handle, start=1):
                if not text.strip():
                    continue
                try:
                    row = json.loads(text)
                except ValueError:
                    row = {"__invalid__": "not valid JSON"}
                yield number, row if isinstance(row, dict) else {"__invalid__": "not a JSON object"}


def _from_csv(row: dict[str, str]) -> dict[str, Any]:
    """CSV cells are text: empty means absent, numbers and event_data are decoded."""
    out: dict[str, Any] = {}
    for key, value in row.items():
        if key is None or value is None or value == "":
            continue
        if key in ("screen_width", "screen_height"):
            out[key] = int(value) if value.isdigit() else value
        elif key == "event_data":
            try:
                out[key] = json.loads(value)
            except ValueError:
                out[key] = value
        else:
            out[key] = value
    return out


def _to_item(row: dict[str, Any]) -> tuple[dict[str, Any], ClientInfo, datetime]:
    if "__invalid__" in row:
        raise ImportRowError(row["__invalid__"])
    at = _timestamp(row.get("timestamp"))
    ip = str(row.get("ip") or "")
    user_agent = str(row.get("user_agent") or "")
    event = {key: value for key, value in row.items() if key not in _ROW_ONLY_FIELDS}
    try:
        [payload] = parse_events([event])
    except ApiError as error:
        raise ImportRowError(error.message) from None
    if payload["type"] not in ("pageview", "event"):
        raise ImportRowError("type must be one of: pageview, event")
    return payload, ClientInfo(ip=ip, user_agent=user_agent, has_accept=True, has_accept_language=True), at


def _timestamp(value: Any) -> datetime:
    if not isinstance(value, str) or not value.strip():
        raise ImportRowError("timestamp is required (ISO 8601)")
    try:
        parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        raise ImportRowError(f"timestamp {value!r} is not ISO 8601") from None
    if parsed.tzinfo is not None:
        parsed = parsed.astimezone(timezone.utc).replace(tzinfo=None)
    return parsed
