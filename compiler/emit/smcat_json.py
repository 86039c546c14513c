"""Emit `-T json`: the state-machine-cat JSON AST.

Stage 3 (emitter): Chart -> str. For every input, the same JSON value that `smcat -T json` prints
(key order aside; transition ids are ours: unique, in document order). Keys appear only when
smcat would set them. It imports nothing from the parser.
"""

from __future__ import annotations

import json
from typing import Any

from ..ir import Chart, Machine, State, Transition

EmitOptions = dict[str, Any]


def emit(chart: Chart, options: EmitOptions | None = None) -> str:
    return json.dumps(to_ast(chart), indent=4, ensure_ascii=False) + "\n"


def to_ast(chart: Chart) -> dict[str, Any]:
    """The smcat AST as plain data."""
    return _machine(chart.machine)


def _machine(machine: Machine) -> dict[str, Any]:
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
    if state.machine is not None:
        result["statemachine"] = _machine(state.machine)
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
