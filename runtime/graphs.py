"""Graph algorithms over a chart's names, shared by the model builder and the checker.

It imports nothing but the standard library.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence


def entry_cycles(successors: Mapping[str, Sequence[str]]) -> list[list[str]]:
    """The cycles of a chart's default-entry graph, one per strongly connected part that has
    one, each as names in order with the first repeated at the end (`[p, q, p]`).

    `successors[s]` are the states that entering `s` by default enters next: a compound
    state's initial targets, a parallel state's regions, a history state's default targets
    (and the other regions of the parallel states between). Entering a state on a cycle never
    ends, so the checker reports each (SC031) and the model builder refuses the chart.
    Iterative (Tarjan's algorithm without recursion): charts may be large and deep."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    cyclic: list[list[str]] = []
    for start in successors:
        if start in index:
            continue
        work: list[tuple[str, int]] = [(start, 0)]
        while work:
            node, position = work.pop()
            if position == 0:
                index[node] = low[node] = len(index)
                stack.append(node)
                on_stack.add(node)
            following = successors.get(node, ())
            if position < len(following):
                work.append((node, position + 1))
                child = following[position]
                if child not in index:
                    work.append((child, 0))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
            if low[node] == index[node]:
                part = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    part.append(member)
                    if member == node:
                        break
                if len(part) > 1 or node in successors.get(node, ()):
                    cyclic.append(_cycle_through(part, successors))
    order = {name: position for position, name in enumerate(successors)}
    return sorted(cyclic, key=lambda cycle: order[cycle[0]])


def _cycle_through(part: list[str], successors: Mapping[str, Sequence[str]]) -> list[str]:
    """A concrete cycle inside one strongly connected part, from its first state in the
    order of `successors` (breadth first: the shortest way back)."""
    members = set(part)
    order = {name: position for position, name in enumerate(successors)}
    start = min(part, key=lambda name: order.get(name, len(order)))
    came_from: dict[str, str] = {}
    frontier = [start]
    while frontier:
        following: list[str] = []
        for node in frontier:
            for child in successors.get(node, ()):
                if child not in members:
                    continue
                if child == start:
                    path = [node]
                    while path[-1] != start:
                        path.append(came_from[path[-1]])
                    return [*reversed(path), start]
                if child not in came_from:
                    came_from[child] = node
                    following.append(child)
        frontier = following
    return [start, start]  # not reached: a strongly connected part with a cycle has a way back
