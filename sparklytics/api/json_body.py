"""Decoding a JSON request body: the one place every body (collect included) is parsed.

``json.loads`` accepts two things the rest of the stack cannot take, and both used to
answer 500:

* **lone surrogates** (``"\\ud800"``): a valid JSON escape but not Unicode, so anything
  that encodes the text later (collect's ``event_data`` size check, DuckDB) fails;
* **deep nesting**: 5 000 levels raise ``RecursionError`` inside ``json.loads``, and a
  few hundred get through it only to overflow a later encoder.

Both are refused here with a 400 that names the field (Decision 9). The check walks the
decoded value only when the raw bytes could hold either problem (a ``\\uD8..``–``\\uDF..``
escape, or more brackets than the depth limit), so a normal collect body pays two byte
scans and nothing else.
"""

from __future__ import annotations

import json
import re
from typing import Any

from sparklytics.api.errors import ApiError, bad_request

MAX_DEPTH = 32
_SURROGATE_ESCAPE = re.compile(rb"\\u[dD][89a-fA-F]")
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


def decode_json(raw: bytes) -> Any:
    """The decoded body, or :class:`ApiError` 400 (``invalid_json`` / ``validation_error``)."""
    try:
        value = json.loads(raw)
    except RecursionError:
        raise _too_deep(None) from None
    except (ValueError, UnicodeDecodeError):
        raise ApiError(400, "invalid_json", "Request body is not valid JSON") from None
    if _SURROGATE_ESCAPE.search(raw) or raw.count(b"[") + raw.count(b"{") > MAX_DEPTH:
        _check_text_and_depth(value)
    return value


def _check_text_and_depth(value: Any) -> None:
    """Refuse lone surrogates in any key or string, and nesting past :data:`MAX_DEPTH`.

    Iterative, so that the check itself cannot overflow the stack. ``field`` is the
    top-level key the value sits under (the key inside each event of a collect batch).
    """
    stack: list[tuple[Any, int, str | None]] = [(value, 1, None)]
    while stack:
        item, depth, field = stack.pop()
        if isinstance(item, str):
            _check_text(item, field)
        elif isinstance(item, dict | list):
            if depth > MAX_DEPTH:
                raise _too_deep(field)
            if isinstance(item, dict):
                for key, child in item.items():
                    _check_text(key, field or key)
                    stack.append((child, depth + 1, field or key))
            else:
                stack.extend((child, depth + 1, field) for child in item)


def _check_text(text: str, field: str | None) -> None:
    if _LONE_SURROGATE.search(text):
        where = field if field is not None and not _LONE_SURROGATE.search(field) else "body"
        raise bad_request(f"{where} is not valid Unicode (a lone surrogate escape)", field=where if where != "body" else None)


def _too_deep(field: str | None) -> ApiError:
    return ApiError(400, "invalid_json", f"JSON is nested too deeply (at most {MAX_DEPTH} levels)", field=field)
