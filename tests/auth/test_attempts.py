"""The login lockout's attempts, in memory (self-hosted) and in PostgreSQL (cloud,
shared by every node): the same behaviour from both, and for PostgreSQL the promises
of Decision 7 and of two nodes checking one client at once."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import AsyncIterator
from datetime import datetime, timedelta

import psycopg
import pytest
import trio

from sparklytics.auth.attempts import AttemptLog, LoginAttempts
from sparklytics.stores.postgres.database import PostgresDatabase
from sparklytics.stores.postgres.login_attempts import PostgresLoginAttempts, client_hash, lockout_key
from tests.postgres import every_stored_value

NOW = datetime(2026, 3, 29, 12, 0, 0)
WINDOW = timedelta(minutes=15)
SECRET = "a-secret-every-node-shares-0123456789"


@pytest.fixture
async def dsn(postgres) -> str:
    return postgres.fresh_database()


@pytest.fixture
async def database(dsn) -> AsyncIterator[PostgresDatabase]:
    db = await PostgresDatabase.open(dsn, max_connections=4)
    yield db
    await db.close()


@pytest.fixture(params=["memory", "postgres"])
async def attempts_of(request, postgres):
    """Makes an AttemptLog with the given limit, on the backend of the test's parameter."""
    if request.param == "memory":
        yield lambda max_failures: LoginAttempts(max_failures=max_failures, window=WINDOW)
        return
    db = await PostgresDatabase.open(postgres.fresh_database(), max_connections=4)
    yield lambda max_failures: PostgresLoginAttempts(db, lockout_key(SECRET), max_failures=max_failures, window=WINDOW)
    await db.close()


async def test_five_failures_in_the_window_lock_the_client_out(attempts_of) -> None:
    attempts: AttemptLog = attempts_of(5)
    for i in range(5):
        assert await attempts.begin("198.51.100.1", NOW + timedelta(minutes=i)) is not None
    assert await attempts.begin("198.51.100.1", NOW + timedelta(minutes=5)) is None
    assert await attempts.begin("198.51.100.2", NOW + timedelta(minutes=5)) is not None  # per client
    # The oldest failure leaves the 15-minute window: one more attempt is allowed.
    assert await attempts.begin("198.51.100.1", NOW + timedelta(minutes=15, seconds=1)) is not None


async def test_successes_do_not_count_and_an_attempt_in_progress_does(attempts_of) -> None:
    attempts: AttemptLog = attempts_of(2)
    for _ in range(5):
        await attempts.succeeded(await attempts.begin("a", NOW))
    first = await attempts.begin("a", NOW)
    assert await attempts.begin("a", NOW) is not None  # the first is still being checked: it counts
    assert await attempts.begin("a", NOW) is None
    await attempts.succeeded(first)
    assert await attempts.begin("a", NOW) is not None  # the first matched: only the second counts
    assert await attempts.begin("a", NOW) is None


async def test_memory_is_bounded_by_forgetting_the_longest_idle_client() -> None:
    attempts = LoginAttempts(max_failures=1, window=WINDOW, max_clients=3)
    for client in ("a", "b", "c"):
        await attempts.begin(client, NOW)
    assert await attempts.begin("a", NOW) is None  # touching "a" makes "b" the longest idle
    await attempts.begin("d", NOW)
    assert len(attempts) == 3
    assert await attempts.begin("b", NOW) is not None  # forgotten
    assert await attempts.begin("a", NOW) is None


async def test_two_nodes_checking_one_client_at_once_allow_exactly_the_limit(dsn) -> None:
    # Two pools stand for two nodes; 20 guesses at once, 10 through each.
    node1, node2 = await PostgresDatabase.open(dsn, max_connections=8), await PostgresDatabase.open(dsn, max_connections=8)
    key = lockout_key(SECRET)
    logs = [PostgresLoginAttempts(node1, key), PostgresLoginAttempts(node2, key)]
    allowed = []

    async def guess(n: int) -> None:
        if await logs[n % 2].begin("203.0.113.9", NOW) is not None:
            allowed.append(n)

    async with trio.open_nursery() as nursery:
        for n in range(20):
            nursery.start_soon(guess, n)
    await node1.close()
    await node2.close()
    assert len(allowed) == 5


async def test_forget_drops_the_attempts_that_left_the_window(attempts_of) -> None:
    attempts: AttemptLog = attempts_of(2)
    await attempts.begin("192.0.2.1", NOW)
    await attempts.begin("192.0.2.2", NOW + timedelta(minutes=10))
    await attempts.begin("192.0.2.2", NOW + timedelta(minutes=11))
    assert await attempts.forget(NOW + WINDOW + timedelta(seconds=1)) == 1
    assert await attempts.forget(NOW + WINDOW + timedelta(seconds=1)) == 0
    assert await attempts.begin("192.0.2.2", NOW + WINDOW + timedelta(seconds=2)) is None  # still counted


async def test_rows_leave_the_table_when_they_match_or_are_forgotten(database, dsn) -> None:
    attempts = PostgresLoginAttempts(database, lockout_key(SECRET), window=WINDOW)
    for client in ("192.0.2.1", "192.0.2.2", "192.0.2.3"):
        await attempts.begin(client, NOW)
    await attempts.succeeded(await attempts.begin("192.0.2.4", NOW))  # a match leaves no row
    assert _stored_rows(dsn) == 3
    await attempts.forget(NOW + WINDOW + timedelta(seconds=1))
    assert _stored_rows(dsn) == 0


async def test_postgresql_holds_nothing_that_recovers_the_client_ip(database, dsn) -> None:
    """With the database alone, hashing candidate addresses under any value it holds
    finds no client; with the nodes' secret (which only their environment has) it does,
    so the check below would catch a key stored beside the rows."""
    key = lockout_key(SECRET)
    attempts = PostgresLoginAttempts(database, key)
    clients = [f"198.51.100.{n}" for n in range(1, 8)]
    for client in clients:
        await attempts.begin(client, NOW)
    candidates = [f"198.51.100.{n}" for n in range(256)]
    with psycopg.connect(dsn) as conn:
        stored = {bytes(row[0]) for row in conn.execute("SELECT client FROM login_attempts")}
        values = every_stored_value(conn)
    dump = b"\n".join(values)
    assert not any(client.encode() in dump for client in clients)  # no raw IP anywhere
    assert SECRET.encode() not in dump and key not in dump
    for value in values:
        for candidate in candidates:
            for guess_key in (value, lockout_key(value.decode(errors="replace"))):
                assert hmac.new(guess_key, candidate.encode(), hashlib.sha256).digest() not in stored
            assert hashlib.sha256(value + candidate.encode()).digest() not in stored
    assert {client_hash(key, client) for client in clients} == stored


def _stored_rows(dsn: str) -> int:
    with psycopg.connect(dsn) as conn:
        return conn.execute("SELECT count(*) FROM login_attempts").fetchone()[0]

