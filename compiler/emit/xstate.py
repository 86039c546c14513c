"""Emit `-T xstate`: an XState v5 machine config (JSON) that `createMachine()` accepts.

Stage 3 (emitter): Chart -> str. It imports no reader. Every state has an `id`
and every target is `#id`, so no path resolution is involved. Guards and actions are named
references (`{"type": "..."}`, the text as written) for the host to `provide()`:

- eventless transitions go in `always`; `[else]` (or an unguarded branch) comes last;
- choice and junction become transient states with `always`; a transition into a fork gets all
  the fork's targets;
- a join that gathers one transition from every region of a parallel state becomes a `final`
  marker state in each region and `onDone` on the parallel state (UML join semantics);
  any other join stays a transient state (the checker reports it);
- terminate becomes a final state of the machine; history gets `history` and its default
  `target`; an external self-transition (or one into a descendant) gets `reenter: true`,
  as SCXML exits and re-enters there;
- entry and exit actions become `entry`/`exit`; free activities become `entry` actions too.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

from ...runtime.lowering import JoinPlan, fork_actions, fork_targets, join_plans
from ..ir import ActionKind, Chart, Region, State, StateKind, Transition, TransitionKind
from .executable import Ids, delay_ms, else_last, runnable

_NOT_ID = re.compile(r"[^A-Za-z0-9_\-]+")
_TRANSIENT = (StateKind.CHOICE, StateKind.JUNCTION, StateKind.FORKJOIN)


def emit(chart: Chart, options: Mapping[str, Any] | None = None) -> str:
    return json.dumps(_Builder(chart).build(), indent=2, ensure_ascii=False) + "\n"


class _Builder:
    def __init__(self, chart: Chart) -> None:
        self.chart = chart
        self.names = Ids(chart, _state_id)
        self.ids = self.names.of
        self.kind = {s.name: s.kind for s in chart.states()}
        self.markers: dict[int, str] = {}  # incoming transition id -> final marker id
        self.markers_in: dict[str, list[str]] = {}  # region name -> marker ids
        self.on_done: dict[str, Transition] = {}  # parallel name -> the join's way out
        self.joined: set[str] = set()
        self.outline = chart.outline()
        for plan in join_plans(self.outline):
            self._plan_join(plan)

    def _plan_join(self, plan: JoinPlan) -> None:
        """XState can say a join that gathers every region of a parallel state, once: a final
        marker state in each region and `onDone` on the parallel state."""
        if not plan.covers_every_region or plan.owner in self.on_done:
            return
        for arrival in plan.arrivals:
            marker = self.names.fresh(f"{plan.join}_from_{arrival.source}")
            self.markers[arrival.transition] = marker
            self.markers_in.setdefault(arrival.region, []).append(marker)
        (self.on_done[plan.owner],) = self.chart.transitions_from(plan.join)
        self.joined.add(plan.join)

    # -- machine -------------------------------------------------------------------------------

    def build(self) -> dict[str, Any]:
        terminates: list[State] = []
        config: dict[str, Any] = {"id": "statechart"}
        config.update(self._region(self.chart.region, None, terminates))
        for state in terminates:
            config.setdefault("states", {})[self.ids[state.name]] = {
                "id": self.ids[state.name],
                "type": "final",
            }
        return config

    def _region(
        self, machine: Region, owner: State | None, terminates: list[State]
    ) -> dict[str, Any]:
        result: dict[str, Any] = {}
        states: dict[str, Any] = {}
        initial = next((s for s in machine.states if s.kind is StateKind.INITIAL), None)
        if initial is not None:
            outgoing = self.chart.transitions_from(initial.name)
            here = owner.name if owner is not None else None
            direct = bool(outgoing) and (
                self.kind.get(outgoing[0].target) is not StateKind.FORK
                and self.chart.has_state(outgoing[0].target)
                and self.chart.parent_of(outgoing[0].target) == here
            )
            if outgoing and (outgoing[0].action or not direct):
                # A transient start state carries the actions, or reaches a deeper target.
                start = self.ids[initial.name]
                states[start] = {"id": start, "always": [self._transition(outgoing[0])]}
                result["initial"] = start
            elif outgoing:
                targets = self._targets(outgoing[0].target)
                if targets:
                    result["initial"] = targets[0].removeprefix("#")
        elif owner is None or owner.kind is not StateKind.PARALLEL:
            # Terminate states move to the machine's top level, so the next resting child
            # starts (as in the SCXML export, where they become the document's last finals).
            first = next(
                (
                    s
                    for s in machine.states
                    if not s.kind.is_pseudo and s.kind is not StateKind.TERMINATE
                ),
                None,
            )
            if first is not None:
                result["initial"] = self.ids[first.name]
        seen: set[str] = set()
        for state in machine.states:
            if state.name in seen:
                continue
            seen.add(state.name)
            built = self._state(state, terminates)
            if built is not None:
                states[self.ids[state.name]] = built
        for marker in self.markers_in.get(owner.name if owner else "", []):
            states[marker] = {"id": marker, "type": "final"}
        if states:
            result["states"] = states
        return result

    def _state(self, state: State, terminates: list[State]) -> dict[str, Any] | None:
        kind = state.kind
        if kind in (StateKind.INITIAL, StateKind.FORK) or state.name in self.joined:
            return None
        if kind is StateKind.TERMINATE:
            terminates.append(state)
            return None
        node: dict[str, Any] = {"id": self.ids[state.name]}
        if kind in (StateKind.HISTORY, StateKind.DEEP_HISTORY):
            node["type"] = "history"
            node["history"] = "deep" if kind is StateKind.DEEP_HISTORY else "shallow"
            outgoing = self.chart.transitions_from(state.name)
            targets = self._targets(outgoing[0].target) if outgoing else []
            if targets:
                node["target"] = targets[0]
            return node
        if kind is StateKind.PARALLEL and state.region is not None:
            node["type"] = "parallel"
        elif kind is StateKind.FINAL and state.region is None:
            node["type"] = "final"
        if state.label:
            node["description"] = state.label
        entry = [{"type": a.body} for a in runnable(state) if a.kind is not ActionKind.EXIT]
        exits = [{"type": a.body} for a in runnable(state) if a.kind is ActionKind.EXIT]
        if entry:
            node["entry"] = entry
        if exits:
            node["exit"] = exits
        if state.region is not None:
            node.update(self._region(state.region, state, terminates))
        if node.get("type") == "final":
            return node
        on: dict[str, list[dict[str, Any]]] = {}
        after: dict[str, list[dict[str, Any]]] = {}
        always: list[dict[str, Any]] = []
        leaving = self.chart.transitions_from(state.name)
        for transition in else_last(leaving) if kind in _TRANSIENT else leaving:
            built = self._transition(transition)
            delay = delay_ms(transition.event)
            if delay is not None:
                after.setdefault(str(delay), []).append(built)
            elif transition.event:
                on.setdefault(transition.event, []).append(built)
            else:
                always.append(built)
        if on:
            node["on"] = on
        if after:
            node["after"] = after
        if always:
            node["always"] = always
        if state.name in self.on_done:
            node["onDone"] = self._transition(self.on_done[state.name])
        return node

    def _transition(self, transition: Transition) -> dict[str, Any]:
        built: dict[str, Any] = {}
        internal_self = (
            transition.kind is TransitionKind.INTERNAL and transition.source == transition.target
        )
        marker = self.markers.get(transition.id)
        if marker is not None:
            built["target"] = f"#{marker}"
        elif not internal_self:
            targets = self._targets(transition.target)
            if len(targets) == 1:
                built["target"] = targets[0]
            elif targets:
                built["target"] = targets
        guard = (transition.guard or "").strip()
        if guard and guard != "else":
            built["guard"] = {"type": guard}
        actions = [{"type": transition.action}] if transition.action else []
        actions += [{"type": a} for a in fork_actions(self.outline, transition.target)]
        if actions:
            built["actions"] = actions
        if transition.kind is not TransitionKind.INTERNAL and (
            transition.source == transition.target
            or transition.source in self.chart.ancestors_of(transition.target)
        ):
            built["reenter"] = True
        return built

    def _targets(self, name: str) -> list[str]:
        return [f"#{self.ids[n]}" for n in fork_targets(self.outline, name) if n in self.ids]


def _state_id(name: str) -> str:
    """An XState id: no dots (they are paths in XState), no `#`; sigils `^`/`]` dropped."""
    return _NOT_ID.sub("_", name.lstrip("^]")).strip("_") or "state"
