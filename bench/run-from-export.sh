#!/usr/bin/env bash
# Run a benchmark against a clean export of HEAD, not the working tree (which may hold
# someone's unfinished changes). Data and output stay in this checkout's bench/data and
# bench/out.   usage: bench/run-from-export.sh ingest.py [args…]
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
export_dir="${BENCH_EXPORT_DIR:-/tmp/sparklytics-bench-src}"
rm -rf "$export_dir" && mkdir -p "$export_dir"
git -C "$repo" archive HEAD | tar -x -C "$export_dir"
git -C "$repo" rev-parse --short HEAD > "$export_dir/.bench-commit"
# build outputs are git-ignored: take this checkout's (without them there is no /s.js or dashboard)
for built in sparklytics/tracker/dist sparklytics/dashboard_dist; do
  if [ -d "$repo/$built" ]; then cp -r "$repo/$built" "$export_dir/$built"; fi
done
mkdir -p "$repo/bench/data" "$repo/bench/out"
ln -s "$repo/bench/data" "$export_dir/bench/data"
ln -s "$repo/bench/out" "$export_dir/bench/out"
cd "$export_dir"
script="$1"; shift
exec "$repo/.venv/bin/python" "bench/$script" "$@"
