"""The guard language: a small, safe expression language over a machine's context.

Evaluated without `eval`: the text is tokenised and parsed (precedence climbing) into nested
closures once, when the chart is loaded. It accepts the portable SCXML subset and its Python
spellings:

- literals: numbers, 'single' or "double" quoted strings, `true`/`false`/`True`/`False`,
  `null`/`None`;
- names (`ready`, `order.total`, `_event.data.x`), looked up in the context (a name or field
  that is not there is an evaluation error, `UnknownName`: the guard is false, and reported);
- `In('state')` (also `In("state")`): whether the state is active;
- `not`/`!`, `and`/`&&`, `or`/`||`, `== != < <= > >=`, `in`, `+ - * / %`, unary `-`, parentheses.

Anything else is a `GuardSyntaxError` at load time, never at the first event.

Guards read untrusted data (event data from a queue or an HTTP request), so the language is
bounded (docs/security.md):

- no name part starts with `_` but the leading `_event` (`s.__class__` is refused when the
  guard is read, and lookups refuse such keys and attributes too);
- a guard is at most `MAX_LENGTH` characters, nests at most `MAX_DEPTH` operations deep and
  writes numbers of at most `MAX_DIGITS` digits;
- arithmetic goes through `arith`, which refuses what would grow without bound: integers over
  `MAX_BITS` bits, strings and lists over `MAX_SIZE` items or over `values.VALUE_LIMIT` bytes
  (as JSON) from `+` and `*`, and `%` on anything but numbers (no string formatting:
  `'%2000000000d' % 1` is refused, not run).

An error while a guard is evaluated (a type mismatch, a refused operation, an exception in a
guard hook) makes the guard false; the interpreter and generated classes report it to their
listeners and to the `statewright.runtime` logger, and `send` carries on.
"""

from __future__ import annotations

import operator
import re
from collections.abc import Callable, Mapping
from functools import partial
from typing import Any

from . import values
from .errors import StatewrightError

Env = Callable[[str], Any]
"""Looks a dotted name up (`ctx.get`); `In` is given separately."""

Compiled = Callable[[Env, Callable[[str], bool]], Any]

Tree = tuple[Any, ...]
"""A parsed guard (see `parse_guard`)."""


#: the longest guard text, in characters
MAX_LENGTH = 4096
#: how deep operations may nest (a guard is compiled to nested calls and to Python source)
MAX_DEPTH = 64
#: the most digits a number in a guard may have
MAX_DIGITS = 30
#: the largest integer arithmetic may make, in bits
MAX_BITS = 1024
#: the longest string or list `+` and `*` may make
MAX_SIZE = 100_000


class GuardSyntaxError(StatewrightError, ValueError):
    """A guard that is not in the language."""


class GuardError(StatewrightError):
    """An operation in a guard that the language refuses while evaluating it (a number or a
    string that would grow past the bounds, `%` on text). The guard counts as false."""


_TOKEN = re.compile(
    r"""\s*(?:
      (?P<number>\d+(?:\.\d+)?)
    | (?P<string>'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*")
    | (?P<name>[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*)
    | (?P<op>===|!==|==|!=|<=|>=|&&|\|\||[<>!()+\-*/%,])
    )""",
    re.VERBOSE,
)

_BINARY: dict[str, tuple[int, Callable[[Any, Any], Any]]] = {
    "or": (1, lambda a, b: a or b),
    "and": (2, lambda a, b: a and b),
    "==": (4, operator.eq),
    "!=": (4, operator.ne),
    "<": (4, operator.lt),
    "<=": (4, operator.le),
    ">": (4, operator.gt),
    ">=": (4, operator.ge),
    "in": (4, lambda a, b: a in b),
    "+": (5, operator.add),
    "-": (5, operator.sub),
    "*": (6, operator.mul),
    "/": (6, operator.truediv),
    "%": (6, operator.mod),
}
_SPELLING = {"&&": "and", "||": "or", "===": "==", "!==": "!=", "!": "not"}
_CONSTANTS = {
    "true": True,
    "True": True,
    "false": False,
    "False": False,
    "null": None,
    "None": None,
}


def _tokens(text: str) -> list[tuple[str, str]]:
    if len(text) > MAX_LENGTH:
        raise GuardSyntaxError(f"a guard of {len(text)} characters; the limit is {MAX_LENGTH}")
    found: list[tuple[str, str]] = []
    position = 0
    while position < len(text):
        if text[position:].strip() == "":
            break
        match = _TOKEN.match(text, position)
        if match is None or match.end() == position:
            raise GuardSyntaxError(f"unexpected {text[position:].strip()[:10]!r} in [{text}]")
        kind = match.lastgroup or ""
        value = match.group(kind)
        if kind == "number" and len(value.replace(".", "")) > MAX_DIGITS:
            raise GuardSyntaxError(f"a number of more than {MAX_DIGITS} digits in a guard")
        if kind == "name":
            _check_name(value, text)
        if kind == "op":
            value = _SPELLING.get(value, value)
        elif kind == "name" and value in ("and", "or", "not", "in"):
            kind = "op"
        found.append((kind, value))
        position = match.end()
    return found


def _check_name(dotted: str, text: str) -> None:
    """Names reach data, not the objects behind it: no part may start with `_` but a leading
    `_event`."""
    parts = dotted.split(".")
    for index, part in enumerate(parts):
        if part.startswith("_") and not (index == 0 and part == "_event"):
            raise GuardSyntaxError(
                f"`{dotted}` in [{text}]: names starting with `_` are not readable in guards "
                "(only `_event`)"
            )


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.tokens = _tokens(text)
        self.position = 0
        self.depth = 0

    def nested(self, parse: Callable[[], Tree]) -> Tree:
        """`parse()` one level deeper: the parser recurses once per level, so a guard that
        nests too deep is refused before Python's stack runs out."""
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise GuardSyntaxError(f"[{self.text[:40]}...] nests more than {MAX_DEPTH} deep")
        try:
            return parse()
        finally:
            self.depth -= 1

    def peek(self) -> tuple[str, str] | None:
        return self.tokens[self.position] if self.position < len(self.tokens) else None

    def take(self) -> tuple[str, str]:
        token = self.peek()
        if token is None:
            raise GuardSyntaxError(f"[{self.text}] ends too early")
        self.position += 1
        return token

    def expect(self, value: str) -> None:
        token = self.take()
        if token[1] != value:
            raise GuardSyntaxError(f"expected {value!r} in [{self.text}], found {token[1]!r}")

    def parse(self) -> Tree:
        if not self.tokens:
            raise GuardSyntaxError("an empty guard")
        result = self.binary(0)
        if self.peek() is not None:
            raise GuardSyntaxError(f"unexpected {self.peek()[1]!r} in [{self.text}]")  # type: ignore[index]
        if _depth(result) > MAX_DEPTH:  # a long chain `a + b + c ...` leans left, unparsed deep
            raise GuardSyntaxError(f"[{self.text[:40]}...] nests more than {MAX_DEPTH} deep")
        return result

    def binary(self, floor: int) -> Tree:
        left = self.unary()
        while True:
            token = self.peek()
            if token is None or token[0] != "op" or token[1] not in _BINARY:
                return left
            precedence = _BINARY[token[1]][0]
            if precedence <= floor:
                return left
            self.take()
            right = self.nested(partial(self.binary, precedence))
            left = ("binary", token[1], left, right)

    def unary(self) -> Tree:
        token = self.peek()
        if token is not None and token[1] == "not":
            self.take()
            return ("not", self.nested(partial(self.binary, 3)))
        if token is not None and token[1] == "-":
            self.take()
            return ("negate", self.nested(self.unary))
        return self.atom()

    def atom(self) -> Tree:
        kind, value = self.take()
        if kind == "number":
            return ("constant", float(value) if "." in value else int(value))
        if kind == "string":
            return ("constant", re.sub(r"\\(.)", r"\1", value[1:-1]))
        if kind == "name":
            if value in _CONSTANTS:
                return ("constant", _CONSTANTS[value])
            if value == "In" and self.peek() == ("op", "("):
                self.take()
                kind, argument = self.take()
                if kind != "string":
                    raise GuardSyntaxError(f"In() takes a quoted state name in [{self.text}]")
                self.expect(")")
                return ("in", re.sub(r"\\(.)", r"\1", argument[1:-1]))
            return ("name", value)
        if value == "(":
            inner = self.nested(partial(self.binary, 0))
            self.expect(")")
            return inner
        raise GuardSyntaxError(f"unexpected {value!r} in [{self.text}]")


def _depth(tree: Tree) -> int:
    """How deep a guard's tree is (walked without recursion)."""
    deepest, pending = 0, [(tree, 1)]
    while pending:
        node, depth = pending.pop()
        deepest = max(deepest, depth)
        pending.extend((part, depth + 1) for part in node[1:] if isinstance(part, tuple))
    return deepest


_NUMBERS = (int, float)
_SIZED = (str, list, tuple)


def arith(op: str, left: Any, right: Any) -> Any:
    """`left op right` for `+ - * / %`, bounded (see the module docstring): GuardError where
    the result would be an integer over `MAX_BITS` bits or a sequence over `MAX_SIZE` items,
    and for `%` on anything but numbers. Other mismatches raise Python's TypeError."""
    if op == "%":
        if not (isinstance(left, _NUMBERS) and isinstance(right, _NUMBERS)):
            raise GuardError("`%` takes numbers in guards")
        return left % right
    if op == "/":
        return left / right
    if isinstance(left, int) and isinstance(right, int):
        if op == "*":
            bits = left.bit_length() + right.bit_length()
        else:
            bits = max(left.bit_length(), right.bit_length()) + 1
        if bits > MAX_BITS:
            raise GuardError(f"a number over {MAX_BITS} bits in a guard")
    elif op == "*" and isinstance(left, _SIZED) and isinstance(right, int):
        _check_size(((left, max(right, 0)),))
    elif op == "*" and isinstance(right, _SIZED) and isinstance(left, int):
        _check_size(((right, max(left, 0)),))
    elif op == "+" and isinstance(left, _SIZED) and isinstance(right, _SIZED):
        _check_size(((left, 1), (right, 1)))
    return _ARITHMETIC[op](left, right)


def _check_size(parts: tuple[tuple[Any, int], ...]) -> None:
    """Refuse a result made of `parts` (a sequence, times repeated) over `MAX_SIZE` items or
    over `values.VALUE_LIMIT` bytes as JSON: `[s] * 100000` is 100,000 items, but with `s`
    100,000 characters long it is 10 GB."""
    items = sum(len(part) * times for part, times in parts)
    if items > MAX_SIZE:
        raise GuardError(f"a string or list of {items} items in a guard; the limit is {MAX_SIZE}")
    limit = values.VALUE_LIMIT
    total = 2
    commas = 0
    for part, times in parts:
        if times and len(part):  # the part's contents, without quotes or brackets, repeated
            total += (values.size(part, limit // times + 2) - 2) * times
            if not isinstance(part, str):
                commas += times  # one after each copy of a list's contents
    total += max(commas - 1, 0)
    if total > limit:
        raise GuardError(f"a value of over {limit} bytes in a guard; the limit is {limit}")


_ARITHMETIC: dict[str, Callable[[Any, Any], Any]] = {
    "+": operator.add,
    "-": operator.sub,
    "*": operator.mul,
}


def _closure(tree: Tree) -> Compiled:
    kind = tree[0]
    if kind == "constant":
        constant = tree[1]
        return lambda env, active: constant
    if kind == "name":
        name = tree[1]
        return lambda env, active: env(name)
    if kind == "in":
        state = tree[1]
        return lambda env, active: active(state)
    if kind == "not":
        inner = _closure(tree[1])
        return lambda env, active: not inner(env, active)
    if kind == "negate":
        operand = _closure(tree[1])
        return lambda env, active: -operand(env, active)
    _, op, left_tree, right_tree = tree
    left, right = _closure(left_tree), _closure(right_tree)
    if op == "and":
        return lambda env, active: left(env, active) and right(env, active)
    if op == "or":
        return lambda env, active: left(env, active) or right(env, active)
    if op in ("+", "-", "*", "/", "%"):
        return lambda env, active: arith(op, left(env, active), right(env, active))
    function = _BINARY[op][1]
    return lambda env, active: function(left(env, active), right(env, active))


def parse_guard(text: str) -> Tree:
    """A guard's syntax tree: nested tuples `("constant", v)`, `("name", dotted)`,
    `("in", state)`, `("not", t)`, `("negate", t)`, `("binary", op, left, right)`."""
    return _Parser(text).parse()


def compile_guard(text: str) -> Compiled:
    """Parse a guard once; the result takes a name lookup and an `In()` test."""
    return _closure(parse_guard(text))


def guard_names(text: str) -> list[str]:
    """The names a guard reads (not `_event.data.*`), in order of first use."""
    found: list[str] = []

    def walk(tree: Tree) -> None:
        if tree[0] == "name" and not tree[1].startswith("_event.") and tree[1] not in found:
            found.append(tree[1])
        for part in tree[1:]:
            if isinstance(part, tuple):
                walk(part)

    walk(parse_guard(text))
    return found


def python_source(
    text: str,
    name: Callable[[str], str],
    active: Callable[[str], str],
    arithmetic: Callable[[str, str, str], str] | None = None,
) -> str:
    """A guard as one Python expression, with every operation parenthesised so that it means
    what the closures of `compile_guard` compute (left-to-right, no chained comparisons).
    `name(dotted)` and `active(state)` give the source of a name lookup and of `In()`;
    `arithmetic(op, left, right)` the source of `+ - * / %` (a call of `arith`, so generated
    code keeps the bounds; without it, Python's own operator)."""

    def source(tree: Tree) -> str:
        kind = tree[0]
        if kind == "constant":
            return repr(tree[1])
        if kind == "name":
            return name(tree[1])
        if kind == "in":
            return active(tree[1])
        if kind == "not":
            return f"(not {source(tree[1])})"
        if kind == "negate":
            return f"(-{source(tree[1])})"
        _, op, left, right = tree
        if arithmetic is not None and op in ("+", "-", "*", "/", "%"):
            return arithmetic(op, source(left), source(right))
        return f"({source(left)} {op} {source(right)})"

    tree = parse_guard(text)
    if tree[0] == "binary" and (arithmetic is None or tree[1] not in "+-*/%"):
        # no parentheses around the whole expression
        return f"{source(tree[2])} {tree[1]} {source(tree[3])}"
    return source(tree)


class UnknownName(GuardError):
    """A guard read a name the context does not have, or a field the event's data does not
    have (a misspelling, usually): an evaluation error, so the guard is false and reported,
    never a 0 that lets the transition through."""

    def __init__(self, message: str, name: str) -> None:
        super().__init__(message)
        self.name = name


def lookup(context: Mapping[str, Any], event_data: Mapping[str, Any] | None = None) -> Env:
    """A name lookup over a context: dotted names walk mappings and attributes; `_event.data.x`
    reads the current event's data. A name or field that is not there raises `UnknownName`
    (with a did-you-mean), as reading an undeclared variable is an error in SCXML."""

    def env(name: str) -> Any:
        parts = name.split(".")
        if parts[:2] == ["_event", "data"]:
            value: Any = event_data or {}
            walked, where = 2, "the event's data"
        elif parts[0] in context:
            value, walked, where = context[parts[0]], 1, f"`{parts[0]}`"
        elif parts[0] == "_event":
            raise UnknownName(f"`{name}`: guards read the event's data (`_event.data.x`)", name)
        else:
            raise UnknownName(_missing(parts[0], "the context", context, name), name)
        for part in parts[walked:]:
            if isinstance(value, Mapping):
                if part not in value:
                    raise UnknownName(_missing(part, where, value, name), name)
                value = value[part]
            elif part.startswith("_") or not hasattr(value, part):
                # never an object's inside (the parser refuses such names too)
                raise UnknownName(_missing(part, where, {}, name), name)
            else:
                value = getattr(value, part)
            walked += 1
            where = f"`{'.'.join(parts[:walked])}`"
        return value

    return env


def _missing(part: str, where: str, there: Mapping[str, Any], name: str) -> str:
    """`battery` is not in the context (did you mean `battery_level`?)."""
    import difflib

    keys = [k for k in there if isinstance(k, str)][:1000]
    close = difflib.get_close_matches(part, keys, n=1, cutoff=0.6)
    hint = f" (did you mean `{close[0]}`?)" if close else ""
    if where == "the context":
        return f"`{part}` is not in the context{hint}"
    if where == "the event's data" and not there:
        return f"`{name}`: the event came without data"
    return f"`{name}`: {where} has no `{part}`{hint}"
