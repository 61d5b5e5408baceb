#!/usr/bin/env bash
# Builds the dashboard into sparklytics/dashboard_dist (served by sparklytics/api/dashboard.py;
# inside the package so that a wheel carries it).
# Idempotent: `npm ci` reinstalls exactly package-lock.json, `vite build` empties dist/ first.
set -euo pipefail
cd "$(dirname "$0")"
npm ci --no-audit --no-fund
npm run build
