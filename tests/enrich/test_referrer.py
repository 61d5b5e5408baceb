import pytest

from sparklytics.enrich import referrer
from sparklytics.enrich.referrer import referrer_domain


@pytest.mark.parametrize(
    ("value", "domain"),
    [
        ("https://www.google.com/", "www.google.com"),
        ("https://news.ycombinator.com/item?id=1", "news.ycombinator.com"),
        ("http://Example.ORG:8080/path?q=1#f", "example.org"),
        ("https://user:pw@Foo.com/x", "foo.com"),
        ("https://example.net.", "example.net"),
        ("google.com/search?q=x", "google.com"),
        ("google.com", "google.com"),
        ("Bing.com?q=1", "bing.com"),
        ("localhost:3000/page", "localhost"),
        ("//cdn.example.com/x", "cdn.example.com"),
        ("android-app://com.google.android.gm/", "com.google.android.gm"),
        ("android-app://com.slack", "com.slack"),
        ("http://192.0.2.1:8080/", "192.0.2.1"),
        ("http://[2001:db8::1]/", "2001:db8::1"),
        ("https://bücher.de/", "bücher.de"),
        ("  https://padded.example/  ", "padded.example"),
        ("", None),
        ("   ", None),
        (None, None),
        ("https://", None),
        ("about:blank", None),
        ("javascript:void(0)", None),
        ("data:text/html,hi", None),
        ("mailto:someone@example.com", None),
        ("not a host", None),
        ("https://bad_host!/", None),
        ("https://" + "a" * 300 + ".com/", None),
    ],
)
def test_referrer_domain(value, domain):
    assert referrer_domain(value) == domain


@pytest.mark.parametrize(
    ("value", "page_hostname", "domain"),
    [
        ("https://example.com/previous", "example.com", None),
        ("https://EXAMPLE.com:443/", "example.com", None),
        ("https://www.example.com/", "example.com", None),
        ("https://example.com/", "www.example.com", None),
        ("https://blog.example.com/", "example.com", "blog.example.com"),
        ("https://google.com/", "example.com", "google.com"),
        ("https://example.com/", None, "example.com"),
    ],
)
def test_self_referrals_are_dropped(value, page_hostname, domain):
    assert referrer_domain(value, page_hostname) == domain


def test_referrer_hosts_are_cached():
    before = referrer.statistics()
    referrer_domain("https://cache-probe.example/a")
    referrer_domain("https://cache-probe.example/a", "other.example")
    after = referrer.statistics()
    assert (after.hits - before.hits, after.misses - before.misses) == (1, 1)
