"""Visitor-id salts (Decision 6): rotate at midnight UTC, keep yesterday's 30 minutes."""

from __future__ import annotations

from datetime import datetime

import duckdb
import pytest

from sparklytics.stores.duckdb.settings import get_setting, rotate_salts
from sparklytics.stores.duckdb.schema import apply_migrations


@pytest.fixture
def con(tmp_path):
    connection = duckdb.connect(str(tmp_path / "salts.db"))
    apply_migrations(connection)
    yield connection
    connection.close()


def test_the_first_salt_is_random_and_secret(con) -> None:
    salts = rotate_salts(con, datetime(2026, 3, 1, 10, 0))
    assert len(salts.current) == 64 and salts.previous is None
    assert rotate_salts(con, datetime(2026, 3, 1, 23, 59)) == salts


def test_midnight_keeps_yesterdays_salt_for_30_minutes_then_deletes_it(con) -> None:
    day_one = rotate_salts(con, datetime(2026, 3, 1, 10, 0))
    after_midnight = rotate_salts(con, datetime(2026, 3, 2, 0, 0, 1))
    assert after_midnight.current != day_one.current
    assert after_midnight.previous == day_one.current
    assert after_midnight.previous_at(datetime(2026, 3, 2, 0, 29)) == day_one.current
    assert after_midnight.previous_at(datetime(2026, 3, 2, 0, 30)) is None
    later = rotate_salts(con, datetime(2026, 3, 2, 0, 30))
    assert later.current == after_midnight.current and later.previous is None
    assert get_setting(con, "previous_salt") is None
    assert get_setting(con, "previous_salt_until") is None


def test_after_a_gap_there_is_no_previous_salt(con) -> None:
    rotate_salts(con, datetime(2026, 3, 1, 10, 0))
    assert rotate_salts(con, datetime(2026, 3, 4, 0, 5)).previous is None
