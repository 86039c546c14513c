"""Text in SCXML documents as the import reads it: ECMAScript string literals (a `<log
expr="'text'">` of an export is the action's text) and actions joined into one text.

Part of stage 1 (readers): no lark, no emitter.
"""

from __future__ import annotations

import re

_JS_STRING = re.compile(r"""^\s*(?:'((?:[^'\\]|\\.)*)'|"((?:[^"\\]|\\.)*)")\s*$""", re.S)
_JS_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "0": "\0", "b": "\b", "f": "\f", "v": "\v"}
_JS_ESCAPE = re.compile(r"\\(?:u([0-9A-Fa-f]{4})|x([0-9A-Fa-f]{2})|(.))", re.S)


def joined(actions: list[str]) -> str | None:
    """Several actions of one transition as one action text (`a; b`)."""
    return "; ".join(actions) if actions else None


def js_string(expr: str) -> str | None:
    """The value of an ECMAScript string literal, or None when `expr` is not one."""
    match = _JS_STRING.match(expr)
    if match is None:
        return None
    body = match.group(1) if match.group(1) is not None else match.group(2)
    text = _JS_ESCAPE.sub(_unescape, body)
    # `\\uD83D\\uDE00`: ECMAScript spells an astral character as a surrogate pair
    return text.encode("utf-16", "surrogatepass").decode("utf-16", "replace")


def _unescape(match: re.Match[str]) -> str:
    code = match.group(1) or match.group(2)
    if code is not None:
        return chr(int(code, 16))
    char = match.group(3)
    return _JS_ESCAPES.get(char, char)
