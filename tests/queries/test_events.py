"""Custom events: list with prev_count, property sampling, and their edge cases."""

from __future__ import annotations

import json
from datetime import datetime, timedelta

from sparklytics.stores.duckdb.reports.events import event_properties, events_list

from .conftest import make_query

PRIMARY = {"start_date": "2026-03-02", "end_date": "2026-03-08"}


def test_list_primary_week(cur):
    # signup_click: i = 0, 2, 4 on 5 weekdays; link_click: u9 once. Nothing custom in
    # the previous period, so no prev_count keys.
    assert events_list(cur, make_query("events", **PRIMARY)).body() == {
        "data": {
            "rows": [
                {"event_name": "signup_click", "count": 15, "visitors": 3},
                {"event_name": "link_click", "count": 1, "visitors": 1},
            ],
            "total": 2,
        }
    }


def test_list_with_prev_count(cur):
    # Week 2 (9–15 March): signup_click by u0, u2 on 5 weekdays; the previous 7 days
    # are the primary week (15).
    assert events_list(cur, make_query("events", start_date="2026-03-09", end_date="2026-03-15")).data == {
        "rows": [{"event_name": "signup_click", "count": 10, "visitors": 2, "prev_count": 15}],
        "total": 1,
    }


def test_list_filters(cur):
    # US = i 0, 1, 2; only 0 and 2 fire signup_click. u9 has no country.
    assert events_list(cur, make_query("events", filter_country="US", **PRIMARY)).data == {
        "rows": [{"event_name": "signup_click", "count": 10, "visitors": 2}],
        "total": 1,
    }


def test_list_order_and_cap(db):
    con, seed = db
    seed.website("site_a")
    at = datetime(2026, 3, 2, 10)
    # 205 names: e000 has 3 occurrences, e001 2, the rest 1 each; ties by name.
    for n in range(205):
        for k in range(3 if n == 0 else 2 if n == 1 else 1):
            seed.event(at=at + timedelta(seconds=n * 3 + k), website="site_a", type="event",
                       name=f"e{n:03d}", visitor=f"v{k}")
    seed.flush()
    data = events_list(con.cursor(), make_query("events", "site_a", start_date="2026-03-02", end_date="2026-03-02")).data
    assert data["total"] == 205
    assert len(data["rows"]) == 200
    assert [(r["event_name"], r["count"], r["visitors"]) for r in data["rows"][:3]] == [
        ("e000", 3, 3), ("e001", 2, 2), ("e002", 1, 1),
    ]
    assert data["rows"][-1]["event_name"] == "e199"


def test_properties_primary_week(cur):
    # plan: pro (i0) ×5, free (i2, i4) ×10; source: header (i0, i4) ×10, footer (i2) ×5;
    # i4's "coupon": null is skipped.
    assert event_properties(cur, make_query("event_properties", event_name="signup_click", **PRIMARY)).data == {
        "event_name": "signup_click",
        "total_occurrences": 15,
        "sample_size": 15,
        "properties": [
            {"property_key": "plan", "property_value": "free", "count": 10},
            {"property_key": "plan", "property_value": "pro", "count": 5},
            {"property_key": "source", "property_value": "header", "count": 10},
            {"property_key": "source", "property_value": "footer", "count": 5},
        ],
    }


def test_properties_value_kinds_and_invalid_json(db):
    con, seed = db
    seed.website("site_a")
    payloads = [
        json.dumps({"plan": "pro", "n": 3, "ok": True, "obj": {"a": 1}, "nil": None}),
        '{"plan": "pro"}',
        "not json",
        '{"plan": ',
        "[1, 2]",
        '"just a string"',
        None,
    ]
    for n, raw in enumerate(payloads):
        seed.event(at=datetime(2026, 3, 2, 10, n), website="site_a", type="event", name="buy", raw_data=raw)
    seed.event(at="2026-03-02T11:00Z", website="site_a", type="event", name="other", data={"plan": "x"})
    seed.flush()
    data = event_properties(con.cursor(), make_query("event_properties", "site_a", event_name="buy",
                                                     start_date="2026-03-02", end_date="2026-03-02")).data
    assert (data["total_occurrences"], data["sample_size"]) == (7, 7)
    assert [(p["property_key"], p["property_value"], p["count"]) for p in data["properties"]] == [
        ("n", "3", 1),
        ("obj", '{"a":1}', 1),
        ("ok", "true", 1),
        ("plan", "pro", 2),
    ]


def test_properties_sample_the_newest_10000(db):
    con, seed = db
    seed.website("site_a")
    start = datetime(2026, 3, 2, 0, 0)
    for n in range(10_005):  # the 5 oldest say "old", the newest 10 000 "new"
        seed.event(at=start + timedelta(seconds=n), website="site_a", type="event", name="tick",
                   data={"v": "old" if n < 5 else "new"}, visitor="v", session="s")
    seed.flush()
    data = event_properties(con.cursor(), make_query("event_properties", "site_a", event_name="tick",
                                                     start_date="2026-03-02", end_date="2026-03-02")).data
    assert (data["total_occurrences"], data["sample_size"]) == (10_005, 10_000)
    assert data["properties"] == [{"property_key": "v", "property_value": "new", "count": 10_000}]


def test_properties_cap_at_500_rows(db):
    con, seed = db
    seed.website("site_a")
    for n in range(600):
        seed.event(at=datetime(2026, 3, 2, 10) + timedelta(seconds=n), website="site_a", type="event",
                   name="pick", data={"k": f"v{n:03d}"})
    seed.flush()
    props = event_properties(con.cursor(), make_query("event_properties", "site_a", event_name="pick",
                                                      start_date="2026-03-02", end_date="2026-03-02")).data["properties"]
    assert len(props) == 500
    assert (props[0]["property_value"], props[-1]["property_value"]) == ("v000", "v499")


def test_properties_of_unknown_event(cur):
    assert event_properties(cur, make_query("event_properties", event_name="nope", **PRIMARY)).data == {
        "event_name": "nope", "total_occurrences": 0, "sample_size": 0, "properties": [],
    }
