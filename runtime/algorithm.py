"""The procedures of the SCXML algorithm (W3C SCXML, Appendix D), as pure functions over the
model (`model.py`: states, transitions, document order) and the history values the machine
keeps. Each is named after its procedure:

- `candidates`: the transitions `selectTransitions` and `selectEventlessTransitions` try for one
  atomic state (its own, then its ancestors', in document order);
- `without_conflicts`: `removeConflictingTransitions`;
- `domain`: `getTransitionDomain`, and `exit_set`: `computeExitSet`;
- `effective_targets`: `getEffectiveTargetStates`, `in_final`: `isInFinalState`;
- `entry_set`: `computeEntrySet`, with `add_descendants` and `add_ancestors`
  (`addDescendantStatesToEnter`, `addAncestorStatesToEnter`): which states a set of
  transitions enters, which of them enter by default (their initial content runs) and which
  through a history state's default (its transition content runs).

The interpreter runs the microstep with them (`microstep.py`), and `plans.py` memoises what
they give where only the configuration and the event decide; `tables.py` uses them to build the
generated classes' tables.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Set

from .model import Edge, Model, Node, is_descendant, lcca, order, own_matching


def effective_targets(edge: Edge, history: Mapping[str, list[Node]]) -> list[Node]:
    """A transition's targets with each history state replaced by what it remembers (or by
    its default's targets)."""
    result: list[Node] = []
    for target in edge.targets:
        if target.is_history:
            if target.name in history:
                result += [s for s in history[target.name] if s not in result]
            elif target.transitions:
                result += [
                    s for s in effective_targets(target.transitions[0], history) if s not in result
                ]
        elif target not in result:
            result.append(target)
    return result


def add_descendants(
    state: Node,
    entering: set[Node],
    defaults: set[Node],
    history_content: dict[Node, Edge],
    history: Mapping[str, list[Node]],
) -> None:
    """Add `state` and what entering it enters below it (initial states, every region of a
    parallel state, a history state's remembered or default states)."""
    if state.is_history:
        parent = state.parent
        assert parent is not None
        if state.name in history:
            for s in history[state.name]:
                add_descendants(s, entering, defaults, history_content, history)
            for s in history[state.name]:
                add_ancestors(s, parent, entering, defaults, history_content, history)
        elif state.transitions:
            default = state.transitions[0]
            history_content[parent] = default
            for s in default.targets:
                add_descendants(s, entering, defaults, history_content, history)
            for s in default.targets:
                add_ancestors(s, parent, entering, defaults, history_content, history)
        return
    entering.add(state)
    if state.is_compound:
        defaults.add(state)
        for s in state.initial:
            add_descendants(s, entering, defaults, history_content, history)
        for s in state.initial:
            add_ancestors(s, state, entering, defaults, history_content, history)
    elif state.is_parallel:
        for child in state.states:
            if not any(is_descendant(s, child) for s in entering):
                add_descendants(child, entering, defaults, history_content, history)


def add_ancestors(
    state: Node,
    ancestor: Node | None,
    entering: set[Node],
    defaults: set[Node],
    history_content: dict[Node, Edge],
    history: Mapping[str, list[Node]],
) -> None:
    """Add the ancestors of `state` below `ancestor`, and the other regions of the parallel
    ones among them."""
    for anc in state.ancestors:
        if anc is ancestor:
            break
        entering.add(anc)
        if anc.is_parallel:
            for child in anc.states:
                if not any(is_descendant(s, child) for s in entering):
                    add_descendants(child, entering, defaults, history_content, history)


def entry_set(
    edges: Iterable[Edge], history: Mapping[str, list[Node]], root: Node, *, initial: bool = False
) -> tuple[list[Node], set[Node], dict[Node, Edge]]:
    """SCXML `computeEntrySet`: the states the transitions enter, in document order (the root
    left out); those entered by default; the history states' default transitions to run, by
    the state they enter. `initial`: the initial transition, whose domain is the root."""
    entering: set[Node] = set()
    defaults: set[Node] = set()
    history_content: dict[Node, Edge] = {}
    for edge in edges:
        for target in edge.targets:
            add_descendants(target, entering, defaults, history_content, history)
        targets = effective_targets(edge, history)
        ancestor = root if initial else domain(edge, targets, root)
        for target in targets:
            add_ancestors(target, ancestor, entering, defaults, history_content, history)
    ordered = [s for s in sorted(entering, key=order) if s is not root]
    return ordered, defaults, history_content


def in_final(state: Node, configuration: Set[Node]) -> bool:
    """SCXML `isInFinalState`: a compound state whose active child is final, or a parallel
    state whose regions all are."""
    if state.is_compound:
        return any(c.is_final and c in configuration for c in state.states)
    if state.is_parallel:
        return all(in_final(c, configuration) for c in state.states)
    return False


# -- selection and the exit set ----------------------------------------------------------------


def domain(edge: Edge, targets: list[Node], root: Node) -> Node | None:
    """The transition domain (SCXML `getTransitionDomain`) given its effective targets."""
    if not targets:
        return None
    if (
        edge.internal
        and edge.source.is_compound
        and all(is_descendant(s, edge.source) for s in targets)
    ):
        return edge.source
    return lcca([edge.source, *targets], root)


def exit_set(
    edges: Iterable[Edge],
    configuration: Set[Node],
    history: Mapping[str, list[Node]],
    root: Node,
) -> set[Node]:
    """The active states the transitions exit (SCXML `computeExitSet`)."""
    result: set[Node] = set()
    for edge in edges:
        if edge.targets:
            within = domain(edge, effective_targets(edge, history), root)
            result |= {s for s in configuration if is_descendant(s, within)}
    return result


def without_conflicts(
    enabled: list[Edge],
    configuration: Set[Node],
    history: Mapping[str, list[Node]],
    root: Node,
) -> list[Edge]:
    """SCXML `removeConflictingTransitions`: of two transitions that exit a common state, the
    one from the descendant state wins, else the one selected first."""
    if len(enabled) < 2:
        return enabled
    filtered: list[Edge] = []
    for t1 in enabled:
        preempted = False
        to_remove: list[Edge] = []
        exits1 = exit_set([t1], configuration, history, root)
        for t2 in filtered:
            if exits1 & exit_set([t2], configuration, history, root):
                if is_descendant(t1.source, t2.source):
                    to_remove.append(t2)
                else:
                    preempted = True
                    break
        if not preempted:
            for t in to_remove:
                filtered.remove(t)
            filtered.append(t1)
    return filtered


def candidates(model: Model, state: Node, event: str | None) -> tuple[Edge, ...]:
    """The transitions of an atomic state and its ancestors that match the event, innermost
    first (memoised on the state for the events the chart names)."""
    found = state.table.get(event)
    if found is None:
        found = tuple(
            edge for node in (state, *state.ancestors) for edge in own_matching(node, event)
        )
        if event is None or event in model.known_events:
            state.table[event] = found  # not for names the chart never mentions
    return found
