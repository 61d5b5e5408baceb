#!/usr/bin/env bash
# The cloud topology on one machine, in the foreground: two ClickHouse shards, PostgreSQL,
# two app nodes in SPARKLYTICS_MODE=cloud and HAProxy on SPARKLYTICS_PORT (scripts/cluster.py
# says how). Same SPARKLYTICS_* contract as `sparklytics serve`; SIGTERM stops it all.
# Needs `bash scripts/install.sh --test` (chdb-core, PostgreSQL, HAProxy).
set -euo pipefail
cd "$(dirname "$0")/.."
exec .venv/bin/python scripts/cluster.py "$@"
