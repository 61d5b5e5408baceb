"""Campaign links and tracking pixels as the product knows them (API.md §1.15, §0.4).

A **campaign link** sends a visitor from ``PUBLIC_URL/l/<slug>`` to a page of the website,
with the link's UTM tags added to the page's URL, so the visit that follows is attributed
to the campaign. A **tracking pixel** counts the loads of ``PUBLIC_URL/p/<key>.gif`` from
an e-mail or a page that cannot run JavaScript.

Rules of the fields (each refusal is a 400 ``validation_error`` naming its field):

* ``name``: trimmed, 1 to 100 characters (``name is required``, ``name must be 100
  characters or fewer``).
* ``destination_url`` (and a pixel's ``default_url``, the same way): an absolute http(s)
  URL with a host and no credentials, whose host is the website's domain or a subdomain
  of it (``destination_url host must match website domain``). Hosts are compared in their
  ASCII (IDNA) form, so ``bücher.example`` and ``xn--bcher-kva.example`` are one host.
  The URL is stored normalized: scheme and host lower-cased, the host in ASCII, an empty
  path as ``/``, and characters that may not appear in a ``Location`` header (non-ASCII,
  ``"<>\\^`{|}``) percent-encoded. Spaces and control characters are refused (a URL
  carrying them is a typo or an attempt to split the redirect's headers).
* ``utm_*``: trimmed, empty means none, at most 256 characters (the ``filter_utm_*``
  limit).
* The redirect — the destination plus its UTM tags (:func:`redirect_location`) — is at
  most 2 048 bytes. This is checked when a link is saved, so ``/l/`` never meets a link
  it cannot send.

:func:`apply_link_changes` and :func:`apply_pixel_changes` are the one place these rules
live: a create applies the body to an empty record, an update applies it to the stored
one, and the result is checked as a whole.
"""

from __future__ import annotations

import dataclasses
import ipaddress
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlsplit

from sparklytics.enrich import random_id

MAX_NAME_CHARS = 100
MAX_UTM_CHARS = 256
MAX_URL_BYTES = 2_048
SLUG_LENGTH = 8
PIXEL_KEY_PREFIX = "px_"
PIXEL_KEY_LENGTH = 22
LINK_NOT_FOUND = "Campaign link not found"
PIXEL_NOT_FOUND = "Tracking pixel not found"
UTM_FIELDS = ("utm_source", "utm_medium", "utm_campaign", "utm_term", "utm_content")
LINK_CHANGEABLE = ("name", "destination_url", *UTM_FIELDS, "is_active")
PIXEL_CHANGEABLE = ("name", "default_url", "is_active")
# Characters kept as they are in a stored URL: RFC 3986's reserved and unreserved ones and
# "%" (an existing escape stays one). Everything else is percent-encoded as UTF-8.
_URL_SAFE = "/?#[]@!$&'()*+,;=:%-._~"
# RFC 3986 unreserved characters: the only ones a UTM value keeps unencoded.
_UNRESERVED = "-._~"


@dataclass(frozen=True, slots=True)
class CampaignLink:
    """A link as stored; ``created_at`` as API text (§0.3)."""

    id: str
    website_id: str
    name: str
    slug: str
    destination_url: str
    utm_source: str | None = None
    utm_medium: str | None = None
    utm_campaign: str | None = None
    utm_term: str | None = None
    utm_content: str | None = None
    is_active: bool = True
    created_at: str | None = None

    @property
    def utms(self) -> dict[str, str | None]:
        return {key: getattr(self, key) for key in UTM_FIELDS}

    @property
    def location(self) -> str:
        """Where ``/l/<slug>`` sends the visitor."""
        return redirect_location(self.destination_url, self.utms)

    def as_json(self, public_url: str) -> dict[str, Any]:
        """The stored fields and ``tracking_url`` (the stats are added by the caller)."""
        return {**dataclasses.asdict(self), "tracking_url": f"{public_url}/l/{self.slug}"}


@dataclass(frozen=True, slots=True)
class TrackingPixel:
    """A pixel as stored; ``created_at`` as API text (§0.3)."""

    id: str
    website_id: str
    name: str
    pixel_key: str
    default_url: str | None = None
    is_active: bool = True
    created_at: str | None = None

    def as_json(self, public_url: str) -> dict[str, Any]:
        """The stored fields, ``pixel_url`` and the ``<img>`` ``snippet`` to paste."""
        pixel_url = f"{public_url}/p/{self.pixel_key}.gif"
        snippet = (
            f'<img src="{pixel_url}" width="1" height="1" alt="" '
            'style="display:none;border:0" referrerpolicy="no-referrer-when-downgrade">'
        )
        return {**dataclasses.asdict(self), "pixel_url": pixel_url, "snippet": snippet}


class InvalidCampaign(Exception):
    """A field breaks a rule of §1.15 (the API answers 400 with ``field``)."""

    def __init__(self, message: str, field: str) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


def new_link_id() -> str:
    return random_id("lnk_", 21)


def new_slug() -> str:
    """8 characters of ``[0-9a-z]``: 2.8 × 10¹² slugs, so a clash is rare and retried."""
    return random_id("", SLUG_LENGTH)


def new_pixel_id() -> str:
    return random_id("pxl_", 21)


def new_pixel_key() -> str:
    return random_id(PIXEL_KEY_PREFIX, PIXEL_KEY_LENGTH)


def is_slug(text: str) -> bool:
    """Whether ``text`` has the shape of a slug (so nothing else is ever looked up)."""
    return len(text) == SLUG_LENGTH and _is_id_text(text)


def is_pixel_key(text: str) -> bool:
    return (
        len(text) == len(PIXEL_KEY_PREFIX) + PIXEL_KEY_LENGTH
        and text.startswith(PIXEL_KEY_PREFIX)
        and _is_id_text(text[len(PIXEL_KEY_PREFIX) :])
    )


def _is_id_text(text: str) -> bool:
    return text.isascii() and text.isalnum() and text == text.lower()


def apply_link_changes(link: CampaignLink, changes: Mapping[str, Any], website_domain: str) -> CampaignLink:
    """``link`` with ``changes`` (keys of :data:`LINK_CHANGEABLE`) applied and checked.

    Raises:
        InvalidCampaign: the first rule the result breaks.
    """
    link = dataclasses.replace(link, **{key: changes[key] for key in LINK_CHANGEABLE if key in changes})
    link = dataclasses.replace(
        link,
        name=_name(link.name),
        destination_url=normalize_url(link.destination_url, website_domain, "destination_url"),
        **{key: _utm(getattr(link, key), key) for key in UTM_FIELDS},
    )
    if len(link.location.encode()) > MAX_URL_BYTES:
        raise InvalidCampaign(
            f"destination_url with its UTM parameters must be at most {MAX_URL_BYTES} bytes", "destination_url"
        )
    return link


def apply_pixel_changes(pixel: TrackingPixel, changes: Mapping[str, Any], website_domain: str) -> TrackingPixel:
    """``pixel`` with ``changes`` (keys of :data:`PIXEL_CHANGEABLE`) applied and checked.

    Raises:
        InvalidCampaign: the first rule the result breaks.
    """
    pixel = dataclasses.replace(pixel, **{key: changes[key] for key in PIXEL_CHANGEABLE if key in changes})
    default_url = pixel.default_url
    if default_url is not None and default_url.strip():
        default_url = normalize_url(default_url, website_domain, "default_url")
        if len(default_url.encode()) > MAX_URL_BYTES:
            raise InvalidCampaign(f"default_url must be at most {MAX_URL_BYTES} bytes", "default_url")
    else:
        default_url = None
    return dataclasses.replace(pixel, name=_name(pixel.name), default_url=default_url)


def _name(raw: str) -> str:
    name = raw.strip()
    if not name:
        raise InvalidCampaign("name is required", "name")
    if len(name) > MAX_NAME_CHARS:
        raise InvalidCampaign(f"name must be {MAX_NAME_CHARS} characters or fewer", "name")
    return name


def _utm(raw: str | None, field: str) -> str | None:
    value = (raw or "").strip()
    if len(value) > MAX_UTM_CHARS:
        raise InvalidCampaign(f"{field} must be {MAX_UTM_CHARS} characters or fewer", field)
    return value or None


def normalize_url(raw: str, website_domain: str, field: str) -> str:
    """``raw`` as stored (see the module docstring), or :class:`InvalidCampaign`."""
    text = raw.strip()
    if not text:
        raise InvalidCampaign(f"{field} is required", field)
    if any(ord(c) <= 0x20 or ord(c) == 0x7F for c in text):
        raise InvalidCampaign(f"{field} must not contain spaces or control characters", field)
    try:
        parts = urlsplit(text)
        port = parts.port
    except ValueError:
        raise InvalidCampaign(f"{field} must be a valid URL", field) from None
    if parts.scheme.lower() not in ("http", "https"):
        raise InvalidCampaign(f"{field} must be an http or https URL", field)
    if "@" in parts.netloc:
        raise InvalidCampaign(f"{field} must not contain credentials", field)
    if not parts.hostname:
        raise InvalidCampaign(f"{field} must include a host", field)
    host = ascii_host(parts.hostname)
    domain = ascii_host(website_domain)
    if host is None:
        raise InvalidCampaign(f"{field} must be a valid URL", field)
    if host != domain and not (domain is not None and not _is_ip(domain) and host.endswith("." + domain)):
        raise InvalidCampaign(f"{field} host must match website domain", field)
    netloc = f"[{host}]" if ":" in host else host
    if port is not None:
        netloc += f":{port}"
    url = f"{parts.scheme.lower()}://{netloc}{quote(parts.path or '/', safe=_URL_SAFE)}"
    if parts.query:
        url += "?" + quote(parts.query, safe=_URL_SAFE)
    if parts.fragment:
        url += "#" + quote(parts.fragment, safe=_URL_SAFE)
    return url


def ascii_host(host: str) -> str | None:
    """``host`` lower-cased, without a trailing dot, in IDNA ASCII form (IP literals as
    they are); None when it is not a valid host name."""
    host = host.strip().rstrip(".").lower()
    if not host:
        return None
    if _is_ip(host):
        return str(ipaddress.ip_address(host))
    try:
        return host.encode("idna").decode("ascii")
    except UnicodeError:
        return None


def _is_ip(text: str) -> bool:
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True


def redirect_location(destination_url: str, utms: Mapping[str, str | None]) -> str:
    """``destination_url`` with each set UTM tag appended to its query, before any
    ``#fragment``, the value percent-encoded keeping only RFC 3986's unreserved
    characters (a space is ``%20``). A tag the destination already carries is replaced,
    so the link's value is the one a report reads; the rest of the query is kept as it
    is. Tags come in the order source, medium, campaign, term, content.
    """
    tags = [(key, value) for key in UTM_FIELDS if (value := utms.get(key)) is not None]
    if not tags:
        return destination_url
    base, hash_mark, fragment = destination_url.partition("#")
    path, _, query = base.partition("?")
    keys = {key for key, _ in tags}
    pairs = query.split("&")
    if any(pair.partition("=")[0] in keys for pair in pairs):
        query = "&".join(pair for pair in pairs if pair.partition("=")[0] not in keys)
    appended = "&".join(f"{key}={quote(value, safe=_UNRESERVED)}" for key, value in tags)
    if not query or query.endswith("&"):
        query += appended
    else:
        query += "&" + appended
    return f"{path}?{query}{hash_mark}{fragment}"
