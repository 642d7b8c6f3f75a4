"""The one guard for JSON that arrives from outside (a browser, a token, a provider reply).

Python's json parser recurses, and so do the walks after it (redaction, rendering, jsonify):
a body nested a few hundred levels deep would end in RecursionError, a 500 and a traceback.
`loads` bounds the size and the nesting, and turns both into a ValueError with a clear message.
"""

from __future__ import annotations

import json

MAX_DEPTH = 32  # real documents (tokens, discovery, JWKS, token replies) nest 3 or 4 levels


class JsonRefused(ValueError):
    """The JSON is too big or nested too deeply to be handled safely."""


def loads(raw: str | bytes | bytearray, *, max_bytes: int | None = None, max_depth: int = MAX_DEPTH) -> object:
    """Parse untrusted JSON: at most `max_bytes` long and `max_depth` levels of arrays/objects.

    Raises JsonRefused for either limit and ValueError for text that is not JSON.
    """
    if max_bytes is not None and len(raw) > max_bytes:
        raise JsonRefused(f"the JSON is larger than {max_bytes} bytes")
    try:
        value = json.loads(raw)
    except RecursionError:
        raise JsonRefused(f"the JSON is nested more than {max_depth} levels deep") from None
    check_depth(value, max_depth)
    return value


def check_depth(value: object, max_depth: int = MAX_DEPTH) -> None:
    """Raise JsonRefused if `value` nests lists/dicts more than `max_depth` levels (no recursion)."""
    stack: list[tuple[object, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            children = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        if depth > max_depth:
            raise JsonRefused(f"the JSON is nested more than {max_depth} levels deep")
        stack.extend((child, depth + 1) for child in children)
