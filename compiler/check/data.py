"""Rules on declared data (runtime.declared; docs/language.md): with declarations, a guard that
reads a name the chart does not declare (SC038), or a field its event does not declare, and a
guard that compares a declared name with a value of another type (SC039). Charts without
declarations are left to the runtime's evaluation-error rule.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterator
from typing import Any

from ...runtime.compiling import GuardSyntaxError, Tree
from ..diagnostics import Diagnostic
from ..ir import Transition
from .model import Model, finding

_COMPARISONS = ("==", "!=", "<", "<=", ">", ">=")

#: the declared types a literal of each Python type fits (for comparisons)
_FITS: dict[type, tuple[str, ...]] = {
    bool: ("bool", "any"),
    int: ("int", "float", "any"),
    float: ("int", "float", "any"),
    str: ("str", "any"),
}


def check_declared_names(model: Model) -> Iterator[Diagnostic]:
    chart = model.chart
    types = {v.name: v.type for v in chart.context}
    fields = {s.event: {f.name: f.type for f in s.fields} for s in chart.signatures}
    if not types and not fields:
        return
    for transition, _, tree in model.guards():
        if isinstance(tree, GuardSyntaxError):
            continue  # SC029 says so
        for name in _names(tree):
            yield from _unknown(transition, name, types, fields)
        yield from _mismatches(transition, tree, types, fields)


def _unknown(
    transition: Transition,
    name: str,
    types: dict[str, str],
    fields: dict[str, dict[str, str]],
) -> Iterator[Diagnostic]:
    parts = name.split(".")
    if parts[:2] == ["_event", "data"] and len(parts) > 2:
        declared = fields.get(transition.event or "")
        if declared is None or parts[2] in declared:
            return
        yield finding(
            "SC038",
            f"the guard [{transition.guard}] reads `{name}`, a field `{transition.event}` does "
            "not declare",
            transition.span,
            _closest(parts[2], declared, f"declare it: `{parts[2]}: TYPE` in its `//@ event`"),
        )
        return
    if not types or parts[0] in types or parts[0] == "_event":
        return
    yield finding(
        "SC038",
        f"the guard [{transition.guard}] reads `{parts[0]}`, which the chart does not declare",
        transition.span,
        _closest(parts[0], types, f"declare it: `//@ context {parts[0]}: TYPE = DEFAULT`"),
    )


def _mismatches(
    transition: Transition,
    tree: Tree,
    types: dict[str, str],
    fields: dict[str, dict[str, str]],
) -> Iterator[Diagnostic]:
    declared = fields.get(transition.event or "", {})
    for op, left, right in _comparisons(tree):
        for named, other in ((left, right), (right, left)):
            if named[0] != "name" or other[0] != "constant" or other[1] is None:
                continue
            kind = _type_of(named[1], types, declared)
            fits = _FITS.get(type(other[1]), ())
            if kind is None or kind == "any" or not fits or kind in fits:
                continue
            yield finding(
                "SC039",
                f"the guard [{transition.guard}] compares `{named[1]}` ({kind}) with "
                f"{other[1]!r}, a value of another type: `{op}` is never what was meant",
                transition.span,
                f"compare `{named[1]}` with a value of type {kind}",
            )


def _type_of(name: str, types: dict[str, str], declared: dict[str, str]) -> str | None:
    parts = name.split(".")
    if parts[:2] == ["_event", "data"] and len(parts) == 3:
        return declared.get(parts[2])
    return types.get(name) if len(parts) == 1 else None


def _names(tree: Tree) -> list[str]:
    found: list[str] = []
    pending: list[Any] = [tree]
    while pending:
        node = pending.pop()
        if node[0] == "name" and node[1] not in found:
            found.append(node[1])
        pending.extend(part for part in node[1:] if isinstance(part, tuple))
    return sorted(found)


def _comparisons(tree: Tree) -> list[tuple[str, Tree, Tree]]:
    found = []
    pending: list[Any] = [tree]
    while pending:
        node = pending.pop()
        if node[0] == "binary" and node[1] in _COMPARISONS:
            found.append((node[1], node[2], node[3]))
        pending.extend(part for part in node[1:] if isinstance(part, tuple))
    return found


def _closest(name: str, known: dict[str, str], otherwise: str) -> str:
    close = difflib.get_close_matches(name, list(known), n=1, cutoff=0.6)
    return f"did you mean `{close[0]}`?" if close else otherwise
