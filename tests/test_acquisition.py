"""What a hit on ``/l/`` or ``/p/`` records (``sparklytics.acquisition``, API.md §1.15):
the query limits, the event payloads, the language and the GIF."""

from __future__ import annotations

import dataclasses
import json

import pytest

from sparklytics.acquisition import (
    TRANSPARENT_GIF,
    Hit,
    HitRefused,
    language_of,
    link_click,
    pixel_view,
    read_query,
)
from sparklytics.campaigns import CampaignLink, TrackingPixel

LINK = CampaignLink(
    id="lnk_1", website_id="site_1", name="Spring", slug="abcd1234", destination_url="https://example.com/p?a=1",
    utm_source="news", utm_campaign="spring",
)
PIXEL = TrackingPixel(id="pxl_1", website_id="site_1", name="Mail", pixel_key="px_" + "k" * 22)


def hit(query: str = "", referrer: str | None = None, language: str | None = None) -> Hit:
    return Hit("abcd1234", read_query(query), referrer, language)


def test_query_parameters_decode_in_order_and_33_are_refused() -> None:
    assert read_query("a=1&b=x%20y&a=2&c") == (("a", "1"), ("b", "x y"), ("a", "2"), ("c", ""))
    assert len(read_query("&".join(f"k{i}=v" for i in range(32)))) == 32
    with pytest.raises(HitRefused, match=r"^too many query parameters$") as caught:
        read_query("&".join(f"k{i}=v" for i in range(33)))
    assert (caught.value.status, caught.value.code) == (400, "validation_error")


def test_a_click_is_an_event_with_the_links_utms_and_target() -> None:
    payload = link_click(LINK, hit("ref=tw&ref=ignored&" + "k" * 65 + "=long-key&v=" + "x" * 257, "https://t.co/x", "de-CH"))
    assert payload == {
        "website_id": "site_1", "type": "event", "url": "https://example.com/p?a=1&utm_source=news&utm_campaign=spring",
        "referrer": "https://t.co/x", "screen": None, "screen_width": None, "screen_height": None, "language": "de-CH",
        "event_name": "link_click",
        "event_data": {"link_id": "lnk_1", "slug": "abcd1234", "destination_url": "https://example.com/p?a=1",
                       "query": {"ref": "tw"}},
        "utm_source": "news", "utm_medium": None, "utm_campaign": "spring", "utm_term": None, "utm_content": None,
        "visitor_id": None, "link_id": "lnk_1",
    }


def test_event_data_over_4096_bytes_is_payload_too_large() -> None:
    fits = "&".join(f"k{i:02}=" + "é" * 60 for i in range(30))  # 30 × (3 + 120 + quotes) < 4 096 bytes
    assert len(json.dumps(link_click(LINK, hit(fits))["event_data"], ensure_ascii=False).encode()) < 4096
    too_much = "&".join(f"k{i:02}=" + "é" * 128 for i in range(32))  # 32 × 256 bytes
    with pytest.raises(HitRefused, match=r"^Payload exceeds size limit$") as caught:
        link_click(LINK, hit(too_much))
    assert (caught.value.status, caught.value.code, caught.value.field) == (400, "payload_too_large", "event_data")


def test_a_pixel_view_takes_its_url_from_the_query_then_the_default_then_the_key() -> None:
    viewed = pixel_view(PIXEL, hit("url=https%3A%2F%2Fexample.com%2Fmail%3Futm_source%3Dnewsletter&id=7"))
    assert (viewed["url"], viewed["event_name"], viewed["pixel_id"], viewed["utm_source"]) == (
        "https://example.com/mail?utm_source=newsletter", "pixel_view", "pxl_1", None,  # the Enricher reads the URL's UTMs
    )
    assert viewed["event_data"] == {
        "pixel_id": "pxl_1", "pixel_key": PIXEL.pixel_key, "url": "https://example.com/mail?utm_source=newsletter",
        "query": {"url": "https://example.com/mail?utm_source=newsletter", "id": "7"},
    }
    with_default = dataclasses.replace(PIXEL, default_url="https://example.com/april?utm_medium=email")
    assert pixel_view(with_default, hit())["url"] == "https://example.com/april?utm_medium=email"
    assert pixel_view(with_default, hit("url="))["url"] == "https://example.com/april?utm_medium=email"
    assert pixel_view(PIXEL, hit())["url"] == f"pixel://{PIXEL.pixel_key}"
    with pytest.raises(HitRefused, match=r"^url must be at most 2048 bytes$"):
        pixel_view(PIXEL, hit("url=https://example.com/" + "a" * 2030))


@pytest.mark.parametrize(
    "header,language",
    [("de-CH,de;q=0.9,en;q=0.8", "de-CH"), ("en", "en"), ("fr;q=0.5", "fr"), ("*", None), ("", None), (None, None)],
)
def test_language_is_the_first_tag(header, language) -> None:
    assert language_of(header) == language


def test_the_gif_is_43_bytes_of_gif89a() -> None:
    assert len(TRANSPARENT_GIF) == 43 and TRANSPARENT_GIF.startswith(b"GIF89a") and TRANSPARENT_GIF.endswith(b";")
