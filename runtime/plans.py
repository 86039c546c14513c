"""Microstep plans: the interpreter's memo of what an event does in a configuration.

Selecting transitions (SCXML `selectTransitions` and `removeConflictingTransitions`) and
computing the exit and entry sets take most of a microstep, and for most charts they depend on
nothing but the active states and the event: no guard is tried before the transition that
wins, no join leg waits for its partners, no history state is involved. For those, a `Plan`
holds the outcome: the transitions in selection order, the states to exit (in exit order),
the states to enter (in entry order) and which of them enter by default. The interpreter
computes a plan the first time a (configuration, event) pair occurs, keeps it on the chart's
`Model` (shared by every instance) and then only runs the plan's actions. Whatever the
outcome depends on - guards, datamodel conditions, join arrivals, history - is left to the
full algorithm, every time (`plan_for` returns None).

A plan is computed with the procedures of `algorithm.py`, which the interpreter's full path
uses too, so both paths compute the same sets.
"""

from __future__ import annotations

from collections.abc import Mapping, Set
from dataclasses import dataclass

from .algorithm import candidates, entry_set, exit_set, without_conflicts
from .model import Edge, Model, Node, order

#: a chart with more (configuration, event) pairs than this forgets its plans and starts again:
#: memory stays bounded whatever the chart's state space
MAX_PLANS = 4096


@dataclass(frozen=True, slots=True)
class Plan:
    """What an event does in a configuration, when only the two decide it."""

    #: the transitions taken, in selection order (empty: the event changes nothing)
    edges: tuple[Edge, ...]
    #: the states exited, innermost first in reverse document order
    leaving: tuple[Node, ...]
    #: the states entered, in document order (the root left out)
    entering: tuple[Node, ...]
    #: the entered states whose initial content runs (they are entered by default)
    defaults: frozenset[Node]


#: nothing is enabled
NOTHING = Plan((), (), (), frozenset())


def plan_for(model: Model, configuration: Set[Node], event: str | None) -> Plan | None:
    """The plan for `event` (None: the eventless transitions) in the configuration, or None
    when the outcome depends on more than these two."""
    chosen: list[Edge] = []
    for state in sorted((n for n in configuration if n.is_atomic), key=order):
        for edge in candidates(model, state, event):
            if edge.guard is not None or edge.guard_text is not None:
                return None  # a guard decides
            if edge.arrive is not None or edge.requires:
                return None  # join arrivals decide
            if any(t.is_history for t in edge.targets):
                return None  # what a history state remembers decides
            if edge not in chosen:
                chosen.append(edge)
            break
    if not chosen:
        return NOTHING
    root = model.root
    history: Mapping[str, list[Node]] = {}
    edges = without_conflicts(chosen, configuration, history, root)
    leaving = sorted(exit_set(edges, configuration, history, root), key=order, reverse=True)
    entering, defaults, content = entry_set(edges, history, root)
    if content or any(s.is_history for d in defaults for s in d.initial):
        return None  # a history state is entered by default
    return Plan(
        tuple(edges),
        tuple(leaving),
        tuple(entering),
        frozenset(defaults),
    )


def remember(model: Model, key: tuple[frozenset[Node], str | None], plan: Plan | None) -> None:
    """Keep a plan (or that there is none) for the pair, within `MAX_PLANS`."""
    plans = model.plans
    if len(plans) >= MAX_PLANS:
        plans.clear()
    plans[key] = plan
