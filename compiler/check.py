"""Check: Chart -> [Diagnostic], every ill-formed construct, located and explained.

Stage 2 of the pipeline. One `_check_<rule>` per rule, each collecting every finding (never
stopping at the first); `check` runs them all and sorts the findings by position. The codes,
their severities and summaries are the table in `codes.py`. Every rule runs in time linear in
the size of the chart (SC013 in size times depth). It imports nothing from lark or the emitters.
"""

from __future__ import annotations

import bisect
import difflib
import re
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

from ..runtime.expr import GuardSyntaxError, guard_names, parse_guard
from ..runtime.lowering import fork_targets
from ..runtime.model import activity_role, entry_cycles
from .codes import CODES
from .delays import delay_ms
from .diagnostics import Diagnostic, Related
from .emit.lowering import outline
from .guards import ecmascript
from .ir import ActionKind, Chart, Machine, Span, State, StateKind, Transition
from .names import (
    RESERVED_METHODS,
    enum_member,
    event_method,
    hook_name,
    is_keyword,
    python_identifier,
    scxml_event,
)

_HISTORY = (StateKind.HISTORY, StateKind.DEEP_HISTORY)
_BRANCHING = (StateKind.CHOICE, StateKind.JUNCTION)
_ARROW = re.compile(r"=>>|=>|->|>>|:>|--|==|<<=|<=|<-|<<|<:")


def check(chart: Chart, *, target: str | None = None) -> list[Diagnostic]:
    """Every finding about `chart`, ordered by position.

    Args:
        chart: the chart to check.
        target: the output being produced; rules tied to a target (the Python-name rules for
            `python`) run only for it.
    """
    model = _Model(chart)
    findings: list[Diagnostic] = []
    for rule in _RULES:
        findings.extend(rule(model))
    if target == "python":
        findings.extend(_check_python_names(model))
    if target == "scxml":
        findings.extend(_check_portable_guards(model))
        findings.extend(_check_scxml_events(model))
    return sorted(findings, key=lambda d: (d.span.line, d.span.column, d.code))


def _finding(
    code: str,
    message: str,
    span: Span,
    hint: str | None = None,
    related: tuple[Related, ...] = (),
) -> Diagnostic:
    return Diagnostic(code, CODES[code].severity, message, span, hint, related)


@dataclass(frozen=True)
class _Region:
    """A machine whose states are entered one at a time: the chart, or a non-parallel composite."""

    owner: State | None
    machine: Machine


class _Model:
    """What the rules share, computed once."""

    def __init__(self, chart: Chart) -> None:
        self.chart = chart
        self.transitions = chart.transitions()
        self.regions: list[_Region] = [_Region(None, chart.machine)]
        self.regions += [
            _Region(s, s.machine)
            for s in chart.states()
            if s.machine is not None and s.kind is not StateKind.PARALLEL
        ]
        self.targeted = {t.target for t in self.transitions}
        self.defaults: dict[str | None, tuple[State, ...]] = {}

    def span_of(self, owner: State | None) -> Span:
        if owner is not None:
            return owner.span
        first = self.chart.machine.states
        return first[0].span if first else Span(self.chart.file, 1, 1, 1, 1)

    def where(self, owner: State | None) -> str:
        return "the chart" if owner is None else f"`{owner.name}`"


# -- entering regions -----------------------------------------------------------------------


def _entered_by_default(model: _Model) -> set[str | None]:
    """Owners (None: the chart) of regions entered without naming a state inside them."""
    chart = model.chart
    entered: set[str | None] = {None}
    for state, parent in chart.walk():
        if state.machine is None:
            continue
        parent_state = chart.state(parent) if parent is not None else None
        if (
            state.name in model.targeted
            or (
                parent in entered
                and parent_state is not None
                and parent_state.kind is StateKind.PARALLEL
            )
            or (parent in entered and any(state is s for s in _defaults(model, parent_state)))
        ):
            entered.add(state.name)
    return entered


def _defaults(model: _Model, owner: State | None) -> tuple[State, ...]:
    """The states a region starts in: its initial state's targets, else its default child.
    Memoised per region: every child of a region asks."""
    key = owner.name if owner is not None else None
    cached = model.defaults.get(key)
    if cached is None:
        cached = model.defaults[key] = _compute_defaults(model, owner)
    return cached


def _compute_defaults(model: _Model, owner: State | None) -> tuple[State, ...]:
    machine = model.chart.machine if owner is None else owner.machine
    assert machine is not None
    initials = [s for s in machine.states if s.kind is StateKind.INITIAL]
    if initials:
        names = {t.target for t in model.chart.transitions_from(initials[0].name)}
        return tuple(s for s in machine.states if s.name in names)
    child = machine.default_child()
    return (child,) if child is not None else ()


def _check_initial_states(model: _Model) -> Iterator[Diagnostic]:
    entered = _entered_by_default(model)
    for region in model.regions:
        owner_name = region.owner.name if region.owner is not None else None
        initials = [s for s in region.machine.states if s.kind is StateKind.INITIAL]
        for extra in initials[1:]:
            yield _finding(
                "SC003",
                f"{model.where(region.owner)} has more than one initial state: "
                f"`{initials[0].name}` and `{extra.name}`",
                extra.span,
                "keep one initial state per region",
                (Related(initials[0].span, f"`{initials[0].name}` is declared here"),),
            )
        if initials or owner_name not in entered:
            continue
        if region.owner is None and not region.machine.states:
            continue
        child = region.machine.default_child()
        if child is None:
            yield _finding(
                "SC002",
                f"{model.where(region.owner)} is entered by default but has no state to start in",
                model.span_of(region.owner),
                "add child states and an initial state, or only target its children",
            )
        else:
            yield _finding(
                "SC001",
                f"{model.where(region.owner)} has no initial state; it starts in `{child.name}`",
                model.span_of(region.owner),
                f"add `initial` and `initial => {child.name};` to say so",
            )


def _check_initial_transitions(model: _Model) -> Iterator[Diagnostic]:
    for state in model.chart.states():
        if state.kind is not StateKind.INITIAL:
            continue
        outgoing = model.chart.transitions_from(state.name)
        if len(outgoing) != 1:
            count = "no transition" if not outgoing else f"{len(outgoing)} transitions"
            yield _finding(
                "SC004",
                f"initial state `{state.name}` has {count} out; it needs exactly one",
                state.span,
                f"write one `{state.name} => <first state>;`",
            )
        for transition in outgoing:
            if transition.event or transition.guard is not None:
                yield _finding(
                    "SC005",
                    f"the transition out of initial state `{state.name}` has "
                    + ("an event" if transition.event else "a guard"),
                    transition.span,
                    "an initial transition fires by itself: remove its event and guard",
                )


# -- choices, junctions, finals --------------------------------------------------------------


def _check_choices(model: _Model) -> Iterator[Diagnostic]:
    for state in model.chart.states():
        if state.kind not in _BRANCHING:
            continue
        kind = state.kind.value
        branches = model.chart.transitions_from(state.name)
        for branch in branches:
            if branch.event:
                yield _finding(
                    "SC007",
                    f"a branch of {kind} `{state.name}` has the event `{branch.event}`",
                    branch.span,
                    f"a {kind} is passed through at once: put the event on the transition into it",
                )
        if not any(b.guard is None or b.guard == "else" for b in branches):
            yield _finding(
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
            yield _finding(
                "SC008",
                f"choice `{state.name}` has a single unguarded branch, so it chooses nothing",
                state.span,
                f"go to `{branches[0].target}` directly, or add guarded branches",
            )


def _check_leaving_finals(model: _Model) -> Iterator[Diagnostic]:
    for transition in model.transitions:
        if not model.chart.has_state(transition.source):
            continue
        kind = model.chart.state(transition.source).kind
        if kind in (StateKind.FINAL, StateKind.TERMINATE):
            yield _finding(
                "SC010",
                f"{kind.value} state `{transition.source}` has a transition out",
                transition.span,
                "nothing leaves a final state: start the transition from its parent instead",
            )


def _check_dead_ends(model: _Model) -> Iterator[Diagnostic]:
    chart = model.chart
    has_exit: dict[str | None, bool] = {None: False}
    for state, parent in chart.walk():
        own = bool(chart.transitions_from(state.name))
        has_exit[state.name] = own or has_exit.get(parent, False)
        if (
            state.kind is StateKind.REGULAR
            and state.machine is None
            and not has_exit[state.name]
            and chart.state(state.name) is state
        ):
            yield _finding(
                "SC011",
                f"state `{state.name}` has no way out and is not final",
                state.span,
                f"add a transition out of `{state.name}`, or declare it `[type=final]`",
            )


# -- reachability -----------------------------------------------------------------------------


def _check_unreachable(model: _Model) -> Iterator[Diagnostic]:
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
        machine = chart.machine if owner is None else owner.machine
        assert machine is not None
        for state in machine.states:
            if state.kind is StateKind.INITIAL:
                enter(state.name)
        for state in _defaults(model, owner):
            enter(state.name)

    enter_region(None)
    entered_regions: set[str] = set()
    while pending:
        name = pending.pop()
        state = chart.state(name)
        if state.machine is not None and name not in entered_regions:
            entered_regions.add(name)
            if state.kind is StateKind.PARALLEL:
                for region in state.machine.states:
                    enter(region.name)
            else:
                enter_region(state)
        for transition in chart.transitions_from(name):
            enter(transition.target)
    for state, parent in chart.walk():
        if state.name not in reached and (parent is None or parent in reached):
            if state.kind is StateKind.INITIAL:
                continue  # reported with its region's other states, or harmless
            yield _finding(
                "SC009",
                f"state `{state.name}` cannot be reached from the start",
                state.span,
                f"add a transition into `{state.name}`, or remove it",
            )


# -- nondeterminism ---------------------------------------------------------------------------


def _check_nondeterminism(model: _Model) -> Iterator[Diagnostic]:
    chart = model.chart
    seen: dict[tuple[str, str, str | None], Transition] = {}
    by_event: dict[tuple[str, str], Transition] = {}
    skip = (StateKind.INITIAL, StateKind.FORK, StateKind.FORKJOIN, *_HISTORY)
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
            yield _finding(
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
                yield _finding(
                    "SC013",
                    f"`{transition.source}` and its ancestor `{ancestor}` both handle "
                    f"`{transition.event}`; the inner transition wins",
                    transition.span,
                    None,
                    (Related(outer.span, f"`{ancestor}` handles it here"),),
                )
                break


# -- history, fork and join --------------------------------------------------------------------


def _check_history(model: _Model) -> Iterator[Diagnostic]:
    chart = model.chart
    for region in model.regions:
        first_of_kind: dict[StateKind, State] = {}
        for state in region.machine.states:
            if state.kind not in _HISTORY:
                continue
            if region.owner is None:
                yield _finding(
                    "SC014",
                    f"history state `{state.name}` is not inside a composite state",
                    state.span,
                    "move it into the composite state whose history it records",
                )
            first = first_of_kind.setdefault(state.kind, state)
            if first is not state:
                yield _finding(
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
                    yield _finding(
                        "SC016",
                        f"the default transition of history state `{state.name}` leaves "
                        f"`{region.owner.name}`",
                        transition.span,
                        f"target a state inside `{region.owner.name}`",
                    )


def _check_fork_join(model: _Model) -> Iterator[Diagnostic]:
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
            yield _finding(
                "SC017",
                f"{state.kind.value} `{state.name}` has {what} {listed}, which are not in "
                "distinct regions of one parallel state",
                state.span,
                f"a {state.kind.value} connects one state in each region of a parallel state",
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


def _check_entry(model: _Model) -> Iterator[Diagnostic]:
    """Default entries that never end (SC031: a cycle through initial and history defaults,
    such as `p.initial => p;`) and initial transitions that leave their composite (SC032).
    The runtime refuses the same cycles when it loads a chart (`runtime.model`)."""
    chart = model.chart
    lowered = outline(chart)
    successors: dict[str, list[str]] = {}
    origin: dict[str, Span] = {}
    for state in chart.states():
        name = state.name
        if chart.state(name) is not state:
            continue
        if state.machine is not None and state.kind is StateKind.PARALLEL:
            successors[name] = [c.name for c in state.machine.states if c.kind not in _NOT_REGIONS]
        elif state.machine is not None:
            initial = next((c for c in state.machine.states if c.kind is StateKind.INITIAL), None)
            default = chart.transitions_from(initial.name)[:1] if initial is not None else ()
            targets = [t for d in default for t in fork_targets(lowered, d.target)]
            for transition in default:
                origin[name] = transition.span
                yield from _leaving(chart, state, transition, targets)
            if not default and (child := state.machine.default_child()) is not None:
                targets = [child.name]
            successors[name] = _entered_with(chart, name, targets)
        elif state.kind in _HISTORY and (parent := chart.parent_of(name)) is not None:
            default = chart.transitions_from(name)[:1]
            targets = [t for d in default for t in fork_targets(lowered, d.target)]
            origin.update((name, d.span) for d in default)
            successors[name] = _entered_with(chart, parent, targets)
    for cycle in entry_cycles(successors):
        path = " -> ".join(f"`{name}`" for name in cycle)
        first = cycle[0]
        yield _finding(
            "SC031",
            f"entering `{first}` by default enters `{first}` again: {path}",
            origin.get(first, chart.state(first).span),
            (
                "a history's default must target a state inside its composite, not the history"
                if chart.state(first).kind in _HISTORY
                else "an initial transition must lead into its composite, not back to it (all "
                "states share one namespace: is the `initial` of another composite meant?)"
            ),
        )


_NOT_REGIONS = (StateKind.INITIAL, StateKind.FORK, StateKind.TERMINATE, *_HISTORY)


def _leaving(
    chart: Chart, owner: State, transition: Transition, targets: list[str]
) -> Iterator[Diagnostic]:
    for target in targets:
        if target != owner.name and owner.name not in chart.ancestors_of(target):
            yield _finding(
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
            if state.kind is StateKind.PARALLEL and state.machine is not None:
                entered += [
                    r.name
                    for r in state.machine.states
                    if r.name != below and r.kind not in _NOT_REGIONS
                ]
    return entered


# -- declarations -----------------------------------------------------------------------------


def _check_declarations(model: _Model) -> Iterator[Diagnostic]:
    chart = model.chart
    first: dict[str, State] = {}
    for state in chart.states():
        earlier = first.setdefault(state.name, state)
        if earlier is not state:
            yield _finding(
                "SC018",
                f"state `{state.name}` is declared twice; all states share one namespace",
                state.span,
                "rename one of them",
                (Related(earlier.span, "the first declaration"),),
            )
            yield from _conflict(state, earlier)
    for replaced in chart.shadowed:
        winner = next(
            (
                s
                for s in chart.states()
                if s.name == replaced.name
                and (s.span.line, s.span.column) > (replaced.span.line, replaced.span.column)
            ),
            None,
        )
        yield _finding(
            "SC018",
            f"state `{replaced.name}` is declared again later in this list, which replaces "
            "this declaration",
            replaced.span,
            "declare each state once",
            (Related(winner.span, "the declaration that wins"),) if winner else (),
        )
        if winner is not None:
            yield from _conflict(replaced, winner)


def _conflict(one: State, other: State) -> Iterator[Diagnostic]:
    if one.kind is not other.kind:
        yield _finding(
            "SC019",
            f"state `{one.name}` is declared as {one.kind.value} here and as "
            f"{other.kind.value} elsewhere",
            one.span,
            "give the declarations the same type",
            (Related(other.span, f"declared as {other.kind.value} here"),),
        )


def _check_undeclared(model: _Model) -> Iterator[Diagnostic]:
    chart = model.chart
    machines = [chart.machine] + [s.machine for s in chart.states() if s.machine is not None]
    names = _Names(s.name for s in chart.states() if s.declared)
    for machine in machines:
        # Only where this level declares its states: a level that declares none declares its
        # states by using them, which is smcat's normal style.
        if not any(s.declared for s in machine.states):
            continue
        for state in machine.states:
            if state.declared:
                continue
            close = names.closest(state.name)
            hint = (
                f"did you mean `{close}`?"
                if close is not None
                else f"declare `{state.name}` with the other states of its level"
            )
            yield _finding(
                "SC020",
                f"state `{state.name}` is only named in transitions, while the states beside it "
                "are declared",
                state.span,
                hint,
            )


class _Names:
    """Declared names, for "did you mean": the closest name by difflib's ratio (at least 0.6)
    among those of about the same length (±2). Where that pool is larger than `POOL`, it is
    narrowed to the names next to the query in sorted order and in sorted reversed order (a
    typo seldom touches both ends of a name), so a chart with thousands of misspelt names is
    checked in near-linear time; smaller pools, every chart people write, give exactly
    difflib's answer over the whole pool."""

    POOL = 64

    def __init__(self, names: Iterable[str]) -> None:
        unique = sorted(set(names))
        self.by_length: dict[int, list[str]] = defaultdict(list)
        for name in unique:
            self.by_length[len(name)].append(name)
        self.forward = unique
        self.backward = sorted(name[::-1] for name in unique)

    def closest(self, name: str) -> str | None:
        lengths = range(len(name) - 2, len(name) + 3)
        pool = [n for length in lengths for n in self.by_length.get(length, ())]
        if len(pool) > self.POOL:
            side = self.POOL // 4
            near = set(_neighbours(self.forward, name, side))
            near.update(n[::-1] for n in _neighbours(self.backward, name[::-1], side))
            pool = sorted(n for n in near if len(n) in lengths)
        close = difflib.get_close_matches(name, pool, n=1, cutoff=0.6)
        return close[0] if close else None


def _neighbours(ordered: list[str], name: str, count: int) -> list[str]:
    """Up to `count` entries of the sorted list on each side of where `name` would go."""
    position = bisect.bisect_left(ordered, name)
    return ordered[max(0, position - count) : position + count]


# -- text that smcat reads surprisingly --------------------------------------------------------

_NAME_KEYWORDS = {
    StateKind.INITIAL: ("initial",),
    StateKind.FINAL: ("final",),
    StateKind.PARALLEL: ("parallel",),
    StateKind.HISTORY: ("history",),
    StateKind.DEEP_HISTORY: ("deep", "history"),
}


def _check_text(model: _Model) -> Iterator[Diagnostic]:
    for transition in model.transitions:
        label = transition.label or ""
        if "\n" in label and _ARROW.search(label):
            yield _finding(
                "SC021",
                "this label spans lines and contains an arrow: a `;` may be missing",
                transition.span,
                "end the transition before the next one with `;`",
            )
        if transition.event and transition.event.count('"') % 2:
            yield _finding(
                "SC022",
                f"the event `{transition.event}` has an unbalanced quote",
                transition.span,
                'close the quote, or quote the whole label: `a => b: "event";`',
            )
    for state in model.chart.states():
        if len(state.actions) > 1 and any(_ARROW.search(a.body) for a in state.actions):
            yield _finding(
                "SC021",
                f"the activities of `{state.name}` span lines and contain an arrow: a `;` may "
                "be missing",
                state.span,
                "end the declarations with `;` before the transitions",
            )
        words = _NAME_KEYWORDS.get(state.kind)
        if state.kind_explicit or words is None:
            continue
        if not all(re.search(rf"(?<![A-Za-z0-9]){w}(?![A-Za-z0-9])", state.name) for w in words):
            yield _finding(
                "SC023",
                f"state `{state.name}` is {_article(state.kind.value)} {state.kind.value} state "
                "because its name contains "
                f"`{words[-1]}`",
                state.span,
                f"write `{state.name} [type=regular]` if it is a regular state",
            )


# C0 and C1 controls but tab and newline, line and paragraph separators, bidirectional
# controls ("Trojan Source"), lone surrogates
_INVISIBLE = re.compile(
    "[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069" "\ud800-\udfff]"
)


def _check_invisible(model: _Model) -> Iterator[Diagnostic]:
    """Chart text holding a control character (SC030): every output shows it as an escape
    (SCXML cannot hold it at all), and on a terminal or in a review it hides what it says."""

    def found(what: str, text: str | None, span: Span) -> Iterator[Diagnostic]:
        match = _INVISIBLE.search(text or "")
        if match is not None:
            yield _finding(
                "SC030",
                f"{what} holds the invisible character U+{ord(match.group()):04X}",
                span,
                "remove it: outputs show it as an escape such as `\\x00`, and SCXML cannot "
                "hold it",
            )

    for state in model.chart.states():
        yield from found(f"the name of state `{state.name}`", state.name, state.span)
        yield from found(f"the label of state `{state.name}`", state.label, state.span)
        for action in state.actions:
            yield from found(f"an activity of state `{state.name}`", action.body, state.span)
        for note in state.notes:
            yield from found(f"a note of state `{state.name}`", note, state.span)
    for transition in model.transitions:
        where = f"the transition `{transition.source}` -> `{transition.target}`"
        for part in (transition.event, transition.guard, transition.action):
            yield from found(where, part, transition.span)
        for note in transition.notes:
            yield from found(f"a note of {where}", note, transition.span)


def _article(word: str) -> str:
    return "an" if word[0] in "aeiou" else "a"


# -- generated Python ---------------------------------------------------------------------------


def _check_python_names(model: _Model) -> Iterator[Diagnostic]:
    states = [s for s in model.chart.states() if model.chart.state(s.name) is s]
    yield from _clashes("state", [(s.name, s.span) for s in states], enum_member)
    events: dict[str, Span] = {}
    for transition in model.transitions:
        if transition.event and "*" not in transition.event and delay_ms(transition.event) is None:
            events.setdefault(transition.event, transition.span)
    yield from _clashes("event", list(events.items()), event_method)
    yield from _check_hooks(model, {event_method(e): e for e in events})
    yield from _check_guard_language(model)


def _check_hooks(model: _Model, event_methods: dict[str, str]) -> Iterator[Diagnostic]:
    """Action texts become hook methods (SC028): two texts may not become one method, nor a
    hook take the name of an event method or of a method every machine has."""
    hooks: dict[str, Span] = {}
    for state in model.chart.states():
        for action in state.actions:
            role = activity_role(action.body) if action.kind is ActionKind.ACTIVITY else None
            if role is not None and role[0] == "invoke":
                method = "invoke_" + python_identifier(role[1])
                event_methods.setdefault(method, f"invoke/ {role[1]}")
            elif role is not None and role[0] == "compensate" and role[1]:
                hooks.setdefault(role[1], state.span)
            elif role is None and action.body.strip():
                hooks.setdefault(action.body, state.span)
    for transition in model.transitions:
        if transition.action:
            hooks.setdefault(transition.action, transition.span)
    owner: dict[str, str] = {}
    for text, span in hooks.items():
        method = hook_name(text)
        if is_keyword(method):
            yield _finding(
                "SC025",
                f"action `{text}` would be the Python keyword `{method}`",
                span,
                "reword the action",
            )
        clash = None
        if method in event_methods:
            clash = f"the method for `{event_methods[method]}`"
        elif method in RESERVED_METHODS:
            clash = f"`{method}`, which every machine has"
        elif owner.setdefault(method, text) != text:
            clash = f"the hook of action `{owner[method]}`"
        if clash is not None:
            yield _finding(
                "SC028",
                f"action `{text}` would be the hook method `{method}`, the name of {clash}",
                span,
                "reword one of them (docs/python.md has the naming rule)",
            )
    guards: dict[str, str] = {}
    for transition in model.transitions:
        for name in _guard_names(transition.guard):
            method = "guard_" + python_identifier(name)
            if guards.setdefault(method, name) != name:
                yield _finding(
                    "SC028",
                    f"guard names `{guards[method]}` and `{name}` both become `{method}`",
                    transition.span,
                    "rename one of them",
                )


def _guard_names(guard: str | None) -> list[str]:
    text = (guard or "").strip()
    if not text or text == "else":
        return []
    try:
        return guard_names(text)
    except GuardSyntaxError:
        return []


def _check_guard_language(model: _Model) -> Iterator[Diagnostic]:
    """A guard the runtime cannot read (SC029): generated code compiles every guard."""
    for transition in model.transitions:
        text = (transition.guard or "").strip()
        if not text or text == "else":
            continue
        try:
            parse_guard(text)
        except GuardSyntaxError as error:
            yield _finding(
                "SC029",
                f"the guard [{text}] is not in the guard language: {error}",
                transition.span,
                "use names, numbers, quoted strings, comparisons, arithmetic, and/or/not, `in` "
                "and In('state') (docs/semantics.md)",
            )


def _clashes(
    what: str, names: list[tuple[str, Span]], naming: Callable[[str], str]
) -> Iterator[Diagnostic]:
    owner: dict[str, str] = {}
    for name, span in names:
        identifier = naming(name)
        if is_keyword(identifier):
            yield _finding(
                "SC025",
                f"{what} `{name}` would be the Python keyword `{identifier}`",
                span,
                f"rename the {what}",
            )
        other = owner.setdefault(identifier, name)
        if other != name:
            yield _finding(
                "SC024",
                f"{what}s `{other}` and `{name}` both become `{identifier}` in Python",
                span,
                f"rename one of the {what}s",
            )


def _check_scxml_events(model: _Model) -> Iterator[Diagnostic]:
    """Event names SCXML would split or reject are exported under another name (SC027)."""
    first: dict[str, str] = {}
    seen: set[str] = set()
    for transition in model.transitions:
        event = transition.event
        if not event or event in seen or delay_ms(event) is not None:
            continue
        seen.add(event)
        exported = scxml_event(event)
        other = first.setdefault(exported, event)
        if exported == event and other == event:
            continue
        message = f"the event `{event}` is exported to SCXML as `{exported}`"
        if other != event:
            message = f"the events `{other}` and `{event}` are both `{exported}` in SCXML"
        yield _finding(
            "SC027",
            message,
            transition.span,
            "use letters, digits, `_`, `-` and `.` in event names (what SCXML reads as one "
            "name)",
        )


def _check_portable_guards(model: _Model) -> Iterator[Diagnostic]:
    for transition in model.transitions:
        guard = (transition.guard or "").strip()
        if guard and guard != "else" and ecmascript(guard) is None:
            yield _finding(
                "SC026",
                f"the guard [{guard}] is not in the portable subset; it is exported as written",
                transition.span,
                "use variables, numbers, 'strings', == != < <= > >=, && and ||, In('state'), "
                "or a single named guard",
            )


_RULES: tuple[Callable[[_Model], Iterator[Diagnostic]], ...] = (
    _check_initial_states,
    _check_initial_transitions,
    _check_choices,
    _check_leaving_finals,
    _check_dead_ends,
    _check_unreachable,
    _check_nondeterminism,
    _check_history,
    _check_fork_join,
    _check_declarations,
    _check_undeclared,
    _check_text,
    _check_entry,
    _check_invisible,
)
