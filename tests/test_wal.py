"""The ingest WAL: records, replay from a cursor, torn tails, checksums, compaction."""

from __future__ import annotations

import json
import struct
import zlib

import pytest

from sparklytics.events import EVENT_ROWS, ROW_VERSION, EventRow
from sparklytics.wal import MAGIC, RECORD_VERSION, WalFormatError, WalPosition, WriteAheadLog


def events(*names: str) -> list[list[str]]:
    return [[name] for name in names]


def test_replay_returns_the_records_after_the_cursor(tmp_path) -> None:
    wal = WriteAheadLog(tmp_path)
    first, second, third = wal.append([events("a"), events("b", "c"), events("d")])
    wal.sync()
    assert [r.events for r in wal.replay(WalPosition(0, 0))] == [[["a"]], [["b"], ["c"]], [["d"]]]
    assert [r.events for r in wal.replay(second.start)] == [[["b"], ["c"]], [["d"]]]
    assert wal.replay(third.end) == []
    assert first.end == second.start and wal.end == third.end


def test_replay_from_the_cursor_reads_only_what_follows_it(tmp_path) -> None:
    # A restart after a 10M-event import read the whole 5 GB segment (5 GB RSS, 17 s)
    # to replay nothing.
    import tracemalloc

    wal = WriteAheadLog(tmp_path)
    committed = wal.append([events("x" * 1000) for _ in range(10_000)])  # ~10 MB
    [tail] = wal.append([events("tail")])
    wal.sync()
    tracemalloc.start()
    try:
        replayed = wal.replay(committed[-1].end)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert [(r.start, r.end, r.events) for r in replayed] == [(tail.start, tail.end, [["tail"]])]
    assert peak < 1_000_000


def test_a_reopened_log_continues_after_the_last_record(tmp_path) -> None:
    wal = WriteAheadLog(tmp_path)
    wal.append([events("a")])
    wal.close()
    again = WriteAheadLog(tmp_path)
    again.append([events("b")])
    assert [r.events for r in again.replay(WalPosition(0, 0))] == [[["a"]], [["b"]]]


def test_a_torn_tail_is_truncated_and_appends_continue_cleanly(tmp_path) -> None:
    wal = WriteAheadLog(tmp_path)
    [good] = wal.append([events("kept")])
    wal.close()
    segment = tmp_path / "segment-000000000001.log"
    with segment.open("ab") as handle:
        handle.write(struct.pack("<II", 500, 0) + b'[["half a rec')
    reopened = WriteAheadLog(tmp_path)
    assert [r.events for r in reopened.replay(WalPosition(0, 0))] == [[["kept"]]]
    assert segment.stat().st_size == good.end.offset
    reopened.append([events("next")])
    assert [r.events for r in reopened.replay(WalPosition(0, 0))] == [[["kept"]], [["next"]]]


def test_a_record_with_a_bad_checksum_is_skipped(tmp_path) -> None:
    wal = WriteAheadLog(tmp_path)
    first, _ = wal.append([events("corrupt"), events("fine")])
    wal.close()
    segment = tmp_path / "segment-000000000001.log"
    data = bytearray(segment.read_bytes())
    data[first.start.offset + 10] ^= 0xFF
    segment.write_bytes(bytes(data))
    assert [r.events for r in WriteAheadLog(tmp_path).replay(WalPosition(0, 0))] == [[["fine"]]]


def test_rotation_only_when_everything_is_committed_and_old_segments_go(tmp_path) -> None:
    wal = WriteAheadLog(tmp_path)
    [record] = wal.append([events("a")])
    assert wal.rotate_if_committed(record.start) is False
    assert wal.rotate_if_committed(record.end) is True
    assert wal.segments() == [2]
    [newer] = wal.append([events("b")])
    assert newer.start == WalPosition(2, 0)
    assert [r.events for r in wal.replay(record.end)] == [[["b"]]]
    assert wal.rotate_if_committed(newer.start) is False
    assert wal.segments() == [2]


def test_a_full_segment_rolls_over_even_with_uncommitted_records(tmp_path, monkeypatch) -> None:
    monkeypatch.setattr("sparklytics.wal.SEGMENT_ROLL_BYTES", 1)
    wal = WriteAheadLog(tmp_path)
    [first] = wal.append([events("a")])
    [second] = wal.append([events("b")])
    assert (first.start.segment, second.start.segment) == (1, 2)
    assert wal.rotate_if_committed(first.start) is False
    assert wal.segments() == [1, 2]
    assert [r.events for r in wal.replay(first.start)] == [[["a"]], [["b"]]]
    wal.rotate_if_committed(second.start)  # the cursor moved into segment 2
    assert wal.segments() == [2]


def test_a_lost_log_directory_restarts_after_the_committed_cursor(tmp_path) -> None:
    wal = WriteAheadLog(tmp_path)
    wal.continue_after(WalPosition(1, 5000))  # DuckDB says 5000 bytes of segment 1 are committed
    [record] = wal.append([events("new")])
    assert record.start == WalPosition(2, 0)
    assert [r.events for r in wal.replay(WalPosition(1, 5000))] == [[["new"]]]


# -- damage: zero tails, bad lengths, old and newer formats (issue 13 #2, #3) ----------------


SEGMENT = "segment-000000000001.log"


def test_a_zero_filled_tail_is_cut_off_and_every_record_kept(tmp_path) -> None:
    # What some filesystems leave after a power loss: the file grew, its bytes did not land.
    wal = WriteAheadLog(tmp_path)
    records = wal.append([events("a"), events("b")])
    wal.close()
    with (tmp_path / SEGMENT).open("ab") as handle:
        handle.write(b"\0" * 8)
    reopened = WriteAheadLog(tmp_path)
    assert [r.events for r in reopened.replay(WalPosition(0, 0))] == [[["a"]], [["b"]]]
    assert (tmp_path / SEGMENT).stat().st_size == records[-1].end.offset
    assert (tmp_path / "quarantine" / f"segment-000000000001-at-{records[-1].end.offset}.bin").read_bytes() == b"\0" * 8
    reopened.append([events("c")])
    assert [r.events for r in reopened.replay(WalPosition(0, 0))] == [[["a"]], [["b"]], [["c"]]]


def test_one_damaged_length_costs_only_its_own_record(tmp_path) -> None:
    wal = WriteAheadLog(tmp_path)
    records = wal.append([events(name) for name in "abcdefgh"])
    wal.close()
    data = bytearray((tmp_path / SEGMENT).read_bytes())
    damaged = records[2]
    struct.pack_into("<I", data, damaged.start.offset + 8, 0x7FFF)  # the length field of "c"
    (tmp_path / SEGMENT).write_bytes(bytes(data))

    replayed = WriteAheadLog(tmp_path).replay(WalPosition(0, 0))

    assert [r.events for r in replayed] == [[[name]] for name in "abdefgh"]
    assert [r.start for r in replayed] == [r.start for r in records if r is not damaged]
    quarantined = (tmp_path / "quarantine" / f"segment-000000000001-at-{damaged.start.offset}.bin").read_bytes()
    assert quarantined == bytes(data[damaged.start.offset : damaged.end.offset])


def test_a_zeroed_record_in_the_middle_is_skipped(tmp_path) -> None:
    wal = WriteAheadLog(tmp_path)
    records = wal.append([events("a"), events("b"), events("c")])
    wal.close()
    data = bytearray((tmp_path / SEGMENT).read_bytes())
    middle = records[1]
    data[middle.start.offset : middle.end.offset] = bytes(middle.end.offset - middle.start.offset)
    (tmp_path / SEGMENT).write_bytes(bytes(data))
    assert [r.events for r in WriteAheadLog(tmp_path).replay(WalPosition(0, 0))] == [[["a"]], [["c"]]]


def test_a_log_written_in_the_old_format_replays_and_new_records_go_to_a_new_segment(tmp_path) -> None:
    old = b"".join(
        struct.pack("<II", len(payload), zlib.crc32(payload)) + payload
        for payload in (b'[["old-1"]]', b'[["old-2"],["old-3"]]')
    )
    (tmp_path / SEGMENT).write_bytes(old + struct.pack("<II", 0, 0))  # and a zero tail
    wal = WriteAheadLog(tmp_path)
    [new] = wal.append([events("new")])
    assert new.start == WalPosition(2, 0)
    replayed = wal.replay(WalPosition(0, 0))
    assert [r.events for r in replayed] == [[["old-1"]], [["old-2"], ["old-3"]], [["new"]]]
    assert replayed[1].start == WalPosition(1, 8 + len(b'[["old-1"]]'))
    assert wal.replay(replayed[1].start)[0].events == [["old-2"], ["old-3"]]


def test_an_intact_record_of_a_newer_format_stops_replay(tmp_path) -> None:
    payload = b'[["from-the-future"]]'
    head = struct.pack("<4sHHI", MAGIC, RECORD_VERSION + 1, 0, len(payload))
    record = head + struct.pack("<I", zlib.crc32(payload, zlib.crc32(head))) + payload
    (tmp_path / SEGMENT).write_bytes(record)
    with pytest.raises(WalFormatError, match="holds records of format 2"):
        WriteAheadLog(tmp_path).replay(WalPosition(0, 0))


# An event row as the release before EventRow wrote it: a JSON list in its EVENT_COLUMNS
# order, plus the visitor id under yesterday's salt.
PREVIOUS_RELEASE_ROW = [
    None, "site_old", None, None, "visitor-today", "pageview", "https://example.com/pricing?x=1", "/pricing",
    "example.com", "https://www.google.com/", "google.com", "Organic Search", None, None, "DE", "Berlin",
    "Berlin", "Firefox", "125.0", "Linux", None, "desktop", "1920x1080", "de-DE", "spring", "cpc", None, None,
    None, None, None, "Mozilla/5.0", False, 0, None, "2026-03-01T23:59:00.000001", "visitor-yesterday",
]


def previous_release_record(payload: bytes) -> bytes:
    """A record framed as the previous release framed it (format 1)."""
    head = struct.pack("<4sHHI", MAGIC, 1, 0, len(payload))
    return head + struct.pack("<I", zlib.crc32(payload, zlib.crc32(head))) + payload


@pytest.mark.parametrize("framing", ["format 1", "before record headers"])
def test_events_written_by_the_previous_release_replay_into_the_same_fields(tmp_path, framing) -> None:
    payload = json.dumps([PREVIOUS_RELEASE_ROW], separators=(",", ":")).encode()
    if framing == "format 1":
        data = previous_release_record(payload)
    else:
        data = struct.pack("<II", len(payload), zlib.crc32(payload)) + payload
    (tmp_path / SEGMENT).write_bytes(data)
    [record] = WriteAheadLog(tmp_path, EVENT_ROWS).replay(WalPosition(0, 0))
    [event] = record.events
    assert isinstance(event, EventRow)
    assert event._asdict() == {
        "id": None, "website_id": "site_old", "tenant_id": None, "session_id": None, "visitor_id": "visitor-today",
        "event_type": "pageview", "url": "https://example.com/pricing?x=1", "path": "/pricing",
        "hostname": "example.com", "referrer_url": "https://www.google.com/", "referrer_domain": "google.com",
        "channel": "Organic Search", "event_name": None, "event_data": None, "country": "DE", "region": "Berlin",
        "city": "Berlin", "browser": "Firefox", "browser_version": "125.0", "os": "Linux", "os_version": None,
        "device_type": "desktop", "screen": "1920x1080", "language": "de-DE", "utm_source": "spring",
        "utm_medium": "cpc", "utm_campaign": None, "utm_term": None, "utm_content": None, "link_id": None,
        "pixel_id": None, "user_agent": "Mozilla/5.0", "is_bot": False, "bot_score": 0, "bot_reason": None,
        "created_at": "2026-03-01T23:59:00.000001", "previous_visitor_id": "visitor-yesterday",
    }


def test_event_rows_are_written_in_the_newest_format_and_read_back_as_written(tmp_path) -> None:
    row = EventRow._make(PREVIOUS_RELEASE_ROW)
    wal = WriteAheadLog(tmp_path, EVENT_ROWS)
    [written] = wal.append([[row]])
    assert (tmp_path / SEGMENT).read_bytes()[4:6] == struct.pack("<H", ROW_VERSION)
    assert wal.replay(written.start)[0].events == [row]
