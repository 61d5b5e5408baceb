"""SQL for the ``campaign_links`` and ``tracking_pixels`` tables (API.md §1.15).

Creates and updates lock the website's row first (``sql.lock_live_website``), so the
destination is checked against the domain the website has when the write commits. A
slug (pixel key) is unique across websites: each draw is inserted with
``ON CONFLICT DO NOTHING``, so a slug another node took in the meantime is drawn again
(up to 8 times, §0.4) instead of failing the request.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import psycopg

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
from sparklytics.stores.duckdb.campaigns import SLUG_ATTEMPTS, SlugsExhausted

from .sql import lock_live_website

_LINK_COLUMNS = (
    "l.id, l.website_id, l.name, l.slug, l.destination_url, l.utm_source, l.utm_medium, l.utm_campaign,"
    " l.utm_term, l.utm_content, l.is_active, l.created_at::text"
)
_PIXEL_COLUMNS = "p.id, p.website_id, p.name, p.pixel_key, p.default_url, p.is_active, p.created_at::text"

# --- links ------------------------------------------------------------------------------


def list_links(conn: psycopg.Connection, website_id: str) -> list[CampaignLink]:
    """The website's links, newest first."""
    rows = conn.execute(
        f"SELECT {_LINK_COLUMNS} FROM campaign_links l WHERE l.website_id = %s ORDER BY l.created_at DESC, l.id DESC",
        [website_id],
    ).fetchall()
    return [CampaignLink(*row) for row in rows]


def get_link(conn: psycopg.Connection, website_id: str, link_id: str) -> CampaignLink | None:
    row = conn.execute(
        f"SELECT {_LINK_COLUMNS} FROM campaign_links l WHERE l.website_id = %s AND l.id = %s", [website_id, link_id]
    ).fetchone()
    return None if row is None else CampaignLink(*row)


def link_by_slug(conn: psycopg.Connection, slug: str) -> CampaignLink | None:
    """The link of ``slug`` (active or not) of a live website."""
    row = conn.execute(
        f"SELECT {_LINK_COLUMNS} FROM campaign_links l JOIN websites w ON w.id = l.website_id"
        " WHERE l.slug = %s AND w.deleted_at IS NULL",
        [slug],
    ).fetchone()
    return None if row is None else CampaignLink(*row)


def create_link(conn: psycopg.Connection, website_id: str, fields: Mapping[str, Any]) -> CampaignLink | None:
    """Insert a link from ``fields``; None without website.

    Raises:
        InvalidCampaign: a rule of §1.15 is broken.
        SlugsExhausted: no free slug in 8 draws.
    """
    domain = lock_live_website(conn, website_id)
    if domain is None:
        return None
    draft = CampaignLink(id=new_link_id(), website_id=website_id, name="", slug="", destination_url="")
    link = apply_link_changes(draft, fields, domain)
    sql = (
        "INSERT INTO campaign_links (id, website_id, name, slug, destination_url, utm_source, utm_medium,"
        " utm_campaign, utm_term, utm_content, is_active, created_at)"
        " VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s) ON CONFLICT (slug) DO NOTHING RETURNING id"
    )
    now = utc_now()
    _insert_with_free(
        conn, sql, new_slug,
        lambda slug: [link.id, website_id, link.name, slug, link.destination_url, link.utm_source, link.utm_medium,
                      link.utm_campaign, link.utm_term, link.utm_content, link.is_active, now],
    )
    return get_link(conn, website_id, link.id)


def update_link(conn: psycopg.Connection, website_id: str, link_id: str, changes: Mapping[str, Any]) -> CampaignLink | None:
    """Apply ``changes`` to the stored link; None if the website has no such link.

    Raises:
        InvalidCampaign: the merged link breaks a rule of §1.15.
    """
    domain = lock_live_website(conn, website_id)
    current = get_link(conn, website_id, link_id)
    if current is None or domain is None:
        return None
    link = apply_link_changes(current, changes, domain)
    conn.execute(
        "UPDATE campaign_links SET name = %s, destination_url = %s, utm_source = %s, utm_medium = %s,"
        " utm_campaign = %s, utm_term = %s, utm_content = %s, is_active = %s WHERE id = %s",
        [link.name, link.destination_url, link.utm_source, link.utm_medium, link.utm_campaign,
         link.utm_term, link.utm_content, link.is_active, link_id],
    )
    return get_link(conn, website_id, link_id)


def delete_link(conn: psycopg.Connection, website_id: str, link_id: str) -> bool:
    return conn.execute("DELETE FROM campaign_links WHERE website_id = %s AND id = %s", [website_id, link_id]).rowcount > 0


# --- pixels -----------------------------------------------------------------------------


def list_pixels(conn: psycopg.Connection, website_id: str) -> list[TrackingPixel]:
    """The website's pixels, newest first."""
    rows = conn.execute(
        f"SELECT {_PIXEL_COLUMNS} FROM tracking_pixels p WHERE p.website_id = %s ORDER BY p.created_at DESC, p.id DESC",
        [website_id],
    ).fetchall()
    return [TrackingPixel(*row) for row in rows]


def get_pixel(conn: psycopg.Connection, website_id: str, pixel_id: str) -> TrackingPixel | None:
    row = conn.execute(
        f"SELECT {_PIXEL_COLUMNS} FROM tracking_pixels p WHERE p.website_id = %s AND p.id = %s", [website_id, pixel_id]
    ).fetchone()
    return None if row is None else TrackingPixel(*row)


def pixel_by_key(conn: psycopg.Connection, pixel_key: str) -> TrackingPixel | None:
    """The pixel of ``pixel_key`` (active or not) of a live website."""
    row = conn.execute(
        f"SELECT {_PIXEL_COLUMNS} FROM tracking_pixels p JOIN websites w ON w.id = p.website_id"
        " WHERE p.pixel_key = %s AND w.deleted_at IS NULL",
        [pixel_key],
    ).fetchone()
    return None if row is None else TrackingPixel(*row)


def create_pixel(conn: psycopg.Connection, website_id: str, fields: Mapping[str, Any]) -> TrackingPixel | None:
    """Insert a pixel from ``fields``; None without website.

    Raises:
        InvalidCampaign: a rule of §1.15 is broken.
        SlugsExhausted: no free key in 8 draws.
    """
    domain = lock_live_website(conn, website_id)
    if domain is None:
        return None
    draft = TrackingPixel(id=new_pixel_id(), website_id=website_id, name="", pixel_key="")
    pixel = apply_pixel_changes(draft, fields, domain)
    sql = (
        "INSERT INTO tracking_pixels (id, website_id, name, pixel_key, default_url, is_active, created_at)"
        " VALUES (%s, %s, %s, %s, %s, %s, %s) ON CONFLICT (pixel_key) DO NOTHING RETURNING id"
    )
    now = utc_now()
    _insert_with_free(
        conn, sql, new_pixel_key, lambda key: [pixel.id, website_id, pixel.name, key, pixel.default_url, pixel.is_active, now]
    )
    return get_pixel(conn, website_id, pixel.id)


def update_pixel(
    conn: psycopg.Connection, website_id: str, pixel_id: str, changes: Mapping[str, Any]
) -> TrackingPixel | None:
    """Apply ``changes`` to the stored pixel; None if the website has no such pixel.

    Raises:
        InvalidCampaign: the merged pixel breaks a rule of §1.15.
    """
    domain = lock_live_website(conn, website_id)
    current = get_pixel(conn, website_id, pixel_id)
    if current is None or domain is None:
        return None
    pixel = apply_pixel_changes(current, changes, domain)
    conn.execute(
        "UPDATE tracking_pixels SET name = %s, default_url = %s, is_active = %s WHERE id = %s",
        [pixel.name, pixel.default_url, pixel.is_active, pixel_id],
    )
    return get_pixel(conn, website_id, pixel_id)


def delete_pixel(conn: psycopg.Connection, website_id: str, pixel_id: str) -> bool:
    return conn.execute("DELETE FROM tracking_pixels WHERE website_id = %s AND id = %s", [website_id, pixel_id]).rowcount > 0


def _insert_with_free(conn: psycopg.Connection, sql: str, draw: Callable[[], str], params: Callable[[str], list]) -> None:
    """Run the ``ON CONFLICT DO NOTHING RETURNING`` insert ``sql`` with fresh draws until
    one is free."""
    for _ in range(SLUG_ATTEMPTS):
        if conn.execute(sql, params(draw())).fetchone() is not None:
            return
    raise SlugsExhausted(f"no free value in {SLUG_ATTEMPTS} draws")
