"""EventRow: one declaration, the stored columns and the WAL row layouts derived from it."""

from __future__ import annotations

import pytest

from sparklytics.events import EVENT_COLUMNS, EVENT_ROWS, ROW_LAYOUTS, ROW_VERSION, EventRow, reader_of


def test_the_newest_wal_layout_is_the_event_row() -> None:
    """Adding a field to EventRow without a new WAL row version would read the records of
    the previous release into the wrong fields: this fails until ROW_LAYOUTS has one."""
    assert ROW_LAYOUTS[ROW_VERSION] == EventRow._fields
    assert EVENT_ROWS.version == ROW_VERSION and set(EVENT_ROWS.readers) == set(ROW_LAYOUTS)


def test_the_stored_columns_are_the_fields_but_the_transient_one() -> None:
    assert EVENT_COLUMNS == EventRow._fields[:-1]
    assert EventRow._fields[-1] == "previous_visitor_id"
    assert len(EVENT_COLUMNS) == 36


def test_an_older_layout_is_read_by_name_and_a_field_it_lacks_is_none() -> None:
    older = tuple(name for name in EventRow._fields if name != "link_id")
    values = {name: f"<{name}>" for name in older}
    [row] = reader_of(older)([[values[name] for name in older]])
    assert row.link_id is None
    assert row._replace(link_id="<link_id>") == EventRow(**{**values, "link_id": "<link_id>"})


def test_an_older_layout_with_a_missing_value_is_refused() -> None:
    with pytest.raises(ValueError):
        reader_of(("id", "website_id"))([[1]])

