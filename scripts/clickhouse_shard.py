"""One ClickHouse shard: chdb's clickhouse-local serving HTTP and native on 127.0.0.1.

Run by the chdb venv's python (``.venv-clickhouse``, made by ``scripts/install.sh
--test``), never the app's: the wheel is ~0.9 GB of numpy/pandas/pyarrow the app does
not need. Usage::

    .venv-clickhouse/bin/python scripts/clickhouse_shard.py DATA_DIR HTTP_PORT TCP_PORT \
        [--cluster NAME --shard HOST:TCP_PORT --shard HOST:TCP_PORT ...]

``chdb-core`` has no ``clickhouse`` executable, but its embedded clickhouse-local opens
the listeners of its config after ``SYSTEM START LISTEN QUERIES ALL`` (STACK-NOTES.md,
"ClickHouse"): the config is ``config.xml`` in the working directory, so the script
writes it into DATA_DIR and ``chdir``s there. The query then blocks (an endless
``sleepEachRow``) while the server serves. SIGTERM ends it at once (measured: tens of
ms; a Python handler would never run while the query blocks in C): every acknowledged
insert is written to its part files already (not fsynced: a test server, not a power
cut's), and the data stays in DATA_DIR for the next start. No ``<logger>`` section: it
would log at trace level. One server per process (chdb keeps one global server).
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from xml.sax.saxutils import escape

_SERVE_FOREVER = (
    "SYSTEM START LISTEN QUERIES ALL; "
    "SELECT sleepEachRow(3) FROM numbers(1000000000000) SETTINGS max_block_size = 1 FORMAT Null"
)


def config_xml(http_port: int, tcp_port: int, cluster: str | None, shards: list[str]) -> str:
    """The server config: loopback listeners, UTC, and the cluster the Distributed table names."""
    remote = ""
    if cluster:
        entries = []
        for shard in shards:
            host, port = shard.rsplit(":", 1)
            entries.append(
                f"<shard><replica><host>{escape(host)}</host><port>{int(port)}</port></replica></shard>"
            )
        remote = f"<remote_servers><{cluster}>{''.join(entries)}</{cluster}></remote_servers>"
    return (
        "<clickhouse><listen_host>127.0.0.1</listen_host>"
        f"<http_port>{http_port}</http_port><tcp_port>{tcp_port}</tcp_port>"
        f"<timezone>UTC</timezone>{remote}</clickhouse>\n"
    )


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data_dir", type=Path)
    parser.add_argument("http_port", type=int)
    parser.add_argument("tcp_port", type=int)
    parser.add_argument("--cluster", help="the remote_servers name of the cluster (letters, digits, _)")
    parser.add_argument("--shard", action="append", default=[], help="HOST:TCP_PORT of a shard, in order")
    args = parser.parse_args(argv)
    if args.cluster and not args.cluster.replace("_", "").isalnum():
        parser.error("--cluster must be letters, digits and _")
    args.data_dir.mkdir(parents=True, exist_ok=True)
    (args.data_dir / "config.xml").write_text(config_xml(args.http_port, args.tcp_port, args.cluster, args.shard))
    os.chdir(args.data_dir)
    import chdb._chdb as chdb_server  # the chdb venv only; the public chdb.query cannot serve

    chdb_server.query(_SERVE_FOREVER, "TSV", path=str(args.data_dir / "data"))


if __name__ == "__main__":
    main(sys.argv[1:])
