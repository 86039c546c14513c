"""Resolve: Chart -> Chart, the passes state-machine-cat applies right after parsing.

Part of stage 1 (the smcat and YAML readers run it). Each pass takes a chart and returns a new one
built with `dataclasses.replace`; none mutates its input. It imports nothing from lark or the
emitters.

1. `declare_implicit_states`: a state that is only named in transitions is declared in the
   region whose transition names it first, inner regions before outer ones (smcat's order).
2. `classify_forkjoins`: a `]name` state without an explicit type becomes a fork (one way in,
   several out), a join (several in, one out) or a junction (anything else).

Before them, `number_transitions` gives transitions the ids state-machine-cat gives them.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from dataclasses import replace

from ..ir import Chart, Region, State, StateKind
from ..notation import kind_from_name


def resolve(chart: Chart) -> Chart:
    """Apply every pass, in order."""
    return classify_forkjoins(declare_implicit_states(number_transitions(chart)))


def number_transitions(chart: Chart) -> Chart:
    """Transition ids as state-machine-cat numbers them: one counter in document order (inner
    transitions before the ones after their state), where its parser reads the last state of
    each declaration list twice, so every transition inside that state takes a number on
    each reading and keeps the last (`a{b=>c;};` gives `b => c` the id 2; nested, it doubles
    again: `a{b{c=>d;};};` gives 4). Each region is visited once: the first reading's
    numbers are skipped by count, not read again (that would double per level). Run before
    implicit states join the lists."""
    spent: dict[int, int] = {}

    def numbers(machine: Region) -> int:
        """How many numbers one reading of `machine` takes (memoised: bottom up, once)."""
        key = id(machine)
        if key not in spent:
            last = len(machine.states) - 1
            inner = sum(
                numbers(s.region) * (2 if i == last else 1)
                for i, s in enumerate(machine.states)
                if s.region is not None
            )
            spent[key] = inner + len(machine.transitions)
        return spent[key]

    counter = 0

    def visit(machine: Region) -> Region:
        nonlocal counter
        states = list(machine.states)
        for index, state in enumerate(states):
            if state.region is None:
                continue
            if index == len(states) - 1:
                counter += numbers(state.region)  # the first reading: its numbers are spent
            states[index] = replace(state, region=visit(state.region))
        transitions = []
        for transition in machine.transitions:
            counter += 1
            transitions.append(replace(transition, id=counter))
        return Region(tuple(states), tuple(transitions))

    return replace(chart, region=visit(chart.region))


def declare_implicit_states(chart: Chart) -> Chart:
    known = {state.name for state in _states(chart.region)}

    def visit(machine: Region) -> Region:
        states = []
        for state in machine.states:
            if state.region is not None:
                inner = visit(state.region)
                if inner is not state.region:
                    state = replace(state, region=inner)
            states.append(state)
        for transition in machine.transitions:
            for name, span in (
                (transition.source, transition.source_span),
                (transition.target, transition.target_span),
            ):
                if name not in known:
                    known.add(name)
                    states.append(State(name, kind_from_name(name), declared=False, span=span))
        if len(states) == len(machine.states) and all(
            a is b for a, b in zip(states, machine.states, strict=True)
        ):
            return machine
        return replace(machine, states=tuple(states))

    return replace(chart, region=visit(chart.region))


def classify_forkjoins(chart: Chart) -> Chart:
    if not any(s.kind is StateKind.FORKJOIN and not s.kind_explicit for s in _states(chart.region)):
        return chart
    transitions = [t for machine in _machines(chart.region) for t in machine.transitions]
    incoming = Counter(t.target for t in transitions)
    outgoing = Counter(t.source for t in transitions)

    def classify(state: State) -> StateKind:
        ins, outs = incoming[state.name], outgoing[state.name]
        if ins <= 1 and outs > 1:
            return StateKind.FORK
        if ins > 1 and outs <= 1:
            return StateKind.JOIN
        return StateKind.JUNCTION

    def visit(machine: Region) -> Region:
        states = []
        changed = False
        for state in machine.states:
            new = state
            if state.region is not None:
                inner = visit(state.region)
                if inner is not state.region:
                    new = replace(new, region=inner)
            if state.kind is StateKind.FORKJOIN and not state.kind_explicit:
                new = replace(new, kind=classify(state))
            changed = changed or new is not state
            states.append(new)
        return replace(machine, states=tuple(states)) if changed else machine

    return replace(chart, region=visit(chart.region))


def _machines(root: Region) -> Iterator[Region]:
    """Every machine of the chart (the root, then composites), without recursion."""
    stack = [root]
    while stack:
        machine = stack.pop()
        yield machine
        stack.extend(s.region for s in machine.states if s.region is not None)


def _states(root: Region) -> Iterator[State]:
    for machine in _machines(root):
        yield from machine.states
