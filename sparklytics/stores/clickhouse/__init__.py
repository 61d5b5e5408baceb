"""The scale-out backend: events and reports on a ClickHouse cluster (cloud mode).

``connection`` (HTTP clients, settings), ``schema`` (tables per shard + ``Distributed``),
``events`` (the EventStore), ``sessionize`` (sessions at read time), ``analytics`` (the
AnalyticsStore). Metadata lives in PostgreSQL (``stores/postgres``).
"""
