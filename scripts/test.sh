#!/usr/bin/env bash
# Installs (idempotently, with test tools and Chromium) and runs the whole test suite.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install.sh --test
exec .venv/bin/pytest -q "$@"
