"""Guards in the portable subset every SCXML engine reads alike.

The subset: `In('id')`, bare variables, `_event.data.x`, numbers, single-quoted strings, the
comparisons `== != < <= > >=`, `&&`, `||` and parentheses. `is_portable` says whether a guard
stays inside it; `variables` lists the bare variables it reads (the SCXML export declares them
in `<datamodel>`). Used by the checker (SC026) and the SCXML emitter; imports nothing.
"""

from __future__ import annotations

import re

_TOKEN = re.compile(
    r"\s*(?:(?P<in>In\(\s*'[^']*'\s*\))|(?P<event>_event\.data\.[A-Za-z_]\w*)"
    r"|(?P<number>\d+(?:\.\d+)?)|(?P<string>'[^'\\]*')|(?P<name>[A-Za-z_]\w*)"
    r"|(?P<op>==|!=|<=|>=|&&|\|\||[<>()]))"
)
_LITERALS = frozenset({"true", "false", "null"})


def _tokens(guard: str) -> list[tuple[str, str]] | None:
    tokens: list[tuple[str, str]] = []
    position = 0
    text = guard.rstrip()
    while position < len(text):
        match = _TOKEN.match(text, position)
        if match is None or match.end() == position:
            return None
        kind = match.lastgroup
        assert kind is not None
        tokens.append((kind, match.group(kind)))
        position = match.end()
    return tokens


def is_portable(guard: str) -> bool:
    """True when the guard is an expression of the portable subset:
    `operand (operator operand)*`, where an operand is a value or a parenthesised expression."""
    tokens = _tokens(guard)
    if not tokens:
        return False
    position = _expression(tokens, 0)
    return position == len(tokens)


def _expression(tokens: list[tuple[str, str]], position: int) -> int:
    """The position after an expression starting at `position`, or -1."""
    position = _operand(tokens, position)
    while (
        position != -1
        and position < len(tokens)
        and tokens[position][0] == "op"
        and (tokens[position][1] not in "()")
    ):
        position = _operand(tokens, position + 1)
    return position


def _operand(tokens: list[tuple[str, str]], position: int) -> int:
    if position < 0 or position >= len(tokens):
        return -1
    kind, value = tokens[position]
    if value == "(":
        end = _expression(tokens, position + 1)
        if end == -1 or end >= len(tokens) or tokens[end][1] != ")":
            return -1
        return end + 1
    return position + 1 if kind in ("in", "event", "number", "string", "name") else -1


def variables(guard: str) -> list[str]:
    """The bare variables a portable guard reads, in order of first use."""
    found: list[str] = []
    for kind, value in _tokens(guard) or []:
        if kind == "name" and value not in _LITERALS and value not in found:
            found.append(value)
    return found
