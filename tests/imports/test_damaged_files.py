"""Damaged input never crashes the import: bad bytes are bad rows; a CSV that cannot be
parsed further stops it with a message and exit status 2."""

from __future__ import annotations

from pathlib import Path

from tests.imports.conftest import create_website, serving, sparklytics_import


def test_bytes_that_are_not_text_are_skipped_rows(tmp_path: Path) -> None:
    data = tmp_path / "data"
    create_website(data)
    garbage = tmp_path / "garbage.csv"
    garbage.write_bytes(b"timestamp,website_id\n" + b"\xff\xfe\x81" * 500 + b"\n\x00\x81\xfe,x\n")
    done = sparklytics_import(data, str(garbage))
    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    assert "skipped 2 row(s): timestamp is not ISO 8601 (line 2, 3)" in done.stderr


def test_a_csv_broken_mid_way_stops_with_what_was_imported(tmp_path: Path) -> None:
    data = tmp_path / "data"
    site = create_website(data)
    broken = tmp_path / "events.csv"
    good = "".join(f"2026-03-01T10:00:{i:02d}Z,{site},pageview,/p{i}\n" for i in range(3))
    broken.write_text("timestamp,website_id,type,url\n" + good + f'2026-03-01T11:00:00Z,{site},pageview,"/{"x" * 200_000}"\n')
    done = sparklytics_import(data, str(broken))
    assert done.returncode == 2
    assert "import stopped, the file cannot be read further: field larger than field limit (131072) after 3 events were imported" in done.stderr
    assert "Traceback" not in done.stderr
    with serving(data) as api:
        assert api.server.query("SELECT count(*) FROM events") == [(3,)]
