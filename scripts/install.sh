#!/usr/bin/env bash
# Installs everything Sparklytics needs into this checkout, idempotently:
# system packages (Debian: python3-venv, nodejs/npm; with --test also chromium and
# PostgreSQL, whose server the PostgreSQL store's tests start in a temp dir, and HAProxy,
# the load balancer of scripts/cluster.sh),
# with --test ClickHouse (chdb-core) in its own .venv-clickhouse,
# the Python virtualenv in .venv, the built tracker and dashboard, and DB-IP's free
# city database in ./geoip (scripts/install-geo.sh; the server's default geo source).
# Usage: bash scripts/install.sh [--test]
set -euo pipefail
cd "$(dirname "$0")/.."

with_tests=false
[[ "${1:-}" == "--test" ]] && with_tests=true

apt_packages=()
python3 -c 'import sys; assert sys.version_info >= (3, 11)' 2>/dev/null || apt_packages+=(python3)
python3 -c 'import venv, ensurepip' 2>/dev/null || apt_packages+=(python3-venv)
command -v node >/dev/null 2>&1 || apt_packages+=(nodejs)
command -v npm >/dev/null 2>&1 || apt_packages+=(npm)
if $with_tests && [[ ! -x /usr/bin/chromium ]]; then apt_packages+=(chromium fonts-dejavu-core); fi
if $with_tests && ! compgen -G "/usr/lib/postgresql/*/bin/initdb" >/dev/null; then apt_packages+=(postgresql); fi
# scripts/cluster.sh (and tests/cloud over it) puts HAProxy in front of its app nodes.
if $with_tests && ! command -v haproxy >/dev/null 2>&1 && [[ ! -x /usr/sbin/haproxy ]]; then apt_packages+=(haproxy); fi
if ((${#apt_packages[@]})); then
    sudo_cmd=()
    [[ "$(id -u)" != 0 ]] && sudo_cmd=(sudo)
    echo "installing system packages: ${apt_packages[*]}"
    "${sudo_cmd[@]}" apt-get update -qq
    DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq "${apt_packages[@]}" >/dev/null
fi

if [[ ! -x .venv/bin/python ]]; then
    python3 -m venv .venv
fi
extras=""
$with_tests && extras="[test]"
.venv/bin/pip install --quiet --disable-pip-version-check -e ".${extras}"

bash sparklytics/tracker/build.sh
if $with_tests; then
    # Test only: Plausible's npm trackers, which the browser tests bundle into a page
    # (tests/tracker/test_compat_browser.py) to prove they work against /api/event.
    (cd tests/tracker/npm_clients && npm ci --no-audit --no-fund --loglevel=error)
fi
if $with_tests; then
    # Test only: a real ClickHouse for the scale-out stores (tests/clickhouse.py starts
    # shards with scripts/clickhouse_shard.py). chdb-core is ~0.9 GB with numpy/pandas/
    # pyarrow, so it gets its own venv instead of weighing on the app's.
    [[ -x .venv-clickhouse/bin/python ]] || python3 -m venv .venv-clickhouse
    .venv-clickhouse/bin/pip install --quiet --disable-pip-version-check "chdb-core==26.9.0"
fi
if [[ -f dashboard/build.sh ]]; then
    bash dashboard/build.sh
fi

bash scripts/install-geo.sh geoip
