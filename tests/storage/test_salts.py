"""Visitor-id salts (Decision 6): rotate at midnight UTC, keep yesterday's 30 minutes
(the settings SQL both metadata backends share, on each)."""

from __future__ import annotations

from datetime import datetime

from sparklytics.stores.metadata_sql.settings import get_setting, rotate_salts


def test_the_first_salt_is_random_and_secret(metadata_db) -> None:
    salts = rotate_salts(metadata_db, datetime(2026, 3, 1, 10, 0))
    assert len(salts.current) == 64 and salts.previous is None
    assert rotate_salts(metadata_db, datetime(2026, 3, 1, 23, 59)) == salts


def test_midnight_keeps_yesterdays_salt_for_30_minutes_then_deletes_it(metadata_db) -> None:
    day_one = rotate_salts(metadata_db, datetime(2026, 3, 1, 10, 0))
    after_midnight = rotate_salts(metadata_db, datetime(2026, 3, 2, 0, 0, 1))
    assert after_midnight.current != day_one.current
    assert after_midnight.previous == day_one.current
    assert after_midnight.previous_at(datetime(2026, 3, 2, 0, 29)) == day_one.current
    assert after_midnight.previous_at(datetime(2026, 3, 2, 0, 30)) is None
    later = rotate_salts(metadata_db, datetime(2026, 3, 2, 0, 30))
    assert later.current == after_midnight.current and later.previous is None
    assert get_setting(metadata_db, "previous_salt") is None
    assert get_setting(metadata_db, "previous_salt_until") is None


def test_after_a_gap_there_is_no_previous_salt(metadata_db) -> None:
    rotate_salts(metadata_db, datetime(2026, 3, 1, 10, 0))
    assert rotate_salts(metadata_db, datetime(2026, 3, 4, 0, 5)).previous is None
