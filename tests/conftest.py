"""Shared fixtures: a real DuckDB file, the app with its actors, and live servers."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from tests.harness import LiveServer, test_config


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    """An empty data directory for one test."""
    return tmp_path / "data"


@pytest.fixture
def config(data_dir: Path):
    """Settings for a server on ``data_dir`` with auth off and no GeoIP."""
    return test_config(data_dir)


@pytest.fixture
async def services(config) -> AsyncIterator:
    """The actors running in the test's nursery, over a real DuckDB file."""
    from sparklytics.services import open_services

    async with open_services(config) as running:
        yield running


@pytest.fixture(scope="session")
def postgres():
    """The session's throwaway PostgreSQL server, started when a test first asks for a
    database (``tests/postgres.py``)."""
    from tests.postgres import LazyPostgresServer

    server = LazyPostgresServer()
    yield server
    server.stop()


@pytest.fixture(params=["duckdb", "postgres"])
async def metadata(request, postgres, tmp_path: Path) -> AsyncIterator:
    """A MetadataStore on each backend, for the contract tests: DuckDB's of running
    services (writes go through the real Writer), or PostgreSQL's on a fresh database."""
    if request.param == "duckdb":
        from sparklytics.services import open_services

        async with open_services(test_config(tmp_path / "data")) as running:
            yield running.metadata
    else:
        from sparklytics.stores.postgres import open_metadata_store

        store = await open_metadata_store(postgres.fresh_database(), node_id="node-a", max_connections=4)
        try:
            yield store
        finally:
            await store.close()


@pytest.fixture
async def app(services):
    """The Quart-Trio app wired to ``services``."""
    from sparklytics.app import create_app

    return create_app(services)


@pytest.fixture
async def client(app):
    """An in-process HTTP client for ``app``."""
    return app.test_client()


@pytest.fixture(scope="session")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """One real server on 127.0.0.1 for the whole session (browser tests share it).

    Its collect rate limit is off: every browser test posts from 127.0.0.1."""
    server = LiveServer(tmp_path_factory.mktemp("live") / "data", SPARKLYTICS_RATE_LIMIT_DISABLE="true").start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def browser():
    """One headless Chromium for every browser test of the session.

    Playwright's sync API cannot run two instances at once in one thread, so the
    tracker and dashboard suites share this one. Host names under ``.test`` resolve to
    127.0.0.1: pages served there are not "localhost", which Plausible's scripts skip."""
    from tests.browser import chromium

    with chromium(args=["--host-resolver-rules=MAP *.test 127.0.0.1"]) as running:
        yield running
