"""Strict JSON decoding of request bodies (CONTRACT VAL-2, VAL-3).

The standard library is lenient where the contract is not (it accepts NaN and
Infinity, and leaves lone surrogates in strings), so this wraps it.
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

from trakrf_server.errors import bad_request

NOT_JSON = "Request body is not valid JSON"
NULL_BODY = "Request body must be a JSON object (RFC 7396)"
NOT_OBJECT = "Request body could not be decoded as the expected type"

_SURROGATE = re.compile("[\ud800-\udfff]")


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def _finite_float(text: str) -> float:
    # 1e400 is valid JSON syntax but overflows to infinity, which would be
    # stored and then sent back as the non-JSON token Infinity.
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(f"{text} is out of range")
    return value


# Bodies nested deeper than this are refused as not valid JSON. The json module
# gives up only near Python's recursion limit, and everything that walks the
# value afterwards (storage, the response encoder) would then fail at a depth
# that depends on the call stack, as a 500. A fixed bound gives one answer.
MAX_DEPTH = 100


def _clean(value: Any) -> Any:
    """``value`` with lone surrogates replaced; bad_request past MAX_DEPTH.

    Lone UTF-16 surrogate escapes become U+FFFD so nothing downstream (the
    database driver, the encoder) ever fails on them. The walk uses its own
    stack, not recursion, so it works at any depth json.loads accepted.
    """
    if isinstance(value, str):
        return _SURROGATE.sub("\ufffd", value)

    pending: list[tuple[Any, int]] = [(value, 1)]
    while pending:
        container, depth = pending.pop()
        if not isinstance(container, (dict, list)):
            continue
        if depth > MAX_DEPTH:
            raise bad_request(NOT_JSON)

        if isinstance(container, dict):
            if any(_SURROGATE.search(key) for key in container):
                items = [(_SURROGATE.sub("\ufffd", k), v) for k, v in container.items()]
                container.clear()
                container.update(items)
            slots = list(container.items())
        else:
            slots = list(enumerate(container))

        for slot, item in slots:
            if isinstance(item, str):
                container[slot] = _SURROGATE.sub("\ufffd", item)
            else:
                pending.append((item, depth + 1))
    return value


def decode(raw: bytes) -> Any:
    """Any JSON value from ``raw``, or ApiError bad_request."""
    if b"\x00" in raw:
        raise bad_request(NOT_JSON)
    try:
        text = raw.decode("utf-8")
        value = json.loads(
            text, parse_constant=_reject_constant, parse_float=_finite_float
        )
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise bad_request(NOT_JSON) from None
    return _clean(value)


def decode_object(raw: bytes) -> dict[str, Any]:
    """A JSON object from ``raw``: VAL-2's three bad_request cases otherwise."""
    value = decode(raw)
    if value is None:
        raise bad_request(NULL_BODY)
    if not isinstance(value, dict):
        raise bad_request(NOT_OBJECT)
    return value
