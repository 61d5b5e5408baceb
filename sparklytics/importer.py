"""``sparklytics import FILE``: load historical data with the server stopped.

Four formats (``--format``, or recognised from the file):

* ``events`` — our own event rows, JSON lines or CSV: each row an event object as
  collect accepts it, plus ``timestamp`` (ISO 8601, required; naive means UTC) and
  optionally ``ip`` and ``user_agent``. Rows go through the same Enricher, write-ahead
  log and Writer as live traffic (``Import`` messages of up to 5 000 events, without
  the live rate and peak limits), so imported data is indistinguishable from collected
  data.
* ``umami`` — Umami's CSV data export (``sparklytics.imports.umami``) and
* ``export`` — our own ``GET …/export`` CSV (``sparklytics.imports.own_export``): events
  whose place and device were exported, so they skip the Enricher's IP and user-agent
  lookups and go straight to the Buffer (WAL, then Writer) as rows. A file is imported
  into a website once (by its SHA-256); a run stopped part way is resumed by the next
  run of the same file (:func:`_import_given`).
* ``plausible`` — Plausible CE's CSV export (``sparklytics.imports.plausible``): daily
  aggregates, which replace the website's imported aggregates of the export's days
  in one transaction (re-importing never doubles them). Reports add them with
  ``with_imported=true``.

Self-hosted, the server must not be running: DuckDB allows one process per file. In
cloud mode (``SPARKLYTICS_MODE=cloud``, the nodes' settings) the nodes may run: the
import is a node of its own (:mod:`sparklytics.imports.cloud_node`), and the reports of
every node add the Plausible aggregates it writes to PostgreSQL. The file is read
and parsed in worker threads, a batch at a time, so the actors' Trio loop never waits
on it. Rows should be in
time order (exports are): sessions are resolved in arrival order, as for live traffic.
Progress goes to stderr (:mod:`sparklytics.imports.progress`); rows that cannot be
imported are skipped and summarised by reason with their first line numbers; the exit
status is then 1.

Back-pressure: parsing outruns the Writer, and the Buffer refuses a batch that would
take the uncommitted events past ``SPARKLYTICS_INGEST_QUEUE_MAX_EVENTS``
(``IngestOverloaded``, a 503 for live traffic). The importer is the only producer, so
it waits for that room before sending each batch instead.
"""

from __future__ import annotations

import contextlib
import csv
import itertools
import json
import sys
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any, TextIO, TypeVar

import trio

from actors.buffer import Append, Compact, Flush
from actors.enricher import ClientInfo, Import
from actors.runtime import ask, tell
from sparklytics.api.collect import parse_events
from sparklytics.api.errors import ApiError
from sparklytics.config import Config
from sparklytics.events import EventRow
from sparklytics.imports.cloud_node import ImportRunning, exclusive_import_node, import_node_config
from sparklytics.imports.files import ByteCount, ExportFile, csv_rows, export_digest, export_files
from sparklytics.imports.given_rows import GivenEvent, ImportKey, RowRefused, event_row, parse_time
from sparklytics.imports.own_export import first_website_id, is_own_export, read_own_export
from sparklytics.imports.plausible import ExportRefused, is_plausible_export, read_plausible
from sparklytics.imports.progress import Progress
from sparklytics.imports.skipped import Skipped
from sparklytics.imports.umami import is_umami_export, read_umami
from sparklytics.services import open_services
from sparklytics.stores.metadata import ImportedExport, ImportProgress

FORMATS = ("events", "umami", "plausible", "export")
BATCH_SIZE = 5_000
QUEUE_WAIT_SECONDS = 600
_REPORTED_ERRORS = 10
_ROW_ONLY_FIELDS = ("timestamp", "ip", "user_agent")
_JSON_LINES = (".jsonl", ".ndjson", ".json")
T = TypeVar("T")


@dataclass
class ImportResult:
    imported: int = 0
    skipped: int = 0
    seconds: float = 0.0
    errors: list[str] = field(default_factory=list)  # the first few, with their details
    skipped_by_reason: dict[str, int] = field(default_factory=dict)
    summary: list[str] = field(default_factory=list)  # one line per reason
    days: tuple[date, date] | None = None  # plausible: the days replaced
    ignored_files: list[str] = field(default_factory=list)  # plausible: not an imported_* table we read
    resumed_rows: int = 0  # an export's rows a stopped run of this import had stored


class ImportRefused(Exception):
    """The import cannot start or cannot be applied at all (nothing was written); the
    message says why."""


class ImportStopped(Exception):
    """The file broke off in the middle (a CSV that cannot be parsed further): what came
    before was imported, the message says how much."""


def detect_format(path: Path) -> str:
    """The format of ``path`` by its content (see the module docstring)."""
    if path.is_file() and path.suffix.lower() in _JSON_LINES:
        return "events"
    files = export_files(path)
    if is_plausible_export(files):
        return "plausible"
    if not files:
        raise ImportRefused(f"no CSV files in {path}")
    if is_umami_export(files):
        return "umami"
    if is_own_export(files):
        return "export"
    if len(files) == 1:
        return "events"
    raise ImportRefused(f"{path} is neither an Umami nor a Plausible export")


async def import_file(
    config: Config,
    path: Path,
    *,
    progress: TextIO | None = sys.stderr,
    format: str | None = None,
    website_id: str | None = None,
    again: bool = False,
    progress_interval: float = 1.0,
) -> ImportResult:
    """Import ``path`` (see the module docstring); ``website_id`` is where Umami and
    Plausible data goes (and overrides the ``website_id`` column of our export).
    ``again``: import an Umami or our export even though this very file was imported
    into the website before (its events are then counted twice).

    Raises:
        ImportRefused: an unknown website, an export missing a required column, an
            Umami or Plausible import without ``website_id``, an event export already
            imported into the website (without ``again``).
    """
    format = format or detect_format(path)
    if format not in FORMATS:
        raise ImportRefused(f"unknown format {format!r} (one of: {', '.join(FORMATS)})")
    if format in ("umami", "plausible") and not website_id:
        raise ImportRefused(f"a {format} export needs --website <our website id> to import into")
    files = [] if format == "events" and path.suffix.lower() in _JSON_LINES else export_files(path)
    total_bytes = sum(f.size for f in files) if files else path.stat().st_size
    count = ByteCount()
    unit = "rows" if format == "plausible" else "events"
    meter = Progress(progress, total_bytes=total_bytes, unit=unit, interval=progress_interval)
    skipped = Skipped()
    result = ImportResult()
    refusal: Exception | None = None
    with contextlib.ExitStack() as held:
        if config.mode == "cloud":
            config = _hold_import_node(held, config)
        async with open_services(config) as services:
            try:
                if website_id is not None and await services.metadata.website_ingest_info(website_id) is None:
                    raise ImportRefused(f"no website {website_id} here: create it first (POST /api/websites)")
                if format == "plausible":
                    await _import_plausible(services, files, website_id, count, meter, skipped, result)
                elif format == "events":
                    await _import_events(services, path, files, count, meter, skipped, result)
                else:
                    target = website_id or await trio.to_thread.run_sync(first_website_id, files)
                    await _import_given(services, format, files, target, again, count, meter, skipped, result)
            except ImportRefused as refused:  # raised outside the services' nursery, not in a group
                refusal = refused
            except csv.Error as error:
                refusal = ImportStopped(f"{error} after {result.imported:,} {unit} were imported")
    if refusal is not None:
        raise refusal
    result.seconds = meter.finish(count.done)
    result.skipped = skipped.total
    result.skipped_by_reason = skipped.by_reason()
    result.summary = skipped.summary()
    return result


def _hold_import_node(held: contextlib.ExitStack, config: Config) -> Config:
    """Cloud mode: take this data folder's import node (``imports/cloud_node.py``) until
    ``held`` closes; the config to open the services with."""
    try:
        held.enter_context(exclusive_import_node(config))
    except ImportRunning as running:
        raise ImportRefused(str(running)) from None
    return import_node_config(config)


# -- events (our rows, through the Enricher) ---------------------------------------------


async def _import_events(services: Any, path: Path, files: list[ExportFile], count: ByteCount,
                         meter: Progress, skipped: Skipped, result: ImportResult) -> None:
    rows = _csv_events(files[0], count) if files else _json_lines(path, count)
    items = ((line, _item_or_refusal(row)) for line, row in rows)
    async for chunk in _in_threads(items, _batch_size(services)):
        batch = []
        for line, item in chunk:
            if isinstance(item, RowRefused):
                _skip(skipped, result, item, str(line))
            else:
                batch.append(item)
        await _send(services, Import(batch), len(batch), result, meter, count)
    await _settle(services)


def _item_or_refusal(row: dict[str, Any]) -> tuple[dict[str, Any], ClientInfo, datetime] | RowRefused:
    try:
        return _to_item(row)
    except RowRefused as refused:
        return refused


def _json_lines(path: Path, count: ByteCount) -> Iterator[tuple[int, dict[str, Any]]]:
    with path.open("rb") as handle:
        for number, raw in enumerate(handle, start=1):
            count.done += len(raw)
            if not raw.strip():
                continue
            try:
                row = json.loads(raw)
            except ValueError:
                row = {"__invalid__": "not valid JSON"}
            yield number, row if isinstance(row, dict) else {"__invalid__": "not a JSON object"}


def _csv_events(file: ExportFile, count: ByteCount) -> Iterator[tuple[int, dict[str, Any]]]:
    """CSV cells are text: empty means absent, numbers and event_data are decoded."""
    for line, row in csv_rows(file, count):
        out: dict[str, Any] = {}
        for key, value in row.items():
            if value == "":
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
        yield line, out


def _to_item(row: dict[str, Any]) -> tuple[dict[str, Any], ClientInfo, datetime]:
    if "__invalid__" in row:
        raise RowRefused(row["__invalid__"])
    at = parse_time(row.get("timestamp"), "timestamp")
    ip = str(row.get("ip") or "")
    user_agent = str(row.get("user_agent") or "")
    event = {key: value for key, value in row.items() if key not in _ROW_ONLY_FIELDS}
    try:
        [payload] = parse_events([event])
    except ApiError as error:
        raise RowRefused(error.message) from None
    if payload["type"] not in ("pageview", "event"):
        raise RowRefused("type must be one of: pageview, event")
    return payload, ClientInfo(ip=ip, user_agent=user_agent, has_accept=True, has_accept_language=True), at


# -- Umami and our export (rows as exported, straight to the Buffer) ----------------------


async def _import_given(services: Any, format: str, files: list[ExportFile], target: str | None, again: bool,
                        count: ByteCount, meter: Progress, skipped: Skipped, result: ImportResult) -> None:
    """Umami's or our export into ``target``, once per file unless ``again``.

    Before each batch the import records how far it got (``ImportedExport``), so a run
    stopped part way — a kill, a crash, a full disk — is resumed by the next run of the
    same file: the rows whose events are stored are passed over, the others sent, and
    nothing lands twice (:func:`_resume_point`). ``again`` imports the whole file anew.
    """
    if target is None:
        raise ImportRefused("the export names no website_id: give --website <our website id>")
    if await services.metadata.website_ingest_info(target) is None:
        raise ImportRefused(f"no website {target} here: create it first (POST /api/websites)")
    digest = await trio.to_thread.run_sync(export_digest, files)
    before = await services.metadata.imported_export(target, digest)
    if before is not None and before.finished and not again:
        raise ImportRefused(
            f"this export was imported into {target} on {before.imported_at:%Y-%m-%d %H:%M} UTC; importing it again "
            "would count its events twice (--again does so anyway)"
        )
    stopped = before if before is not None and not before.finished and not again else None
    key = ImportKey(stopped.visitor_salt if stopped else None)
    start, events = await _resume_point(services, format, files, target, key, stopped) if stopped else (0, 0)
    result.resumed_rows = start
    row = 0
    async for chunk in _in_threads(_given_events(format, files, count), _batch_size(services)):
        first, row = max(row, start), row + len(chunk)
        batch: list[EventRow] = []
        for line, item in chunk[len(chunk) - (row - first):]:
            event = _event_or_refusal(target, item, key)
            if isinstance(event, RowRefused):
                _skip(skipped, result, event, line)
            else:
                batch.append(event)
        if batch:
            await services.metadata.record_import_progress(target, digest, format,
                                                           ImportProgress(events, first, row, key.salt))
        await _send(services, Append(batch, {}), len(batch), result, meter, count)
        events += len(batch)
    await _settle(services)
    await services.metadata.record_imported_export(target, digest, format, events, row)


async def _resume_point(services: Any, format: str, files: list[ExportFile], target: str, key: ImportKey,
                        stopped: ImportedExport) -> tuple[int, int]:
    """``(row to go on from, events stored)`` of a stopped import.

    The rows before ``rows_done`` are stored. The batch of rows ``rows_done`` …
    ``rows_sending`` was being sent: it went into the write-ahead log as one checksummed
    record or not at all, and the services have replayed the log, so once it is
    committed (``Flush``) its first event is stored exactly when the whole batch is.
    Its visitor id is keyed with this import's salt, so only this import's events can
    match it; the same visitor at the same instant in earlier rows is counted out.
    """
    await ask(services.buffer.inbox, Flush(), timeout=3600)
    probe = await trio.to_thread.run_sync(_probe_batch, format, files, target, key, stopped.rows_done,
                                          stopped.rows_sending)
    if probe is None:
        return stopped.rows_done, stopped.events
    first, earlier, size = probe
    stored = await services.analytics.visitor_events_at(target, first.visitor_id, first.created_at)
    if stored > earlier:
        return stopped.rows_sending, stopped.events + size
    return stopped.rows_done, stopped.events


def _probe_batch(format: str, files: list[ExportFile], target: str, key: ImportKey, begin: int,
                 end: int) -> tuple[EventRow, int, int] | None:
    """The first event of rows ``begin`` … ``end``, how many events of rows before
    ``begin`` have its visitor and time, and the number of events in those rows (None
    when they hold none)."""
    seen: Counter[tuple[str, str]] = Counter()
    first: EventRow | None = None
    size = 0
    for row, (_, item) in enumerate(itertools.islice(_given_events(format, files, ByteCount()), end)):
        event = _event_or_refusal(target, item, key)
        if isinstance(event, RowRefused):
            continue
        if row < begin:
            seen[event.visitor_id, event.created_at] += 1
            continue
        if first is None:
            first = event
        size += 1
    if first is None:
        return None
    return first, seen[first.visitor_id, first.created_at], size


def _event_or_refusal(target: str, item: GivenEvent | RowRefused, key: ImportKey) -> EventRow | RowRefused:
    """The stored event of an export's row, or why it cannot be imported."""
    if isinstance(item, RowRefused):
        return item
    try:
        return event_row(target, item, key)
    except RowRefused as refused:
        return refused


def _given_events(format: str, files: list[ExportFile], count: ByteCount) -> Iterator[tuple[str, GivenEvent | RowRefused]]:
    """``(where, event or refusal)`` of every row of the export, in the same order on
    every run (a resumed import counts rows)."""
    rows = read_umami(files, count) if format == "umami" else read_own_export(files, count)
    for line, item in rows:
        yield str(line), item


# -- Plausible (daily aggregates, replaced in one transaction) ----------------------------


async def _import_plausible(services: Any, files: list[ExportFile], website_id: str, count: ByteCount,
                            meter: Progress, skipped: Skipped, result: ImportResult) -> None:
    def on_row(line: int, refused: RowRefused | None, name: str) -> None:
        if refused is None:
            meter.advance(1, count.done)
        else:
            _skip(skipped, result, refused, f"{name}:{line}")

    try:
        export = await trio.to_thread.run_sync(read_plausible, files, count, on_row)
    except ExportRefused as refused:
        raise ImportRefused(str(refused)) from None
    if export.first_day is None or export.last_day is None:
        raise ImportRefused("the export holds no imported_* rows")
    breakdowns = [(row[0], day, *row[1:]) for day, row in export.breakdowns]
    await services.metadata.replace_imported_stats(
        website_id, export.first_day, export.last_day, export.totals, breakdowns
    )
    result.imported = len(export.totals) + len(breakdowns)
    result.days = (export.first_day, export.last_day)
    result.ignored_files = export.ignored_files


# -- shared --------------------------------------------------------------------------------


def _skip(skipped: Skipped, result: ImportResult, refused: RowRefused, where: str) -> None:
    skipped.add(refused.reason, where)
    if len(result.errors) < _REPORTED_ERRORS:
        result.errors.append(f"line {where}: {refused}")


def _batch_size(services: Any) -> int:
    return min(BATCH_SIZE, services.config.ingest_queue_max_events)


async def _in_threads(rows: Iterator[T], size: int) -> AsyncIterator[list[T]]:
    """``rows`` in lists of up to ``size``, each pulled in a worker thread: reading and
    parsing the file never blocks the Trio loop the actors run on. When the CSV breaks
    off (``csv.Error``), the rows read before it are handed on first, then it is raised."""
    while True:
        chunk, failure = await trio.to_thread.run_sync(_take, rows, size)
        if chunk:
            yield chunk
        if failure is not None:
            raise failure
        if not chunk:
            return


def _take(rows: Iterator[T], size: int) -> tuple[list[T], csv.Error | None]:
    chunk: list[T] = []
    try:
        chunk.extend(itertools.islice(rows, size))
    except csv.Error as failure:
        return chunk, failure
    return chunk, None


async def _send(services: Any, message: Import | Append, size: int, result: ImportResult,
                meter: Progress, count: ByteCount) -> None:
    """Hand one batch on once the ingest queue has room for it (see the module docstring):
    our rows to the Enricher, exported rows straight to the Buffer."""
    if size == 0:
        return
    room = services.config.ingest_queue_max_events - size
    with trio.fail_after(QUEUE_WAIT_SECONDS):
        while services.buffer.statistics().unpersisted_events > room:
            await trio.sleep(0.01)
    inbox = services.enricher.inbox if isinstance(message, Import) else services.buffer.inbox
    await ask(inbox, message, timeout=600)
    result.imported += size
    meter.advance(size, count.done)


async def _settle(services: Any) -> None:
    await ask(services.buffer.inbox, Flush(), timeout=3600)
    # Everything is committed: drop the import's WAL segment (≈ 0.5 GB per 1M events)
    # now, rather than leave it for the server's first compaction.
    await tell(services.buffer.inbox, Compact())
