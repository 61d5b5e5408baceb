"""Where the app keeps its data: the Protocols every backend implements.

See ``docs/architecture.md`` ("Stores").
"""

from sparklytics.stores.events import EventStore, EventStoreStatistics

__all__ = ["EventStore", "EventStoreStatistics"]
