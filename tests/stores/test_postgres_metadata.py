"""What is particular to the PostgreSQL MetadataStore: several app nodes share one
database, so the checks that guard a write must hold across connections, the
migrations must run once when nodes start together, and deleting a website must leave
no row of it behind.

Two stores (two pools) on one database stand for two app nodes.
"""

from __future__ import annotations

import socket
import threading
import time
from datetime import date, datetime

import psycopg
import pytest
import trio

from sparklytics.bot_controls import NewEntry
from sparklytics.funnels import NewStep
from sparklytics.goals import MAX_GOALS_PER_WEBSITE, DuplicateGoalName, GoalLimitReached
from sparklytics.saved_reports import parse_config
from sparklytics.stores.errors import StorageFault
from sparklytics.stores.metadata_sql import auth, goals, notifications, settings
from sparklytics.stores.postgres import open_metadata_store, websites
from sparklytics.stores.postgres.database import PING_TIMEOUT
from sparklytics.stores.postgres.metadata import MAX_QUEUED_USAGE
from sparklytics.stores.postgres.sql import PostgresMetadataDb
from sparklytics.stores.postgres.migrations import migration_files
from tests import postgres as pg_harness

SIGNUP = {"goal_type": "event", "name": "Signup", "match_value": "signup"}
LOCK_WAIT_DEADLINE = 10.0


@pytest.fixture
def dsn(postgres) -> str:
    return postgres.fresh_database()


@pytest.fixture
async def store(dsn):
    metadata = await open_metadata_store(dsn, node_id="node-a", max_connections=4)
    await metadata.insert_website(website_id="site_a", name="A", domain="a.example", timezone="UTC")
    yield metadata
    await metadata.close()


def waits_for_a_lock(observer: psycopg.Connection, pid: int) -> bool:
    row = observer.execute("SELECT wait_event_type FROM pg_stat_activity WHERE pid = %s", [pid]).fetchone()
    return row is not None and row[0] == "Lock"


def race_second_writer(dsn: str, first_write, second_write):
    """Run ``first_write`` on one connection and leave its transaction open; start
    ``second_write`` on another connection in a thread; once that one waits for a lock,
    commit the first. Returns what the second write returned or raised.

    Without a lock the second write would finish before the first committed (and
    pass its check against the old state): the wait is what this proves."""
    outcome: dict[str, object] = {}
    with psycopg.connect(dsn) as first, psycopg.connect(dsn) as second, psycopg.connect(dsn, autocommit=True) as observer:
        first_write(first)

        def run_second() -> None:
            try:
                outcome["value"] = second_write(second)
                second.commit()
            except Exception as error:  # the check's refusal is the expected outcome
                second.rollback()
                outcome["error"] = error

        thread = threading.Thread(target=run_second)
        thread.start()
        deadline = time.monotonic() + LOCK_WAIT_DEADLINE
        while not waits_for_a_lock(observer, second.info.backend_pid):
            assert thread.is_alive(), f"the second write did not wait for the first: {outcome}"
            assert time.monotonic() < deadline, "the second write never waited for a lock"
            time.sleep(0.01)
        first.commit()
        thread.join(LOCK_WAIT_DEADLINE)
    return outcome


async def test_the_51st_goal_from_two_nodes_one_wins(store, dsn) -> None:
    for n in range(MAX_GOALS_PER_WEBSITE - 1):
        await store.create_goal("site_a", {**SIGNUP, "name": f"G{n}"})
    outcome = await trio.to_thread.run_sync(
        race_second_writer,
        dsn,
        lambda conn: goals.create_goal(PostgresMetadataDb(conn), "site_a", {**SIGNUP, "name": "first"}),
        lambda conn: goals.create_goal(PostgresMetadataDb(conn), "site_a", {**SIGNUP, "name": "second"}),
    )
    assert isinstance(outcome.get("error"), GoalLimitReached), outcome
    names = {goal.name for goal in await store.list_goals("site_a")}
    assert len(names) == MAX_GOALS_PER_WEBSITE and "first" in names and "second" not in names


async def test_the_same_goal_name_from_two_nodes_one_wins(store, dsn) -> None:
    outcome = await trio.to_thread.run_sync(
        race_second_writer,
        dsn,
        lambda conn: goals.create_goal(PostgresMetadataDb(conn), "site_a", SIGNUP),
        lambda conn: goals.create_goal(PostgresMetadataDb(conn), "site_a", SIGNUP),
    )
    assert isinstance(outcome.get("error"), DuplicateGoalName), outcome
    assert [goal.name for goal in await store.list_goals("site_a")] == ["Signup"]


NOW = datetime(2026, 3, 29, 12)
WEBHOOK = {"schedule": "daily", "channel": "webhook", "target": "https://h.example.com/x"}


def add_site(conn, website_id: str, extra_domain: str):
    return websites.insert_website(conn, website_id=website_id, name="X", domain=f"{website_id}.example",
                                   timezone="UTC", aliases={"extra_domains": (extra_domain,)})


# Guards other than the goal limit, each raced the same way: (first write, second write,
# what the second must see once the first committed).
RACES = {
    "one salt for every node": (
        lambda conn: settings.rotate_salts(PostgresMetadataDb(conn), NOW),
        lambda conn: settings.rotate_salts(PostgresMetadataDb(conn), NOW),
        lambda outcome, first_salts: outcome["value"] == first_salts,
    ),
    "an extra domain belongs to one website": (
        lambda conn: add_site(conn, "site_b", "shop.example"),
        lambda conn: add_site(conn, "site_c", "shop.example"),
        lambda outcome, _: type(outcome.get("error")).__name__ == "AliasTaken",
    ),
    "the first admin password is set once": (
        lambda conn: auth.complete_setup(PostgresMetadataDb(conn), password_hash="$argon2id$one", change_required=False),
        lambda conn: auth.complete_setup(PostgresMetadataDb(conn), password_hash="$argon2id$two", change_required=False),
        lambda outcome, _: outcome["value"] is False,
    ),
    "the webhook secret is made and shown once": (
        lambda conn: notifications.create_alert(PostgresMetadataDb(conn), "site_a", {"name": "A", "metric": "visitors", "condition_type": "drop",
                                                                 "threshold_value": 1, **WEBHOOK}, NOW),
        lambda conn: notifications.create_alert(PostgresMetadataDb(conn), "site_a", {"name": "B", "metric": "visitors", "condition_type": "drop",
                                                                 "threshold_value": 1, **WEBHOOK}, NOW),
        lambda outcome, first: outcome["value"][1] is None and first[1] is not None,
    ),
    "a delivery is claimed once": (
        lambda conn: notifications.claim_delivery(PostgresMetadataDb(conn), "alert", "alr_x", "key-1", NOW),
        lambda conn: notifications.claim_delivery(PostgresMetadataDb(conn), "alert", "alr_x", "key-1", NOW),
        lambda outcome, first: outcome["value"] is None and first is not None,
    ),
}


@pytest.mark.parametrize("race", RACES, ids=list(RACES))
async def test_a_guard_holds_against_a_second_node(store, dsn, race) -> None:
    first_write, second_write, second_sees = RACES[race]
    first_result = {}

    def first(conn):
        first_result["value"] = first_write(conn)

    outcome = await trio.to_thread.run_sync(race_second_writer, dsn, first, second_write)
    assert second_sees(outcome, first_result["value"]), outcome


async def test_two_nodes_creating_goals_at_once_stop_at_the_limit(store, dsn) -> None:
    other_node = await open_metadata_store(dsn, node_id="node-b", max_connections=4)
    created, refused = [], []

    async def create_many(node, prefix: str) -> None:
        for n in range(30):
            try:
                created.append(await node.create_goal("site_a", {**SIGNUP, "name": f"{prefix}{n}"}))
            except GoalLimitReached:
                refused.append(n)

    try:
        async with trio.open_nursery() as nursery:
            nursery.start_soon(create_many, store, "a")
            nursery.start_soon(create_many, other_node, "b")
    finally:
        await other_node.close()
    assert (len(created), len(refused)) == (MAX_GOALS_PER_WEBSITE, 60 - MAX_GOALS_PER_WEBSITE)
    assert len(await store.list_goals("site_a")) == MAX_GOALS_PER_WEBSITE


async def test_a_restarting_node_fails_its_own_recomputes_not_another_nodes(store, dsn) -> None:
    """Each node's scheduler calls its unfinished jobs interrupted when it starts; a job
    another node queued (and is running) must go on."""
    other_node = await open_metadata_store(dsn, node_id="node-b", max_connections=2)
    try:
        await other_node.insert_website(website_id="site_b", name="B", domain="b.example", timezone="UTC")
        start, end = datetime(2026, 3, 1), datetime(2026, 3, 2)
        ours = await store.start_recompute("site_a", start, end, 10)
        theirs = await other_node.start_recompute("site_b", start, end, 10)
        await other_node.set_recompute_status(theirs, "running")

        assert await store.fail_unfinished_recomputes("stopped") == 1

        assert (await store.get_recompute("site_a", ours))["status"] == "failed"
        assert (await store.get_recompute("site_b", theirs))["status"] == "running"
    finally:
        await other_node.close()


async def test_migrations_run_once_when_nodes_start_together(postgres) -> None:
    dsn = postgres.empty_database()
    nodes = []

    async def start_node() -> None:
        nodes.append(await open_metadata_store(dsn, node_id="node", max_connections=2))

    async with trio.open_nursery() as nursery:
        for _ in range(3):
            nursery.start_soon(start_node)
    try:
        assert len(nodes) == 3
        await nodes[0].insert_website(website_id="site_a", name="A", domain="a.example", timezone="UTC")
        assert (await nodes[2].get_website("site_a"))["name"] == "A"
    finally:
        for node in nodes:
            await node.close()
    with psycopg.connect(dsn) as conn:
        versions = [row[0] for row in conn.execute("SELECT version FROM schema_migrations ORDER BY version")]
    assert versions == [version for version, _ in migration_files()] and versions[0] == "0001_initial"


async def test_a_deleted_website_leaves_no_row_behind(store, dsn) -> None:
    """Every table with a ``website_id`` column (found in the catalog, so a new table is
    checked too), the funnel steps and the deliveries: nothing of site_a is left, and
    site_b keeps its rows."""
    for site in ("site_a", "site_b"):
        if site == "site_b":
            await store.insert_website(website_id=site, name="B", domain="b.example", timezone="UTC",
                                       aliases={"extra_domains": ("www.b.example",)})
        await fill_website(store, site)
    assert await store.delete_website("site_a") is True
    with psycopg.connect(dsn) as conn:
        tables = [row[0] for row in conn.execute(
            "SELECT table_name FROM information_schema.columns WHERE column_name = 'website_id'"
            " AND table_schema = 'public' ORDER BY table_name"
        )]
        left = {table: conn.execute(f"SELECT count(*) FROM {table} WHERE website_id = 'site_a'").fetchone()[0] for table in tables}
        kept = {table: conn.execute(f"SELECT count(*) FROM {table} WHERE website_id = 'site_b'").fetchone()[0] for table in tables}
        (steps,) = conn.execute("SELECT count(*) FROM funnel_steps").fetchone()
        (deliveries,) = conn.execute("SELECT count(*) FROM notification_deliveries").fetchone()
    assert len(tables) >= 17 and set(left.values()) == {0}, left
    assert 0 not in kept.values(), kept
    assert (steps, deliveries) == (2, 2)


async def fill_website(store, site: str) -> None:
    now = datetime(2026, 3, 29, 12)
    domain = (await store.get_website(site))["domain"]
    await store.update_website(site, {"umami_website_id": f"uuid-{site}"})
    await store.create_goal(site, SIGNUP)
    await store.create_funnel(site, "F", [NewStep("page_view", "/", "equals", "Home"), NewStep("event", "x", "equals", "X")])
    config = parse_config({"version": 1, "report_type": "stats", "date_range_type": "relative", "relative_days": 7})
    report = await store.create_report(site, "R", None, config)
    subscription, _ = await store.create_subscription(
        site, {"report_id": report.id, "schedule": "daily", "channel": "webhook", "target": "https://h.example.com/x"}, now
    )
    alert, _ = await store.create_alert(site, {"name": "A", "metric": "visitors", "condition_type": "drop",
                                              "threshold_value": 2, "channel": "email", "target": "a@b.co"}, now)
    await store.claim_delivery("subscription", subscription.id, f"{site}-1", now)
    await store.claim_delivery("alert", alert.id, f"{site}-2", now)
    await store.set_bot_policy(site, "strict", 60)
    await store.add_bot_entry(site, "allowlist", NewEntry("ua_contains", "ok", None))
    await store.add_bot_entry(site, "blocklist", NewEntry("ua_contains", "bad", None))
    await store.start_recompute(site, now, now, 0)
    await store.create_link(site, {"name": "L", "destination_url": f"https://{domain}/"})
    await store.create_pixel(site, {"name": "P"})
    day = date(2026, 3, 3)
    await store.replace_imported_stats(site, day, day, [(day, 1, 1, 1, 0, 0)], [("browser", day, "Chrome", 1, 1, 0, 1, 0, 0)])
    await store.record_imported_export(site, "digest", "umami", 3, 3)


async def test_an_import_replaces_its_days(store, dsn) -> None:
    day = date(2026, 3, 3)
    for visitors in (5, 7):
        await store.replace_imported_stats(
            "site_a", day, day, [(day, visitors, 1, 1, 0, 0)], [("browser", day, "Chrome", visitors, 1, 0, 1, 0, 0)]
        )
    with psycopg.connect(dsn) as conn:
        totals = conn.execute("SELECT day, visitors FROM imported_totals").fetchall()
        breakdowns = conn.execute("SELECT dimension, value, visitors FROM imported_breakdowns").fetchall()
    assert (totals, breakdowns) == ([(day, 7)], [("browser", "Chrome", 7)])


async def test_an_unreachable_server_is_a_storage_fault() -> None:
    with pytest.raises(StorageFault, match="cannot connect to PostgreSQL"):
        await open_metadata_store("postgresql://postgres@127.0.0.1:1/none", node_id="node-a", timeout=1.0)


class FreezableRelay:
    """A TCP relay to a server that can stop passing bytes, as a hung server or a dropped
    network does (neither refuses anything: they just never answer)."""

    def __init__(self, port: int) -> None:
        self._port = port
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = self._listener.getsockname()[1]
        self._passing = threading.Event()
        self._passing.set()
        threading.Thread(target=self._accept, daemon=True).start()

    def freeze(self) -> None:
        self._passing.clear()

    def thaw(self) -> None:
        self._passing.set()

    def close(self) -> None:
        self._listener.close()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            server = socket.create_connection(("127.0.0.1", self._port))
            for source, target in ((client, server), (server, client)):
                threading.Thread(target=self._pipe, args=(source, target), daemon=True).start()

    def _pipe(self, source: socket.socket, target: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                self._passing.wait()
                target.sendall(data)
        except OSError:
            pass
        finally:
            source.close()
            target.close()


async def test_a_ping_gives_up_on_a_server_that_stopped_answering(postgres) -> None:
    """/health pings the stores; a hung PostgreSQL must make it say so in seconds, not
    hang with it (the pool would wait 30 s for a connection, a read for hours)."""
    dsn = postgres.fresh_database()
    host_port = dsn.split("@", 1)[1].split("/", 1)[0]
    relay = FreezableRelay(int(host_port.rsplit(":", 1)[1]))
    store = await open_metadata_store(dsn.replace(host_port, f"127.0.0.1:{relay.port}"), node_id="node-a",
                                      max_connections=2)
    try:
        await store.ping()
        relay.freeze()
        with pytest.raises(StorageFault, match=f"did not answer within {PING_TIMEOUT:g} s"):
            await store.ping()
        relay.thaw()
        await store.ping()
    finally:
        relay.thaw()
        await store.close()
        relay.close()


async def test_key_usage_queued_without_waiting_is_bounded(store) -> None:
    """No Writer to queue on: ``record_key_usage_soon`` queues in the store. Called
    more often than the bound before the loop runs the write, it refuses (the caller
    keeps its times); what was queued is written by the next write."""
    at = datetime(2026, 3, 29, 12)
    await store.insert_api_key(key_id="key_a", name="a", key_hash="ha", key_prefix="spk_x", created_at=at)
    for n in range(MAX_QUEUED_USAGE):
        store.record_key_usage_soon(lambda n=n: {"key_a": at.replace(minute=n % 60)})
    with pytest.raises(StorageFault, match="queued already"):
        store.record_key_usage_soon(lambda: {"key_a": at})
    await store.record_key_usage(lambda: {})
    rows, _ = await store.list_api_keys(limit=1, offset=0)
    assert rows[0]["last_used_at"] == "2026-03-29 12:59:00"
    store.record_key_usage_soon(lambda: {"key_a": at.replace(hour=13)})  # room again


def test_without_postgresql_binaries_the_tests_fail_and_say_how_to_install_them(monkeypatch) -> None:
    monkeypatch.setattr(pg_harness, "_BIN_GLOB", "/nonexistent/postgresql/*/bin")
    with pytest.raises(pytest.fail.Exception, match=r"bash scripts/install\.sh --test"):
        pg_harness.server_binaries()
