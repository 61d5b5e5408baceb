import ipaddress
import logging
import random

import pytest
from mmdb_writer import MMDBWriter
from netaddr import IPSet

from sparklytics.enrich.geo import GeoInfo, GeoLookup, _public_address
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


def _never_public_by_properties(ip):
    address = ipaddress.ip_address(ip)
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    private = ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10", "fc00::/7")
    return (
        address.is_loopback
        or address.is_link_local
        or address.is_multicast
        or address.is_unspecified
        or any(address in ipaddress.ip_network(net) for net in private)
    )


def test_public_address_ranges_match_ipaddress_properties():
    # _public_address masks integers; it must skip exactly what ipaddress's
    # is_loopback/is_link_local/is_multicast/is_unspecified and the private ranges skip.
    rng = random.Random(5)
    edges = [
        "0.0.0.0", "0.0.0.1", "126.255.255.255", "127.0.0.0", "127.255.255.255", "128.0.0.0",
        "169.253.255.255", "169.254.0.0", "169.254.255.255", "169.255.0.0", "223.255.255.255",
        "224.0.0.0", "239.255.255.255", "240.0.0.0", "255.255.255.255", "9.255.255.255",
        "10.0.0.0", "11.0.0.0", "172.15.255.255", "172.16.0.0", "172.31.255.255", "172.32.0.0",
        "192.167.255.255", "192.168.0.0", "192.169.0.0", "100.63.255.255", "100.64.0.0",
        "100.127.255.255", "100.128.0.0", "::", "::1", "::2", "fe7f::1", "fe80::", "febf::1",
        "fec0::", "feff::", "ff00::", "fbff::1", "fc00::", "fdff::1", "::ffff:10.0.0.1",
        "::ffff:81.2.69.142", "::ffff:127.0.0.1", "::ffff:0.0.0.0", "::ffff:224.0.0.1",
    ]  # fmt: skip
    randoms = [str(ipaddress.IPv4Address(rng.getrandbits(32))) for _ in range(20_000)]
    randoms += [str(ipaddress.IPv6Address(rng.getrandbits(128))) for _ in range(2_000)]
    near_v6_ranges = ((rng.choice((0xFC, 0xFE, 0xFF)) << 120) | rng.getrandbits(120) for _ in range(2_000))
    randoms += [str(ipaddress.IPv6Address(value)) for value in near_v6_ranges]
    for ip in edges + randoms:
        assert (_public_address(ip) is None) == _never_public_by_properties(ip), ip
