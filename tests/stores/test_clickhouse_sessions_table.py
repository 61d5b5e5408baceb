"""The closed days' sessions on ClickHouse (``stores/clickhouse/closed_sessions.py``,
``session_reports.py``): stats and breakdowns read them for the days stored and derive
the rest, give what the read-time path gives (and so what DuckDB gives), and every
change to a stored day's events sends that day back to the read-time path until it is
stored again."""

from __future__ import annotations

from datetime import date, timedelta


from sparklytics.clock import utc_now
from sparklytics.enrich.bots import BotVerdict
from sparklytics.queries.goals import AttributionOptions
from sparklytics.queries.journey import parse_journey_options
from sparklytics.queries.retention import parse_retention_options
from sparklytics.stores.clickhouse import closed_sessions, schema
from sparklytics.stores.clickhouse.connection import ClickHouseClient
from sparklytics.wal import WalPosition
from tests.queries.conftest import make_query
from tests.stores.test_events import SITE, event, t
from tests.stores.test_goals import goal


WEEK = {"start_date": "2026-03-02", "end_date": "2026-03-08"}
CONTRACT = "site_utc"  # the contract dataset's main website (tests/queries/fixtures.py)
OVERVIEW = ("page", "referrer", "channel", "country", "browser", "device", "entry_page", "exit_page", "event_name")


def overview(range_: dict, site: str = SITE, **extra) -> list[tuple[str, object]]:
    """The overview's session reports over ``range_``: stats and every breakdown it shows."""
    reports = [("stats", make_query("stats", site, **range_, **extra))]
    reports += [("metrics", make_query("metrics", site, type=metric, **range_, **extra)) for metric in OVERVIEW]
    return reports


def series(range_: dict, site: str = SITE, **extra) -> list[tuple[str, object]]:
    """The pageviews series by day and by hour over ``range_``."""
    return [("pageviews", make_query("pageviews", site, **range_, granularity=granularity, **extra))
            for granularity in ("day", "hour")]


# Goals over the contract dataset: a page (equal, contained), a custom event (valued
# per conversion), one on the URL as sent (read from the events), and one valued by a
# property (counted by the stored sessions, its values read from its events).
GOALS = (
    goal("pricing", "page_view", "/pricing"),
    goal("docs", "page_view", "/doc", match_operator="contains"),
    goal("signup", "event", "signup_click", value_mode="fixed", fixed_value=9.5, currency="EUR"),
    goal("blog-url", "page_view", "https://blog.example.com/blog/hello"),
    goal("signup-plan", "event", "signup_click", value_mode="event_property", value_property_key="plan"),
)


# Filters the stored sessions answer: a visit's source, the client and place columns of
# sessions that keep one value (the seed's do), the page, a goal, alone and together,
# and in a zone an hour off UTC.
FILTERED = (
    {"filter_country": "US"},
    {"filter_browser": "Chrome", "filter_os": "Windows"},
    {"filter_referrer": "google.com"},
    {"filter_referrer": "(direct)", "filter_device": "desktop", "include_bots": "true"},
    {"filter_channel": "Direct", "filter_language": "en-US"},
    {"filter_country": "DE", "timezone": "Europe/Berlin", "compare": "previous_period"},
    {"filter_page": "/pricing"},  # pageviews and a custom event on the path
    {"filter_page": "/go"},  # only a custom event: a session and a visitor, no pageview
    {"filter_page": "/a", "include_bots": "true"},  # the bot's session
    {"filter_page": "/a"},
    {"filter_page": "/docs", "filter_country": "DE", "timezone": "Europe/Berlin"},
    {"filter_goal": "pricing", "goal": GOALS[0]},  # the sessions that converted
    {"filter_goal": "signup", "goal": GOALS[2], "filter_country": "DE", "include_bots": "true"},
    {"filter_goal": "blog-url", "goal": GOALS[3]},  # a goal on the URL: from the events
)


def goal_reports(range_: dict, **extra) -> list[tuple[str, tuple]]:
    """Each goal's stats and the conversions panel over ``range_``: the stored sessions'
    goals, with the property's (its values from the events), with the URL goal (all from
    the events)."""
    reports = [("goal_stats", (make_query("goal_stats", CONTRACT, **range_, **extra), g)) for g in GOALS]
    return reports + [("goal_conversions", (make_query("goal_conversions", CONTRACT, **range_, **extra), goals))
                      for goals in (list(GOALS[:3]), [*GOALS[:3], GOALS[4]], list(GOALS))]


async def test_stored_days_answer_the_overview_as_the_read_time_path_and_duckdb(contract_paths):
    settings, duck, click, raw = contract_paths
    client = ClickHouseClient(settings)
    day = t("2026-02-21T00:00:00").date()  # the scans of these queries, not the dataset's year
    while day <= t("2026-03-09T00:00:00").date():
        assert closed_sessions.build_day(client, CONTRACT, day)
        assert closed_sessions.build_day(client, "site_la", day)
        day += closed_sessions.DAY
    assert client.rows("SELECT count() FROM sessions WHERE website_id = {site:String}", {"site": CONTRACT})[0][0] > 30
    client.close()
    reports = overview(WEEK, CONTRACT) + overview(WEEK, CONTRACT, include_bots="true")
    reports += overview(WEEK, CONTRACT, compare="previous_period")
    for filters in FILTERED:
        reports += overview(WEEK, CONTRACT, **filters) + series(WEEK, CONTRACT, **filters)
    reports = [(method, (query,)) for method, query in reports]
    for extra in ({}, {"include_bots": "true"}, {"filter_country": "US"}, {"filter_page": "/pricing"}):
        reports += goal_reports(WEEK, **extra)
        reports.append(("events", (make_query("events", CONTRACT, **WEEK, **extra),)))  # the custom events list
        reports.append(("event_properties",
                        (make_query("event_properties", CONTRACT, event_name="signup_click", **WEEK, **extra),)))
        reports += [("event_timeseries", (make_query("event_timeseries", CONTRACT, event_name=name, granularity=unit,
                                                     **WEEK, **extra),))
                    for name in ("signup_click", "link_click") for unit in ("day", "hour")]
    # A source filter: the properties' rows need their sessions.
    reports.append(("event_properties", (make_query("event_properties", CONTRACT, event_name="signup_click",
                                                    filter_referrer="google.com", **WEEK),)))
    # Reports that join events to the stored sessions: only those with the anchor event,
    # or with a conversion.
    for direction in ("next", "previous"):
        options = {"anchor_type": "event", "anchor_value": "signup_click", "direction": direction, "max_depth": "2"}
        reports.append(("journey", (make_query("journey", CONTRACT, **WEEK), parse_journey_options(options))))
    for model in ("first_touch", "last_touch"):
        reports.append(("attribution", (make_query("attribution", CONTRACT, **WEEK), GOALS[2],
                                        AttributionOptions("signup", model))))
    for method, args in reports:
        expected = await getattr(duck, method)(*args)
        assert await getattr(raw, method)(*args) == expected, (method, args)
        assert await getattr(click, method)(*args) == expected, (method, args)
    # The seed hand-writes one of site_la's sessions as the Writer never would (see
    # test_clickhouse_parity.py): there the paths agree with each other.
    for method, query in overview(WEEK, "site_la") + overview({"start_date": "2026-03-08", "end_date": "2026-03-08"}, "site_la"):
        assert await getattr(click, method)(query) == await getattr(raw, method)(query), (method, query)


# Days a few days back, so the Scheduler's path (every closed day from the first event
# on) stores a handful of days rather than every day since a fixed date.
FIRST = utc_now().date() - timedelta(days=4)
SECOND = FIRST + timedelta(days=1)
DAY1 = {"start_date": FIRST.isoformat(), "end_date": FIRST.isoformat()}
DAY2 = {"start_date": SECOND.isoformat(), "end_date": SECOND.isoformat()}
BOTH_DAYS = {"start_date": FIRST.isoformat(), "end_date": SECOND.isoformat()}


def on(day: date, clock: str) -> str:
    return f"{day.isoformat()}T{clock}"
VISITORS = [f"v{n}" for n in range(12)]  # enough to land on both shards


def figures(result) -> tuple:
    """Stats as its (name, value) pairs; a breakdown as its rows'."""
    data = result.data
    if "rows" in data:
        return tuple(tuple(sorted(row.items())) for row in data["rows"])
    return tuple(sorted(data.items()))


SMALL = ("page", "referrer", "entry_page", "exit_page", "country")


async def same_on_both_paths(paths, range_: dict, **filters) -> dict[str, tuple]:
    """Stats and a few breakdowns over ``range_``, with and without bots, on both
    paths, asserted equal; the figures by report."""
    stored, raw = paths
    found = {}
    reports = [("stats", make_query("stats", SITE, **range_, **bots, **filters)) for bots in ({}, {"include_bots": "true"})]
    reports += [("metrics", make_query("metrics", SITE, type=metric, **range_, **bots, **filters))
                for metric in SMALL for bots in ({}, {"include_bots": "true"})]
    reports += series(range_, **filters)
    for n, (method, query) in enumerate(reports):
        value = figures(await getattr(stored, method)(query))
        assert value == figures(await getattr(raw, method)(query)), (method, query)
        found["stats" if n == 0 else n] = value
    return found


def settle_all(writer) -> int:
    """Every due day built as the Scheduler builds them: beside the Writer's store."""
    builder = closed_sessions.SessionBuilder(writer.settings)
    days = 0
    while builder.build_next_day():
        days += 1
    builder.close()
    return days


def commit_midnight(writer) -> None:
    """Sessions on both sides of midnight, one running across it, one continued under
    yesterday's id (Decision 6), and an hour-long one on the 2nd."""
    writer.commit(
        [event(v, on(FIRST, "10:00:00"), "/a") for v in VISITORS]
        + [event(v, on(FIRST, "10:40:00"), "/b") for v in VISITORS[:4]]
        + [event("night", on(FIRST, "23:50:00"), "/late"), event("night", on(SECOND, "00:10:00"), "/after")]
        + [event("old-id", on(FIRST, "23:45:00"), "/x"),
           event("new-id", on(SECOND, "00:05:00"), "/y", previous="old-id"),
           event("new-id", on(SECOND, "00:20:00"), "/z", previous="old-id")]
        + [event("long", on(SECOND, f"09:{m:02d}:00"), f"/l{m % 3}") for m in range(0, 60, 20)]
        + [event("long", on(SECOND, "10:10:00"), "/l0")],
        WalPosition(1, 100),
    )


async def test_a_stored_day_is_read_from_the_table_and_a_session_across_midnight_stays_whole(paths, writer, reader):
    commit_midnight(writer)
    before = {name: await same_on_both_paths(paths, range_) for name, range_ in
              (("day1", DAY1), ("day2", DAY2), ("both", BOTH_DAYS))}
    assert settle_all(writer) >= 2
    assert {name: await same_on_both_paths(paths, range_) for name, range_ in
            (("day1", DAY1), ("day2", DAY2), ("both", BOTH_DAYS))} == before
    # The night session counts on both days, once over both; old-id's goes on as new-id.
    assert dict(before["day2"]["stats"])["sessions"] == 3
    assert dict(before["both"]["stats"])["sessions"] == 16 + 2 + 1  # day 1's, the two across midnight, long
    # Remove the events behind the store's back: the stored days still answer.
    reader.on_every_shard("DELETE FROM events_local WHERE 1")
    stored, raw = paths
    query = make_query("stats", SITE, **BOTH_DAYS)
    assert dict(figures(await stored.stats(query)))["sessions"] == 19
    assert dict(figures(await raw.stats(query)))["sessions"] == 0


async def test_the_open_part_of_a_range_is_derived_and_joined_at_the_first_day_not_stored(paths, writer, reader):
    commit_midnight(writer)
    expected = await same_on_both_paths(paths, BOTH_DAYS)
    assert closed_sessions.build_day(reader, SITE, FIRST)  # the second day is not stored
    assert await same_on_both_paths(paths, BOTH_DAYS) == expected


async def test_a_late_event_sends_its_day_back_to_the_read_time_path_until_stored_again(paths, writer):
    commit_midnight(writer)
    settle_all(writer)
    # A WAL drained late: an event that joins the night session and one of a new visitor.
    writer.commit([event("night", on(SECOND, "00:30:00"), "/later"), event("newcomer", on(FIRST, "15:00:00"))],
                  WalPosition(1, 200))
    found = await same_on_both_paths(paths, BOTH_DAYS)
    assert dict(found["stats"])["sessions"] == 20
    assert settle_all(writer) >= 2
    assert await same_on_both_paths(paths, BOTH_DAYS) == found


async def test_deletes_purges_and_bot_recomputes_reach_the_stored_days(paths, writer, reader):
    commit_midnight(writer)
    writer.commit([event(v, on(FIRST, "11:00:00"), website="site_other") for v in VISITORS], WalPosition(1, 200))
    settle_all(writer)

    def flag_b_pages(sample) -> BotVerdict:
        return BotVerdict(True, 90, "test") if sample.path == "/b" else BotVerdict(False, 0, None)

    after = None
    while True:
        _, after = writer.reclassify_bots(SITE, t(on(FIRST, "00:00:00")), t(on(SECOND + timedelta(days=1), "00:00:00")),
                                          after=after, limit=1000, classify=flag_b_pages)
        if after is None:
            break
    recomputed = await same_on_both_paths(paths, BOTH_DAYS)
    assert dict(recomputed["stats"])["sessions"] == 19 - 4  # the four sessions with a /b pageview are bots now
    settle_all(writer)
    assert await same_on_both_paths(paths, BOTH_DAYS) == recomputed

    assert writer.purge(t(on(FIRST, "10:30:00")), limit=1000) == 12
    purged = await same_on_both_paths(paths, BOTH_DAYS)
    settle_all(writer)
    assert await same_on_both_paths(paths, BOTH_DAYS) == purged

    writer.delete_website_events("site_other")
    assert reader.rows("SELECT DISTINCT website_id FROM sessions") == [[SITE]]
    assert reader.rows("SELECT DISTINCT website_id FROM session_days") == [[SITE]]


async def test_nodes_storing_the_same_day_at_once_count_it_once(paths, writer, reader):
    commit_midnight(writer)
    expected = await same_on_both_paths(paths, BOTH_DAYS)
    for _ in range(3):  # three nodes' builds of the first day, one after another
        assert closed_sessions.build_day(reader, SITE, FIRST)
    assert await same_on_both_paths(paths, BOTH_DAYS) == expected
    builds = reader.rows("SELECT uniqExact(build) FROM sessions WHERE day = {day:Date}", {"day": FIRST})
    assert builds == [[1]]  # each build dropped the ones its version superseded


def in_country(row, country: str):
    return row._replace(country=country, browser="Firefox")


async def test_a_session_mixed_in_a_filtered_column_sends_the_filtered_reports_to_the_events(paths, writer, reader):
    # The first pageview from the US, the next two from Germany: the session's country
    # is "US", yet two of its events match a filter on "DE".
    commit_midnight(writer)
    writer.commit([in_country(event("roamer", on(FIRST, "12:00:00"), "/a"), "US"),
                   in_country(event("roamer", on(FIRST, "12:10:00"), "/b"), "DE"),
                   in_country(event("roamer", on(FIRST, "12:20:00"), "/c"), "DE")], WalPosition(1, 200))
    settle_all(writer)
    stored, raw = paths
    for filters in ({"filter_country": "DE"}, {"filter_country": "US"}, {"filter_browser": "Firefox"}):
        for method, query in [("stats", make_query("stats", SITE, **BOTH_DAYS, **filters))] + series(BOTH_DAYS, **filters):
            assert figures(await getattr(stored, method)(query)) == figures(await getattr(raw, method)(query))
        for metric in SMALL:
            query = make_query("metrics", SITE, type=metric, **BOTH_DAYS, **filters)
            assert figures(await stored.metrics(query)) == figures(await raw.metrics(query)), query
    stats = dict(figures(await stored.stats(make_query("stats", SITE, **BOTH_DAYS, filter_country="DE"))))
    assert (stats["pageviews"], stats["sessions"], stats["bounce_rate"]) == (2, 1, 0.0)
    # The browser never changed in that session: a browser filter reads the stored days.
    reader.on_every_shard("DELETE FROM events_local WHERE 1")
    stats = dict(figures(await stored.stats(make_query("stats", SITE, **BOTH_DAYS, filter_browser="Firefox"))))
    assert (stats["pageviews"], stats["sessions"]) == (3, 1)


async def test_filtered_reports_read_the_stored_days_and_the_open_part(paths, writer, reader):
    commit_midnight(writer)
    writer.commit([in_country(event(v, on(SECOND, "15:00:00"), "/c"), "FR") for v in VISITORS[:5]], WalPosition(1, 200))
    found = {}
    for filters in ({"filter_country": "FR"}, {"filter_channel": "Direct"}):
        found[str(filters)] = await same_on_both_paths(paths, BOTH_DAYS, **filters)
    assert closed_sessions.build_day(reader, SITE, FIRST)  # the second day is derived
    for filters in ({"filter_country": "FR"}, {"filter_channel": "Direct"}):
        assert await same_on_both_paths(paths, BOTH_DAYS, **filters) == found[str(filters)]
    assert dict(found[str({"filter_country": "FR"})]["stats"])["visitors"] == 5


async def test_builds_made_before_the_newer_summary_columns_are_built_again(paths, writer, reader):
    commit_midnight(writer)
    settle_all(writer)
    expected = await same_on_both_paths(paths, BOTH_DAYS, filter_country="US")
    # A table from before 12-06: without the columns added since, ``summary_version`` among them.
    for table in ("sessions", "sessions_local"):
        for column, _ in closed_sessions.ADDED_COLUMNS:
            reader.on_every_shard(f"ALTER TABLE {table} DROP COLUMN {column}")
    schema.apply(reader)
    assert reader.rows("SELECT count() FROM sessions") == [[0]]
    assert await same_on_both_paths(paths, BOTH_DAYS, filter_country="US") == expected
    assert settle_all(writer) >= 2
    assert reader.rows("SELECT max(mixed) FROM sessions") == [[0]]
    assert await same_on_both_paths(paths, BOTH_DAYS, filter_country="US") == expected


async def test_days_the_manifest_never_named_are_derived_until_the_first_build(paths, writer, reader):
    # Events committed while their days were today name no day; a late event two days
    # on names the days around it. Nothing is built: every day of the range is derived.
    commit_midnight(writer)
    reader.on_every_shard("DELETE FROM session_days_local WHERE 1")
    writer.commit([event("late", on(SECOND + timedelta(days=2), "12:00:00"))], WalPosition(1, 200))
    found = await same_on_both_paths(paths, BOTH_DAYS)
    assert dict(found["stats"])["sessions"] == 19


async def test_a_session_of_bot_and_human_events_sends_a_page_filter_without_bots_to_the_events(paths, writer):
    commit_midnight(writer)
    flagged = event("half-bot", on(FIRST, "12:05:00"), "/h2")._replace(is_bot=True, bot_score=90, bot_reason="test")
    writer.commit([event("half-bot", on(FIRST, "12:00:00"), "/h1"), flagged], WalPosition(1, 200))
    settle_all(writer)
    found = await same_on_both_paths(paths, BOTH_DAYS, filter_page="/h")  # with bots and without
    # Without bots: the human pageview counts, its session (a bot's now) does not.
    assert (dict(found["stats"])["pageviews"], dict(found["stats"])["sessions"]) == (1, 0)


Z_PAGE = goal("z", "page_view", "/z", website_id=SITE)
HALF_HOUR_ZONE = {"timezone": "Asia/Kolkata"}  # whole UTC hours cannot cut its days: the events answer
# Midnight's funnel: old-id's /x, then /y and /z under new-id, one session (Decision 6).
MIDNIGHT_FUNNEL = {"id": "f1", "name": "Across midnight", "steps": [
    {"step_order": n, "label": path, "step_type": "page_view", "match_operator": "equals", "match_value": path}
    for n, path in enumerate(("/x", "/y", "/z"), start=1)
]}


def event_level_reports() -> list[tuple[str, tuple]]:
    """Reports that give each event its session: the funnel, journeys, retention,
    attribution, and the sessions list and stats (with ``filter_goal`` too) in a zone
    the summaries do not answer."""
    journeys = ({"anchor_type": "page", "anchor_value": "/late", "direction": "next", "max_depth": "3"},
                {"anchor_type": "page", "anchor_value": "/z", "direction": "previous", "max_depth": "3"})
    return [
        ("funnel", (make_query("funnel_results", SITE, **BOTH_DAYS), MIDNIGHT_FUNNEL)),
        *(("journey", (make_query("journey", SITE, **BOTH_DAYS), parse_journey_options(options)))
          for options in journeys),
        ("retention", (make_query("retention", SITE, **BOTH_DAYS), parse_retention_options({"cohort_granularity": "day"}))),
        ("sessions", (make_query("sessions", SITE, **HALF_HOUR_ZONE, **BOTH_DAYS),)),
        ("stats", (make_query("stats", SITE, **HALF_HOUR_ZONE, **BOTH_DAYS),)),
        # filter_goal and attribution keep the sessions with /z: the one across midnight.
        ("stats", (make_query("stats", SITE, filter_goal="z", goal=Z_PAGE, **HALF_HOUR_ZONE, **BOTH_DAYS),)),
        ("attribution", (make_query("attribution", SITE, **BOTH_DAYS), Z_PAGE, AttributionOptions("z", "first_touch"))),
    ]


async def test_event_level_reports_find_each_events_stored_session_across_midnight(paths, writer, reader):
    commit_midnight(writer)
    stored, raw = paths
    expected = [await getattr(raw, method)(*args) for method, args in event_level_reports()]
    assert expected[0].data["steps"][2]["sessions_reached"] == 1  # new-id's /y and /z went on old-id's session
    assert dict(figures(expected[5]))["sessions"] == 19
    assert dict(figures(expected[6]))["sessions"] == 1 and expected[7].data["totals"]["conversions"] == 1
    assert settle_all(writer) >= 2
    for (method, args), before in zip(event_level_reports(), expected):
        assert await getattr(raw, method)(*args) == before, method
        assert await getattr(stored, method)(*args) == before, method
    # The stored path reads the table: without the first day's rows, old-id's session is gone.
    reader.on_every_shard("DELETE FROM sessions_local WHERE day = {day:Date}", {"day": FIRST})
    method, args = event_level_reports()[0]
    assert (await stored.funnel(*args)).data["steps"][0]["sessions_reached"] == 0
    assert await raw.funnel(*args) == expected[0]


async def test_filter_goal_in_a_half_hour_zone_tests_the_conversions_time_not_its_hour(paths, writer):
    # In India's day the session's /z (00:10 the next day there) is out of the range, in
    # a UTC hour that the range's end cuts: the hour's key would count it.
    writer.commit([event("edge", on(SECOND, "18:20:00"), "/in"), event("edge", on(SECOND, "18:40:00"), "/z")],
                  WalPosition(1, 100))
    assert settle_all(writer) >= 1
    stored, raw = paths
    query = make_query("stats", SITE, filter_goal="z", goal=Z_PAGE, **HALF_HOUR_ZONE, **DAY2)
    assert dict(figures(await raw.stats(query)))["sessions"] == 0
    assert await stored.stats(query) == await raw.stats(query)
