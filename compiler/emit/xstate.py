"""Emit `-T xstate`: an XState v5 machine config (JSON) that `createMachine()` accepts.

Stage 3 (emitter): Chart -> str. It imports no reader. Every state has an `id`
and every target is `#id`, so no path resolution is involved. Guards and actions are named
references (`{"type": "..."}`, the text as written) for the host to `provide()`:

- eventless transitions go in `always`; `[else]` (or an unguarded branch) comes last;
- choice and junction become transient states with `always`; a transition into a fork gets all
  the fork's targets;
- a join (runtime.lowering) becomes a transition of its parallel state guarded by
  `sw.join.<n>`, and a leg with an event or a guard a targetless transition guarded by
  `sw.leg.<flag>` that runs `sw.arrive` (its source's exit runs `sw.leave`); `meta.statewright`
  says what each of these guards checks, and docs/xstate.md gives the ten lines of JavaScript
  that provide them (`stateIn` of every source, the arrival flags in `context.swJoins`). No
  state is added, so the state value shows the sources while the join waits;
- `done.state.X` taken by X or by a state around it becomes X's `onDone`; `done.invoke.NAME`
  the `onDone` of the state's `invoke` of NAME (an `invoke/ NAME` activity);
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

from ...runtime.lowering import (
    JoinPlan,
    fork_actions,
    fork_targets,
    invoke_name,
    joins,
)
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
        self.outline = chart.outline()
        # joins: the legs by transition id, the ways out by their parallel state, the flags
        # each source clears on exit, and what the guards check (`meta.statewright`)
        self.lowered = joins(self.outline)
        self.clears: dict[str, list[str]] = {}
        self.joins: dict[str, dict[str, Any]] = {}
        self.join_guard: dict[str, str] = {}  # join -> its guard's name
        self.legs: dict[str, dict[str, Any]] = {}
        for plan in self.lowered.plans:
            self._plan_join(plan)
        # done events: the state whose onDone takes each transition
        self.on_done: dict[int, str] = {}
        for transition in chart.transitions():
            owner = chart.done_owner(transition)
            if owner is not None:
                self.on_done[transition.id] = owner

    def _plan_join(self, plan: JoinPlan) -> None:
        (leaving,) = self.chart.transitions_from(plan.join)
        guard = (leaving.guard or "").strip()
        name = self.join_guard[plan.join] = f"sw.join.{len(self.joins) + 1}"
        self.joins[name] = {
            "states": [f"#{self.ids[source]}" for source in plan.sources],
            "flags": list(plan.flags),
            "guard": guard if guard and guard != "else" else None,
        }
        for arrival in plan.arrivals:
            if arrival.flag is not None:
                self.clears.setdefault(arrival.source, []).append(arrival.flag)
                self.legs[f"sw.leg.{arrival.flag}"] = {
                    "flag": arrival.flag,
                    "guard": arrival.guard,
                }

    # -- machine -------------------------------------------------------------------------------

    def build(self) -> dict[str, Any]:
        terminates: list[State] = []
        config: dict[str, Any] = {"id": "statechart"}
        # the declared context's defaults (runtime.declared), the join flags beside them
        context = {v.name: json.loads(v.default) for v in self.chart.context}
        if self.legs:
            context["swJoins"] = {}
        if context:
            config["context"] = context
        config.update(self._region(self.chart.region, None, terminates))
        for state in terminates:
            config.setdefault("states", {})[self.ids[state.name]] = {
                "id": self.ids[state.name],
                "type": "final",
            }
        if self.joins:
            meta = {"joins": self.joins, **({"legs": self.legs} if self.legs else {})}
            config["meta"] = {"statewright": meta}
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
        if states:
            result["states"] = states
        return result

    def _state(self, state: State, terminates: list[State]) -> dict[str, Any] | None:
        kind = state.kind
        if kind in (StateKind.INITIAL, StateKind.FORK) or state.name in self.lowered.names:
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
        invoked = _invoked(state)
        node.update(self._actions(state, invoked))
        if state.region is not None:
            node.update(self._region(state.region, state, terminates))
        if node.get("type") == "final":
            return node
        on, after, always, done = self._leaving(state)
        if on:
            node["on"] = on
        if after:
            node["after"] = after
        if always:
            node["always"] = always
        if (
            done
            and invoked
            and all(
                (t.event or "").startswith("done.invoke.")
                for t in self.chart.transitions()
                if self.on_done.get(t.id) == state.name
            )
        ):
            self._invoke_done(node, state)
        elif done:
            node["onDone"] = done
        return node

    def _actions(self, state: State, invoked: list[str]) -> dict[str, Any]:
        """A state's `entry`, `exit` (a join leg's flag cleared as well) and `invoke`."""
        found: dict[str, Any] = {}
        entry = [
            {"type": a.body}
            for a in runnable(state)
            if a.kind is not ActionKind.EXIT and invoke_name(a.body) is None
        ]
        exits: list[dict[str, Any]] = [
            {"type": a.body} for a in runnable(state) if a.kind is ActionKind.EXIT
        ]
        exits += [
            {"type": "sw.leave", "params": {"flag": f}} for f in self.clears.get(state.name, [])
        ]
        if entry:
            found["entry"] = entry
        if exits:
            found["exit"] = exits
        if invoked:
            found["invoke"] = [{"src": name, "id": name} for name in invoked]
        return found

    def _leaving(self, state: State) -> tuple[
        dict[str, list[dict[str, Any]]],
        dict[str, list[dict[str, Any]]],
        list[dict[str, Any]],
        list[dict[str, Any]],
    ]:
        """A state's transitions by XState key: `on` by event, `after` by delay, `always`,
        and `onDone` (its own completion's, wherever the chart wrote them)."""
        on: dict[str, list[dict[str, Any]]] = {}
        after: dict[str, list[dict[str, Any]]] = {}
        always: list[dict[str, Any]] = []
        done: list[dict[str, Any]] = []
        leaving = self.chart.transitions_from(state.name)
        ordered = else_last(leaving) if state.kind in _TRANSIENT else leaving
        built_list = [(t, self._built(t)) for t in ordered]
        built_list += [
            (self._way_out(plan), self._join(plan))
            for plan in self.lowered.ways.get(state.name, ())
        ]
        for transition, built in built_list:
            if built is None:
                continue
            delay = delay_ms(transition.event)
            if self.on_done.get(transition.id) == state.name:
                done.append(built)
            elif transition.id in self.on_done:
                continue  # the onDone of the state that finishes (below)
            elif delay is not None:
                after.setdefault(str(delay), []).append(built)
            elif transition.event:
                on.setdefault(transition.event, []).append(built)
            else:
                always.append(built)
        for transition in self.chart.transitions():
            if self.on_done.get(transition.id) == state.name and transition.source != state.name:
                built = self._built(transition)
                if built is not None:
                    done.append(built)
        return on, after, always, done

    def _invoke_done(self, node: dict[str, Any], state: State) -> None:
        """`done.invoke.NAME` transitions: the onDone of the invoke of NAME."""
        for invoke in node["invoke"]:
            found = [
                self._built(t)
                for t in self.chart.transitions_from(state.name)
                if t.event == f"done.invoke.{invoke['id']}"
            ]
            if found:
                invoke["onDone"] = found

    def _built(self, transition: Transition) -> dict[str, Any] | None:
        """A transition as XState writes it; None for a join's leg that has no flag (the
        join's way out stands for it)."""
        leg = self.lowered.legs.get(transition.id)
        if leg is None:
            return self._transition(transition)
        if leg.flag is None:
            return None
        built: dict[str, Any] = {"guard": {"type": f"sw.leg.{leg.flag}"}}
        built["actions"] = [{"type": "sw.arrive", "params": {"flag": leg.flag}}]
        if transition.action:
            built["actions"].append({"type": transition.action})
        return built

    def _way_out(self, plan: JoinPlan) -> Transition:
        (leaving,) = self.chart.transitions_from(plan.join)
        return leaving

    def _join(self, plan: JoinPlan) -> dict[str, Any]:
        """A join's way out, from its parallel state."""
        leaving = self._way_out(plan)
        built: dict[str, Any] = {}
        targets = self._targets(leaving.target)
        if targets:
            built["target"] = targets[0] if len(targets) == 1 else targets
        built["guard"] = {"type": self.join_guard[plan.join]}
        actions = [{"type": action} for action in plan.actions_on_firing]
        actions += [{"type": a} for a in fork_actions(self.outline, leaving.target)]
        if actions:
            built["actions"] = actions
        return built

    def _transition(self, transition: Transition) -> dict[str, Any]:
        built: dict[str, Any] = {}
        internal_self = (
            transition.kind is TransitionKind.INTERNAL and transition.source == transition.target
        )
        if not internal_self:
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


def _invoked(state: State) -> list[str]:
    """The machines a state invokes (`invoke/ NAME` activities), in order."""
    found = [invoke_name(a.body) for a in state.actions if a.kind is ActionKind.ACTIVITY]
    return [name for name in found if name is not None]


def _state_id(name: str) -> str:
    """An XState id: no dots (they are paths in XState), no `#`; sigils `^`/`]` dropped."""
    return _NOT_ID.sub("_", name.lstrip("^]")).strip("_") or "state"
