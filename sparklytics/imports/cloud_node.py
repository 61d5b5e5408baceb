"""``sparklytics import`` in cloud mode runs as an app node of its own.

App nodes may be running while an import runs, even on this host with this very data
folder. The import's events take a node's path — its own WAL, then the ClickHouse
EventStore — and both are keyed by the node: two processes with one node id would each
delete the other's rows above its WAL cursor (``stores/clickhouse/events.py``), and two
Buffers in one WAL folder would interleave their writes. So the import is node
``<node id>-import`` (the id of the data folder's node, ``SPARKLYTICS_NODE_ID`` or
``<data>/node-id``, which is unique in the cluster) with its WAL in ``<data>/import/``,
and a lock file there lets one import at a time use it. A killed import leaves its WAL
behind; the next import from the same folder replays it under the same id before it
reads its file, so what had been read is stored once, as after a node's ``kill -9``.

The Plausible aggregates need none of this: they replace their days in PostgreSQL in
one transaction (``stores/metadata_sql/imported.py``), where the reports read them.
"""

from __future__ import annotations

import dataclasses
import fcntl
from collections.abc import Iterator
from contextlib import contextmanager

from sparklytics.config import Config
from sparklytics.stores.cloud import node_id_of

IMPORT_FOLDER = "import"
_LOCK_FILE = "import.lock"


class ImportRunning(Exception):
    """Another import holds this data folder's import node."""


def import_node_config(config: Config) -> Config:
    """``config`` as the import node's: its own node id and data folder (its WAL)."""
    assert config.cloud is not None
    node_id = f"{node_id_of(config)}-import"
    return dataclasses.replace(
        config,
        data_dir=config.data_dir / IMPORT_FOLDER,
        cloud=dataclasses.replace(config.cloud, node_id=node_id),
    )


@contextmanager
def exclusive_import_node(config: Config) -> Iterator[None]:
    """Hold the import node of ``config``'s data folder (see the module docstring).

    Raises:
        ImportRunning: another ``sparklytics import`` holds it.
    """
    folder = config.data_dir / IMPORT_FOLDER
    folder.mkdir(parents=True, exist_ok=True)
    with (folder / _LOCK_FILE).open("a") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise ImportRunning(f"another import is running from {config.data_dir}") from None
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
