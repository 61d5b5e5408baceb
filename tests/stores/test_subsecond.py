"""Times finer than a millisecond, on both backends (the AnalyticsStore contract).

The Enricher gives the events of one collect request their arrival time plus
0, 1, 2 … microseconds, so their order survives storage. DuckDB keeps microseconds;
ClickHouse must too, or a funnel whose steps were sent in one request reaches only its
first step there, and a gap of 30 minutes and 1 µs would continue a session.

Website ``fine`` (UTC), Wed 4 March 2026:

=====  ======================  ==========================  ======================
who    time                    event                       why
=====  ======================  ==========================  ======================
a      10:00:00                pageview /                  one request, three
a      10:00:00.000001         pageview /pricing           steps a microsecond
a      10:00:00.000002         signup                      apart: chain
b      11:00:00.5              pageview /                  two steps at the same
b      11:00:00.5              pageview /pricing           instant: no chain
c      12:00:00                pageview /                  30 min + 1 µs later:
c      12:30:00.000001         pageview /docs              a second session
d      13:00:00.25             pageview /                  exactly 30 min later:
d      13:30:00.25             pageview /docs              the same session
=====  ======================  ==========================  ======================
"""

from __future__ import annotations

import pytest

from tests.queries.conftest import make_query

from .conftest import analytics_on, seeded_file

DAY = {"start_date": "2026-03-04", "end_date": "2026-03-04"}


def seed_fine(seed) -> None:
    seed.website("fine", "UTC")
    site = dict(website="fine")
    seed.event(at="2026-03-04T10:00:00Z", visitor="a", path="/", **site)
    seed.event(at="2026-03-04T10:00:00.000001Z", visitor="a", path="/pricing", **site)
    seed.event(at="2026-03-04T10:00:00.000002Z", visitor="a", type="event", name="signup", **site)
    seed.event(at="2026-03-04T11:00:00.5Z", visitor="b", path="/", **site)
    seed.event(at="2026-03-04T11:00:00.5Z", visitor="b", path="/pricing", **site)
    seed.event(at="2026-03-04T12:00:00Z", visitor="c", session="c-1", path="/", **site)
    seed.event(at="2026-03-04T12:30:00.000001Z", visitor="c", session="c-2", path="/docs", **site)
    seed.event(at="2026-03-04T13:00:00.25Z", visitor="d", path="/", **site)
    seed.event(at="2026-03-04T13:30:00.25Z", visitor="d", path="/docs", **site)
    seed.flush()


@pytest.fixture(scope="module")
def fine_dataset(tmp_path_factory):
    return seeded_file(tmp_path_factory.mktemp("fine"), seed_fine)


@pytest.fixture(params=["duckdb", "clickhouse"])
async def store(request, fine_dataset):
    async with analytics_on(request.param, fine_dataset, request) as analytics:
        yield analytics


async def test_funnel_steps_a_microsecond_apart_chain_and_simultaneous_ones_do_not(store):
    steps = [
        {"step_order": 1, "step_type": "page_view", "match_value": "/", "match_operator": "equals", "label": "Home"},
        {"step_order": 2, "step_type": "page_view", "match_value": "/pricing", "match_operator": "equals",
         "label": "Pricing"},
        {"step_order": 3, "step_type": "event", "match_value": "signup", "match_operator": "equals", "label": "Signup"},
    ]
    funnel = {"id": "f1", "name": "signup", "steps": steps}
    body = (await store.funnel(make_query("funnel_results", website="fine", **DAY), funnel)).body()
    # Entered: a, b, c's first session, d. Only a reaches /pricing strictly later.
    assert body["data"]["total_sessions_entered"] == 4
    assert [s["sessions_reached"] for s in body["data"]["steps"]] == [4, 1, 1]


async def test_a_gap_of_thirty_minutes_and_a_microsecond_starts_a_session(store):
    body = (await store.stats(make_query("stats", website="fine", **DAY))).body()["data"]
    assert (body["pageviews"], body["visitors"], body["sessions"]) == (8, 4, 5)


async def test_session_times_keep_their_fraction_as_duckdb_writes_it(store):
    body = (await store.sessions(make_query("sessions", website="fine", **DAY))).body()
    assert [(s["visitor_id"], s["first_seen"], s["last_seen"], s["duration_seconds"], s["pageview_count"])
            for s in body["data"]] == [
        ("d", "2026-03-04 13:00:00.25", "2026-03-04 13:30:00.25", 1800, 2),
        ("c", "2026-03-04 12:30:00.000001", "2026-03-04 12:30:00.000001", 0, 1),
        ("c", "2026-03-04 12:00:00", "2026-03-04 12:00:00", 0, 1),
        ("b", "2026-03-04 11:00:00.5", "2026-03-04 11:00:00.5", 0, 2),
        ("a", "2026-03-04 10:00:00", "2026-03-04 10:00:00.000002", 0, 2),
    ]
