"""Emit `-T mermaid`: a Mermaid `stateDiagram-v2`, so a chart can live in a README on GitHub.

Stage 3 (emitter): Chart -> str. States get stable ids (`s0`, `s1`, ... in document order) and
their names as descriptions; composites nest; a parallel state's regions are separated by `--`;
choice, fork and join use Mermaid's `<<choice>>`, `<<fork>>`, `<<join>>` (a choice's name or
label in a note beside it); initial states and a region's only final state become `[*]`, and
when a region has several finals each is a named state `◉ name`, so that they stay apart;
notes become `note right of` (a note on an initial state goes left of the state it enters).
Colours become one `classDef` per colour (stroke and text). Mermaid has no history, junction
or terminate shapes: history shows as `H`/`H*`, a junction as a choice, terminate as
`✕ name`. Internal transitions are drawn as loops. It imports no reader.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from ..ir import Chart, Region, State, StateKind
from ..notation import compose_label, pseudo_caption
from .colours import as_hex
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
    for region in _regions(chart.region):  # a region's several finals are drawn apart
        finals = [s.name for s in region.states if s.kind is StateKind.FINAL]
        if len(finals) > 1:
            kinds.update(dict.fromkeys(finals, StateKind.REGULAR))
    lines = ["stateDiagram-v2"]
    direction = _DIRECTION.get(str(options.get("direction", "top-down")), "TB")
    lines.append(f"    direction {direction}")
    _machine(chart.region, 1, ids, kinds, lines, emitted=set())
    active = [ids[s.name] for s in chart.states() if s.active and s.name in ids]
    if active:
        lines.append("    classDef active fill:#fff2a8,stroke-width:3px")
        lines.append(f"    class {','.join(dict.fromkeys(active))} active")
    coloured: dict[str, list[str]] = {}
    for state in chart.states():
        drawn = kinds.get(state.name) not in (StateKind.INITIAL, StateKind.FINAL)
        if state.color and state.name in ids and drawn:
            coloured.setdefault(as_hex(state.color), []).append(ids[state.name])
    for number, (colour, nodes) in enumerate(coloured.items()):
        # a Mermaid style value ends at `,` or `;`: only a plain colour is kept
        if _PLAIN_COLOUR.match(colour):
            lines.append(
                f"    classDef colour{number} stroke:{colour},color:{colour},stroke-width:2px"
            )
            lines.append(f"    class {','.join(dict.fromkeys(nodes))} colour{number}")
    return "\n".join(lines) + "\n"


_PLAIN_COLOUR = re.compile(r"#[0-9a-fA-F]{3,8}\Z|[a-zA-Z]+\Z")


def _regions(region: Region) -> list[Region]:
    """Every region of the chart: the top one and each composite's, depth first."""
    found = [region]
    for state in region.states:
        if state.region is not None:
            found += _regions(state.region)
    return found


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
    initial_notes = {
        s.name: s.notes for s in machine.states if s.kind is StateKind.INITIAL and s.notes
    }
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
        if source == "[*]" and target != "[*]":  # Mermaid has no note on [*]: beside its target
            for note in initial_notes.pop(transition.source, ()):
                lines.append(f"{pad}note left of {target} : {mermaid_note(note)}")


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
    kind = kinds[state.name]  # a final drawn apart from the region's others is REGULAR here
    if kind in (StateKind.INITIAL, StateKind.FINAL):
        pass  # drawn as [*] where transitions use them
    elif kind in _STEREOTYPE:
        lines.append(f"{pad}state {node} {_STEREOTYPE[kind]}")
        if kind is StateKind.CHOICE and pseudo_caption(state):
            lines.append(f"{pad}note right of {node} : {mermaid_note(pseudo_caption(state))}")
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
    if state.region is not None and kind not in (StateKind.INITIAL, StateKind.FINAL):
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
        if kind not in (StateKind.INITIAL, StateKind.FINAL):
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
    elif state.kind is StateKind.FINAL:  # one of a region's several finals, drawn by name
        text = f"◉ {text}"
    return mermaid_text(text).replace('"', "#quot;") or " "
