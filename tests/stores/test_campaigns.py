"""The MetadataStore contract for campaign links and tracking pixels (API.md §1.15), on a
running store: create (slug and key formats, the domain rule checked in the write),
list, get, update, the public lookups (inactive too, never of a deleted website), delete,
and deletion with the website."""

from __future__ import annotations

import re

import pytest

from sparklytics.campaigns import CampaignLink, InvalidCampaign, TrackingPixel
from sparklytics.stores.metadata import MetadataStore

TIMESTAMP = re.compile(r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}(\.\d{1,6})?$")
SPRING = {"name": "Spring", "destination_url": "https://shop.a.example/sale", "utm_source": "news", "utm_campaign": "spring"}


@pytest.fixture
async def metadata(metadata) -> MetadataStore:
    """The store of each backend (``tests/conftest.py``) with website ``site_a``."""
    await metadata.insert_website(website_id="site_a", name="A", domain="a.example", timezone="UTC")
    return metadata


async def test_links(metadata) -> None:
    link = await metadata.create_link("site_a", SPRING)
    assert isinstance(link, CampaignLink)
    assert re.fullmatch(r"lnk_[0-9a-z]{21}", link.id) and re.fullmatch(r"[0-9a-z]{8}", link.slug)
    assert (link.website_id, link.name, link.destination_url, link.utm_source, link.utm_medium, link.utm_campaign,
            link.is_active) == ("site_a", "Spring", "https://shop.a.example/sale", "news", None, "spring", True)
    assert TIMESTAMP.match(link.created_at)
    second = await metadata.create_link("site_a", {"name": "Other", "destination_url": "https://a.example/"})
    assert second.slug != link.slug
    assert [x.id for x in await metadata.list_links("site_a")] == [second.id, link.id]
    assert await metadata.get_link("site_a", link.id) == link
    assert await metadata.get_link("site_b", link.id) is None

    updated = await metadata.update_link("site_a", link.id, {"is_active": False, "utm_source": None, "name": "Renamed"})
    assert (updated.is_active, updated.utm_source, updated.name, updated.slug) == (False, None, "Renamed", link.slug)
    assert await metadata.link_by_slug(link.slug) == updated  # inactive links are found too (the cache keeps them)
    assert await metadata.update_link("site_a", "lnk_nope", {"name": "x"}) is None

    assert await metadata.delete_link("site_a", link.id) is True
    assert await metadata.delete_link("site_a", link.id) is False
    assert await metadata.link_by_slug(link.slug) is None


async def test_link_rules_are_checked_in_the_write_on_the_merged_link(metadata) -> None:
    with pytest.raises(InvalidCampaign, match=r"^destination_url host must match website domain$"):
        await metadata.create_link("site_a", {**SPRING, "destination_url": "https://b.example/"})
    link = await metadata.create_link("site_a", SPRING)
    with pytest.raises(InvalidCampaign, match=r"^name is required$"):
        await metadata.update_link("site_a", link.id, {"name": " "})
    assert await metadata.get_link("site_a", link.id) == link
    assert await metadata.create_link("site_missing", SPRING) is None


async def test_pixels(metadata) -> None:
    pixel = await metadata.create_pixel("site_a", {"name": "Newsletter"})
    assert isinstance(pixel, TrackingPixel)
    assert re.fullmatch(r"pxl_[0-9a-z]{21}", pixel.id) and re.fullmatch(r"px_[0-9a-z]{22}", pixel.pixel_key)
    assert (pixel.name, pixel.default_url, pixel.is_active) == ("Newsletter", None, True)
    assert TIMESTAMP.match(pixel.created_at)
    second = await metadata.create_pixel("site_a", {"name": "Footer", "default_url": "https://a.example/footer"})
    assert [x.id for x in await metadata.list_pixels("site_a")] == [second.id, pixel.id]
    assert await metadata.get_pixel("site_a", second.id) == second

    updated = await metadata.update_pixel("site_a", second.id, {"default_url": None, "is_active": False})
    assert (updated.default_url, updated.is_active) == (None, False)
    assert await metadata.pixel_by_key(second.pixel_key) == updated
    with pytest.raises(InvalidCampaign, match=r"^default_url host must match website domain$"):
        await metadata.update_pixel("site_a", pixel.id, {"default_url": "https://b.example/"})
    assert await metadata.update_pixel("site_a", "pxl_nope", {"name": "x"}) is None
    assert await metadata.create_pixel("site_missing", {"name": "x"}) is None

    assert await metadata.delete_pixel("site_a", pixel.id) is True
    assert await metadata.delete_pixel("site_a", pixel.id) is False
    assert await metadata.pixel_by_key(pixel.pixel_key) is None


async def test_links_and_pixels_go_with_their_website(metadata) -> None:
    link = await metadata.create_link("site_a", SPRING)
    pixel = await metadata.create_pixel("site_a", {"name": "Newsletter"})
    assert await metadata.delete_website("site_a") is True
    assert await metadata.link_by_slug(link.slug) is None and await metadata.pixel_by_key(pixel.pixel_key) is None
    assert await metadata.list_links("site_a") == [] and await metadata.list_pixels("site_a") == []
