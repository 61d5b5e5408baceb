"""The overview's visitors from the sessions' previous visits equal distinct visitors.

Random traffic goes through the real event store (sessions resolved by the Writer's
rules, their columns computed as the rows are written, from the Writer's memory of each
visitor or from storage when it holds too few visitors or was restarted): visitors
spanning days (client-supplied ids), batches out of time order (imports), bots and
sessions turning bot, a retention purge in small batches, a bot recompute that flips
verdicts. After each step every stored row must be settled and its columns equal the
window functions that define them.
After each step, stats, daily pageviews and the page/referrer/country/browser/device
breakdowns over random ranges in zones with whole, half-hour and DST offsets must
equal (a) visitors counted here in Python from the stored events and sessions, and
(b) the same report through the raw path (a hostname filter every event matches; session
totals are not compared there: after a purge, the raw path drops sessions whose events in
the range are gone, the unfiltered path keeps them, as before this change).
"""

from __future__ import annotations

import random
from collections import defaultdict
from collections.abc import Callable
from datetime import date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import duckdb
import pytest

from sparklytics.bot_controls import BotSample
from sparklytics.enrich.bots import BotVerdict
from sparklytics.events import EventRow
from sparklytics.stores.duckdb.database import Database
from sparklytics.stores.duckdb.events import DuckDBEventStore
from sparklytics.stores.duckdb.schema import MIGRATIONS, apply_migrations
from sparklytics.stores.duckdb.visitor_history import KnownVisitors
from sparklytics.wal import WalPosition

from .conftest import make_query
from .reports import metrics, pageviews, stats

SITE = "site_prev"
HOST = "prev.example"
FIRST_DAY = datetime(2026, 3, 4)  # the window holds New York's spring-forward day (8 March)
DAYS = 8
ZONES = ("UTC", "Asia/Kolkata", "America/New_York", "Australia/Lord_Howe", "Pacific/Chatham")
DIMENSIONS = {"referrer": "referrer_domain", "country": "country", "browser": "browser", "device": "device_type"}
NOW = datetime(2026, 3, 20, 12, 0)


class Traffic:
    """Random events committed through the real store, batch by batch."""

    def __init__(self, store: DuckDBEventStore, rng: random.Random, bot_share: float) -> None:
        self.store = store
        self.rng = rng
        self.bot_share = bot_share
        self.visitors = [f"client-{n}" for n in range(30)]  # client-supplied: span days
        self.cursor = 0

    def event(self, at: datetime) -> EventRow:
        rng = self.rng
        pageview = rng.random() < 0.85
        path = rng.choice(["/", "/a", "/b", "/c"])
        values = dict.fromkeys(EventRow._fields)
        values.update(
            website_id=SITE, visitor_id=rng.choice(self.visitors),
            event_type="pageview" if pageview else "event", event_name=None if pageview else "signup",
            url=f"https://{HOST}{path}", path=path, hostname=HOST,
            referrer_domain=rng.choice([None, None, "news.example", "search.example"]),
            channel="Direct", country=rng.choice(["DE", "FR", "US", None]),
            browser=rng.choice(["Chrome", "Firefox", "Safari"]), device_type=rng.choice(["desktop", "mobile"]),
            is_bot=rng.random() < self.bot_share, bot_score=0, created_at=at.isoformat(),
        )
        values["bot_score"] = 90 if values["is_bot"] else 0
        return EventRow(**values)

    def commit(self, events: list[EventRow]) -> None:
        self.cursor += 1
        self.store.commit(events, WalPosition(self.cursor, 0))

    def live(self, n: int, start: datetime, span: timedelta) -> None:
        """``n`` events in time order from ``start`` over ``span``, in batches."""
        times = sorted(start + span * self.rng.random() for _ in range(n))
        for i in range(0, n, 25):
            self.commit([self.event(at) for at in times[i:i + 25]])


def _store(tmp_path: Path, remembered: int) -> tuple[Database, DuckDBEventStore]:
    db = Database(tmp_path / "prev.db", memory_limit="256MB")
    store = DuckDBEventStore(db, session_cache_max_entries=remembered)
    store.prepare()
    return db, store


_BEFORE = "ORDER BY first_seen, session_id ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING"
_DEFINED = f"""
SELECT s.session_id,
       max(last_seen) FILTER (WHERE NOT is_bot) OVER (PARTITION BY visitor_id {_BEFORE}),
       max(last_seen) FILTER (WHERE NOT is_bot) OVER (PARTITION BY visitor_id, coalesce(referrer_domain, '(direct)') {_BEFORE}),
       max(last_seen) FILTER (WHERE NOT is_bot) OVER (PARTITION BY visitor_id, country {_BEFORE}),
       max(last_seen) FILTER (WHERE NOT is_bot) OVER (PARTITION BY visitor_id, browser {_BEFORE}),
       max(last_seen) FILTER (WHERE NOT is_bot) OVER (PARTITION BY visitor_id, device_type {_BEFORE}),
       (SELECT list((SELECT max(e.last_seen) FROM sessions e
                     WHERE e.visitor_id = s.visitor_id AND NOT e.is_bot AND list_contains(e.pageview_paths, path)
                       AND (e.first_seen, e.session_id) < (s.first_seen, s.session_id))
                    ORDER BY n)
        FROM (SELECT unnest(s.pageview_paths) AS path, generate_subscripts(s.pageview_paths, 1) AS n))
FROM sessions s
"""
_STORED = """
SELECT session_id, prev_seen, prev_referrer_seen, prev_country_seen, prev_browser_seen, prev_device_seen,
       CASE WHEN len(pageview_paths) > 0 THEN prev_paths_seen END
FROM sessions
"""


def _assert_columns_as_defined(con) -> None:
    """Every stored row is settled and holds what the definition (``visits.py``) gives."""
    assert con.execute("SELECT count(*) FROM sessions WHERE NOT prev_known").fetchone() == (0,)
    assert sorted(con.execute(_STORED).fetchall()) == sorted(con.execute(_DEFINED).fetchall())


def _utc_bounds(tz: str, start: date, end: date) -> tuple[datetime, datetime]:
    zone = ZoneInfo(tz)
    return tuple(
        datetime.combine(day, time(), zone).astimezone(ZoneInfo("UTC")).replace(tzinfo=None)
        for day in (start, end + timedelta(days=1))
    )


def _local_day(at: datetime, tz: str) -> date:
    return at.replace(tzinfo=ZoneInfo("UTC")).astimezone(ZoneInfo(tz)).date()


def _expected(con, tz: str, start: date, end: date) -> dict:
    """Visitors counted here, from the stored rows, by definition."""
    a, b = _utc_bounds(tz, start, end)
    events = con.execute(
        "SELECT visitor_id, created_at, event_type FROM events WHERE website_id = ? AND NOT is_bot"
        " AND created_at >= ? AND created_at < ?", [SITE, a, b]
    ).fetchall()
    per_day: dict[date, set] = defaultdict(set)
    for visitor, at, _ in events:
        per_day[_local_day(at, tz)].add(visitor)
    columns = ", ".join(f"coalesce({c}, '(direct)')" if c == "referrer_domain" else c for c in DIMENSIONS.values())
    sessions = con.execute(
        f"SELECT visitor_id, {columns} FROM sessions WHERE website_id = ? AND NOT is_bot"
        " AND last_seen >= ? AND first_seen < ?", [SITE, a, b]
    ).fetchall()
    breakdowns = {}
    for i, dimension in enumerate(DIMENSIONS):
        by_value: dict[str, set] = defaultdict(set)
        for row in sessions:
            if row[i + 1] is not None:
                by_value[row[i + 1]].add(row[0])
        breakdowns[dimension] = {value: len(members) for value, members in by_value.items()}
    pages: dict[str, set] = defaultdict(set)
    for path, visitor in con.execute(
        "SELECT e.path, s.visitor_id FROM events e JOIN sessions s ON s.session_id = e.session_id"
        " WHERE e.website_id = ? AND e.event_type = 'pageview' AND NOT e.is_bot AND NOT s.is_bot"
        " AND e.created_at >= ? AND e.created_at < ?", [SITE, a, b]
    ).fetchall():
        pages[path].add(visitor)
    breakdowns["page"] = {path: len(members) for path, members in pages.items()}
    return {
        "visitors": len({visitor for visitor, _, _ in events}),
        "days": {day: len(members) for day, members in per_day.items()},
        "breakdowns": breakdowns,
    }


def _check(con, rng: random.Random, *, purged: bool = False, rounds: int = 6) -> int:
    """Compare random ranges; return how many took the settled path (a real check only
    if some did)."""
    settled_ranges = 0
    for _ in range(rounds):
        tz = rng.choice(ZONES)
        start = (FIRST_DAY + timedelta(days=rng.randrange(DAYS))).date()
        end = start + timedelta(days=rng.randrange(4))
        dates = {"start_date": start.isoformat(), "end_date": end.isoformat()}
        expected = _expected(con, tz, start, end)
        a, b = _utc_bounds(tz, start, end)
        [(unsettled,)] = con.execute(
            "SELECT count(*) FROM sessions WHERE website_id = ? AND last_seen >= ? AND first_seen < ? AND NOT prev_known",
            [SITE, a, b],
        ).fetchall()
        settled_ranges += unsettled == 0

        def report(fn, route, **params):
            fast = fn(con.cursor(), make_query(route, SITE, tz=tz, now=NOW, **dates, **params)).data
            raw = fn(con.cursor(), make_query(route, SITE, tz=tz, now=NOW, filter_hostname=HOST, **dates, **params)).data
            return fast, raw

        fast, raw = report(stats, "stats")
        assert fast["visitors"] == expected["visitors"], (tz, start, end)
        assert (fast["visitors"], fast["pageviews"]) == (raw["visitors"], raw["pageviews"])
        fast, raw = report(pageviews, "pageviews", granularity="day")
        got = {point["date"]: point["visitors"] for point in fast["series"] if point["visitors"]}
        assert got == {day.isoformat(): n for day, n in expected["days"].items()}, (tz, start, end)
        assert fast == raw
        for dimension in (*DIMENSIONS, "page"):
            fast, raw = report(metrics, "metrics", type=dimension, limit="50")
            got = {r["value"]: r["visitors"] for r in fast["rows"]}
            if not (purged and dimension == "page"):  # pages then also come from the session rows
                assert got == expected["breakdowns"][dimension], (dimension, tz, start, end)
            if not purged:  # the raw path then drops sessions whose events are gone
                assert got == {r["value"]: r["visitors"] for r in raw["rows"]}
    return settled_ranges


@pytest.mark.parametrize(
    ("seed", "bot_share", "remembered"), [(0, 0.06, 50), (1, 0.06, 4), (2, 0.0, 50), (3, 0.0, 4)]
)
def test_previous_visits_count_what_a_distinct_counts(tmp_path, seed, bot_share, remembered):
    rng = random.Random(seed)
    db, store = _store(tmp_path, remembered)
    try:
        traffic = Traffic(store, rng, bot_share)
        con = db.writer
        traffic.live(900, FIRST_DAY + timedelta(days=3), timedelta(days=5))
        _assert_columns_as_defined(con)
        settled = _check(con, rng)
        # An import of earlier days, committed after the live traffic, out of time order.
        traffic.live(500, FIRST_DAY, timedelta(days=4))
        _assert_columns_as_defined(con)
        settled += _check(con, rng)
        # A restart: the Writer remembers no visitor, storage tells it their visits.
        traffic.store = DuckDBEventStore(db, session_cache_max_entries=remembered)
        traffic.store.prepare()
        traffic.live(300, FIRST_DAY + timedelta(days=7), timedelta(days=1))
        _assert_columns_as_defined(con)
        settled += _check(con, rng)
        store = traffic.store
        # A bot recompute flipping every verdict of some visitors.
        flipped = set(rng.sample(traffic.visitors, 5))

        def classify(sample: BotSample) -> BotVerdict:
            return BotVerdict(sample.visitor_id in flipped, 90 if sample.visitor_id in flipped else 0, None)

        _recompute_bots(store, FIRST_DAY + timedelta(days=2), FIRST_DAY + timedelta(days=5), classify, page=200)
        _assert_columns_as_defined(con)
        settled += _check(con, rng)
        traffic.live(200, FIRST_DAY + timedelta(days=7, hours=12), timedelta(hours=12))
        _assert_columns_as_defined(con)
        # Retention in small batches: sessions may go before their events (orphans).
        store.purge(FIRST_DAY + timedelta(days=2, hours=5), limit=60)
        _assert_columns_as_defined(con)
        settled += _check(con, rng, purged=True)
        while store.purge(FIRST_DAY + timedelta(days=2, hours=5), limit=60):
            pass
        traffic.live(200, FIRST_DAY + timedelta(days=7, hours=18), timedelta(hours=6))
        _assert_columns_as_defined(con)
        settled += _check(con, rng, purged=True)
        assert settled == 6 * 6  # every range took the settled path
    finally:
        db.close()


def test_known_visitors_hold_every_stored_visitor_and_few_others(tmp_path):
    """The Bloom filter built in SQL at start agrees with the one the Writer adds to in
    Python: every stored visitor is known, and few new ones look known."""
    rng = random.Random(7)
    db, store = _store(tmp_path, 50)
    try:
        traffic = Traffic(store, rng, 0.0)
        traffic.visitors = [f"v{n}" for n in range(3_000)]
        traffic.live(3_000, FIRST_DAY, timedelta(days=2))
        stored = db.writer.execute("SELECT DISTINCT website_id, visitor_id FROM sessions").fetchall()
        known = KnownVisitors.load(db.writer)
        assert all(h in known for h in KnownVisitors.hashes(db.writer, stored))
        new = [(SITE, f"new-{n}") for n in range(20_000)]
        false_positives = sum(h in known for h in KnownVisitors.hashes(db.writer, new))
        assert false_positives < 20  # ≈ 0.05 % expected
    finally:
        db.close()


def _recompute_bots(store, start: datetime, end: datetime, classify: Callable[[BotSample], BotVerdict], *,
                    page: int) -> None:
    """A bot recompute of ``[start, end)`` as the job runs it: pages of events, then the
    sessions' verdicts."""
    after = None
    while True:
        _, after = store.reclassify_bots(SITE, start, end, after=after, limit=page, classify=classify)
        if after is None:
            break
    store.roll_up_bot_sessions(SITE, start, end)


def _one_visitor(traffic: Traffic, visitor_id: str) -> Callable[[datetime, str, str], None]:
    """Commits one pageview of ``visitor_id`` at a time, country and path."""

    def visit(at: datetime, country: str, path: str) -> None:
        event = traffic.event(at)._replace(
            visitor_id=visitor_id, country=country, path=path, event_type="pageview", event_name=None
        )
        traffic.commit([event])

    return visit


def _assert_no_earlier_visit_with_the_values(con, first_seen: datetime) -> None:
    """Every row is as defined, and the session starting at ``first_seen`` has no
    previous visit with its country or its one path."""
    _assert_columns_as_defined(con)
    assert con.execute(
        "SELECT prev_country_seen, prev_paths_seen FROM sessions WHERE first_seen = ?", [first_seen]
    ).fetchall() == [(None, [None])]


def test_a_purge_takes_the_purged_visits_out_of_the_writers_memory(tmp_path):
    """A visitor's only earlier session with a value is purged: its next session with
    that value has no previous visit with it, though the Writer held the visitor."""
    db, store = _store(tmp_path, 50)
    try:
        visit = _one_visitor(Traffic(store, random.Random(3), 0.0), "client-rare")
        visit(FIRST_DAY, "NZ", "/rare")
        visit(FIRST_DAY + timedelta(days=2), "DE", "/")
        store.purge(FIRST_DAY + timedelta(days=1), limit=60)
        visit(FIRST_DAY + timedelta(days=3), "NZ", "/rare")
        _assert_no_earlier_visit_with_the_values(db.writer, FIRST_DAY + timedelta(days=3))
    finally:
        db.close()


def test_migration_0014_rewrites_the_sessions_with_their_previous_visits():
    """An install at 0012: its sessions keep their rows and stored order, and get the
    columns the definition gives, settled."""
    con = duckdb.connect()
    con.execute("CREATE TABLE _migrations (id VARCHAR PRIMARY KEY, applied_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP)")
    for migration in MIGRATIONS[:-1]:
        con.execute(migration.sql)
        con.execute("INSERT INTO _migrations (id) VALUES (?)", [migration.name])
    assert MIGRATIONS[-1].name == "0014_previous_visits"
    rng = random.Random(5)
    rows = []
    for n in range(400):
        first = FIRST_DAY + timedelta(minutes=rng.randrange(60 * 24 * DAYS))
        paths = rng.sample(["/", "/a", "/b", "/c"], rng.randrange(4))
        rows.append((
            n, SITE, f"v{rng.randrange(40)}", first, first + timedelta(minutes=rng.randrange(30)), len(paths),
            len(paths) + 1, "https://prev.example/", rng.random() < 0.1,
            rng.choice([None, "news.example"]), rng.choice(["DE", None]), "Chrome", rng.choice(["desktop", "mobile"]), paths,
        ))
    con.executemany(
        "INSERT INTO sessions (session_id, website_id, visitor_id, first_seen, last_seen, pageview_count, event_count,"
        " entry_page, is_bot, referrer_domain, country, browser, device_type, pageview_paths)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        rows,
    )
    before = con.execute("SELECT * FROM sessions").fetchall()
    assert apply_migrations(con) == ["0014_previous_visits"]
    assert [row[:28] for row in con.execute("SELECT * FROM sessions").fetchall()] == before
    _assert_columns_as_defined(con)
    assert con.execute("SELECT count(*) FROM sessions WHERE prev_seen IS NOT NULL").fetchone()[0] > 100


def test_a_bot_recompute_takes_the_new_bot_visits_out_of_the_writers_memory(tmp_path):
    """A visitor's only earlier session with a value turns bot: its next session with
    that value has no previous (non-bot) visit with it, though the Writer held it."""
    db, store = _store(tmp_path, 50)
    try:
        traffic = Traffic(store, random.Random(4), 0.0)
        visit = _one_visitor(traffic, "client-turning")
        visit(FIRST_DAY, "NZ", "/rare")
        visit(FIRST_DAY + timedelta(days=2), "DE", "/")

        def classify(sample: BotSample) -> BotVerdict:
            return BotVerdict(sample.path == "/rare", 90 if sample.path == "/rare" else 0, None)

        _recompute_bots(store, FIRST_DAY, FIRST_DAY + timedelta(days=1), classify, page=100)
        visit(FIRST_DAY + timedelta(days=3), "NZ", "/rare")
        _assert_no_earlier_visit_with_the_values(db.writer, FIRST_DAY + timedelta(days=3))
    finally:
        db.close()
