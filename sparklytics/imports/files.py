"""The files of an export: a directory, a ``.zip`` archive or one ``.csv`` file.

Exports come zipped (Plausible's ``<domain>_<date>.zip``) or unpacked; the readers do
not care which. Each member is read as UTF-8 CSV with a header row, and the bytes read
so far are counted, so the progress bar can give an ETA from the export's total size.
"""

from __future__ import annotations

import csv
import hashlib
import io
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO


@dataclass(frozen=True, slots=True)
class ExportFile:
    name: str  # the file's base name, e.g. ``website_event.csv``
    size: int  # bytes (uncompressed)
    open: Callable[[], IO[bytes]]


def export_files(path: Path) -> list[ExportFile]:
    """The ``.csv`` files of ``path`` (a directory, a zip archive or a CSV file)."""
    if path.is_dir():
        return [
            ExportFile(p.name, p.stat().st_size, _opener(p))
            for p in sorted(path.iterdir())
            if p.is_file() and p.suffix.lower() == ".csv"
        ]
    if zipfile.is_zipfile(path):
        archive = zipfile.ZipFile(path)
        return [
            ExportFile(Path(info.filename).name, info.file_size, _member_opener(archive, info))
            for info in archive.infolist()
            if not info.is_dir() and info.filename.lower().endswith(".csv")
        ]
    return [ExportFile(path.name, path.stat().st_size, _opener(path))]


def _opener(path: Path) -> Callable[[], IO[bytes]]:
    return lambda: path.open("rb")


def _member_opener(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> Callable[[], IO[bytes]]:
    return lambda: archive.open(info)


class ByteCount:
    """Bytes read so far over every file of one import (for the progress bar)."""

    def __init__(self) -> None:
        self.done = 0


class _CountingReader(io.RawIOBase):
    def __init__(self, raw: IO[bytes], count: ByteCount) -> None:
        self._raw = raw
        self._count = count

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:  # type: ignore[no-untyped-def]
        data = self._raw.read(len(buffer))
        buffer[: len(data)] = data
        self._count.done += len(data)
        return len(data)

    def close(self) -> None:
        self._raw.close()
        super().close()


def csv_rows(file: ExportFile, count: ByteCount) -> Iterator[tuple[int, dict[str, str]]]:
    """``(line number, row)`` of each data row; header names are lower-cased and trimmed.
    A byte order mark (spreadsheet tools write one) is ignored; bytes that are not UTF-8
    become U+FFFD, so a damaged file gives bad rows (skipped and reported), not a crash.

    Raises:
        csv.Error: the CSV itself is broken (a field over ``csv.field_size_limit()``).
    """
    with io.TextIOWrapper(
        io.BufferedReader(_CountingReader(file.open(), count)), encoding="utf-8-sig", errors="replace", newline=""
    ) as text:
        reader = csv.reader(text)
        header = next(reader, None)
        if header is None:
            return
        names = [name.strip().lower() for name in header]
        for row in reader:
            if not any(cell.strip() for cell in row):
                continue
            yield reader.line_num, dict(zip(names, row))


def header_of(file: ExportFile) -> list[str]:
    """The lower-cased column names of ``file``'s first line."""
    with io.TextIOWrapper(file.open(), encoding="utf-8-sig", errors="replace", newline="") as text:
        try:
            return [name.strip().lower() for name in next(csv.reader(text), [])]
        except csv.Error:
            return []


def export_digest(files: list[ExportFile]) -> str:
    """SHA-256 over the files' names and bytes: the same export gives the same digest,
    zipped or not."""
    digest = hashlib.sha256()
    for file in sorted(files, key=lambda f: f.name):
        digest.update(file.name.encode() + b"\0")
        with file.open() as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
    return digest.hexdigest()
