import pytest

from sparklytics.enrich import urls
from sparklytics.enrich.urls import UrlParts, host_of_authority, split_url


@pytest.mark.parametrize(
    ("url", "path", "hostname"),
    [
        ("", "/", None),
        ("/", "/", None),
        ("/a/b", "/a/b", None),
        ("/a/b?x=1#y", "/a/b", None),
        ("a/b", "/a/b", None),
        ("?x=1", "/", None),
        ("#top", "/", None),
        ("https://Ex.com:8080/a/b?x", "/a/b", "ex.com"),
        ("http://ex.com/a/b#frag", "/a/b", "ex.com"),
        ("HTTPS://EXAMPLE.COM", "/", "example.com"),
        ("https://example.com?utm_source=x", "/", "example.com"),
        ("https://example.com#/route", "/", "example.com"),
        ("https://user:secret@Shop.Example.com./Cart/", "/Cart/", "shop.example.com"),
        ("https://example.com/docs/", "/docs/", "example.com"),
        ("https://example.com//double//slash", "//double//slash", "example.com"),
        ("http://[2001:DB8::1]:8080/v6", "/v6", "2001:db8::1"),
        ("http://192.0.2.1:80/ip", "/ip", "192.0.2.1"),
        ("//cdn.example.com/lib.js", "/lib.js", "cdn.example.com"),
        ("  https://example.com/padded  ", "/padded", "example.com"),
        ("app://bundle/index.html", "/index.html", None),
        ("file:///home/me/page.html", "/home/me/page.html", None),
        ("about:blank", "/blank", None),
        ("http://[broken/a", "/a", "broken"),
        ("/caf%C3%A9", "/caf%C3%A9", None),
    ],
)
def test_split_url(url, path, hostname):
    assert split_url(url) == UrlParts(path=path, hostname=hostname)


def test_relative_and_absolute_urls_give_the_same_path():
    assert split_url("/a/b?x#y").path == split_url("https://Ex.com:8080/a/b?x").path == "/a/b"


def test_path_is_capped():
    long_path = "/" + "a" * 5000
    assert split_url(long_path).path == long_path[: urls.MAX_PATH_CHARS]
    assert split_url("https://example.com" + long_path).path == long_path[: urls.MAX_PATH_CHARS]


@pytest.mark.parametrize(
    ("authority", "host"),
    [
        ("Example.COM", "example.com"),
        ("user:pw@example.com:443", "example.com"),
        ("[::1]:8080", "::1"),
        ("example.com.", "example.com"),
        ("", None),
        (":8080", None),
    ],
)
def test_host_of_authority(authority, host):
    assert host_of_authority(authority) == host


def test_split_url_is_cached():
    before = urls.statistics()
    split_url("https://example.com/cache-probe")
    split_url("https://example.com/cache-probe")
    after = urls.statistics()
    assert (after.hits - before.hits, after.misses - before.misses) == (1, 1)
