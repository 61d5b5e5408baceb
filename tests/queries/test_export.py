"""CSV export: header, escaping, formula guard, order, bots, local days, limits."""

from __future__ import annotations

import csv
import io
import json
import uuid

import pytest

from sparklytics.queries.errors import QueryError
from sparklytics.queries.export import EXPORT_MAX_ROWS, csv_cell, export_filename
from sparklytics.stores.duckdb.reports.export import export_csv
from sparklytics.stores.duckdb.reports.sessions import session_detail
from sparklytics.stores.duckdb.sql import public_event_id

from .conftest import make_query
from .fixtures import session_hex

HEADER = (
    "id,website_id,event_type,url,referrer_domain,event_name,country,browser,os,device_type,"
    "language,utm_source,utm_medium,utm_campaign,created_at,is_bot,event_data"
)


def read(chunks):
    text = b"".join(chunks).decode("utf-8")
    return text, list(csv.reader(io.StringIO(text)))


def test_header_order_bots_and_escaping(db):
    con, seed = db
    seed.website("site_a")
    seed.website("site_b")
    seed.event(at="2026-03-02T10:00:05Z", website="site_a", visitor="a", path="/b",
               url='https://example.com/q?a=1,b="2"\nx', referrer="google.com", country="US",
               browser="Chrome", os="Linux", device="desktop", language="en-US",
               utm_source="news", utm_medium="email", utm_campaign="spring")
    seed.event(at="2026-03-02T10:00:00Z", website="site_a", visitor="a", type="event", name="=HYPERLINK(1)",
               data={"plan": "pro", "note": 'a,"b"'})
    seed.event(at="2026-03-02T10:00:10Z", website="site_a", visitor="bot", bot=True, utm_source="+1",
               utm_medium="-2", utm_campaign="@sum", language="\tx", browser="\rx")
    seed.event(at="2026-03-03T00:00:00Z", website="site_a", visitor="a")  # next day: out
    seed.event(at="2026-03-02T10:00:01Z", website="site_b", visitor="z")  # other site
    seed.flush()
    q = make_query("export", "site_a", start_date="2026-03-02", end_date="2026-03-02")
    text, rows = read(export_csv(con.cursor(), q))
    assert text.startswith(HEADER + "\r\n")
    assert rows[0] == HEADER.split(",")
    # Oldest first; the bot row is included; no visitor/session ids anywhere.
    assert [r[14] for r in rows[1:]] == ["2026-03-02 10:00:00", "2026-03-02 10:00:05", "2026-03-02 10:00:10"]
    assert rows[1][1:6] == ["site_a", "event", "https://example.com/", "", "'=HYPERLINK(1)"]
    assert rows[2][1:14] == [
        "site_a", "pageview", 'https://example.com/q?a=1,b="2"\nx', "google.com", "", "US", "Chrome",
        "Linux", "desktop", "en-US", "news", "email", "spring",
    ]
    assert rows[3][7] == "'\rx" and rows[3][10:14] == ["'\tx", "'+1", "'-2", "'@sum"]
    assert "a" not in {cell for r in rows[1:] for cell in r}  # visitor id "a" not exported
    # Whether each row is a bot, and the custom event's properties as stored.
    assert [r[15] for r in rows[1:]] == ["false", "false", "true"]
    assert json.loads(rows[1][16]) == {"plan": "pro", "note": 'a,"b"'}
    assert rows[2][16] == rows[3][16] == ""


def test_event_ids_are_stable_distinct_uuid4_that_do_not_count(db):
    con, seed = db
    seed.website("site_a")
    for minute in range(5):
        seed.event(at=f"2026-03-02T10:0{minute}Z", website="site_a", visitor="a", session="s")
    seed.flush()
    q = make_query("export", "site_a", start_date="2026-03-02", end_date="2026-03-02")
    ids = [r[0] for r in read(export_csv(con.cursor(), q))[1][1:]]
    assert len(set(ids)) == 5
    assert all(uuid.UUID(i).version == 4 and str(uuid.UUID(i)) == i for i in ids)
    assert ids == [r[0] for r in read(export_csv(con.cursor(), q))[1][1:]]
    # The stored counter (1, 2, 3, …) does not show through.
    assert len({i[:8] for i in ids}) == 5
    detail = session_detail(con.cursor(), "site_a", session_hex("s"))
    assert [e["id"] for e in detail.data["events"]] == ids


def test_local_days(db):
    con, seed = db
    seed.website("site_la", "America/Los_Angeles")
    seed.event(at="2026-03-02T07:59Z", website="site_la")  # 1 March 23:59 PST: out
    seed.event(at="2026-03-02T08:00Z", website="site_la")  # 2 March 00:00 PST
    seed.event(at="2026-03-03T07:59Z", website="site_la")  # 2 March 23:59 PST
    seed.event(at="2026-03-03T08:00Z", website="site_la")  # 3 March: out
    seed.flush()
    q = make_query("export", "site_la", start_date="2026-03-02", end_date="2026-03-02")
    _, rows = read(export_csv(con.cursor(), q))
    assert [r[14] for r in rows[1:]] == ["2026-03-02 08:00:00", "2026-03-03 07:59:00"]


def test_streams_in_batches(db):
    con, seed = db
    seed.website("site_a")
    for n in range(5):
        seed.event(at=f"2026-03-02T10:0{n}Z", website="site_a")
    seed.flush()
    q = make_query("export", "site_a", start_date="2026-03-02", end_date="2026-03-02")
    chunks = list(export_csv(con.cursor(), q, batch_size=2))
    # Header, then batches of 2, 2 and 1 rows.
    assert len(chunks) == 4
    assert chunks[0] == (HEADER + "\r\n").encode()
    assert [c.count(b"\r\n") for c in chunks[1:]] == [2, 2, 1]


def test_too_many_rows_fails_before_any_output(db):
    con, seed = db
    seed.website("site_a")
    for n in range(4):
        seed.event(at=f"2026-03-02T10:0{n}Z", website="site_a")
    seed.flush()
    q = make_query("export", "site_a", start_date="2026-03-02", end_date="2026-03-02")
    with pytest.raises(QueryError, match=r"^result set too large: 4 rows \(max 3\)$"):
        export_csv(con.cursor(), q, max_rows=3)
    assert EXPORT_MAX_ROWS == 500_000
    assert len(list(export_csv(con.cursor(), q, max_rows=4))) == 2


def test_empty_export_is_just_the_header(db):
    con, seed = db
    seed.website("site_a")
    q = make_query("export", "site_a", start_date="2026-03-02", end_date="2026-03-02")
    assert b"".join(export_csv(con.cursor(), q)) == (HEADER + "\r\n").encode()


def test_cells_and_filename():
    assert [csv_cell(v) for v in (None, "", "ok", "=1", "+1", "-1", "@x", "\tx", "\rx", "a=b", 5)] == [
        "", "", "ok", "'=1", "'+1", "'-1", "'@x", "'\tx", "'\rx", "a=b", "5",
    ]
    q = make_query("export", "site_a", start_date="2026-03-01", end_date="2026-03-31")
    assert export_filename(q) == "events-site_a-2026-03-01-2026-03-31.csv"


TRICKY = ["plain", "a,b", 'say "hi"', "line\nbreak", "cr\rhere", "=1+2", "+x", "-y", "@z", "\tt", "\rr",
          "'quoted", "", "ünïcødé, ok", '"', "=a,\"b\""]


def test_sql_formatting_matches_the_csv_module(db):
    con, seed = db
    seed.website("site_a")
    for n, text in enumerate(TRICKY):
        seed.event(at=f"2026-03-02T10:{n:02d}Z", website="site_a", url=text, referrer=text or None,
                   type="event", name=text, country="US", browser=text, os=text, device=text,
                   language=text, utm_source=text, utm_medium=text, utm_campaign=text, raw_data=text or None)
    seed.flush()
    c = con.cursor()
    q = make_query("export", "site_a", start_date="2026-03-02", end_date="2026-03-02")
    got = b"".join(export_csv(c, q, batch_size=3)).decode()
    # Reference: the raw values through csv_cell and Python's csv writer.
    raw = c.execute(
        f"SELECT {public_event_id('id')}, website_id, event_type, url, referrer_domain, event_name, country,"
        " browser, os, device_type, language, utm_source, utm_medium, utm_campaign,"
        " CAST(created_at AS VARCHAR), CAST(is_bot AS VARCHAR), event_data FROM events ORDER BY created_at, id"
    ).fetchall()
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(HEADER.split(","))
    writer.writerows([csv_cell(v) for v in row] for row in raw)
    assert got == buffer.getvalue()
    assert [r[5] for r in read([got.encode()])[1][1:]] == [csv_cell(t) for t in TRICKY]
