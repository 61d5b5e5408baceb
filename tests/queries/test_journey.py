"""Journey: branches after/before an anchor, depth, empty branch, top-20 cut, nodes."""

from __future__ import annotations

import re

import pytest

from sparklytics.queries.errors import QueryError
from sparklytics.queries.journey import JourneyOptions, normalize_page, parse_journey_options, shape_branches
from sparklytics.stores.duckdb.reports.journey import journey

from .conftest import make_query

WEEK = {"start_date": "2026-03-02", "end_date": "2026-03-08"}


def run(cur, website="site_j", **params):
    params = {**WEEK, **params}
    return journey(cur, make_query("journey", website, **params), parse_journey_options(params)).data


def branches(data):
    return [(b["nodes"], b["sessions"], b["share"]) for b in data["branches"]]


@pytest.fixture
def site(db):
    """``site_j`` (UTC) and its seed; events are added per test."""
    con, seed = db
    seed.website("site_j")
    return con, seed


def visit(seed, session, at, pages, **kw):
    seed.visit(at=at, pages=pages, website="site_j", visitor=session, session=session, **kw)


def test_next_on_the_shared_dataset(cur):
    data = run(cur, "site_utc", anchor_type="page", anchor_value="/", direction="next")
    # u0 and u2 start each weekday on /, then /pricing (+2 min), signup_click (+3) and
    # /docs or /pricing (+4): 5 sessions each. The bot's / /a /b /c is excluded.
    assert data == {
        "anchor": {"type": "page", "value": "/"},
        "direction": "next",
        "max_depth": 3,
        "total_anchor_sessions": 10,
        "branches": [
            {"nodes": ["/pricing", "signup_click", "/docs"], "sessions": 5, "share": 0.5},
            {"nodes": ["/pricing", "signup_click", "/pricing"], "sessions": 5, "share": 0.5},
        ],
    }
    with_bots = run(cur, "site_utc", anchor_type="page", anchor_value="/", direction="next", include_bots="true")
    assert with_bots["total_anchor_sessions"] == 11
    assert branches(with_bots)[2] == (["/a", "/b", "/c"], 1, 0.0909)


def test_next_and_depth(site):
    con, seed = site
    visit(seed, "s1", "2026-03-02T10:00Z", ["/", "/pricing", "/signup", "/thanks", "/docs"])
    visit(seed, "s2", "2026-03-03T10:00Z", ["/", "/pricing", "/docs"])
    visit(seed, "s3", "2026-03-04T10:00Z", ["/blog", "/"])
    visit(seed, "s4", "2026-03-05T10:00Z", ["/pricing"])  # no anchor
    seed.flush()
    data = run(con, anchor_type="page", anchor_value="/", direction="next")
    assert data["total_anchor_sessions"] == 3
    # One session each: ties by nodes ascending, the empty branch (s3) first.
    assert branches(data) == [
        ([], 1, 0.3333),
        (["/pricing", "/docs"], 1, 0.3333),
        (["/pricing", "/signup", "/thanks"], 1, 0.3333),
    ]
    one = run(con, anchor_type="page", anchor_value="/", direction="next", max_depth="1")
    assert one["max_depth"] == 1
    assert branches(one) == [(["/pricing"], 2, 0.6667), ([], 1, 0.3333)]
    five = run(con, anchor_type="page", anchor_value="/", direction="next", max_depth="5")
    assert branches(five)[2] == (["/pricing", "/signup", "/thanks", "/docs"], 1, 0.3333)


def test_previous_lists_the_nearest_nodes_chronologically(site):
    con, seed = site
    visit(seed, "s1", "2026-03-02T10:00Z", ["/a", "/b", "/c", "/d", "/"])
    visit(seed, "s2", "2026-03-03T10:00Z", ["/blog", "/"])
    visit(seed, "s3", "2026-03-04T10:00Z", ["/", "/pricing"])
    seed.flush()
    data = run(con, anchor_type="page", anchor_value="/", direction="previous", max_depth="2")
    assert data["direction"] == "previous"
    assert branches(data) == [([], 1, 0.3333), (["/blog"], 1, 0.3333), (["/c", "/d"], 1, 0.3333)]


def test_anchor_is_the_sessions_first_occurrence(site):
    con, seed = site
    visit(seed, "s1", "2026-03-02T10:00Z", ["/", "/x", "/", "/y"])
    seed.flush()
    assert branches(run(con, anchor_type="page", anchor_value="/", direction="next")) == [(["/x", "/", "/y"], 1, 1.0)]
    assert branches(run(con, anchor_type="page", anchor_value="/", direction="previous")) == [([], 1, 1.0)]


def test_events_in_the_same_second_follow_their_ids(site):
    con, seed = site
    for path in ("/", "/a", "/b"):  # ids 1, 2, 3 at the same instant
        seed.event(at="2026-03-02T10:00Z", path=path, website="site_j", session="s1")
    seed.flush()
    assert branches(run(con, anchor_type="page", anchor_value="/a", direction="next")) == [(["/b"], 1, 1.0)]
    assert branches(run(con, anchor_type="page", anchor_value="/a", direction="previous")) == [(["/"], 1, 1.0)]


def test_pages_and_anchor_are_normalized(site):
    con, seed = site
    # Stored paths keep case and trailing slashes (ingest); nodes fold them.
    visit(seed, "s1", "2026-03-02T10:00Z", ["/", "/Pricing/", "/Docs//"])
    visit(seed, "s2", "2026-03-03T10:00Z", ["/PRICING", "/docs"], url="/PRICING?plan=pro")
    visit(seed, "s3", "2026-03-04T10:00Z", ["//", "/pricing"])
    seed.flush()
    data = run(con, anchor_type="page", anchor_value="  https://Example.com/Pricing/?plan=pro#cta ", direction="next")
    assert data["anchor"] == {"type": "page", "value": "/pricing"}
    assert data["total_anchor_sessions"] == 3
    assert branches(data) == [(["/docs"], 2, 0.6667), ([], 1, 0.3333)]
    root = run(con, anchor_type="page", anchor_value="/?utm_source=x#top", direction="next", max_depth="1")
    assert root["anchor"]["value"] == "/"
    assert branches(root) == [(["/pricing"], 2, 1.0)]  # "//" is the root too


def test_normalize_page():
    assert normalize_page("/Pricing/?a=1#x") == "/pricing"
    assert normalize_page("https://Example.com/Docs/") == "/docs"
    assert normalize_page("pricing") == "/pricing"
    assert normalize_page("/") == normalize_page("?x") == normalize_page("https://example.com") == "/"


def test_custom_events_are_nodes_and_anchors(site):
    con, seed = site
    seed.event(at="2026-03-02T10:00Z", path="/", website="site_j", session="s1")
    seed.event(at="2026-03-02T10:01Z", type="event", name="signup_click", path="/", website="site_j", session="s1")
    seed.event(at="2026-03-02T10:02Z", type="event", name=None, path="/", website="site_j", session="s1")  # no name: not a node
    seed.event(at="2026-03-02T10:03Z", path="/thanks", website="site_j", session="s1")
    seed.flush()
    assert branches(run(con, anchor_type="page", anchor_value="/", direction="next")) == [
        (["signup_click", "/thanks"], 1, 1.0)
    ]
    by_event = run(con, anchor_type="event", anchor_value=" signup_click ", direction="previous")
    assert by_event["anchor"] == {"type": "event", "value": "signup_click"}
    assert branches(by_event) == [(["/"], 1, 1.0)]
    # An event anchor matches custom events only, a page anchor pageviews only.
    assert run(con, anchor_type="event", anchor_value="/thanks", direction="next")["total_anchor_sessions"] == 0
    nothing = run(con, anchor_type="page", anchor_value="signup_click", direction="next")
    assert (nothing["total_anchor_sessions"], nothing["branches"]) == (0, [])


def test_top_20_by_sessions_then_nodes(site):
    con, seed = site
    for k in range(22):  # 22 one-session branches /p00 … /p21
        visit(seed, f"s{k}", f"2026-03-02T{k:02d}:00Z", ["/", f"/p{k:02d}"])
    for n, page in enumerate(["/p21", "/p21", "/p05"]):  # /p21: 3 sessions, /p05: 2
        visit(seed, f"extra{n}", f"2026-03-03T{n:02d}:00Z", ["/", page])
    for n in range(2):  # the empty branch: 2 sessions
        visit(seed, f"alone{n}", f"2026-03-04T{n:02d}:00Z", ["/"])
    seed.flush()
    data = run(con, anchor_type="page", anchor_value="/", direction="next")
    assert data["total_anchor_sessions"] == 27
    singles = [f"/p{k:02d}" for k in range(18) if k != 5]  # /p00 … /p17 without /p05
    assert branches(data) == [
        (["/p21"], 3, 0.1111),
        ([], 2, 0.0741),  # ties with /p05 and sorts first
        (["/p05"], 2, 0.0741),
        *[([page], 1, 0.037) for page in singles],
    ]
    assert len(data["branches"]) == 20  # /p18, /p19, /p20 are cut


def test_shape_branches_drops_the_empty_branch_past_the_cut():
    top = [([f"/p{k:02d}"], 2) for k in range(20)]
    shaped = shape_branches(top, empty_sessions=1, total=41)
    assert len(shaped) == 20
    assert all(b["nodes"] for b in shaped)
    assert shape_branches([], empty_sessions=0, total=0) == []


def test_filters_select_events(site):
    con, seed = site
    visit(seed, "us", "2026-03-02T10:00Z", ["/", "/x"], country="US")
    visit(seed, "de", "2026-03-02T11:00Z", ["/", "/y"], country="DE")
    visit(seed, "mix", "2026-03-02T12:00Z", ["/pricing", "/blog", "/pricing/faq"])
    seed.flush()
    assert branches(run(con, anchor_type="page", anchor_value="/", direction="next", filter_country="DE")) == [
        (["/y"], 1, 1.0)
    ]
    # With a page filter, a session's nodes are its matching pageviews only.
    assert branches(run(con, anchor_type="page", anchor_value="/pricing", direction="next", filter_page="pricing")) == [
        (["/pricing/faq"], 1, 1.0)
    ]


def test_bots_are_excluded_unless_included(site):
    con, seed = site
    visit(seed, "human", "2026-03-02T10:00Z", ["/", "/x"])
    visit(seed, "bot", "2026-03-02T11:00Z", ["/", "/wp-admin"], bot=True)
    seed.flush()
    assert branches(run(con, anchor_type="page", anchor_value="/", direction="next")) == [(["/x"], 1, 1.0)]
    assert branches(run(con, anchor_type="page", anchor_value="/", direction="next", include_bots="true")) == [
        (["/wp-admin"], 1, 0.5),
        (["/x"], 1, 0.5),
    ]


def test_range_bounds_anchors_and_branches(site):
    con, seed = site
    visit(seed, "before", "2026-03-01T23:00Z", ["/", "/x"])  # Sunday before the range
    # Starts on the last local day and continues past midnight: the branch stops there.
    seed.visit(at="2026-03-08T23:58Z", pages=["/", "/late"], gap_minutes=3, website="site_j",
               visitor="edge", session="edge")
    seed.flush()
    assert branches(run(con, anchor_type="page", anchor_value="/", direction="next")) == [([], 1, 1.0)]
    # In Los Angeles (UTC−7 since 8 March) both are inside 1 – 8 March local.
    la = run(con, anchor_type="page", anchor_value="/", direction="next", timezone="America/Los_Angeles",
             start_date="2026-03-01")
    assert branches(la) == [(["/late"], 1, 0.5), (["/x"], 1, 0.5)]


@pytest.mark.parametrize(
    ("params", "message", "field"),
    [
        ({}, "anchor_type is required", "anchor_type"),
        ({"anchor_type": "  "}, "anchor_type is required", "anchor_type"),
        ({"anchor_type": "url"}, "anchor_type must be either 'page' or 'event'", "anchor_type"),
        ({"anchor_type": "page"}, "anchor_value is required", "anchor_value"),
        ({"anchor_type": "page", "anchor_value": "   "}, "anchor_value is required", "anchor_value"),
        ({"anchor_type": "page", "anchor_value": "/" + "a" * 500}, "anchor_value must be at most 500 characters", "anchor_value"),
        ({"anchor_type": "page", "anchor_value": "/"}, "direction is required", "direction"),
        ({"anchor_type": "page", "anchor_value": "/", "direction": "forward"}, "direction must be either 'next' or 'previous'", "direction"),
        ({"anchor_type": "page", "anchor_value": "/", "direction": "next", "max_depth": "0"}, "max_depth must be between 1 and 5", "max_depth"),
        ({"anchor_type": "page", "anchor_value": "/", "direction": "next", "max_depth": "6"}, "max_depth must be between 1 and 5", "max_depth"),
        ({"anchor_type": "page", "anchor_value": "/", "direction": "next", "max_depth": "two"}, "max_depth must be between 1 and 5", "max_depth"),
    ],
)
def test_option_errors(params, message, field):
    with pytest.raises(QueryError, match=f"^{re.escape(message)}$") as caught:
        parse_journey_options(params)
    assert caught.value.field == field


def test_option_defaults_and_trimming():
    options = parse_journey_options(
        {"anchor_type": " event ", "anchor_value": " Signup ", "direction": " previous ", "max_depth": " "}
    )
    assert options == JourneyOptions("event", "Signup", "previous", 3)
    assert parse_journey_options({"anchor_type": "page", "anchor_value": "/" + "a" * 499, "direction": "next",
                                  "max_depth": "5"}).max_depth == 5
