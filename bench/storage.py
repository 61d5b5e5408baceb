"""Storage: where the bytes of a loaded DuckDB file go.

    python bench/storage.py --events 1M          # bench/data/db-1M/sparklytics.db
    python bench/storage.py --events 1M --columns

Reads the file read-only (the server must be stopped) and prints ``PRAGMA
database_size`` (used vs free blocks: free blocks are space left behind by the many
small commits of the ingest path, reused later but never given back), rows per table,
and the file size per 1M events. ``--columns`` also copies each ``events`` column on
its own into a scratch database and reports its compressed size, plus the size of the
whole table written once in one transaction (what a compacted file would take).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import DATA_DIR, human_count, md_table, parse_count, write_json  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    import duckdb

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", default="1M")
    parser.add_argument("--db", type=Path, help="default bench/data/db-<N>/sparklytics.db")
    parser.add_argument("--columns", action="store_true")
    args = parser.parse_args(argv)
    label = human_count(parse_count(args.events))
    db = args.db or DATA_DIR / f"db-{label}" / "sparklytics.db"
    out: dict = {"db": str(db), "file_bytes": db.stat().st_size}
    with duckdb.connect(str(db), read_only=True) as con:
        size = con.execute("PRAGMA database_size").fetchone()
        names = [d[0] for d in con.description]
        out["database_size"] = dict(zip(names, size))
        tables = [r[0] for r in con.execute("SELECT table_name FROM duckdb_tables() ORDER BY 1").fetchall()]
        out["rows"] = {t: con.execute(f'SELECT count(*) FROM "{t}"').fetchone()[0] for t in tables}
        events = out["rows"].get("events", 0)
        print(f"{db}: {out['file_bytes'] / 1e6:.1f} MB for {events:,} events "
              f"({out['file_bytes'] / 1e6 / max(1, events / 1e6):.1f} MB per 1M)")
        ds = out["database_size"]
        print(f"blocks: {ds['total_blocks']} total, {ds['used_blocks']} used, {ds['free_blocks']} free "
              f"(block {ds['block_size']} B); wal {ds['wal_size']}")
        print("rows:", {t: n for t, n in out["rows"].items() if n})
        if args.columns:
            columns = [r[0] for r in con.execute(
                "SELECT column_name FROM duckdb_columns() WHERE table_name = 'events' ORDER BY column_index").fetchall()]
            sizes = []
            con.close()
            con = duckdb.connect()
            con.execute(f"ATTACH '{db}' AS src (READ_ONLY)")
            with tempfile.TemporaryDirectory(dir=DATA_DIR) as tmp:
                for table, select in [("events (all, one write)", "*"), ("sessions (all, one write)", None)] + [(c, f'"{c}"') for c in columns]:
                    path = Path(tmp) / f"c{len(sizes)}.db"
                    source = "src.sessions" if select is None else "src.events"
                    con.execute(f"ATTACH '{path}' AS scratch")
                    con.execute(f"CREATE TABLE scratch.t AS SELECT {select or '*'} FROM {source} ORDER BY rowid")
                    con.execute("DETACH scratch")
                    with duckdb.connect(str(path)) as one:
                        used = one.execute("PRAGMA database_size").fetchone()
                        used_bytes = used[3] * used[2]  # used_blocks * block_size
                    sizes.append((table, used_bytes))
                    path.unlink()
            out["columns"] = {name: b for name, b in sizes}
            rows = [[name, round(b / 1e6, 2), round(b / 1e6 / max(1, events / 1e6), 2)] for name, b in sorted(sizes, key=lambda x: -x[1])]
            print(md_table(["column / table", "MB (used blocks)", "MB per 1M events"], rows))
    path = write_json(f"storage-{label}.json", out)
    print(f"→ {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
