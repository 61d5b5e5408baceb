"""Client IP → country, region and city from a MaxMind-format database.

The database (``SPARKLYTICS_GEOIP_PATH``, GeoLite2-City layout) is opened once, memory
mapped through maxminddb's C extension (``MODE_AUTO``, ~4 µs per lookup), and answers
sit in an LRU cache of 10 000 addresses.

**A missing or unreadable file means "no geo", not an error**: the server must start
and count visits on a fresh install that has no GeoIP file (and it never downloads
one). :class:`GeoLookup` then logs one warning and every lookup gives all-None. The
same holds per address: an invalid, private or unknown IP gives all-None.

Documentation ranges (192.0.2.0/24, 203.0.113.0/24, 2001:db8::/32…) are looked up like
public addresses, so test databases may use them; only addresses that can never be
geolocated (private, loopback, link-local, multicast, unspecified) skip the database.
"""

from __future__ import annotations

import ipaddress
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import maxminddb

from sparklytics.enrich._cache import CacheStatistics, LruCache

log = logging.getLogger("sparklytics.geo")

CACHE_SIZE = 10_000
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
    """Looks client IPs up in a GeoLite2-City-layout database, if there is one.

    ``GeoLookup(None)`` or a path that does not exist or cannot be read gives a lookup
    that is not :attr:`available` and answers all-None (with one warning logged for a
    bad path). It never raises, at construction or per lookup.
    """

    def __init__(self, path: Path | None) -> None:
        self._reader: maxminddb.Reader | None = None
        if path is None:
            log.info("GeoIP disabled: no database path configured")
        elif not path.is_file():
            log.warning("GeoIP disabled: database file %s is missing (or not a file)", path)
        else:
            try:
                self._reader = maxminddb.open_database(path, maxminddb.MODE_AUTO)
            except (OSError, ValueError, maxminddb.InvalidDatabaseError) as exc:
                log.warning("GeoIP disabled: cannot read database %s (%s)", path, exc)
        self._cache: LruCache[GeoInfo] = LruCache(
            self._lookup, maxsize=CACHE_SIZE, max_key_chars=MAX_IP_CHARS
        )

    @property
    def available(self) -> bool:
        """True while a database is open."""
        return self._reader is not None

    def lookup(self, ip: str | None) -> GeoInfo:
        """Country (ISO 3166-1 alpha-2), first subdivision and city, English names."""
        if not ip or self._reader is None:
            return NO_GEO
        return self._cache(ip.strip())

    def statistics(self) -> CacheStatistics:
        """Hit/miss counters of the lookup cache."""
        return self._cache.statistics()

    def close(self) -> None:
        """Release the database; later lookups answer all-None."""
        if self._reader is not None:
            self._reader.close()
            self._reader = None
        self._cache.clear()

    def _lookup(self, ip: str) -> GeoInfo:
        address = _public_address(ip)
        if address is None or self._reader is None:
            return NO_GEO
        try:
            record = self._reader.get(address)
        except (ValueError, maxminddb.InvalidDatabaseError):
            # An IPv6 address against an IPv4-only database, or a damaged file.
            return NO_GEO
        return _from_record(record)
