import logging

import pytest
from mmdb_writer import MMDBWriter
from netaddr import IPSet

from sparklytics.enrich.geo import GeoInfo, GeoLookup
from tests.enrich.geo_fixture import build_city_db, city_record

ROWS = {
    "81.2.69.142": ("GB", "England", "London"),
    "89.160.20.112/28": ("SE", "Östergötland County", "Linköping"),
    "203.0.113.0/24": ("US", "California", None),
    "2001:db8::/32": ("DE", None, None),
    "198.51.100.7": (None, None, "Nowhere"),
}

NONE = GeoInfo(None, None, None)


@pytest.fixture
def geo(tmp_path):
    """A GeoLookup over a small GeoLite2-City-layout database."""
    lookup = GeoLookup(build_city_db(tmp_path / "city.mmdb", ROWS))
    yield lookup
    lookup.close()


@pytest.mark.parametrize(
    ("ip", "expected"),
    [
        ("81.2.69.142", GeoInfo("GB", "England", "London")),
        (" 81.2.69.142 ", GeoInfo("GB", "England", "London")),
        ("::ffff:81.2.69.142", GeoInfo("GB", "England", "London")),
        ("89.160.20.115", GeoInfo("SE", "Östergötland County", "Linköping")),
        ("203.0.113.200", GeoInfo("US", "California", None)),
        ("2001:db8:1234::1", GeoInfo("DE", None, None)),
        ("198.51.100.7", GeoInfo(None, None, "Nowhere")),
        ("81.2.69.143", NONE),  # not in the database
        ("10.1.2.3", NONE),  # private
        ("192.168.0.1", NONE),
        ("127.0.0.1", NONE),
        ("::1", NONE),
        ("fe80::1", NONE),
        ("fd00::1", NONE),
        ("not-an-ip", NONE),
        ("unknown", NONE),
        ("", NONE),
        (None, NONE),
    ],
)
def test_lookup(geo, ip, expected):
    assert geo.lookup(ip) == expected


def test_available_and_close(geo):
    assert geo.available
    geo.close()
    assert not geo.available
    assert geo.lookup("81.2.69.142") == NONE
    geo.close()  # closing twice is harmless


def test_lookups_are_cached(geo):
    geo.lookup("81.2.69.142")
    geo.lookup("81.2.69.142")
    geo.lookup("81.2.69.143")
    stats = geo.statistics()
    assert (stats.hits, stats.misses, stats.size) == (1, 2, 2)


def test_ipv4_only_database_answers_none_for_ipv6(tmp_path):
    writer = MMDBWriter(ip_version=4, database_type="GeoLite2-City")
    writer.insert_network(IPSet(["81.2.69.0/24"]), city_record("GB", None, "London"))
    writer.to_db_file(str(tmp_path / "v4.mmdb"))
    geo = GeoLookup(tmp_path / "v4.mmdb")
    assert geo.lookup("81.2.69.1") == GeoInfo("GB", None, "London")
    assert geo.lookup("2a00:1450::1") == NONE


def test_no_path_means_no_geo_without_warning(caplog):
    with caplog.at_level(logging.WARNING, logger="sparklytics.geo"):
        geo = GeoLookup(None)
    assert not geo.available
    assert geo.lookup("81.2.69.142") == NONE
    assert caplog.records == []


def test_missing_file_means_no_geo_and_one_warning(tmp_path, caplog):
    with caplog.at_level(logging.WARNING, logger="sparklytics.geo"):
        geo = GeoLookup(tmp_path / "absent.mmdb")
        assert geo.lookup("81.2.69.142") == NONE
        assert geo.lookup("81.2.69.142") == NONE
    assert not geo.available
    assert [r.levelname for r in caplog.records] == ["WARNING"]
    assert "absent.mmdb" in caplog.records[0].getMessage()


@pytest.mark.parametrize("content", [b"", b"this is not a MaxMind database" * 10])
def test_unreadable_file_means_no_geo_and_one_warning(tmp_path, caplog, content):
    path = tmp_path / "broken.mmdb"
    path.write_bytes(content)
    with caplog.at_level(logging.WARNING, logger="sparklytics.geo"):
        geo = GeoLookup(path)
    assert not geo.available
    assert geo.lookup("81.2.69.142") == NONE
    assert len(caplog.records) == 1


def test_directory_instead_of_file_means_no_geo(tmp_path):
    assert not GeoLookup(tmp_path).available
