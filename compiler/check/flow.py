"""Rules on how a chart runs: states no path reaches (SC009), transitions that compete for one
event with nothing to choose between them (nondeterminism), and eventless transitions that
repeat forever (SC037).
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


# -- eventless cycles ----------------------------------------------------------------------------


def check_eventless_cycles(model: Model) -> Iterator[Diagnostic]:
    """Eventless transitions without guards that lead back to themselves: once the first is
    taken, each takes the next, and the macrostep never ends (the runtime stops it with a
    livelock error). A transition leads to another when entering its target enters a state
    (by default entry, down to the atomic states) from which that other is the one taken
    for certain: the first eventless transition, in document order, on the way up from the
    state, and unguarded. Guarded ones, history and joins end the search (they may not fire)."""
    chart = model.chart
    skip = (StateKind.INITIAL, StateKind.FORK, StateKind.FORKJOIN, StateKind.JOIN, *HISTORY)

    def taken_from(name: str) -> Transition | None:
        for level in (name, *chart.ancestors_of(name)):
            if chart.state(level).kind in skip:
                return None
            eventless = [t for t in chart.transitions_from(level) if not t.event]
            if eventless:
                first = eventless[0]
                return first if first.guard is None else None
        return None

    def entered(name: str, seen: frozenset[str] = frozenset()) -> list[str]:
        """The states entering `name` ends in (its default entry), or [] when unknown."""
        state = chart.state(name)
        if state.kind in HISTORY or name in seen:
            return []
        if state.region is None:
            return [name]
        if state.kind is StateKind.PARALLEL:
            children = list(state.region.states)
        else:
            children = list(defaults(model, state))
        leaves = [leaf for c in children for leaf in entered(c.name, seen | {name})]
        return leaves or [name]

    def successors(transition: Transition) -> list[Transition]:
        if not chart.has_state(transition.target):
            return []
        found = (taken_from(leaf) for leaf in entered(transition.target))
        return [t for t in found if t is not None]

    candidates = [
        t
        for t in model.transitions
        if not t.event
        and t.guard is None
        and chart.has_state(t.source)
        and chart.state(t.source).kind not in skip
    ]
    graph = {id(t): successors(t) for t in candidates}
    for cycle in _cycles(candidates, graph):
        path = " -> ".join(f"`{t.source} => {t.target}`" for t in cycle)
        what = f"transitions {path} repeat" if len(cycle) > 1 else f"transition {path} repeats"
        yield finding(
            "SC037",
            f"the eventless {what} forever: once `{cycle[0].source}` is active the chart "
            "never settles",
            cycle[0].span,
            "give one of them an event or a guard",
            tuple(Related(t.span, "next in the cycle") for t in cycle[1:]),
        )


def _cycles(
    nodes: list[Transition], graph: dict[int, list[Transition]]
) -> Iterator[list[Transition]]:
    """One cycle through each strongly connected part of the graph that has one, starting at
    its first node in document order (Tarjan's algorithm without recursion: linear time)."""
    index: dict[int, int] = {}
    low: dict[int, int] = {}
    stack: list[Transition] = []
    on_stack: set[int] = set()
    parts: list[list[Transition]] = []
    for root in nodes:
        if id(root) in index:
            continue
        work = [(root, iter(graph[id(root)]))]
        index[id(root)] = low[id(root)] = len(index)
        stack.append(root)
        on_stack.add(id(root))
        while work:
            node, edges = work[-1]
            step = next(edges, None)
            if step is not None:
                if id(step) not in index:
                    index[id(step)] = low[id(step)] = len(index)
                    stack.append(step)
                    on_stack.add(id(step))
                    work.append((step, iter(graph[id(step)])))
                elif id(step) in on_stack:
                    low[id(node)] = min(low[id(node)], index[id(step)])
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[id(parent)] = min(low[id(parent)], low[id(node)])
            if low[id(node)] == index[id(node)]:
                part: list[Transition] = []
                while True:
                    member = stack.pop()
                    on_stack.discard(id(member))
                    part.append(member)
                    if member is node:
                        break
                parts.append(part)
    order = {id(t): n for n, t in enumerate(nodes)}
    for part in sorted(parts, key=lambda p: min(order[id(t)] for t in p)):
        members = {id(t) for t in part}
        first = min(part, key=lambda t: order[id(t)])
        if len(part) > 1 or first in graph[id(first)]:
            yield _path_back(first, graph, members)


def _path_back(
    start: Transition, graph: dict[int, list[Transition]], members: set[int]
) -> list[Transition]:
    """A path from `start` back to it inside one strongly connected part (breadth first, so
    the shortest)."""
    came_from: dict[int, Transition | None] = {id(start): None}
    queue = [start]
    for node in queue:
        for step in graph[id(node)]:
            if step is start:
                path = [node]
                while (before := came_from[id(path[-1])]) is not None:
                    path.append(before)
                return path[::-1]
            if id(step) in members and id(step) not in came_from:
                came_from[id(step)] = node
                queue.append(step)
    return [start]  # unreachable: a part with a cycle leads back to each member
