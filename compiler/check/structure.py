"""Rules on the shape of a chart: initial states and transitions (SC001-SC005), choices and
junctions, finals and dead ends, history, forks and joins, and default entries that never end
(SC031, SC032).
"""

from __future__ import annotations

from collections.abc import Iterator

from ...runtime.compiling import entry_cycles
from ...runtime.lowering import Outline, fork_targets
from ..diagnostics import Diagnostic, Related
from ..ir import Chart, Span, State, StateKind, Transition
from .model import BRANCHING, HISTORY, Model, entered_by_default, finding


def check_initial_states(model: Model) -> Iterator[Diagnostic]:
    entered = entered_by_default(model)
    for region in model.regions:
        owner_name = region.owner.name if region.owner is not None else None
        initials = [s for s in region.region.states if s.kind is StateKind.INITIAL]
        for extra in initials[1:]:
            yield finding(
                "SC003",
                f"{model.where(region.owner)} has more than one initial state: "
                f"`{initials[0].name}` and `{extra.name}`",
                extra.span,
                "keep one initial state per region",
                (Related(initials[0].span, f"`{initials[0].name}` is declared here"),),
            )
        if initials or owner_name not in entered:
            continue
        if region.owner is None and not region.region.states:
            continue
        child = region.region.default_child()
        if child is None:
            yield finding(
                "SC002",
                f"{model.where(region.owner)} is entered by default but has no state to start in",
                model.span_of(region.owner),
                "add child states and an initial state, or only target its children",
            )
        else:
            yield finding(
                "SC001",
                f"{model.where(region.owner)} has no initial state; it starts in `{child.name}`",
                model.span_of(region.owner),
                f"add `initial` and `initial => {child.name};` to say so",
            )


def check_initial_transitions(model: Model) -> Iterator[Diagnostic]:
    for state in model.chart.states():
        if state.kind is not StateKind.INITIAL:
            continue
        outgoing = model.chart.transitions_from(state.name)
        if len(outgoing) != 1:
            count = "no transition" if not outgoing else f"{len(outgoing)} transitions"
            elsewhere = _written_elsewhere(model.chart, state.name, outgoing)
            hint = f"write one `{state.name} => <first state>;`"
            if elsewhere:
                owner = model.chart.parent_of(state.name)
                inside = f"inside `{owner}`" if owner is not None else "at the top level"
                hint = (
                    f"names are global in smcat: `{state.name}` in another level is the one "
                    f"declared {inside}; give the inner one its own name "
                    f"(`{owner or 'chart'}.{state.name}`)"
                )
            yield finding(
                "SC004",
                f"initial state `{state.name}` has {count} out; it needs exactly one",
                state.span,
                hint,
                tuple(Related(t.span, "written in another level") for t in elsewhere),
            )
        for transition in outgoing:
            if transition.event or transition.guard is not None:
                yield finding(
                    "SC005",
                    f"the transition out of initial state `{state.name}` has "
                    + ("an event" if transition.event else "a guard"),
                    transition.span,
                    "an initial transition fires by itself: remove its event and guard",
                )


# -- choices, junctions, finals --------------------------------------------------------------


def check_choices(model: Model) -> Iterator[Diagnostic]:
    for state in model.chart.states():
        if state.kind not in BRANCHING:
            continue
        kind = state.kind.value
        branches = model.chart.transitions_from(state.name)
        for branch in branches:
            if branch.event:
                yield finding(
                    "SC007",
                    f"a branch of {kind} `{state.name}` has the event `{branch.event}`",
                    branch.span,
                    f"a {kind} is passed through at once: put the event on the transition into it",
                )
        if not any(b.guard is None or b.guard == "else" for b in branches):
            yield finding(
                "SC006",
                (
                    f"{kind} `{state.name}` has no else branch"
                    if branches
                    else f"{kind} `{state.name}` has no branches"
                ),
                state.span,
                f"add a transition from `{state.name}` guarded by [else]",
            )
        elif (
            state.kind is StateKind.CHOICE
            and len(branches) == 1
            and branches[0].guard in (None, "else")
        ):
            yield finding(
                "SC008",
                f"choice `{state.name}` has a single unguarded branch, so it chooses nothing",
                state.span,
                f"go to `{branches[0].target}` directly, or add guarded branches",
            )


def check_leaving_finals(model: Model) -> Iterator[Diagnostic]:
    for transition in model.transitions:
        if not model.chart.has_state(transition.source):
            continue
        kind = model.chart.state(transition.source).kind
        if kind in (StateKind.FINAL, StateKind.TERMINATE):
            yield finding(
                "SC010",
                f"{kind.value} state `{transition.source}` has a transition out",
                transition.span,
                "nothing leaves a final state: start the transition from its parent instead",
            )


def check_dead_ends(model: Model) -> Iterator[Diagnostic]:
    chart = model.chart
    has_exit: dict[str | None, bool] = {None: False}
    for state, parent in chart.walk():
        own = bool(chart.transitions_from(state.name))
        has_exit[state.name] = own or has_exit.get(parent, False)
        if (
            state.kind is StateKind.REGULAR
            and state.region is None
            and not has_exit[state.name]
            and chart.state(state.name) is state
        ):
            yield finding(
                "SC011",
                f"state `{state.name}` has no way out and is not final",
                state.span,
                f"add a transition out of `{state.name}`, or declare it `[type=final]`",
            )


# -- history, fork and join --------------------------------------------------------------------


def check_history(model: Model) -> Iterator[Diagnostic]:
    chart = model.chart
    for region in model.regions:
        first_of_kind: dict[StateKind, State] = {}
        for state in region.region.states:
            if state.kind not in HISTORY:
                continue
            if region.owner is None:
                yield finding(
                    "SC014",
                    f"history state `{state.name}` is not inside a composite state",
                    state.span,
                    "move it into the composite state whose history it records",
                )
            first = first_of_kind.setdefault(state.kind, state)
            if first is not state:
                yield finding(
                    "SC015",
                    f"{model.where(region.owner)} has two {state.kind.value} states: "
                    f"`{first.name}` and `{state.name}`",
                    state.span,
                    "keep one history state of each kind per composite state",
                    (Related(first.span, f"`{first.name}` is declared here"),),
                )
            if region.owner is None:
                continue
            for transition in chart.transitions_from(state.name):
                if not chart.has_state(transition.target):
                    continue
                inside = region.owner.name in chart.ancestors_of(transition.target)
                if not inside:
                    yield finding(
                        "SC016",
                        f"the default transition of history state `{state.name}` leaves "
                        f"`{region.owner.name}`",
                        transition.span,
                        f"target a state inside `{region.owner.name}`",
                    )


def check_fork_join(model: Model) -> Iterator[Diagnostic]:
    chart = model.chart
    for state in chart.states():
        if state.kind is StateKind.FORK:
            ends = [t.target for t in chart.transitions_from(state.name)]
            what = "targets"
        elif state.kind is StateKind.JOIN:
            ends = [t.source for t in chart.transitions_to(state.name)]
            what = "sources"
        else:
            continue
        ends = [e for e in ends if chart.has_state(e)]
        if len(ends) < 2:
            continue
        if not _in_distinct_regions(chart, ends):
            listed = ", ".join(f"`{e}`" for e in ends)
            yield finding(
                "SC017",
                f"{state.kind.value} `{state.name}` has {what} {listed}, which are not in "
                "distinct regions of one parallel state",
                state.span,
                f"a {state.kind.value} connects one state in each region of a parallel state",
            )
        elif state.kind is StateKind.JOIN:
            yield from _join_legs_with_triggers(chart, state)


def _join_legs_with_triggers(chart: Chart, join: State) -> Iterator[Diagnostic]:
    """SC033: UML gives a join's legs neither event nor guard (the join fires once every
    source is active); statewright runs such a leg as an arrival that waits for its event."""
    for leg in chart.transitions_to(join.name):
        guard = (leg.guard or "").strip()
        if not leg.event and not guard:
            continue
        trigger = f"the event `{leg.event}`" if leg.event else f"the guard [{guard}]"
        yield finding(
            "SC033",
            f"the leg `{leg.source} => {join.name}` has {trigger}: it arrives when taken, and "
            f"`{leg.source}` stays active until the join fires (UML join legs have neither "
            "event nor guard)",
            leg.span,
            f"to wait in a state of its own, name it: `{leg.source} => waiting: "
            f"{leg.event or '[' + guard + ']'}; waiting => {join.name};`",
        )


def _in_distinct_regions(chart: Chart, names: list[str]) -> bool:
    common = chart.lca(names[0], names[1])
    for name in names[2:]:
        while common is not None and common not in chart.ancestors_of(name):
            common = chart.parent_of(common)
    if common is None or chart.state(common).kind is not StateKind.PARALLEL:
        return False
    regions = []
    for name in names:
        path = (name, *chart.ancestors_of(name))
        regions.append(path[path.index(common) - 1])
    return len(set(regions)) == len(regions)


def check_entry(model: Model) -> Iterator[Diagnostic]:
    """Default entries that never end (SC031: a cycle through initial and history defaults,
    such as `p.initial => p;`) and initial transitions that leave their composite (SC032).
    The runtime refuses the same cycles when it loads a chart (`runtime.model`)."""
    chart = model.chart
    outline: list[Outline] = []  # built on the first fork met: most charts have none

    def entered(target: str) -> list[str]:
        if not chart.has_state(target):
            return []
        if chart.state(target).kind is not StateKind.FORK:
            return [target]
        if not outline:
            outline.append(chart.outline())
        return fork_targets(outline[0], target)

    successors: dict[str, list[str]] = {}
    origin: dict[str, Span] = {}
    for state in chart.states():
        name = state.name
        if chart.state(name) is not state:
            continue
        if state.region is not None and state.kind is StateKind.PARALLEL:
            successors[name] = [c.name for c in state.region.states if c.kind not in _NOT_REGIONS]
        elif state.region is not None:
            initial = next((c for c in state.region.states if c.kind is StateKind.INITIAL), None)
            default = chart.transitions_from(initial.name)[:1] if initial is not None else ()
            targets = [t for d in default for t in entered(d.target)]
            for transition in default:
                origin[name] = transition.span
                yield from _leaving(chart, state, transition, targets)
            if not default and (child := state.region.default_child()) is not None:
                targets = [child.name]
            successors[name] = _entered_with(chart, name, targets)
        elif state.kind in HISTORY and (parent := chart.parent_of(name)) is not None:
            default = chart.transitions_from(name)[:1]
            targets = [t for d in default for t in entered(d.target)]
            origin.update((name, d.span) for d in default)
            successors[name] = _entered_with(chart, parent, targets)
    for cycle in entry_cycles(successors):
        path = " -> ".join(f"`{name}`" for name in cycle)
        first = cycle[0]
        yield finding(
            "SC031",
            f"entering `{first}` by default enters `{first}` again: {path}",
            origin.get(first, chart.state(first).span),
            (
                "a history's default must target a state inside its composite, not the history"
                if chart.state(first).kind in HISTORY
                else "an initial transition must lead into its composite, not back to it (all "
                "states share one namespace: is the `initial` of another composite meant?)"
            ),
        )


_NOT_REGIONS = (StateKind.INITIAL, StateKind.FORK, StateKind.TERMINATE, *HISTORY)


def _leaving(
    chart: Chart, owner: State, transition: Transition, targets: list[str]
) -> Iterator[Diagnostic]:
    for target in targets:
        if target != owner.name and owner.name not in chart.ancestors_of(target):
            yield finding(
                "SC032",
                f"the initial transition of `{owner.name}` goes to `{target}`, which is not "
                f"inside `{owner.name}`",
                transition.span,
                f"target a state inside `{owner.name}`; to go elsewhere, start a transition "
                f"from `{owner.name}` itself",
            )


def _entered_with(chart: Chart, owner: str, targets: list[str]) -> list[str]:
    """What entering `targets` from `owner` by default enters next: the targets, and the
    other regions of the parallel states between them and `owner` (as the runtime does)."""
    entered = list(targets)
    for target in targets:
        if not chart.has_state(target):
            continue
        path = (target, *chart.ancestors_of(target))
        for below, ancestor in zip(path, path[1:], strict=False):
            if ancestor == owner:
                break
            state = chart.state(ancestor)
            if state.kind is StateKind.PARALLEL and state.region is not None:
                entered += [
                    r.name
                    for r in state.region.states
                    if r.name != below and r.kind not in _NOT_REGIONS
                ]
    return entered


def _written_elsewhere(
    chart: Chart, name: str, outgoing: tuple[Transition, ...]
) -> list[Transition]:
    """The transitions out of `name` written in another level than the one declaring it (the
    trap of smcat's global names: a top-level `initial => door;` reuses `door`'s `initial`)."""
    owner = chart.parent_of(name)
    region = chart.region if owner is None else chart.state(owner).region
    here = {t.id for t in region.transitions} if region is not None else set()
    return [t for t in outgoing if t.id not in here]
