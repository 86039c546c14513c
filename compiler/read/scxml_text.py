"""Text in SCXML documents as the import reads it: ECMAScript string literals (a `<log
expr="'text'">` of an export is the action's text) and actions joined into one text.

Part of stage 1 (readers): no lark, no emitter.
"""

from __future__ import annotations

import json
import re
from typing import Any

from ..ir import Variable

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


def text_lines(element: Any) -> list[str]:
    """The text directly inside an element (before, between and after its children), as
    state-machine-cat writes actions (`<onentry>hello()</onentry>`): each non-blank line,
    stripped, in document order."""
    pieces = [element.text, *(child.tail for child in element)]
    return [
        line.strip() for piece in pieces if piece for line in piece.splitlines() if line.strip()
    ]


def declared_variable(name: str, kind: str, data: Any) -> Variable | None:
    """A declared context name from an export's `<data id sw:type expr>` (its default JSON),
    or None when it is not one (it is then reported as any other `<data>`)."""
    from ...runtime.compiling import TYPES

    try:
        default = json.loads(data.get("expr") or "")
    except ValueError:
        return None
    if kind not in TYPES or not name or not TYPES[kind](default):
        return None
    return Variable(name, kind, json.dumps(default, ensure_ascii=False))


def text_actions(holder: Any, beside_content: bool, report: Any) -> list[str]:
    """Text inside an `<onentry>`, `<onexit>` or `<transition>`: the action texts, as
    state-machine-cat writes them and reads them back (`<onentry>hello()</onentry>`); beside
    executable content it has no place, and `report(message, element, hint)` says so."""
    lines = text_lines(holder)
    if lines and beside_content:
        local = holder.tag.rsplit("}", 1)[-1]
        report(
            f"the text `{lines[0][:40]}` beside executable content in <{local}> is not imported",
            holder,
            "write the action as an element (<log>, <raise>, ...) or as text alone",
        )
        return []
    return lines
