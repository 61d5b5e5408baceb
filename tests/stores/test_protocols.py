"""Each backend's store has every method of its Protocol, with the Protocol's signature.

A method renamed or re-typed on one side only would otherwise surface as an
AttributeError on the first request that needs it.
"""

from __future__ import annotations

import inspect

import pytest

from sparklytics.stores import AnalyticsStore, EventStore, MetadataStore
from sparklytics.stores.clickhouse.analytics import ClickHouseAnalyticsStore
from sparklytics.stores.clickhouse.events import ClickHouseEventStore
from sparklytics.stores.duckdb.analytics import DuckDBAnalyticsStore
from sparklytics.stores.duckdb.events import DuckDBEventStore
from sparklytics.stores.duckdb.metadata import DuckDBMetadataStore
from sparklytics.stores.postgres.metadata import PostgresMetadataStore

IMPLEMENTATIONS = [
    (AnalyticsStore, DuckDBAnalyticsStore),
    (MetadataStore, DuckDBMetadataStore),
    (MetadataStore, PostgresMetadataStore),
    (EventStore, DuckDBEventStore),
    (AnalyticsStore, ClickHouseAnalyticsStore),
    (EventStore, ClickHouseEventStore),
]


def protocol_methods(protocol: type) -> list[str]:
    return sorted(name for name, value in vars(protocol).items() if callable(value) and not name.startswith("_"))


@pytest.mark.parametrize("protocol,store", IMPLEMENTATIONS, ids=lambda c: c.__name__)
def test_every_protocol_method_with_its_signature(protocol, store) -> None:
    assert protocol_methods(protocol)
    for name in protocol_methods(protocol):
        declared, implemented = getattr(protocol, name), getattr(store, name)
        assert inspect.signature(implemented) == inspect.signature(declared), name
        declared_async = inspect.iscoroutinefunction(declared) or inspect.isasyncgenfunction(declared)
        implemented_async = inspect.iscoroutinefunction(implemented) or inspect.isasyncgenfunction(implemented)
        assert implemented_async == declared_async or inspect.isasyncgenfunction(implemented), name
