"""Emit `-T json`: the state-machine-cat JSON AST.

Stage 3 (emitter): Chart -> str. For every input, the same JSON value that `smcat -T json` prints
(key order aside; transition ids are ours: unique, in document order). Keys appear only when
smcat would set them. It imports no reader.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from ..ir import Chart, Region, State, Transition

EmitOptions = Mapping[str, Any]


def emit(chart: Chart, options: EmitOptions | None = None) -> str:
    """The AST as JSON: one line per state, transition or action, nested machines indented.

    (json's own indenting is written in Python and costs more than parsing; this layout keeps
    the output readable and lets json's C encoder write each item.)
    """
    parts: list[str] = []
    _write(to_ast(chart), 0, parts)
    parts.append("\n")
    return "".join(parts)


_ENCODE = json.JSONEncoder(ensure_ascii=False, separators=(", ", ": ")).encode


def _write(value: Any, depth: int, out: list[str]) -> None:
    if isinstance(value, dict) and _is_nested(value):
        pad = "    " * (depth + 1)
        out.append("{")
        for position, (key, item) in enumerate(value.items()):
            out.append("\n" if position == 0 else ",\n")
            out.append(f"{pad}{_ENCODE(key)}: ")
            _write(item, depth + 1, out)
        out.append("\n" + "    " * depth + "}")
    elif isinstance(value, list) and value and isinstance(value[0], dict):
        pad = "    " * (depth + 1)
        out.append("[")
        for position, item in enumerate(value):
            out.append("\n" + pad if position == 0 else ",\n" + pad)
            _write(item, depth + 1, out)
        out.append("\n" + "    " * depth + "]")
    else:
        out.append(_ENCODE(value))


def _is_nested(value: dict[str, Any]) -> bool:
    return "states" in value or "statemachine" in value


def to_ast(chart: Chart) -> dict[str, Any]:
    """The smcat AST as plain data."""
    return _machine(chart.region)


def _machine(machine: Region) -> dict[str, Any]:
    result: dict[str, Any] = {"states": [_state(s) for s in machine.states]}
    if machine.transitions:
        result["transitions"] = [_transition(t) for t in machine.transitions]
    return result


def _state(state: State) -> dict[str, Any]:
    result: dict[str, Any] = {"name": state.name, "type": state.kind.value}
    _set(result, "label", state.label)
    _set(result, "color", state.color)
    _set(result, "class", state.css_class)
    if state.active:
        result["active"] = True
    if state.kind_explicit:
        result["typeExplicitlySet"] = True
    if state.actions:
        result["actions"] = [{"type": a.kind.value, "body": a.body} for a in state.actions]
    if state.notes:
        result["note"] = list(state.notes)
    if state.region is not None:
        # smcat writes an empty nested machine (`a{};`) as `{}`; the top level keeps `states`
        empty = not state.region.states and not state.region.transitions
        result["statemachine"] = {} if empty else _machine(state.region)
    return result


def _transition(transition: Transition) -> dict[str, Any]:
    result: dict[str, Any] = {"from": transition.source, "to": transition.target}
    _set(result, "label", transition.label)
    # The parts of a label are set even when empty: smcat keeps `"event": ""` for `" [g]"`.
    for key, value in (
        ("event", transition.event),
        ("cond", transition.guard),
        ("action", transition.action),
    ):
        if value is not None:
            result[key] = value
    if transition.notes:
        result["note"] = list(transition.notes)
    _set(result, "color", transition.color)
    _set(result, "class", transition.css_class)
    if transition.kind is not None:
        result["type"] = transition.kind.value
    if transition.width is not None:
        result["width"] = js_number(transition.width)
    result["id"] = transition.id
    return result


def js_number(value: float) -> float | int:
    """A number as JavaScript's JSON writes it: integral values without a fraction."""
    return int(value) if value.is_integer() else value


def _set(target: dict[str, Any], key: str, value: str | None) -> None:
    if value:
        target[key] = value
