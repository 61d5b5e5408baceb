"""ClickHouse's errors as the stores' own.

What writes to ClickHouse in the background — the EventStore under the Writer, the
closed days' session builds under the Scheduler — raises :class:`ClickHouseError` as a
:class:`~sparklytics.stores.errors.StorageFault`, so the actors above handle a cluster
that is down without knowing which engine answered.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sparklytics.stores.clickhouse.connection import ClickHouseError
from sparklytics.stores.errors import StorageFault


@contextmanager
def storage_faults() -> Iterator[None]:
    try:
        yield
    except ClickHouseError as error:
        raise StorageFault(str(error)) from error
