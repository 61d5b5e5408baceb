"""A bad optional field of a collect event costs that field, not the event.

Trackers and SDKs in the wild send odd descriptive values: a 600-character
``utm_campaign``, a ``screen`` of ``"unknown"``, a ``language`` of ``"en-US,en;q=0.9"``.
Refusing the whole event for those loses a real pageview, so each failing optional field
is repaired instead:

* free text that is only too long (``referrer``, ``utm_*``) is **cut** at its limit
  (:data:`CUT_FIELDS`) and named in ``x-sparklytics-truncated-fields``;
* anything else wrong with an optional field (wrong type, out of range, malformed,
  an over-long ``screen``/``language``/``visitor_id``) is **dropped** and named in
  ``x-sparklytics-dropped-fields``.

Required fields (``website_id``, ``type``, ``url``), ``event_name``, ``event_data`` and
unknown fields keep the contract's 400/422 (API.md §1.4). The limits themselves live on
:class:`~sparklytics.api.collect.CollectEvent`; this module only reads pydantic's errors,
so the happy path pays nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from pydantic_core import ErrorDetails

OPTIONAL_FIELDS = frozenset(
    {
        "referrer", "screen", "screen_width", "screen_height", "language",
        "utm_source", "utm_medium", "utm_campaign", "utm_term", "utm_content", "visitor_id",
    }
)  # fmt: skip
# Free text where a prefix still means something; the lengths are CollectEvent's.
CUT_FIELDS = frozenset({"referrer", "utm_source", "utm_medium", "utm_campaign", "utm_term", "utm_content"})


@dataclass(slots=True)
class FieldRepairs:
    """Which optional fields were cut or dropped in a request (names, first seen first)."""

    truncated: list[str] = field(default_factory=list)
    dropped: list[str] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.truncated or self.dropped)

    def headers(self) -> list[tuple[bytes, bytes]]:
        """The response headers that tell the sender what was changed."""
        headers = []
        if self.dropped:
            headers.append((b"x-sparklytics-dropped-fields", ",".join(self.dropped).encode()))
        if self.truncated:
            headers.append((b"x-sparklytics-truncated-fields", ",".join(self.truncated).encode()))
        return headers

    def cut(self, name: str) -> None:
        if name not in self.truncated:
            self.truncated.append(name)

    def drop(self, name: str) -> None:
        if name not in self.dropped:
            self.dropped.append(name)


def repair_optional_fields(items: Sequence[Any], errors: list[ErrorDetails], repairs: FieldRepairs) -> list[Any]:
    """``items`` with every optional field named in ``errors`` cut or removed.

    ``errors`` are pydantic's for ``list[CollectEvent]`` (locations start with the
    item's index). Errors about anything else are left for the caller's second
    validation to report. The caller's dicts are not modified.
    """
    repaired = list(items)
    for error in errors:
        loc = error["loc"]
        if len(loc) < 2 or not isinstance(loc[0], int) or loc[1] not in OPTIONAL_FIELDS:
            continue
        index, name = loc[0], str(loc[1])
        item = repaired[index]
        if not isinstance(item, dict) or name not in item:
            continue
        if item is items[index]:
            item = repaired[index] = dict(item)
        value = item[name]
        if error["type"] == "string_too_long" and name in CUT_FIELDS and isinstance(value, str):
            item[name] = value[: error["ctx"]["max_length"]]
            repairs.cut(name)
        else:
            del item[name]
            repairs.drop(name)
    return repaired
