"""The entry set of a microstep (SCXML Appendix D: `computeEntrySet` and its helpers): which
states a set of transitions enters, which of them enter by default (their initial content
runs) and which through a history state's default (its transition content runs).

Plain functions over the model and the history values the machine keeps.
"""

from __future__ import annotations

from collections.abc import Mapping

from .model import Edge, Node, is_descendant


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
