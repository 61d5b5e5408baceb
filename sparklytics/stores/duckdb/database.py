"""The only module that opens DuckDB.

One :class:`Database` per process holds the DuckDB instance. Its ``writer`` connection
belongs to the Writer actor alone; everything else reads through :meth:`Database.read`,
which runs a function on a cursor of its own in a worker thread. DuckDB is MVCC, so
readers see the last committed state and never wait behind the writer.

Why threads: every DuckDB call blocks (and releases the GIL while it runs), so calling
it on the Trio loop would stall every request. A ``CapacityLimiter`` bounds how many
queries run at once, which also bounds the memory they can take together.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import duckdb
import outcome
import trio

from actors.runtime import StartupError
from sparklytics.stores.errors import QueryTimeout

T = TypeVar("T")

DB_FILENAME = "sparklytics.db"
_DONE = object()


@dataclass(frozen=True, slots=True)
class DatabaseStatistics:
    readers_busy: int
    readers_limit: int


class Database:
    """The DuckDB file, its single writer connection and short-lived read cursors.

    Raises:
        StartupError: DuckDB refuses the file (damaged, not DuckDB, locked by another
            process): see :func:`unusable_database`.
    """

    def __init__(self, path: Path, *, memory_limit: str, threads: int = 2, readers: int = 4) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        self._config = {"memory_limit": memory_limit, "threads": threads}
        try:
            self.writer = self._connect()
        except duckdb.Error as error:
            raise unusable_database(path, error) from None
        self._read_limiter = trio.CapacityLimiter(readers)

    def _connect(self) -> duckdb.DuckDBPyConnection:
        con = duckdb.connect(str(self.path), config=self._config)
        # A long migration at start would print DuckDB's progress bar into the log.
        con.execute("PRAGMA disable_progress_bar")
        return con

    def reopen(self) -> None:
        """Replace a DuckDB instance that a fatal error invalidated with a fresh one.

        After a failed checkpoint (a full disk) DuckDB refuses every further call on
        the instance, and ``duckdb.connect`` hands back that same cached instance while
        a connection to it is open; so the old one is closed first. Blocking: the
        Writer calls it from its thread. Readers pick up the new connection on their
        next :meth:`read`.
        """
        self.writer.close()
        self.writer = self._connect()

    def close(self) -> None:
        self.writer.close()

    def statistics(self) -> DatabaseStatistics:
        return DatabaseStatistics(
            readers_busy=self._read_limiter.borrowed_tokens,
            readers_limit=int(self._read_limiter.total_tokens),
        )

    async def read(self, fn: Callable[[duckdb.DuckDBPyConnection], T], *, timeout: float | None = None) -> T:
        """Run ``fn(cursor)`` in a worker thread and return its result.

        Every read gets a cursor of its own, closed afterwards, never pooled: a cursor
        whose last result was read only in part (``fetchone()``) keeps its transaction
        open, and while it does DuckDB never checkpoints after commits that update
        rows, so its WAL and memory grow without bound (measured in ``bench/``).

        With ``timeout``, a query still running after that many seconds is interrupted
        and :class:`QueryTimeout` is raised.
        """
        async with self._read_limiter:
            cursor = self.writer.cursor()
            try:
                if timeout is None:
                    return await trio.to_thread.run_sync(fn, cursor)
                return await _run_with_deadline(fn, cursor, timeout)
            finally:
                cursor.close()

    async def stream(self, fn: Callable[[duckdb.DuckDBPyConnection], Iterator[T]]) -> AsyncIterator[T]:
        """Yield the items of the generator ``fn(cursor)``, each produced in a thread.

        The cursor stays with the generator until it is exhausted or the consumer stops
        (e.g. the client went away), so large results stream with flat memory.
        """
        async with self._read_limiter:
            cursor = self.writer.cursor()
            try:
                items = await trio.to_thread.run_sync(fn, cursor)
            except BaseException:
                cursor.close()
                raise
            try:
                while True:
                    item = await trio.to_thread.run_sync(next, items, _DONE)
                    if item is _DONE:
                        return
                    yield item
            finally:
                items.close()
                cursor.close()


def unusable_database(path: Path, error: duckdb.Error) -> StartupError:
    """The one line for a database file DuckDB refuses (damaged, not DuckDB, locked)."""
    reason = str(error).splitlines()[0].rstrip(".!") if str(error) else type(error).__name__
    return StartupError(
        f"cannot open the database {path}: {reason}. If another Sparklytics uses this data folder, stop "
        "it; if the file is damaged, restore it from a backup or move it away to start with an empty one"
    )


def dict_rows(cur: duckdb.DuckDBPyConnection) -> list[dict[str, Any]]:
    """The rows of ``cur``'s last result as dicts keyed by column name (API-shaped rows)."""
    names = [d[0] for d in cur.description]
    return [dict(zip(names, row)) for row in cur.fetchall()]


async def _run_with_deadline(fn: Callable[[duckdb.DuckDBPyConnection], T], cursor: duckdb.DuckDBPyConnection, timeout: float) -> T:
    """Run ``fn`` in a thread; interrupt its DuckDB query if it outlives ``timeout``.

    The thread's result or error is captured and re-raised *after* the nursery closes:
    raised inside it, trio wraps :class:`QueryTimeout` in an ``ExceptionGroup``, which
    routes only got away with because Quart-Trio unwraps groups for its handlers; every
    other caller of :meth:`Database.read` would have had to unwrap it.
    """
    timed_out = False

    async def interrupt_at_deadline() -> None:
        nonlocal timed_out
        await trio.sleep(timeout)
        timed_out = True
        cursor.interrupt()

    async with trio.open_nursery() as nursery:
        nursery.start_soon(interrupt_at_deadline)
        result = await trio.to_thread.run_sync(outcome.capture, fn, cursor)
        nursery.cancel_scope.cancel()
    if timed_out and isinstance(result, outcome.Error) and isinstance(result.error, duckdb.InterruptException):
        raise QueryTimeout(timeout)
    return result.unwrap()
