"""Emit `-T mermaid`: a Mermaid `stateDiagram-v2`, so a chart can live in a README on GitHub.

Stage 3 (emitter): Chart -> str. States get stable ids (`s0`, `s1`, ... in document order) and
their names as descriptions; composites nest; a parallel state's regions are separated by `--`;
choice, fork and join use Mermaid's `<<choice>>`, `<<fork>>`, `<<join>>`; initial and final
states become `[*]`; notes become `note right of`. Mermaid has no history, junction or terminate
shapes: history shows as `H`/`H*`, a junction as a choice, terminate as `✕ name`. Internal
transitions are drawn as loops. It imports no reader.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..ir import Chart, Region, State, StateKind
from ..notation import compose_label
from .escape import mermaid_note, mermaid_text

_DIRECTION = {"top-down": "TB", "left-right": "LR", "bottom-top": "BT", "right-left": "RL"}
_STEREOTYPE = {
    StateKind.CHOICE: "<<choice>>",
    StateKind.JUNCTION: "<<choice>>",
    StateKind.FORK: "<<fork>>",
    StateKind.JOIN: "<<join>>",
    StateKind.FORKJOIN: "<<fork>>",
}


def emit(chart: Chart, options: Mapping[str, Any] | None = None) -> str:
    options = options or {}
    ids: dict[str, str] = {}
    for index, state in enumerate(chart.states()):
        ids.setdefault(state.name, f"s{index}")
    kinds = {state.name: state.kind for state in chart.states()}
    lines = ["stateDiagram-v2"]
    direction = _DIRECTION.get(str(options.get("direction", "top-down")), "TB")
    lines.append(f"    direction {direction}")
    _machine(chart.region, 1, ids, kinds, lines, emitted=set())
    active = [ids[s.name] for s in chart.states() if s.active and s.name in ids]
    if active:
        lines.append("    classDef active fill:#fff2a8,stroke-width:3px")
        lines.append(f"    class {','.join(dict.fromkeys(active))} active")
    return "\n".join(lines) + "\n"


def _machine(
    machine: Region,
    depth: int,
    ids: dict[str, str],
    kinds: dict[str, StateKind],
    lines: list[str],
    *,
    emitted: set[str],
    parallel: bool = False,
) -> None:
    pad = "    " * depth
    for position, state in enumerate(machine.states):
        if parallel and position > 0:
            lines.append(f"{pad}--")
        if state.name in emitted:
            continue  # a duplicate declaration: drawn once
        emitted.add(state.name)
        _state(state, depth, ids, kinds, lines, emitted)
    for transition in machine.transitions:
        source = _end(transition.source, ids, kinds, as_target=False)
        target = _end(transition.target, ids, kinds, as_target=True)
        label = mermaid_text(transition.label or compose_label(transition))
        lines.append(f"{pad}{source} --> {target}" + (f" : {label}" if label else ""))
        for note in transition.notes:
            lines.append(f"{pad}note right of {ids[transition.source]} : {mermaid_note(note)}")


def _state(
    state: State,
    depth: int,
    ids: dict[str, str],
    kinds: dict[str, StateKind],
    lines: list[str],
    emitted: set[str],
) -> None:
    pad = "    " * depth
    node = ids[state.name]
    if state.kind in (StateKind.INITIAL, StateKind.FINAL):
        pass  # drawn as [*] where transitions use them
    elif state.kind in _STEREOTYPE:
        lines.append(f"{pad}state {node} {_STEREOTYPE[state.kind]}")
    else:
        lines.append(f'{pad}state "{_caption(state)}" as {node}')
    activities = [
        action.body if action.kind.value == "activity" else f"{action.kind.value}/ {action.body}"
        for action in state.actions
    ]
    if state.region is None:
        lines.extend(f"{pad}{node} : {mermaid_text(body)}" for body in activities)
    elif activities:
        # Mermaid gives composite states a label only: their activities go in a note.
        lines.append(f"{pad}note right of {node} : {mermaid_note(' · '.join(activities))}")
    if state.region is not None and state.kind not in (StateKind.INITIAL, StateKind.FINAL):
        lines.append(f"{pad}state {node} {{")
        _machine(
            state.region,
            depth + 1,
            ids,
            kinds,
            lines,
            emitted=emitted,
            parallel=state.kind is StateKind.PARALLEL,
        )
        lines.append(f"{pad}}}")
    for note in state.notes:
        if state.kind not in (StateKind.INITIAL, StateKind.FINAL):
            lines.append(f"{pad}note right of {node} : {mermaid_note(note)}")


def _end(name: str, ids: dict[str, str], kinds: dict[str, StateKind], *, as_target: bool) -> str:
    kind = kinds.get(name)
    if kind is StateKind.INITIAL and not as_target:
        return "[*]"
    if kind is StateKind.FINAL and as_target:
        return "[*]"
    return ids[name]


def _caption(state: State) -> str:
    text = state.label or state.name
    if state.kind is StateKind.HISTORY:
        text = "H"
    elif state.kind is StateKind.DEEP_HISTORY:
        text = "H*"
    elif state.kind is StateKind.TERMINATE:
        text = f"✕ {text}"
    return mermaid_text(text).replace('"', "#quot;") or " "
