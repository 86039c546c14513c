"""Emit `-T python`: the chart as one typed Python module (docs/python.md).

Stage 3 (emitter): Chart -> str. The module is rendered from `templates/python.py.j2` with
jinja2 and formatted with black; it imports only `statewright.runtime`. It holds `State` and
`Event` string enums, a class with a method per event, a stub per hook (action text -> method
name by `names.python_identifier`), guards compiled to Python functions (`runtime.expr`
parses them, so they mean what the interpreter computes), the transition tables of
`runtime.tables`, and the chart's `statewright-ir/1` document for the steps the tables leave to
the interpreter.

Names that would clash in Python are checker errors (SC024, SC028), so this emitter assumes a
chart the checker passed for the `python` target; a Python keyword gets `_` (`pass_`, SC025
says so).
"""

from __future__ import annotations

import keyword
from collections.abc import Mapping
from typing import Any

import black
import jinja2

from ...runtime.compiling import (
    TABLES,
    Arm,
    Tables,
    build,
    chart_hash,
    guard_names,
    own_conditions,
    python_source,
    reserved,
    runnable_document,
    tabulate,
)
from ...runtime.lowering import activity_role, invoke_name
from ..ir import Action, ActionKind, Chart, State, Transition
from ..ir_document import to_document
from ..names import PythonNames, python_identifier
from .escape import (
    python_annotation,
    python_guard,
    python_literal,
    python_name,
    python_text,
)
from .executable import delay_ms

#: the largest module (in characters, before formatting) that black formats: about 200
#: events, 3 s on one core; black's time grows faster than the module beyond (minutes for
#: thousands of events)
BLACK_LIMIT = 200_000

_ENVIRONMENT = jinja2.Environment(
    loader=jinja2.PackageLoader("statewright.templates", ""),
    autoescape=False,
    keep_trailing_newline=True,
    undefined=jinja2.StrictUndefined,
)
# Every interpolation of the template names its context (tests/compiler/emit/test_escape.py
# enforces it): chart text is data, escaped by compiler/emit/escape.py for where it lands.
_ENVIRONMENT.filters.update(
    py=python_literal,
    doc=python_text,
    ident=python_name,
    guard=python_guard,
    annotation=python_annotation,
)


def emit(chart: Chart, options: Mapping[str, Any] | None = None) -> str:
    options = options or {}
    source = str(options.get("source") or chart.file or "<stdin>")
    class_name = str(options.get("class_name") or class_name_for(str(options.get("name") or "")))
    document = runnable_document(to_document(chart))
    tables = tabulate(build(document))
    hooks = _hooks(chart)
    for text in tables.hooks:
        hooks.setdefault(text, "action")
    guards = _guards(chart)
    events = _events(chart)
    names = PythonNames(
        [s.name for s in _unique_states(chart)],
        list(events),
        list(hooks),
        guards,
        _invoked_names(chart),
    )
    guard_methods = {name: names.guards[name] for name in guards}
    typed = _typed_events(chart)
    text = _ENVIRONMENT.get_template("python.py.j2").render(
        class_name=class_name,
        source=source,
        digest=chart_hash(document),
        states=[(names.states[s.name], s.name) for s in _unique_states(chart)],
        events=[
            (names.event_methods[event], names.event_members[event], event, what, typed.get(event))
            for event, what in events.items()
        ],
        guards=[(text, _guard_source(text, guard_methods)) for text in tables.guards],
        chart=document,
        tables=_plain(tables, list(hooks)),
        hooks=[(text, names.hooks[text], where) for text, where in hooks.items()],
        hook_pairs=tuple((text, names.hooks[text]) for text in hooks),
        guard_methods=guard_methods,
        invokes=tuple((name, names.invokes[name]) for name in _invoked_names(chart)),
        stepping=_stepping(tables) - set(typed),  # their data is checked first
        context=[(v.name, v.type) for v in chart.context],
        # class syntax where every name is an identifier (ruff's UP013), else TypedDict(...)
        context_as_class=all(
            v.name.isidentifier() and not keyword.iskeyword(v.name) and not v.name.startswith("__")
            for v in chart.context
        ),
        tables_format=TABLES,
    )
    if len(text) > BLACK_LIMIT:
        # written as the template lays it out: valid Python, unformatted (docs/python.md)
        return text
    return black.format_str(text, mode=black.Mode(line_length=100))


def class_name_for(stem: str) -> str:
    """`tcp-connection` -> `TcpConnectionMachine`; empty -> `ChartMachine`."""
    words = [w for w in python_identifier(stem).split("_") if w]
    base = "".join(w[:1].upper() + w[1:] for w in words) or "Chart"
    if not base[0].isalpha():
        base = "Chart" + base
    return base + "Machine"


# -- what the module holds ----------------------------------------------------------------------


def _unique_states(chart: Chart) -> list[State]:
    return [s for s in chart.states() if chart.state(s.name) is s]


def _events(chart: Chart) -> dict[str, str]:
    """Every event a method can send -> what it does (for the method's docstring). The names
    only the engine raises (`done.state.*`, ...) get no method: `send` refuses them."""
    found: dict[str, list[str]] = {}
    for transition in _transitions(chart):
        event = transition.event
        if not event or "*" in event or delay_ms(event) is not None or reserved(event):
            continue
        found.setdefault(event, []).append(_describe(transition))
    return {
        event: "; ".join(uses[:3]) + ("; ..." if len(uses) > 3 else "")
        for event, uses in found.items()
    }


def _typed_events(chart: Chart) -> dict[str, list[tuple[str, str, str, bool]]]:
    """The events whose fields the chart declares -> their keyword parameters: (parameter,
    data key, declared type, required). An event whose field names do not make distinct
    Python parameters keeps `**data` (its data is still checked when sent)."""
    found: dict[str, list[tuple[str, str, str, bool]]] = {}
    for signature in chart.signatures:
        params = [(_parameter(f.name), f.name, f.type, f.required) for f in signature.fields]
        names = [p[0] for p in params]
        if len(set(names)) == len(names) and "self" not in names:
            found[signature.event] = params
    return found


def _parameter(name: str) -> str:
    identifier = python_identifier(name)
    return identifier + "_" if keyword.iskeyword(identifier) else identifier


def _describe(transition: Transition) -> str:
    guard = f" [{transition.guard}]" if transition.guard else ""
    return f"{transition.source} -> {transition.target}{guard}"


def _transitions(chart: Chart) -> tuple[Transition, ...]:
    return chart.transitions()


def chart_hooks(chart: Chart) -> dict[str, str]:
    """Every action text a hook runs for -> where it is first used (`entry of door`)."""
    return _hooks(chart)


def chart_guards(chart: Chart) -> list[str]:
    """The names the chart's guards call (a generated class's guard methods)."""
    return _guards(chart)


def _hooks(chart: Chart) -> dict[str, str]:
    """Every action text -> where it is first used (for the stub's docstring)."""
    found: dict[str, str] = {}
    for state in chart.states():
        for action in state.actions:
            body = action.body
            role = activity_role(body) if action.kind is ActionKind.ACTIVITY else None
            if role is not None and role[0] == "compensate" and role[1]:
                found.setdefault(role[1], f"compensation of {state.name}")
            elif body.strip() and role is None and action.content is None:
                kind = "exit" if action.kind is ActionKind.EXIT else "entry"
                found.setdefault(body, f"{kind} of {state.name}")
    for transition in _transitions(chart):
        if transition.action and transition.content is None:
            found.setdefault(transition.action, f"action of {_describe(transition)}")
    return found


def _invoked(action: Action) -> str | None:
    return invoke_name(action.body) if action.kind is ActionKind.ACTIVITY else None


def _invoked_names(chart: Chart) -> list[str]:
    """The machines `invoke/ name` activities name, in order."""
    found: list[str] = []
    for state in chart.states():
        for action in state.actions:
            name = _invoked(action)
            if name is not None and name not in found:
                found.append(name)
    return found


def _guards(chart: Chart) -> list[str]:
    names: list[str] = []
    if own_conditions(chart.datamodel_language):
        return names  # the document's datamodel evaluates its conditions
    for transition in _transitions(chart):
        text = (transition.guard or "").strip()
        if text and text != "else":
            names += [n for n in guard_names(text) if n not in names]
    return names


def _guard_source(text: str, methods: Mapping[str, str]) -> str:
    def name(dotted: str) -> str:
        if dotted in methods:
            return f"m.{methods[dotted]}(data)"
        return f"m._read({dotted!r}, data)"

    def arithmetic(op: str, left: str, right: str) -> str:
        return f"m._op({op!r}, {left}, {right})"  # bounded (runtime.expr.arith)

    return python_source(text, name, lambda state: f"m.is_active({state!r})", arithmetic)


def _stepping(tables: Tables) -> set[str]:
    """Events with a plain step somewhere: one unguarded arm with nothing to follow (the
    generated method looks it up in `_steps` first; the runtime builds the same table)."""
    return {
        event
        for event, row in tables.rows.items()
        for arms in row.values()
        if arms is not None
        and len(arms) == 1
        and arms[0][0] == -1
        and arms[0][2] not in tables.eventless
    }


def _plain(tables: Tables, hooks: list[str]) -> dict[str, Any]:
    """The tables with hook numbers renumbered to the order of `hooks` (the stubs' order)."""
    number = {i: hooks.index(text) for i, text in enumerate(tables.hooks)}

    def arm(raw: Arm) -> Arm:
        guard, steps, target = raw
        return (guard, tuple((number[i], kind) for i, kind in steps), target)

    def arms(raw: tuple[Arm, ...] | None) -> tuple[Arm, ...] | None:
        return None if raw is None else tuple(arm(a) for a in raw)

    return {
        "configurations": tuple(tables.configurations),
        "atomic": tuple(tables.atomic),
        "initial": None if tables.initial is None else arm(tables.initial),
        "rows": {e: {c: arms(a) for c, a in row.items()} for e, row in tables.rows.items()},
        "eventless": {c: arms(a) for c, a in tables.eventless.items()},
    }
