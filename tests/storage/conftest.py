"""Fixtures of the storage tests."""

from __future__ import annotations

import duckdb
import psycopg
import pytest

from sparklytics.stores.duckdb.metadata_db import DuckDBMetadataDb
from sparklytics.stores.duckdb.schema import apply_migrations
from sparklytics.stores.postgres.sql import PostgresMetadataDb


@pytest.fixture(params=["duckdb", "postgres"])
def metadata_db(request, tmp_path):
    """A migrated database of each metadata backend with one website, ``site_a``, as the
    shared metadata SQL sees it (PostgreSQL: autocommit, each call's statements commit as
    they run)."""
    if request.param == "duckdb":
        connection = duckdb.connect(str(tmp_path / "metadata.db"))
        apply_migrations(connection)
        db = DuckDBMetadataDb(connection)
    else:
        connection = psycopg.connect(request.getfixturevalue("postgres").fresh_database(), autocommit=True)
        db = PostgresMetadataDb(connection)
    db.run("INSERT INTO websites (id, name, domain) VALUES ('site_a', 'A', 'a.example')")
    yield db
    connection.close()
