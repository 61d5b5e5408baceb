#!/usr/bin/env bash
# Builds the tracker: installs the pinned esbuild (npm ci) and writes dist/s.js, dist/plausible.js and dist/umami.js.
# Idempotent; safe to re-run. Called by `bash scripts/install.sh`.
set -euo pipefail
cd "$(dirname "$0")"
npm ci --no-audit --no-fund --loglevel=error
node build.mjs "$@"
