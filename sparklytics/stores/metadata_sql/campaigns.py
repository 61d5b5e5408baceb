"""SQL for the ``campaign_links`` and ``tracking_pixels`` tables (API.md §1.15), for both
metadata backends.

A create or update first checks the live website and takes its domain
(:meth:`MetadataDb.live_website_domain`, which on PostgreSQL locks the website's row), so
the destination is checked against the domain the website has when the write commits
(:func:`sparklytics.campaigns.apply_link_changes` on the merged record). A slug (pixel
key) is unique across websites: each draw is inserted with ``ON CONFLICT DO NOTHING``,
so a slug taken in the meantime (by another node) is drawn again, up to 8 times (§0.4),
instead of failing the request. Neither table has children, so a delete is one
statement; a deleted website's links and pixels go with it.

The public lookups (:func:`link_by_slug`, :func:`pixel_by_key`) find inactive records
too, so the Enricher can cache "inactive" like anything else; they skip websites being
deleted. Timestamps are naive UTC written from Python and read back as ``CAST(x AS
VARCHAR)`` text (API.md §0.3).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from sparklytics.campaigns import (
    CampaignLink,
    TrackingPixel,
    apply_link_changes,
    apply_pixel_changes,
    new_link_id,
    new_pixel_id,
    new_pixel_key,
    new_slug,
)
from sparklytics.clock import utc_now
from sparklytics.stores.metadata_sql.db import MetadataDb

SLUG_ATTEMPTS = 8

_LINK_COLUMNS = (
    "l.id, l.website_id, l.name, l.slug, l.destination_url, l.utm_source, l.utm_medium, l.utm_campaign,"
    " l.utm_term, l.utm_content, l.is_active, CAST(l.created_at AS VARCHAR)"
)
_PIXEL_COLUMNS = "p.id, p.website_id, p.name, p.pixel_key, p.default_url, p.is_active, CAST(p.created_at AS VARCHAR)"


class SlugsExhausted(RuntimeError):
    """Every slug (key) drawn for a new record was taken: nothing was written."""


# --- links ------------------------------------------------------------------------------


def list_links(db: MetadataDb, website_id: str) -> list[CampaignLink]:
    """The website's links, newest first."""
    rows = db.all(
        f"SELECT {_LINK_COLUMNS} FROM campaign_links l WHERE l.website_id = ? ORDER BY l.created_at DESC, l.id DESC",
        [website_id],
    )
    return [CampaignLink(*row) for row in rows]


def get_link(db: MetadataDb, website_id: str, link_id: str) -> CampaignLink | None:
    row = db.one(f"SELECT {_LINK_COLUMNS} FROM campaign_links l WHERE l.website_id = ? AND l.id = ?", [website_id, link_id])
    return None if row is None else CampaignLink(*row)


def link_by_slug(db: MetadataDb, slug: str) -> CampaignLink | None:
    """The link of ``slug`` (active or not) of a live website."""
    row = db.one(
        f"SELECT {_LINK_COLUMNS} FROM campaign_links l JOIN websites w ON w.id = l.website_id"
        " WHERE l.slug = ? AND w.deleted_at IS NULL",
        [slug],
    )
    return None if row is None else CampaignLink(*row)


def create_link(db: MetadataDb, website_id: str, fields: Mapping[str, Any]) -> CampaignLink | None:
    """Insert a link from ``fields`` (the changeable fields); None without website.

    Raises:
        InvalidCampaign: a rule of §1.15 is broken.
        SlugsExhausted: no free slug in 8 draws.
    """
    with db.write():
        domain = db.live_website_domain(website_id)
        if domain is None:
            return None
        draft = CampaignLink(id=new_link_id(), website_id=website_id, name="", slug="", destination_url="")
        link = apply_link_changes(draft, fields, domain)
        now = utc_now()
        _insert_with_free(
            db,
            "INSERT INTO campaign_links (id, website_id, name, slug, destination_url, utm_source, utm_medium,"
            " utm_campaign, utm_term, utm_content, is_active, created_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (slug) DO NOTHING RETURNING id",
            new_slug,
            lambda slug: [link.id, website_id, link.name, slug, link.destination_url, link.utm_source, link.utm_medium,
                          link.utm_campaign, link.utm_term, link.utm_content, link.is_active, now],
        )
        return get_link(db, website_id, link.id)


def update_link(db: MetadataDb, website_id: str, link_id: str, changes: Mapping[str, Any]) -> CampaignLink | None:
    """Apply ``changes`` to the stored link; None if the website has no such link.

    Raises:
        InvalidCampaign: the merged link breaks a rule of §1.15.
    """
    with db.write():
        domain = db.live_website_domain(website_id)
        current = get_link(db, website_id, link_id)
        if current is None or domain is None:
            return None
        link = apply_link_changes(current, changes, domain)
        db.run(
            "UPDATE campaign_links SET name = ?, destination_url = ?, utm_source = ?, utm_medium = ?,"
            " utm_campaign = ?, utm_term = ?, utm_content = ?, is_active = ? WHERE id = ?",
            [link.name, link.destination_url, link.utm_source, link.utm_medium, link.utm_campaign,
             link.utm_term, link.utm_content, link.is_active, link_id],
        )
        return get_link(db, website_id, link_id)


def delete_link(db: MetadataDb, website_id: str, link_id: str) -> bool:
    """Delete the link; False if the website has no such link (404)."""
    with db.write():
        found = db.all("DELETE FROM campaign_links WHERE website_id = ? AND id = ? RETURNING id", [website_id, link_id])
    return bool(found)


# --- pixels -----------------------------------------------------------------------------


def list_pixels(db: MetadataDb, website_id: str) -> list[TrackingPixel]:
    """The website's pixels, newest first."""
    rows = db.all(
        f"SELECT {_PIXEL_COLUMNS} FROM tracking_pixels p WHERE p.website_id = ? ORDER BY p.created_at DESC, p.id DESC",
        [website_id],
    )
    return [TrackingPixel(*row) for row in rows]


def get_pixel(db: MetadataDb, website_id: str, pixel_id: str) -> TrackingPixel | None:
    row = db.one(f"SELECT {_PIXEL_COLUMNS} FROM tracking_pixels p WHERE p.website_id = ? AND p.id = ?", [website_id, pixel_id])
    return None if row is None else TrackingPixel(*row)


def pixel_by_key(db: MetadataDb, pixel_key: str) -> TrackingPixel | None:
    """The pixel of ``pixel_key`` (active or not) of a live website."""
    row = db.one(
        f"SELECT {_PIXEL_COLUMNS} FROM tracking_pixels p JOIN websites w ON w.id = p.website_id"
        " WHERE p.pixel_key = ? AND w.deleted_at IS NULL",
        [pixel_key],
    )
    return None if row is None else TrackingPixel(*row)


def create_pixel(db: MetadataDb, website_id: str, fields: Mapping[str, Any]) -> TrackingPixel | None:
    """Insert a pixel from ``fields``; None without website.

    Raises:
        InvalidCampaign: a rule of §1.15 is broken.
        SlugsExhausted: no free key in 8 draws.
    """
    with db.write():
        domain = db.live_website_domain(website_id)
        if domain is None:
            return None
        draft = TrackingPixel(id=new_pixel_id(), website_id=website_id, name="", pixel_key="")
        pixel = apply_pixel_changes(draft, fields, domain)
        now = utc_now()
        _insert_with_free(
            db,
            "INSERT INTO tracking_pixels (id, website_id, name, pixel_key, default_url, is_active, created_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (pixel_key) DO NOTHING RETURNING id",
            new_pixel_key,
            lambda key: [pixel.id, website_id, pixel.name, key, pixel.default_url, pixel.is_active, now],
        )
        return get_pixel(db, website_id, pixel.id)


def update_pixel(db: MetadataDb, website_id: str, pixel_id: str, changes: Mapping[str, Any]) -> TrackingPixel | None:
    """Apply ``changes`` to the stored pixel; None if the website has no such pixel.

    Raises:
        InvalidCampaign: the merged pixel breaks a rule of §1.15.
    """
    with db.write():
        domain = db.live_website_domain(website_id)
        current = get_pixel(db, website_id, pixel_id)
        if current is None or domain is None:
            return None
        pixel = apply_pixel_changes(current, changes, domain)
        db.run(
            "UPDATE tracking_pixels SET name = ?, default_url = ?, is_active = ? WHERE id = ?",
            [pixel.name, pixel.default_url, pixel.is_active, pixel_id],
        )
        return get_pixel(db, website_id, pixel_id)


def delete_pixel(db: MetadataDb, website_id: str, pixel_id: str) -> bool:
    """Delete the pixel; False if the website has no such pixel (404)."""
    with db.write():
        found = db.all("DELETE FROM tracking_pixels WHERE website_id = ? AND id = ? RETURNING id", [website_id, pixel_id])
    return bool(found)


def _insert_with_free(db: MetadataDb, sql: str, draw: Callable[[], str], params: Callable[[str], list]) -> None:
    """Run the ``ON CONFLICT DO NOTHING RETURNING`` insert ``sql`` with fresh draws until
    one is free."""
    for _ in range(SLUG_ATTEMPTS):
        if db.one(sql, params(draw())) is not None:
            return
    raise SlugsExhausted(f"no free value in {SLUG_ATTEMPTS} draws")
