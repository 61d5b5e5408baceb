"""Builds tiny GeoLite2-City-layout databases for tests (no download, no real data).

Usage::

    from tests.enrich.geo_fixture import build_city_db

    db = build_city_db(tmp_path / "city.mmdb", {
        "81.2.69.142": ("GB", "England", "London"),
        "2001:db8::/32": ("DE", None, None),
    })

Keys are single addresses or CIDR networks, IPv4 or IPv6 (the file is an IPv6 tree
with IPv4 mapped in, like MaxMind's). Values are ``(country ISO code, first subdivision
English name, city English name)``; a None leaves that part out of the record, as real
databases do for coarse entries.

:func:`installed_dbip_dir` finds the real DB-IP files that ``scripts/install.sh`` puts
where a server started from the checkout looks by default.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest
from mmdb_writer import MMDBWriter
from netaddr import IPSet

from sparklytics.config import load_config
from sparklytics.enrich.geo import DBIP_FILES
from tests.harness import REPO_ROOT

CityRow = tuple[str | None, str | None, str | None]


def city_record(country: str | None, region: str | None, city: str | None) -> dict[str, Any]:
    """One record in GeoLite2-City layout (only the fields Sparklytics reads, plus ids)."""
    record: dict[str, Any] = {}
    if country is not None:
        record["country"] = {"iso_code": country, "names": {"en": country}}
    if region is not None:
        record["subdivisions"] = [{"iso_code": region[:3].upper(), "names": {"en": region}}]
    if city is not None:
        record["city"] = {"names": {"en": city, "de": city}}
    return record


def build_city_db(path: Path, rows: Mapping[str, CityRow]) -> Path:
    """Writes a GeoLite2-City-layout database at ``path`` holding ``rows``; returns ``path``."""
    writer = MMDBWriter(
        ip_version=6,
        ipv4_compatible=True,
        database_type="GeoLite2-City",
        languages=["en"],
        description="Sparklytics test database",
    )
    for network, (country, region, city) in rows.items():
        writer.insert_network(IPSet([network]), city_record(country, region, city))
    path.parent.mkdir(parents=True, exist_ok=True)
    writer.to_db_file(str(path))
    return path


def installed_dbip_dir() -> Path:
    """The DB-IP directory a server started from the checkout with defaults would read."""
    directory = load_config({}).geoip_dbip_dir
    directory = directory if directory.is_absolute() else REPO_ROOT / directory
    if not all((directory / name).is_file() for name in DBIP_FILES.values()):
        pytest.fail(f"DB-IP files missing in {directory}: run `bash scripts/install.sh`", pytrace=False)
    return directory
