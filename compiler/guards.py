"""Guards in the portable subset every SCXML engine reads alike.

The subset: `In('id')`, bare variables, `_event.data.x`, numbers, single-quoted strings, the
comparisons `== != < <= > >=`, `&&`, `||` and parentheses. `is_portable` says whether a guard
stays inside it; `variables` lists the bare variables it reads (the SCXML export declares them
in `<datamodel>`). `ecmascript` writes a guard of statewright's guard language in the subset
when it can (`a and not_b or c` is `(a && not_b) || c`). Used by the checker (SC026) and the
SCXML emitter.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

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


_SIMPLE_NAME = re.compile(r"[A-Za-z_]\w*|_event\.data\.[A-Za-z_]\w*")
_IN = re.compile(r"In\(\s*'([^']*)'\s*\)")
_OPERATORS = {
    "and": "&&",
    "or": "||",
    "==": "==",
    "!=": "!=",
    "<": "<",
    "<=": "<=",
    ">": ">",
    ">=": ">=",
}


class _NotPortable(Exception):
    pass


def ecmascript(guard: str, state_id: Callable[[str], str] | None = None) -> str | None:
    """The guard in the portable subset, meaning what statewright's runtime computes (every
    operation parenthesised), or None when the subset cannot say it (`not`, arithmetic, `in`,
    dotted names other than `_event.data.x`, strings with quotes or backslashes).
    `state_id` maps the state named in `In('name')` to its SCXML id."""
    from ..runtime.compiling import GuardSyntaxError, parse_guard

    if is_portable(guard) and all(
        state_id is None or state_id(name) == name for name in _IN.findall(guard)
    ):
        return guard.strip()  # already in the subset: kept as written
    try:
        tree = parse_guard(guard)
    except GuardSyntaxError:
        return None

    def source(node: tuple[Any, ...], top: bool = False) -> str:
        kind = node[0]
        if kind == "constant":
            value = node[1]
            if value is True or value is False or value is None:
                return {True: "true", False: "false", None: "null"}[value]
            if isinstance(value, str):
                if "'" in value or "\\" in value or "\n" in value:
                    raise _NotPortable
                return f"'{value}'"
            text = repr(value)
            if not re.fullmatch(r"\d+(?:\.\d+)?", text):
                raise _NotPortable
            return text
        if kind == "name":
            if not _SIMPLE_NAME.fullmatch(node[1]):
                raise _NotPortable
            return str(node[1])
        if kind == "in":
            name = state_id(node[1]) if state_id is not None else node[1]
            if "'" in name or "\\" in name:
                raise _NotPortable
            return f"In('{name}')"
        if kind != "binary" or node[1] not in _OPERATORS:
            raise _NotPortable  # not, unary minus, arithmetic, `in`
        text = f"{source(node[2])} {_OPERATORS[node[1]]} {source(node[3])}"
        return text if top else f"({text})"

    try:
        text = source(tree, top=True)
    except _NotPortable:
        return None
    return text if is_portable(text) else None
