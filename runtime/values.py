"""How big a value may be. The values event data, datamodels and stores hold are JSON values,
bounded by their size in bytes (UTF-8 text as JSON writes it) and by how deep they nest: a
count of items does not bound a list of one long string repeated.

`size(value, limit)` counts without building the encoding and stops once past `limit`, so
asking about a 10 GB value costs no more than asking about a `limit`-sized one.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

#: bytes of one value a datamodel makes (an expression's result, a value that leaves the
#: ECMAScript engine)
VALUE_LIMIT = 1024 * 1024
#: how deep a value from outside may nest (lists and mappings)
DEPTH_LIMIT = 100


def size(value: Any, limit: int = VALUE_LIMIT) -> int:
    """The length of `value` written as compact JSON, in bytes, counted up to `limit`: once
    past it the count stops and a number above `limit` is returned. A value that is not JSON
    counts as the length of its `str` (what a store's encoder falls back to)."""
    total = 0
    pending: list[Any] = [value]
    while pending:
        item = pending.pop()
        if isinstance(item, str):
            total += (len(item) if item.isascii() else len(item.encode("utf-8", "replace"))) + 2
        elif item is None or isinstance(item, bool):
            total += 5
        elif isinstance(item, int):  # decimal digits (of a huge one, a little over)
            small = -(1 << 60) < item < 1 << 60
            total += len(str(item)) if small else item.bit_length() // 3 + 2
        elif isinstance(item, float):
            total += 24
        elif isinstance(item, Mapping):
            total += 2 * len(item) + 1 if item else 2  # braces, colons, commas
            for key, entry in item.items():
                pending.append(str(key))
                pending.append(entry)
        elif isinstance(item, list | tuple):
            total += len(item) + 1 if item else 2  # brackets, commas
            pending.extend(item)
        else:
            total += len(str(item)) + 2
        if total > limit:
            return total
    return total


def depth(value: Any, limit: int = DEPTH_LIMIT) -> int:
    """How deep `value` nests (a scalar is 0, `[1]` is 1), counted up to `limit` + 1."""
    deepest = 0
    pending: list[tuple[Any, int]] = [(value, 0)]
    while pending:
        item, level = pending.pop()
        if isinstance(item, Mapping):
            children: Any = item.values()
        elif isinstance(item, list | tuple):
            children = item
        else:
            continue
        level += 1
        deepest = max(deepest, level)
        if deepest > limit:
            return deepest
        pending.extend((child, level) for child in children)
    return deepest
