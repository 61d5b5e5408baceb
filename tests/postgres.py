"""A throwaway PostgreSQL server for the tests of the PostgreSQL MetadataStore.

:class:`PostgresServer` ``initdb``\\ s a cluster in a temp dir, starts it with ``pg_ctl``
on a free loopback port and stops it at the end. PostgreSQL refuses to run as root, so
when the tests run as root (CI) the cluster belongs to the ``postgres`` user and its
commands run through ``runuser``. Each test gets a fresh database copied from a
migrated template (``CREATE DATABASE … TEMPLATE``: a file copy, a few ms).

Without PostgreSQL's server binaries the tests fail with a message that says how to
install them (``scripts/install.sh --test`` does); they never skip.
"""

from __future__ import annotations

import glob
import itertools
import os
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path

import psycopg
import pytest

from sparklytics.stores.postgres.migrations import apply_migrations

TEMPLATE = "sparklytics_template"
_BIN_GLOB = "/usr/lib/postgresql/*/bin"


def server_binaries() -> Path:
    """The folder of ``initdb``/``pg_ctl``; fails the test run when there is none."""
    folders = sorted(glob.glob(_BIN_GLOB), key=lambda folder: int(Path(folder).parent.name))
    found = [Path(folder) for folder in folders if (Path(folder) / "initdb").exists()]
    if not found:
        pytest.fail(
            "PostgreSQL server binaries not found (looked for /usr/lib/postgresql/*/bin/initdb): "
            "the PostgreSQL store's tests need them; install them with `bash scripts/install.sh --test` "
            "(Debian package `postgresql`)",
            pytrace=False,
        )
    return found[-1]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class PostgresServer:
    def __init__(self) -> None:
        self.bin = server_binaries()
        self.port = _free_port()
        self.root = Path(tempfile.mkdtemp(prefix="sparklytics-pg-"))
        self.data = self.root / "data"
        self._as_postgres = os.geteuid() == 0
        self._names = itertools.count()

    def _run(self, *args: str) -> None:
        command = [str(self.bin / args[0]), *args[1:]]
        if self._as_postgres:
            command = ["runuser", "-u", "postgres", "--", *command]
        done = subprocess.run(command, capture_output=True, text=True, timeout=120)
        if done.returncode != 0:
            raise RuntimeError(f"{args[0]} failed ({done.returncode}): {done.stderr.strip() or done.stdout.strip()}")

    def start(self) -> PostgresServer:
        if self._as_postgres:
            shutil.chown(self.root, "postgres", "postgres")
        self._run("initdb", "-D", str(self.data), "-U", "postgres", "--auth=trust", "--no-sync", "-E", "UTF8",
                  "--locale=C.UTF-8")
        options = f"-p {self.port} -c listen_addresses=127.0.0.1 -c unix_socket_directories='{self.root}' -c fsync=off"
        self._run("pg_ctl", "-D", str(self.data), "-l", str(self.root / "server.log"), "-o", options, "-w", "start")
        with psycopg.connect(self.dsn("postgres"), autocommit=True) as conn:
            conn.execute(f"CREATE DATABASE {TEMPLATE}")
        with psycopg.connect(self.dsn(TEMPLATE)) as conn:
            apply_migrations(conn)
        return self

    def dsn(self, database: str) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{database}"

    def empty_database(self) -> str:
        """A new database without tables; its DSN."""
        return self._create(f"test_{next(self._names)}", "template0")

    def fresh_database(self) -> str:
        """A new database with the migrations applied; its DSN."""
        return self._create(f"test_{next(self._names)}", TEMPLATE)

    def _create(self, name: str, template: str) -> str:
        with psycopg.connect(self.dsn("postgres"), autocommit=True) as conn:
            conn.execute(f"CREATE DATABASE {name} TEMPLATE {template}")
        return self.dsn(name)

    def stop(self) -> None:
        self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "stop")
        shutil.rmtree(self.root, ignore_errors=True)


class LazyPostgresServer:
    """A :class:`PostgresServer` started by the first test that asks for a database, so
    a run of DuckDB-only tests never starts (nor needs) PostgreSQL."""

    def __init__(self) -> None:
        self._server: PostgresServer | None = None

    @property
    def server(self) -> PostgresServer:
        if self._server is None:
            self._server = PostgresServer().start()
        return self._server

    def fresh_database(self) -> str:
        return self.server.fresh_database()

    def empty_database(self) -> str:
        return self.server.empty_database()

    def stop(self) -> None:
        if self._server is not None:
            self._server.stop()


def every_stored_value(conn: psycopg.Connection) -> list[bytes]:
    """Every non-null cell of every table of the public schema, as bytes: what a dump of
    the database gives someone who has nothing else (the lockout's Decision 7 tests)."""
    tables = [row[0] for row in conn.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")]
    values: list[bytes] = []
    for table in tables:
        for row in conn.execute(f'SELECT * FROM "{table}"'):
            values.extend(bytes(cell) if isinstance(cell, (bytes, memoryview)) else str(cell).encode()
                          for cell in row if cell is not None)
    return values
