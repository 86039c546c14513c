"""JavaScript's notion of blank text, which smcat's patterns and trimming rely on.

Shared by parse (to read text as smcat does) and the smcat emitter (to know what text survives
reading). Imports nothing.
"""

from __future__ import annotations

#: The characters of JavaScript's `\\s` class, as a regex character-class body.
JS_SPACE_CLASS = "\t\n\x0b\x0c\r \xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000\ufeff"

#: The same characters, for `str.strip`.
JS_TRIM = (
    "\t\n\x0b\x0c\r \xa0\u1680"
    + "".join(chr(c) for c in range(0x2000, 0x200B))
    + "\u2028\u2029\u202f\u205f\u3000\ufeff"
)


def js_trim(text: str) -> str:
    """Trim as JavaScript's `String.prototype.trim` does."""
    return text.strip(JS_TRIM)
