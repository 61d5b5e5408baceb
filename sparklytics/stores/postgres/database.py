"""The only module that opens PostgreSQL connections.

psycopg 3's async API runs on asyncio only, so the store uses its sync API: every call
runs in a Trio worker thread (``trio.to_thread.run_sync``), bounded by a
``CapacityLimiter`` as large as the connection pool, so a burst of requests waits for a
token on the loop instead of parking threads on the pool's queue.

:meth:`PostgresDatabase.run` hands ``fn`` a connection inside a transaction: committed
when ``fn`` returns, rolled back when it raises (also when it raises one of our domain
errors such as ``GoalLimitReached``, so a refused write leaves nothing behind). A lost
connection, a cancelled statement or an exhausted pool raises ``StorageFault``, the
engine-neutral error the API maps.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

import psycopg
import trio
from psycopg_pool import ConnectionPool, PoolTimeout

from sparklytics.stores.errors import StorageFault

T = TypeVar("T")

OPEN_TIMEOUT = 30.0
# /health must answer while PostgreSQL hangs (a stopped process or a dropped network
# never refuses a connection, it just never replies): a ping gives up after this.
PING_TIMEOUT = 3.0
# A statement running longer than this is cancelled by the server (metadata statements
# take milliseconds; a website delete with its rows a few seconds at most).
STATEMENT_TIMEOUT_MS = 60_000


class PostgresDatabase:
    def __init__(self, pool: ConnectionPool, limiter: trio.CapacityLimiter) -> None:
        self._pool = pool
        self._limiter = limiter

    @classmethod
    async def open(cls, dsn: str, *, max_connections: int = 8, timeout: float = OPEN_TIMEOUT) -> PostgresDatabase:
        """Open a pool on ``dsn`` and wait until one connection works.

        Raises:
            StorageFault: the server cannot be reached within ``timeout`` seconds.
        """
        pool = ConnectionPool(
            dsn,
            min_size=1,
            max_size=max_connections,
            open=False,
            # Keepalives: a connection whose server vanished without a word (a dropped
            # network) fails in ~25 s instead of hanging its thread for the kernel's hours.
            kwargs={"options": f"-c statement_timeout={STATEMENT_TIMEOUT_MS} -c TimeZone=UTC",
                    "keepalives": 1, "keepalives_idle": 10, "keepalives_interval": 5, "keepalives_count": 3},
            name="sparklytics-metadata",
        )
        try:
            await trio.to_thread.run_sync(lambda: pool.open(wait=True, timeout=timeout))
        except Exception as error:
            await trio.to_thread.run_sync(pool.close)
            raise StorageFault(f"cannot connect to PostgreSQL: {error}") from None
        return cls(pool, trio.CapacityLimiter(max_connections))

    async def run(self, fn: Callable[[psycopg.Connection], T]) -> T:
        """Run ``fn(connection)`` in one transaction in a worker thread; its result."""
        async with self._limiter:
            return await trio.to_thread.run_sync(self._run_sync, fn)

    async def ping(self, timeout: float = PING_TIMEOUT) -> None:
        """``SELECT 1`` within ``timeout`` seconds, else ``StorageFault``.

        The worker thread is abandoned when the time is up (it ends when the server
        answers, or its connection fails); it does not take a request's token, so a hung
        server cannot use up the limiter through /health.
        """
        with trio.move_on_after(timeout):
            await trio.to_thread.run_sync(self._select_one, timeout, abandon_on_cancel=True)
            return
        raise StorageFault(f"PostgreSQL did not answer within {timeout:g} s")

    def _select_one(self, timeout: float) -> None:
        try:
            with self._pool.connection(timeout=timeout) as conn:
                conn.execute("SELECT 1").fetchone()
        except (psycopg.OperationalError, PoolTimeout) as error:
            raise StorageFault(f"PostgreSQL: {error}") from error

    def _run_sync(self, fn: Callable[[psycopg.Connection], T]) -> T:
        try:
            with self._pool.connection() as conn:
                with conn.transaction():
                    return fn(conn)
        except (psycopg.OperationalError, PoolTimeout) as error:
            # The server is gone, restarting or overloaded: outside the request.
            raise StorageFault(f"PostgreSQL: {error}") from error

    async def close(self) -> None:
        await trio.to_thread.run_sync(self._pool.close)
