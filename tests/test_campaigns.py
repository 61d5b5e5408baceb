"""The rules of campaign links and pixels (``sparklytics.campaigns``, API.md §1.15): names,
destination hosts, URL normalization, and the redirect ``Location`` for every mix of an
existing query, a fragment and UTM tags."""

from __future__ import annotations

import pytest

from sparklytics.campaigns import (
    CampaignLink,
    InvalidCampaign,
    TrackingPixel,
    apply_link_changes,
    apply_pixel_changes,
    is_pixel_key,
    is_slug,
    new_pixel_key,
    new_slug,
    normalize_url,
    redirect_location,
)

DRAFT = CampaignLink(id="lnk_x", website_id="site_x", name="", slug="", destination_url="")


def link(**changes) -> CampaignLink:
    return apply_link_changes(DRAFT, {"name": "Spring", "destination_url": "https://example.com/", **changes}, "example.com")


@pytest.mark.parametrize(
    "url,stored",
    [
        ("https://example.com", "https://example.com/"),
        ("HTTPS://Example.COM/Path?q=1#top", "https://example.com/Path?q=1#top"),
        ("http://shop.example.com:8080/a", "http://shop.example.com:8080/a"),
        ("https://a.b.example.com./x", "https://a.b.example.com/x"),
        # IDN: the host is stored in its ASCII form, the path percent-encoded as UTF-8.
        ("https://bücher.example.com/café", "https://xn--bcher-kva.example.com/caf%C3%A9"),
        ('https://example.com/a"<b>', "https://example.com/a%22%3Cb%3E"),
        ("https://example.com/%7Euser?x=%20", "https://example.com/%7Euser?x=%20"),
    ],
)
def test_destinations_are_stored_normalized(url, stored) -> None:
    assert link(destination_url=url).destination_url == stored


@pytest.mark.parametrize(
    "url,message",
    [
        ("", "destination_url is required"),
        ("   ", "destination_url is required"),
        ("example.com/page", "destination_url must be an http or https URL"),
        ("ftp://example.com/", "destination_url must be an http or https URL"),
        ("javascript:alert(1)", "destination_url must be an http or https URL"),
        ("data:text/html,hi", "destination_url must be an http or https URL"),
        ("https:///path", "destination_url must include a host"),
        ("https://user:pw@example.com/", "destination_url must not contain credentials"),
        ("https://user@example.com/", "destination_url must not contain credentials"),
        ("https://example.com@evil.test/", "destination_url must not contain credentials"),
        ("https://example.com:99999/", "destination_url must be a valid URL"),
        ("https://example.com/a b", "destination_url must not contain spaces or control characters"),
        ("https://example.com/\r\nSet-Cookie:x=1", "destination_url must not contain spaces or control characters"),
        ("https://evil.test/", "destination_url host must match website domain"),
        ("https://notexample.com/", "destination_url host must match website domain"),
        ("https://example.com.evil.test/", "destination_url host must match website domain"),
        ("https://example.co/", "destination_url host must match website domain"),
    ],
)
def test_destination_refusals(url, message) -> None:
    with pytest.raises(InvalidCampaign, match=rf"^{message}$") as caught:
        link(destination_url=url)
    assert caught.value.field == "destination_url"


def test_idn_domains_match_in_either_form() -> None:
    assert normalize_url("https://xn--bcher-kva.example/", "bücher.example", "f") == "https://xn--bcher-kva.example/"
    assert normalize_url("https://shop.bücher.example/", "xn--bcher-kva.example", "f") == "https://shop.xn--bcher-kva.example/"


def test_ip_and_localhost_websites_take_only_their_own_host() -> None:
    assert normalize_url("http://127.0.0.1:8000/x", "127.0.0.1", "f") == "http://127.0.0.1:8000/x"
    assert normalize_url("http://localhost:3000/", "localhost", "f") == "http://localhost:3000/"
    with pytest.raises(InvalidCampaign, match="host must match"):
        normalize_url("http://1.127.0.0.1/", "127.0.0.1", "f")


@pytest.mark.parametrize(
    "name,message",
    [("", "name is required"), ("  ", "name is required"), ("x" * 101, "name must be 100 characters or fewer")],
)
def test_name_rules(name, message) -> None:
    with pytest.raises(InvalidCampaign, match=rf"^{message}$") as caught:
        link(name=name)
    assert caught.value.field == "name"
    assert link(name=" " + "é" * 100 + " ").name == "é" * 100


def test_utm_values_are_trimmed_blank_is_none_and_256_is_the_limit() -> None:
    made = link(utm_source="  news  ", utm_medium="   ", utm_campaign=None)
    assert (made.utm_source, made.utm_medium, made.utm_campaign) == ("news", None, None)
    with pytest.raises(InvalidCampaign, match=r"^utm_term must be 256 characters or fewer$"):
        link(utm_term="x" * 257)


def test_the_redirect_may_not_exceed_2048_bytes() -> None:
    long_path = "https://example.com/" + "a" * 2000
    assert link(destination_url=long_path).location == long_path
    with pytest.raises(InvalidCampaign, match=r"^destination_url with its UTM parameters must be at most 2048 bytes$"):
        link(destination_url=long_path, utm_campaign="c" * 40)


@pytest.mark.parametrize(
    "destination,utms,location",
    [
        ("https://example.com/", {}, "https://example.com/"),
        ("https://example.com/", {"utm_source": "news"}, "https://example.com/?utm_source=news"),
        (
            "https://example.com/p?a=1",
            {"utm_source": "news", "utm_medium": "email", "utm_campaign": "spring sale", "utm_term": "a&b=c",
             "utm_content": "ü/~"},
            "https://example.com/p?a=1&utm_source=news&utm_medium=email&utm_campaign=spring%20sale"
            "&utm_term=a%26b%3Dc&utm_content=%C3%BC%2F~",
        ),
        ("https://example.com/p?", {"utm_source": "x"}, "https://example.com/p?utm_source=x"),
        ("https://example.com/p?a=1&", {"utm_source": "x"}, "https://example.com/p?a=1&utm_source=x"),
        ("https://example.com/p#frag", {"utm_campaign": "c"}, "https://example.com/p?utm_campaign=c#frag"),
        ("https://example.com/p?a=1#f?x=1", {"utm_medium": "m"}, "https://example.com/p?a=1&utm_medium=m#f?x=1"),
        # A tag the destination carries is replaced; the rest of its query stays as it is.
        (
            "https://example.com/?utm_source=old&b=2&utm_medium=keep",
            {"utm_source": "new"},
            "https://example.com/?b=2&utm_medium=keep&utm_source=new",
        ),
        ("https://example.com/?utm_source=old", {"utm_source": "new"}, "https://example.com/?utm_source=new"),
        # Keys the link does not set are never touched, nor is percent-encoding undone.
        ("https://example.com/?q=%2F%20x&q=2", {"utm_term": "t"}, "https://example.com/?q=%2F%20x&q=2&utm_term=t"),
    ],
)
def test_redirect_location(destination, utms, location) -> None:
    assert redirect_location(destination, utms) == location


def test_pixels_default_url_is_optional_and_checked_like_a_destination() -> None:
    draft = TrackingPixel(id="pxl_x", website_id="site_x", name="", pixel_key="px_x")
    pixel = apply_pixel_changes(draft, {"name": " Mail ", "default_url": "  "}, "example.com")
    assert (pixel.name, pixel.default_url) == ("Mail", None)
    pixel = apply_pixel_changes(draft, {"name": "Mail", "default_url": "https://News.Example.com/april"}, "example.com")
    assert pixel.default_url == "https://news.example.com/april"
    with pytest.raises(InvalidCampaign, match=r"^default_url host must match website domain$") as caught:
        apply_pixel_changes(draft, {"name": "Mail", "default_url": "https://evil.test/"}, "example.com")
    assert caught.value.field == "default_url"


def test_slug_and_key_formats() -> None:
    slug, key = new_slug(), new_pixel_key()
    assert is_slug(slug) and len(slug) == 8 and slug == slug.lower()
    assert is_pixel_key(key) and key.startswith("px_") and len(key) == 25
    for bad in ("ABCDEFGH", "abcdefg", "abcdefghi", "abcd-fgh", "abcdéfgh", "../../ab"):
        assert not is_slug(bad)
    assert not is_pixel_key("px_" + "A" * 22) and not is_pixel_key("xx_" + "a" * 22)
