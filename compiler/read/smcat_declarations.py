"""Declared data in smcat text: the `//@` lines at the top of a chart (docs/language.md).

Part of stage 1 (the smcat reader). state-machine-cat reads these lines as comments, so a chart
with declarations still draws with it; statewright reads each line with the grammar's
`declaration_body` rule (grammars/smcat.lark) into the IR's `Variable` and `Signature`:

    //@ context credit_limit: int = 1000
    //@ event authorized(amount: int, note?: str)

A line that does not read, a context name without a default or with a default of another
type, a name declared twice, and a `//@` line below the first state (a comment there, so
its declaration would be lost) are P010 errors. It imports lark only for its `Token` type.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from lark import Token
from lark.exceptions import UnexpectedInput

from ...runtime.compiling import TYPES
from ..diagnostics import Diagnostic, Severity
from ..ir import Field, Signature, Span, Variable
from ..notation import unquote

_HINT = (
    "write `//@ context NAME: TYPE = DEFAULT` or `//@ event NAME(FIELD: TYPE, ...)`, before the "
    f"first state; types: {', '.join(TYPES)}"
)


@dataclass
class Declarations:
    """What the `//@` lines of one parse declare, and what was wrong with them."""

    context: list[Variable] = field(default_factory=list)
    signatures: list[Signature] = field(default_factory=list)
    problems: list[tuple[str, Span]] = field(default_factory=list)

    def diagnostics(self) -> list[Diagnostic]:
        return [
            Diagnostic("P010", Severity.ERROR, message, span, _HINT)
            for message, span in self.problems
        ]


def read(
    token: Token,
    into: Declarations,
    parse_body: Callable[[str], Any],
    span: Callable[[Token], Span],
) -> None:
    """Read one `//@` line (the DECLARATION token) into `into`."""
    where = span(token)
    body = str(token.value)[3:]
    try:
        declared = parse_body(body)
    except UnexpectedInput as error:
        column = getattr(error, "column", -1)
        at = f" at column {column + 3}" if isinstance(column, int) and column > 0 else ""
        into.problems.append((f"the declaration `{body.strip()[:60]}` does not read{at}", where))
        return
    except ValueError as error:  # a default JSON does not take (`"\q"`, `1e999`)
        into.problems.append((f"the declaration `{body.strip()[:60]}`: {error}", where))
        return
    if declared[0] == "context":
        _, name, kind, value = declared
        if any(v.name == name for v in into.context):
            into.problems.append((f"the context name `{name}` is declared twice", where))
        elif value is None:
            into.problems.append(
                (f"`{name}` has no default: write `//@ context {name}: {kind} = ...`", where)
            )
        elif not TYPES[kind](json.loads(value)):
            into.problems.append((f"the default of `{name}` ({value}) is not {kind}", where))
        else:
            into.context.append(Variable(name, kind, value, where))
        return
    _, event, fields = declared
    names = [f.name for f in fields]
    if any(s.event == event for s in into.signatures):
        into.problems.append((f"the event `{event}` is declared twice", where))
    elif len(set(names)) != len(names):
        into.problems.append((f"a field of `{event}` is declared twice", where))
    else:
        into.signatures.append(Signature(event, tuple(fields), where))


def misplaced(comments: list[Token], into: Declarations, span: Callable[[Token], Span]) -> None:
    """`//@` lines that the lexer took as comments (they are not at the top): P010."""
    for comment in comments:
        if str(comment.value).startswith("//@"):
            into.problems.append(
                (
                    "a declaration below the first state or transition is only a comment: move "
                    "it to the top of the chart",
                    span(comment),
                )
            )


# -- the grammar's callbacks (lark calls them as it reduces `declaration_body`) -----------------


#: how deep a default's lists and objects may nest
MAX_DEPTH = 32


def context_declaration(children: list[Any]) -> tuple[str, str, str, str | None]:
    name, kind = str(children[1]), str(children[3])
    if len(children) <= 5:
        return ("context", name, kind, None)
    value = children[5]
    if _depth(value) > MAX_DEPTH:
        raise ValueError(f"the default nests more than {MAX_DEPTH} deep")
    return ("context", name, kind, json.dumps(value, ensure_ascii=False))


def event_declaration(children: list[Any]) -> tuple[str, str, list[Field]]:
    name_token: Token = children[1]
    name = unquote(name_token.value) if name_token.type == "QUOTED" else str(name_token)
    return ("event", name, [c for c in children[2:] if isinstance(c, Field)])


def decl_field(children: list[Token]) -> Field:
    optional = any(t.type == "DECL_OPTIONAL" for t in children)
    return Field(str(children[0]), str(children[-1]), not optional)


def first(children: list[Token]) -> Token:
    return children[0]


def decl_value(children: list[Any]) -> Any:
    """A default's value (JSON): a token, or a list or object already read."""
    token = children[0]
    if not _is_token(token):
        return token
    if token.type == "DECL_CONSTANT":
        return {"true": True, "false": False, "null": None}[str(token)]
    value = json.loads(str(token))  # a JSON string or number
    if isinstance(value, float) and not math.isfinite(value):
        raise ValueError(f"the number {token} is out of range")
    return value


def decl_list(children: list[Any]) -> list[Any]:
    return [c for c in children if not _is_token(c)]


def decl_dict(children: list[Any]) -> dict[str, Any]:
    return dict(c for c in children if isinstance(c, tuple))


def decl_pair(children: list[Any]) -> tuple[str, Any]:
    return json.loads(str(children[0])), children[2]


def _is_token(value: Any) -> bool:
    """A lexer token (lark's, or lark_cython's, which is another class): it has a type."""
    return hasattr(value, "type") and hasattr(value, "value")


def _depth(value: Any) -> int:
    """How deep lists and objects nest in `value` (without recursion)."""
    deepest, pending = 0, [(value, 0)]
    while pending:
        item, depth = pending.pop()
        deepest = max(deepest, depth)
        if isinstance(item, list):
            pending.extend((v, depth + 1) for v in item)
        elif isinstance(item, dict):
            pending.extend((v, depth + 1) for v in item.values())
    return deepest
