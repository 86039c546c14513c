"""Emit `-T scxml`: W3C SCXML 1.0 that other engines run the same way.

Stage 3 (emitter): Chart -> str, built with lxml (never by string concatenation). It imports
no reader. What SCXML lacks is compiled, not dropped (docs/scxml.md):

- ids are NCNames, unique; a state whose name is not its id keeps the name in `sw:name`;
- every compound state and the document get an explicit initial (the initial pseudo-state's
  target, or the first resting child); an initial transition with actions becomes `<initial>`
  (in the document: a transient start state, since `<scxml>` cannot hold `<initial>`);
- choice and junction become transient states with eventless transitions, `[else]` last;
- a transition into a fork gets the fork's targets (one multi-target transition);
- a join becomes one transition on its parallel state guarded by `In()` of every source (UML:
  the sources stay active until all have arrived); a leg with an event or a guard becomes a
  targetless transition of its source that sets an arrival flag (`<data>`, cleared on exit),
  and the join's guard needs the flag too;
- terminate becomes a final state of the document; history always carries its default;
- an internal self-transition becomes a targetless transition (no exit, no entry);
- actions and activities become `<log label="action|entry|exit|activity" expr="'text'"/>`, so
  their order is observable; event names with blanks are joined with `_`.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Iterable, Mapping
from typing import Any

from lxml import etree

from ...runtime.lowering import Arrival, JoinPlan, fork_actions, fork_targets, joins
from ..guards import ecmascript, variables
from ..ir import ActionKind, Chart, Region, State, StateKind, Transition, TransitionKind
from ..names import SCXML_NS, SW_NS
from ..names import scxml_event as event_name
from . import scxml_content
from .escape import ecmascript_string, xml_text
from .executable import Ids, delay_ms, else_last, runnable

_NSMAP = {None: SCXML_NS, "sw": SW_NS}
_TRANSIENT = (StateKind.CHOICE, StateKind.JUNCTION, StateKind.FORKJOIN)
_NOT_NCNAME = re.compile(r"[^A-Za-z0-9_.\-]+")


def _q(tag: str) -> str:
    return f"{{{SCXML_NS}}}{tag}"


def _sw(name: str) -> str:
    return f"{{{SW_NS}}}{name}"


def ncname(text: str) -> str:
    """A valid NCName for a state name: the `^`/`]` sigils of pseudo-states are dropped, other
    characters outside `[A-Za-z0-9_.-]` become `_`, and an id that would not start with a
    letter gets `s_` in front. Ids never start with `_`: Python engines build attributes from
    them, and `_check` would shadow python-statemachine's own method."""
    cleaned = _NOT_NCNAME.sub("_", unicodedata.normalize("NFKC", text.lstrip("^]"))).strip("_")
    if not cleaned:
        return "state"
    if not ("a" <= cleaned[0].lower() <= "z"):
        cleaned = "s_" + cleaned
    return cleaned


def emit(chart: Chart, options: Mapping[str, Any] | None = None) -> str:
    document = _Builder(chart).build()
    data: bytes = etree.tostring(
        document, pretty_print=True, xml_declaration=True, encoding="UTF-8"
    )
    return data.decode("utf-8")


class _Builder:
    def __init__(self, chart: Chart) -> None:
        self.chart = chart
        self.names = Ids(chart, ncname)
        self.ids = self.names.of
        self.kind = {s.name: s.kind for s in chart.states()}
        self.timers: dict[tuple[str, str], str] = {}  # (state, `after ...` event) -> event
        # Joins: the legs by transition id, the ways out by their parallel state, and the
        # arrival flags (flag -> data id) and the states that clear them on exit
        self.flag_ids: dict[str, str] = {}
        self.clears: dict[str, list[str]] = {}
        self.outline = chart.outline()
        self.joins = joins(self.outline)
        for arrival in self.joins.legs.values():
            if arrival.flag is not None:
                self.flag_ids[arrival.flag] = self.names.fresh(arrival.flag)
                self.clears.setdefault(arrival.source, []).append(arrival.flag)

    # -- document ------------------------------------------------------------------------------

    def build(self) -> etree._Element:
        root = etree.Element(_q("scxml"), nsmap=_NSMAP)
        root.set("version", "1.0")
        root.set("datamodel", "ecmascript")
        datamodel = json.loads(self.chart.datamodel) if self.chart.datamodel else None
        if datamodel is None:
            self._data(root)
        else:  # the document's own (an imported SCXML document): written back as it was
            root.set("datamodel", datamodel["language"])
            root.set(_sw("datamodel"), "kept")
            for key in ("binding", "name"):
                if datamodel.get(key):
                    root.set(key, datamodel[key])
            scxml_content.data(root, datamodel.get("data", []))
            for source in datamodel.get("scripts", []):
                etree.SubElement(root, _q("script")).text = source
        terminates: list[State] = []
        children = self._region(root, self.chart.region, None, terminates, top=True)
        if children:
            root.set("initial", children)
        self._initial_name(root, self.chart.region)
        for state in terminates:
            final = etree.SubElement(root, _q("final"), id=self.ids[state.name])
            self._name(final, state.name)
            final.set(_sw("kind"), "terminate")
        return root

    def _initial_name(self, element: etree._Element, machine: Region) -> None:
        """`sw:initial-name`: the initial state that the `initial` attribute replaced."""
        initial = next((s for s in machine.states if s.kind is StateKind.INITIAL), None)
        start = element.get("initial")
        if initial is not None and start is not None and start != self.ids.get(initial.name):
            element.set(_sw("initial-name"), xml_text(initial.name))

    def _data(self, root: etree._Element) -> None:
        """The declared context with its defaults (runtime.declared), and the variables
        portable guards read (0 until the host sets them, when the chart declares none), so
        every engine evaluates them instead of failing on an unknown name."""
        defaults = {v.name: v.default for v in self.chart.context}
        names: list[str] = [n for n in defaults if n not in self.names.taken]
        for transition in self.chart.transitions():
            guard = (transition.guard or "").strip()
            portable = ecmascript(guard) if guard and guard != "else" else None
            if portable is not None:
                # Data and states share SCXML's id space: a variable named like a state is left
                # undeclared rather than break the document.
                names.extend(
                    n for n in variables(portable) if n not in names and n not in self.names.taken
                )
        if names or self.flag_ids:
            datamodel = etree.SubElement(root, _q("datamodel"))
            types = {v.name: v.type for v in self.chart.context}
            for name in names:
                # a JSON default is an ECMAScript expression of the same value
                data = etree.SubElement(
                    datamodel, _q("data"), id=name, expr=defaults.get(name, "0")
                )
                if name in types:  # declared: the import gives the declaration back
                    data.set(_sw("type"), types[name])
            for flag in self.flag_ids.values():
                # 0 and 1, not false and true: python-statemachine's datamodel has no
                # boolean literals (it reads them as unknown names)
                data = etree.SubElement(datamodel, _q("data"), id=flag, expr="0")
                data.set(_sw("synthetic"), "join")

    def _region(
        self,
        parent: etree._Element,
        machine: Region,
        owner: State | None,
        terminates: list[State],
        *,
        top: bool = False,
    ) -> str:
        """Write a machine's states into `parent`; return the value of its `initial`."""
        initial = next((s for s in machine.states if s.kind is StateKind.INITIAL), None)
        start = ""
        if initial is not None:
            outgoing = self.chart.transitions_from(initial.name)
            targets = self._targets(outgoing[0].target) if outgoing else []
            has_action = bool(outgoing and outgoing[0].action)
            if outgoing and has_action and top:
                transient = etree.SubElement(parent, _q("state"), id=self.ids[initial.name])
                self._name(transient, initial.name)
                transient.set(_sw("kind"), "initial")
                self._transition(transient, outgoing[0])
                start = self.ids[initial.name]
            elif outgoing and has_action:
                element = etree.SubElement(parent, _q("initial"))
                element.set(_sw("name"), xml_text(initial.name))
                self._transition(element, outgoing[0])
            else:
                start = " ".join(targets)
        elif owner is None or owner.kind is not StateKind.PARALLEL:
            first = machine.default_child()
            if first is not None and first.kind is not StateKind.TERMINATE:
                start = self.ids[first.name]
        seen: set[str] = set()
        for state in machine.states:
            if state.name in seen or self.ids.get(state.name) is None:
                continue
            seen.add(state.name)
            self._state(parent, state, terminates)
        return start

    def _state(self, parent: etree._Element, state: State, terminates: list[State]) -> None:
        kind = state.kind
        if kind in (StateKind.INITIAL, StateKind.FORK):
            return  # written as `initial`, and as multi-target transitions
        if kind is StateKind.JOIN and state.name in self.joins.names:
            return  # compiled into a transition of its parallel state
        if kind is StateKind.TERMINATE:
            terminates.append(state)
            return
        if kind in (StateKind.HISTORY, StateKind.DEEP_HISTORY):
            self._history(parent, state)
            return
        tag = {StateKind.PARALLEL: "parallel", StateKind.FINAL: "final"}.get(kind, "state")
        if tag == "final" and state.region is not None:
            tag = "state"
        element = etree.SubElement(parent, _q(tag), id=self.ids[state.name])
        self._name(element, state.name)
        if kind is not {"parallel": StateKind.PARALLEL, "final": StateKind.FINAL}.get(
            tag, StateKind.REGULAR
        ):
            element.set(_sw("kind"), kind.value)
        self._activities(element, state)
        if state.donedata is not None:
            scxml_content.donedata(element, json.loads(state.donedata))
        self._timers(element, state)
        if state.region is not None:
            start = self._region(element, state.region, state, terminates)
            if start and tag == "state":
                element.set("initial", start)
                self._initial_name(element, state.region)
        if tag == "final":
            return
        for transition in self._ordered(self.chart.transitions_from(state.name), kind):
            leg = self.joins.legs.get(transition.id)
            if leg is None:
                self._transition(element, transition)
            elif leg.flag is not None:
                self._leg(element, transition, leg)
        for plan in self.joins.ways.get(state.name, ()):
            self._join(element, plan)

    def _leg(self, parent: etree._Element, transition: Transition, leg: Arrival) -> None:
        """A join's leg with an event or a guard: it stays in its source and sets its arrival
        flag (once: it is disabled while the flag is set)."""
        assert leg.flag is not None
        flag = self.flag_ids[leg.flag]
        element = etree.SubElement(parent, _q("transition"))
        self._event(element, transition)
        condition = f"{flag} == 0"
        if leg.guard is not None:
            condition += f" && ({self._portable(leg.guard)})"
            element.set(_sw("guard"), xml_text(leg.guard))
        element.set("cond", xml_text(condition))
        element.set(_sw("join"), xml_text(transition.target))
        assign = etree.SubElement(element, _q("assign"), location=flag, expr="1")
        assign.set(_sw("synthetic"), "join")
        if transition.action:
            _log(element, "action", transition.action)

    def _join(self, parent: etree._Element, plan: JoinPlan) -> None:
        """A join's way out, from the parallel state: every source active, every flag set."""
        out = plan.exit
        (leaving,) = self.chart.transitions_from(plan.join)
        parts = [f"In('{self.ids[source]}')" for source in plan.sources]
        parts += [f"{self.flag_ids[flag]} == 1" for flag in plan.flags]
        guard = (leaving.guard or "").strip()
        if guard and guard != "else":
            parts.append(f"({self._portable(guard)})")
        element = etree.SubElement(parent, _q("transition"))
        self._event(element, leaving)
        element.set("cond", xml_text(" && ".join(parts)))
        if guard:
            element.set(_sw("guard"), xml_text(guard))
        targets = self._targets(out.target)
        if targets:
            element.set("target", " ".join(targets))
        if self.kind.get(out.target) is StateKind.FORK:
            element.set(_sw("fork"), xml_text(out.target))
        element.set(_sw("join"), xml_text(plan.join))
        element.set(_sw("sources"), " ".join(self.ids[source] for source in plan.sources))
        for arrival in plan.arrivals:
            if arrival.flag is None and arrival.action:
                _log(element, "action", arrival.action)
                element[-1].set(_sw("leg"), self.ids[arrival.source])
        if leaving.action:
            _log(element, "action", leaving.action)
        for action in fork_actions(self.outline, out.target):
            _log(element, "action", action)

    def _timers(self, element: etree._Element, state: State) -> None:
        """A timed event (`after 30s`) is a delayed `<send>` on entry, cancelled on exit, of an
        event no other state uses (`sw.after.N`)."""
        for transition in self.chart.transitions_from(state.name):
            delay = delay_ms(transition.event)
            key = (state.name, transition.event or "")
            if delay is None or key in self.timers:
                continue
            event = self.timers[key] = f"sw.after.{len(self.timers) + 1}"
            send = etree.SubElement(etree.SubElement(element, _q("onentry")), _q("send"))
            send.set("event", event)
            send.set("delay", f"{delay}ms")
            send.set("id", event)
            send.set(_sw("synthetic"), "after")
            cancel = etree.SubElement(etree.SubElement(element, _q("onexit")), _q("cancel"))
            cancel.set("sendid", event)
            cancel.set(_sw("synthetic"), "after")

    def _history(self, parent: etree._Element, state: State) -> None:
        kind = "deep" if state.kind is StateKind.DEEP_HISTORY else "shallow"
        element = etree.SubElement(parent, _q("history"), id=self.ids[state.name], type=kind)
        self._name(element, state.name)
        outgoing = self.chart.transitions_from(state.name)
        if outgoing:
            self._transition(element, outgoing[0], event=None)
            return
        owner = self.chart.parent_of(state.name)
        machine = self.chart.region if owner is None else self.chart.state(owner).region
        first = machine.default_child() if machine is not None else None
        if first is not None:
            default = etree.SubElement(element, _q("transition"), target=self.ids[first.name])
            default.set(_sw("synthetic"), "default")

    def _activities(self, element: etree._Element, state: State) -> None:
        if state.data:
            scxml_content.data(element, json.loads(state.data))
        if any(a.content is not None for a in state.actions):
            for action in state.actions:  # each block its own <onentry> or <onexit>
                tag = "onexit" if action.kind is ActionKind.EXIT else "onentry"
                holder = etree.SubElement(element, _q(tag))
                if action.content is None:
                    _log(holder, action.kind.value, action.body)
                else:
                    holder.set(_sw("content"), "block")
                    scxml_content.block(holder, json.loads(action.content))
            return
        entries = [a for a in runnable(state) if a.kind is not ActionKind.EXIT]
        exits = [a for a in runnable(state) if a.kind is ActionKind.EXIT]
        if entries:
            block = etree.SubElement(element, _q("onentry"))
            for action in entries:
                _log(block, action.kind.value, action.body)
        if exits:
            block = etree.SubElement(element, _q("onexit"))
            for action in exits:
                _log(block, "exit", action.body)
        if state.name in self.clears:
            block = etree.SubElement(element, _q("onexit"))
            for flag in self.clears[state.name]:
                assign = etree.SubElement(
                    block, _q("assign"), location=self.flag_ids[flag], expr="0"
                )
                assign.set(_sw("synthetic"), "join")

    def _ordered(self, transitions: Iterable[Transition], kind: StateKind) -> list[Transition]:
        return else_last(transitions) if kind in _TRANSIENT else list(transitions)

    def _transition(
        self,
        parent: etree._Element,
        transition: Transition,
        *,
        event: str | None | bool = True,
    ) -> None:
        element = etree.SubElement(parent, _q("transition"))
        if event is True:
            self._event(element, transition)
        guard = (transition.guard or "").strip()
        if guard and guard != "else":
            # the guard in the portable subset where it can be (`and` as `&&`, In() naming the
            # state's id); the text as written in sw:cond when that differs, for the import
            portable = self._portable(guard)
            element.set("cond", xml_text(portable))
            if portable != guard:
                element.set(_sw("cond"), xml_text(guard))
        elif guard == "else":
            element.set(_sw("guard"), "else")
        internal_self = (
            transition.kind is TransitionKind.INTERNAL and transition.source == transition.target
        )
        if not internal_self:
            targets = self._targets(transition.target)
            if targets:
                element.set("target", " ".join(targets))
            if self.kind.get(transition.target) is StateKind.FORK:
                element.set(_sw("fork"), xml_text(transition.target))
        if transition.kind is TransitionKind.INTERNAL and not internal_self:
            if transition.source in self.chart.ancestors_of(transition.target):
                element.set("type", "internal")
            else:  # no effect in SCXML; kept so that import gives the chart back
                element.set(_sw("transition-type"), "internal")
        if transition.content is not None:
            element.set(_sw("content"), "block")
            scxml_content.block(element, json.loads(transition.content))
        elif transition.action:
            _log(element, "action", transition.action)
        for action in fork_actions(self.outline, transition.target):
            _log(element, "action", action)

    def _event(self, element: etree._Element, transition: Transition) -> None:
        """The transition's event: a timer's own event for `after ...`, names joined by `_`;
        the name as written in `sw:event-name` when that differs."""
        if transition.event:
            timer = self.timers.get((transition.source, transition.event))
            element.set("event", timer or event_name(transition.event))
            if element.get("event") != transition.event:
                element.set(_sw("event-name"), xml_text(transition.event))

    def _portable(self, guard: str) -> str:
        """A guard in the portable subset where it can be, else as written."""
        return ecmascript(guard, lambda name: self.ids.get(name, name)) or guard

    def _targets(self, name: str) -> list[str]:
        return [self.ids[n] for n in fork_targets(self.outline, name) if n in self.ids]

    def _name(self, element: etree._Element, name: str) -> None:
        if element.get("id") != name:
            element.set(_sw("name"), xml_text(name))


def _log(parent: etree._Element, label: str, text: str) -> None:
    etree.SubElement(parent, _q("log"), label=label, expr=ecmascript_string(text))
