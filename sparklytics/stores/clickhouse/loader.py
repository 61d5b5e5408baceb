"""Copy stored events (a DuckDB ``events`` table's rows) into ClickHouse.

The seed of ``sparklytics migrate --to cloud``, and how the contract tests put the
shared dataset into ClickHouse. Rows come in ``EVENT_COLUMNS`` order with their ids and
session ids; the session id is dropped (ClickHouse derives sessions at read time, and
for events the Writer stored the derivation gives the same sessions), the visitor id
stays the one the session was kept under, so midnight continuations need no
``previous_visitor_id``. Each chunk carries its id range as the deduplication token:
loading the same rows twice stores them once.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from itertools import islice
from typing import Any

from sparklytics.events import EVENT_COLUMNS
from sparklytics.stores.clickhouse import rollup, schema
from sparklytics.stores.clickhouse.connection import ClickHouseClient, encode_rows

CHUNK_ROWS = 10_000  # HTTP inserts measured fastest at ~10k rows (STACK-NOTES)
IMPORT_NODE = "import"

_SESSION_ID = EVENT_COLUMNS.index("session_id")
_INSERT = f"INSERT INTO events ({', '.join(schema.EVENT_TABLE_NAMES)}) FORMAT JSONCompactEachRow"


def load_events(client: ClickHouseClient, rows: Iterable[Sequence[Any]]) -> int:
    """Insert ``rows`` (``EVENT_COLUMNS`` order) in chunks; return how many were sent."""
    sent = 0
    iterator = iter(rows)
    while chunk := list(islice(iterator, CHUNK_ROWS)):
        converted = []
        for row in chunk:
            values = list(row)
            del values[_SESSION_ID]
            converted.append([*values, None, IMPORT_NODE])
        token = f"{IMPORT_NODE}:{chunk[0][0]}:{chunk[-1][0]}:{len(chunk)}"
        client.execute(_INSERT, data=encode_rows(converted),
                       settings={"insert_deduplication_token": token, "distributed_foreground_insert": 1,
                                 **rollup.INSERT_SETTINGS})
        sent += len(chunk)
    return sent
