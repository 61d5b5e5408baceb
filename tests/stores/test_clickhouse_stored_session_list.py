"""``/sessions`` and ``/sessions/{id}`` on ClickHouse over the stored sessions
(``stores/clickhouse/reports/sessions.py``): the list pages through the stored days and
the part derived from the events, the detail finds a session by its id among both and
reads only its visitor's events, and both give what the read-time path gives."""

from __future__ import annotations

from sparklytics.stores.clickhouse import closed_sessions
from sparklytics.stores.clickhouse.closed_sessions import DAY
from sparklytics.wal import WalPosition
from tests.queries.conftest import make_query
from tests.stores.test_clickhouse_sessions_table import (
    BOTH_DAYS, FIRST, SECOND, commit_midnight, in_country, on,
)
from tests.stores.test_events import SITE, event


async def every_page(store, **params) -> list[dict]:
    """The sessions list over ``params``, page after page (5 a page)."""
    rows, cursor = [], None
    while True:
        extra = {"cursor": cursor} if cursor else {}
        page = (await store.sessions(make_query("sessions", SITE, limit="5", **params, **extra))).body()
        rows += page["data"]
        if not page["pagination"]["has_more"]:
            return rows
        cursor = page["pagination"]["next_cursor"]


async def same_lists(paths, **params) -> list[dict]:
    stored, raw = paths
    found = await every_page(stored, **params)
    assert found == await every_page(raw, **params), params
    return found


async def test_the_list_and_each_session_match_the_read_time_path(paths, writer, reader):
    commit_midnight(writer)
    writer.commit([in_country(event("roamer", on(FIRST, "12:00:00"), "/a"), "US"),
                   in_country(event("roamer", on(FIRST, "12:10:00"), "/b"), "DE")], WalPosition(1, 200))
    unstored = {}
    for params in ({}, {"include_bots": "true"}, {"filter_country": "DE"}, {"filter_browser": "Firefox"}):
        unstored[str(params)] = await same_lists(paths, **BOTH_DAYS, **params)
    for day in (FIRST - DAY, FIRST):  # the day before holds a stale mark too; the second day stays derived
        assert closed_sessions.build_day(reader, SITE, day)
    for params in ({}, {"include_bots": "true"}, {"filter_country": "DE"}, {"filter_browser": "Firefox"}):
        assert await same_lists(paths, **BOTH_DAYS, **params) == unstored[str(params)]
    listed = unstored["{}"]
    assert len(listed) == 16 + 1 + 2 + 1  # day 1's, the roamer, night and old-id across midnight, long
    assert [row["country"] for row in unstored[str({"filter_country": "DE"})]] == ["US"]  # its first known value

    stored, raw = paths
    for row in listed:
        detail = await stored.session(SITE, row["session_id"])
        assert detail == await raw.session(SITE, row["session_id"]), row
        assert detail.data["session"] == row
    # The session continued under yesterday's id holds the events of both ids.
    [continued] = [row for row in listed if row["visitor_id"] == "old-id"]
    detail = (await stored.session(SITE, continued["session_id"])).data
    assert [e["url"] for e in detail["events"]] == ["https://example.com/x", "https://example.com/y",
                                                     "https://example.com/z"]
    assert await stored.session(SITE, "0123456789abcdef") is None


async def test_the_stored_days_answer_without_their_events(paths, writer, reader):
    commit_midnight(writer)
    expected = await same_lists(paths, **BOTH_DAYS)
    for day in (FIRST - DAY, FIRST, SECOND):
        assert closed_sessions.build_day(reader, SITE, day)
    reader.on_every_shard("DELETE FROM events_local WHERE 1")
    stored, _ = paths
    assert await every_page(stored, **BOTH_DAYS) == expected
    # The detail still finds the session (its events are gone).
    found = await stored.session(SITE, expected[0]["session_id"])
    assert found.data["session"] == expected[0]
    assert found.data["events"] == []
