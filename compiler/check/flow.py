"""Rules on how a chart runs: states no path reaches (SC013), and transitions that compete for
one event with nothing to choose between them (nondeterminism).
"""

from __future__ import annotations

from collections.abc import Iterator

from ..diagnostics import Diagnostic, Related
from ..ir import State, StateKind, Transition
from .model import HISTORY, Model, defaults, finding

# -- reachability -----------------------------------------------------------------------------


def check_unreachable(model: Model) -> Iterator[Diagnostic]:
    chart = model.chart
    reached: set[str] = set()
    pending: list[str] = []

    def enter(name: str) -> None:
        if name in reached or not chart.has_state(name):
            return
        reached.add(name)
        pending.append(name)
        for ancestor in chart.ancestors_of(name):
            if ancestor not in reached:
                reached.add(ancestor)
                pending.append(ancestor)

    def enter_region(owner: State | None) -> None:
        machine = chart.region if owner is None else owner.region
        assert machine is not None
        for state in machine.states:
            if state.kind is StateKind.INITIAL:
                enter(state.name)
        for state in defaults(model, owner):
            enter(state.name)

    enter_region(None)
    entered_regions: set[str] = set()
    while pending:
        name = pending.pop()
        state = chart.state(name)
        if state.region is not None and name not in entered_regions:
            entered_regions.add(name)
            if state.kind is StateKind.PARALLEL:
                for region in state.region.states:
                    enter(region.name)
            else:
                enter_region(state)
        for transition in chart.transitions_from(name):
            enter(transition.target)
    for state, parent in chart.walk():
        if state.name not in reached and (parent is None or parent in reached):
            if state.kind is StateKind.INITIAL:
                continue  # reported with its region's other states, or harmless
            yield finding(
                "SC009",
                f"state `{state.name}` cannot be reached from the start",
                state.span,
                f"add a transition into `{state.name}`, or remove it",
            )


# -- nondeterminism ---------------------------------------------------------------------------


def check_nondeterminism(model: Model) -> Iterator[Diagnostic]:
    chart = model.chart
    seen: dict[tuple[str, str, str | None], Transition] = {}
    by_event: dict[tuple[str, str], Transition] = {}
    skip = (StateKind.INITIAL, StateKind.FORK, StateKind.FORKJOIN, *HISTORY)
    for transition in model.transitions:
        source = transition.source
        if chart.has_state(source) and chart.state(source).kind in skip:
            continue
        guard = transition.guard.strip() if transition.guard is not None else None
        key = (source, transition.event or "", guard)
        first = seen.setdefault(key, transition)
        if first is not transition:
            trigger = f"`{transition.event}`" if transition.event else "no event"
            guarded = f"the guard [{guard}]" if guard is not None else "no guard"
            yield finding(
                "SC012",
                f"two transitions leave `{source}` on {trigger} with {guarded}",
                transition.span,
                "give them different guards, or remove one",
                (Related(first.span, "the other transition"),),
            )
        if transition.event:
            by_event.setdefault((source, transition.event), transition)
    for transition in model.transitions:
        if not transition.event or not chart.has_state(transition.source):
            continue
        for ancestor in chart.ancestors_of(transition.source):
            outer = by_event.get((ancestor, transition.event))
            if outer is not None:
                yield finding(
                    "SC013",
                    f"`{transition.source}` and its ancestor `{ancestor}` both handle "
                    f"`{transition.event}`; the inner transition wins",
                    transition.span,
                    None,
                    (Related(outer.span, f"`{ancestor}` handles it here"),),
                )
                break
