"""Text helpers shared by every stage: JavaScript's notion of blank text, which smcat's
patterns and trimming rely on, and `visible`, which makes chart text safe to show on one line.

Shared by parse (to read text as smcat does), the smcat emitter (to know what text survives
reading), the diagnostics renderer and the emitters' escaping (`emit/escape.py`). Imports
nothing.
"""

from __future__ import annotations

import re

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


_INVISIBLE = re.compile(r"[^\t -~]")  # fast path: printable ASCII and tab need no look


def escape_char(char: str) -> str:
    """One character as a Python-style escape: `\\x00`, `\\u2028`, `\\U0001f600`."""
    code = ord(char)
    if code < 0x100:
        return f"\\x{code:02x}"
    if code < 0x10000:
        return f"\\u{code:04x}"
    return f"\\U{code:08x}"


def visible(text: str, *, keep_tabs: bool = True) -> str:
    """`text` with every character that is not printable written as an escape (`\\x00`,
    `\\x1b`, `\\u2028`, `\\u202e`): inert on a terminal and on one line, and readable.
    Tabs stay unless `keep_tabs` is off."""
    if not _INVISIBLE.search(text) and (keep_tabs or "\t" not in text):
        return text
    return "".join(
        char if char.isprintable() or (keep_tabs and char == "\t") else escape_char(char)
        for char in text
    )
