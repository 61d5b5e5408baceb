"""Where the app keeps its data: the three Protocols every backend implements.

``AnalyticsStore`` answers the reports, ``MetadataStore`` keeps websites, settings, auth,
funnels and goals, ``EventStore`` commits the Writer's batches. ``stores/duckdb`` is the
embedded backend. See ``docs/architecture.md`` ("Stores").
"""

from sparklytics.stores.analytics import AnalyticsStore, QueryBudgets
from sparklytics.stores.events import EventStore, EventStoreStatistics
from sparklytics.stores.metadata import MetadataStore

__all__ = ["AnalyticsStore", "EventStore", "EventStoreStatistics", "MetadataStore", "QueryBudgets"]
