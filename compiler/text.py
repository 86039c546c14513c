"""`visible`: chart text made safe to show on one line, every unprintable character written as
an escape. Shared by the diagnostics renderer and the emitters' escaping (`emit/escape.py`).
Imports nothing. (JavaScript's notion of blank text, which smcat trims with, is smcat notation:
`notation.py`.)
"""

from __future__ import annotations

import re

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
