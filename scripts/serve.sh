#!/usr/bin/env bash
# Installs (idempotently) and starts the server on port 3000 with data in ./data.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install.sh
exec .venv/bin/sparklytics serve "$@"
