"""The lowering of smcat's pseudo-states into plainer statechart terms, in one place.

Shared by the interpreter's model (`runtime.model`), the SCXML export and the XState export
(`compiler/emit/`), so that a fork or a join means the same on every engine that runs the chart.
It reads a chart through an `Outline` (names, kinds, the hierarchy and the transitions, built
from a `statewright-ir/1` document or by the compiler from its IR) and gives plain data:

- a transition into a fork enters every target of the fork's branches at once (forks into forks
  followed, each once), and runs the branches' actions (`fork_targets`, `fork_actions`);
- a join that gathers transitions from distinct regions of one parallel state fires as one
  compound transition (UML): every source state stays active until each leg has arrived, then
  the join's way out is taken from the parallel state (`join_plans`). A leg without event or
  guard has arrived while its source is active; a leg with an event or a guard (which UML does
  not allow; the checker warns) arrives when it is taken, which sets an arrival flag that
  leaving its source clears. No state is added: the configuration shows the sources. How the
  flags are kept is each consumer's (the interpreter's own set, SCXML `<data>`, XState
  context);
- the branches of a choice or junction are tried in document order, the `[else]` one last
  (`else_last`);
- a state activity asks something of the runtime (`activity_role`: `invoke/ name` runs an
  actor, `compensate/`, `rollback/` and `commit/` are a saga's) or is a plain hook.

It imports nothing but the standard library (the runtime's rule).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar


@dataclass(frozen=True, slots=True)
class Arrow:
    """A transition as the lowering sees it."""

    id: int
    source: str
    target: str
    action: str | None = None
    event: str | None = None
    guard: str | None = None


@dataclass(frozen=True, slots=True)
class Outline:
    """What the lowering reads of a chart. The first declaration of a name counts (the
    checker reports the others)."""

    #: state name -> kind (`"fork"`, `"parallel"`, ...)
    kinds: Mapping[str, str]
    #: state name -> the composite state holding it (None: the chart)
    parents: Mapping[str, str | None]
    #: composite name (None: the chart) -> its children's names, in document order
    children: Mapping[str | None, tuple[str, ...]]
    #: state name -> its transitions out / in, in document order
    outgoing: Mapping[str, tuple[Arrow, ...]]
    incoming: Mapping[str, tuple[Arrow, ...]]

    @classmethod
    def build(
        cls, states: Iterable[tuple[str, str, str | None]], arrows: Iterable[Arrow]
    ) -> Outline:
        """From (name, kind, parent) in document order and the transitions."""
        kinds: dict[str, str] = {}
        parents: dict[str, str | None] = {}
        children: dict[str | None, list[str]] = {None: []}
        for name, kind, parent in states:
            if name in kinds:
                continue
            kinds[name], parents[name] = kind, parent
            children.setdefault(parent, []).append(name)
        outgoing: dict[str, list[Arrow]] = {}
        incoming: dict[str, list[Arrow]] = {}
        for arrow in arrows:
            outgoing.setdefault(arrow.source, []).append(arrow)
            incoming.setdefault(arrow.target, []).append(arrow)
        return cls(
            kinds,
            parents,
            {k: tuple(v) for k, v in children.items()},
            {k: tuple(v) for k, v in outgoing.items()},
            {k: tuple(v) for k, v in incoming.items()},
        )

    @classmethod
    def of_document(cls, document: Mapping[str, Any]) -> Outline:
        """From a (validated) `statewright-ir/1` document: its states in document order, its
        transitions by id."""
        arrows: list[Arrow] = []
        machines: list[Mapping[str, Any]] = [document["machine"]]
        while machines:
            machine = machines.pop()
            arrows += (
                Arrow(
                    t["id"],
                    t["source"],
                    t["target"],
                    t.get("action"),
                    t.get("event"),
                    t.get("guard"),
                )
                for t in machine.get("transitions") or ()
            )
            machines += (s["machine"] for s in machine.get("states") or () if s.get("machine"))
        return cls.build(_preorder(document), sorted(arrows, key=lambda a: a.id))

    def ancestors(self, name: str) -> tuple[str, ...]:
        """The composite states enclosing `name`, nearest first."""
        found: list[str] = []
        parent = self.parents.get(name)
        while parent is not None:
            found.append(parent)
            parent = self.parents.get(parent)
        return tuple(found)


def _preorder(document: Mapping[str, Any]) -> list[tuple[str, str, str | None]]:
    found: list[tuple[str, str, str | None]] = []
    stack: list[tuple[Mapping[str, Any], str | None]] = [
        (raw, None) for raw in reversed(document["machine"].get("states") or ())
    ]
    while stack:
        raw, parent = stack.pop()
        found.append((raw["name"], raw["kind"], parent))
        inner = raw.get("machine")
        if inner is not None:
            stack.extend((child, raw["name"]) for child in reversed(inner.get("states") or ()))
    return found


# -- forks ----------------------------------------------------------------------------------------


def fork_targets(outline: Outline, name: str) -> list[str]:
    """The states a transition into `name` enters: the state itself, or, for a fork, the
    targets of its branches (forks into forks followed, each once)."""
    targets: list[str] = []
    pending, seen = [name], set()
    while pending:
        current = pending.pop(0)
        if current in seen:
            continue
        seen.add(current)
        kind = outline.kinds.get(current)
        if kind == "fork":
            pending.extend(branch.target for branch in outline.outgoing.get(current, ()))
        elif kind is not None and current not in targets:
            targets.append(current)
    return targets


def fork_actions(outline: Outline, name: str) -> list[str]:
    """The actions of a fork's branches, which the one transition into it runs."""
    if outline.kinds.get(name) != "fork":
        return []
    return [b.action for b in outline.outgoing.get(name, ()) if b.action]


# -- joins ----------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Arrival:
    """One transition into a join (a leg): its source, and how it arrives."""

    transition: int
    source: str
    #: the composite state holding the source
    parent: str | None
    #: the region of the join's parallel state that holds the source
    region: str
    #: whether the parallel state is the source's nearest parallel ancestor
    direct: bool
    event: str | None = None
    guard: str | None = None
    action: str | None = None
    #: this leg's arrival flag (an event or a guard: it arrives when taken), or None (it has
    #: arrived while its source is active); unique in the chart
    flag: str | None = None


@dataclass(frozen=True, slots=True)
class JoinPlan:
    """A join that can be lowered: it gathers transitions from regions of `owner`, a parallel
    state, and leaves by `exit` once every arrival is there."""

    join: str
    owner: str
    arrivals: tuple[Arrival, ...]
    exit: Arrow
    #: every region of `owner`
    regions: tuple[str, ...]

    @property
    def sources(self) -> tuple[str, ...]:
        """The states that must all be active, in the order of the legs (no repeats)."""
        return tuple(dict.fromkeys(a.source for a in self.arrivals))

    @property
    def flags(self) -> tuple[str, ...]:
        """The arrival flags that must all be set."""
        return tuple(a.flag for a in self.arrivals if a.flag is not None)

    @property
    def actions_on_firing(self) -> tuple[str, ...]:
        """What the join runs when it fires: the actions of the legs that arrive with it (no
        flag), then the way out's."""
        found = [a.action for a in self.arrivals if a.flag is None and a.action]
        return (*found, *((self.exit.action,) if self.exit.action else ()))


def join_plans(outline: Outline) -> list[JoinPlan]:
    """The joins that can be lowered, in document order: two or more transitions in, from
    states whose nearest common ancestor is a parallel state, and one transition out. Any
    other join stays a transient state (the checker reports it, SC017)."""
    plans: list[JoinPlan] = []
    flags = 0
    for name, kind in outline.kinds.items():
        if kind != "join":
            continue
        incoming = outline.incoming.get(name, ())
        outgoing = outline.outgoing.get(name, ())
        sources = [a.source for a in incoming]
        if len(sources) < 2 or len(outgoing) != 1 or any(s not in outline.kinds for s in sources):
            continue
        owner = common_parallel(outline, sources)
        if owner is None:
            continue
        arrivals = []
        for arrow in incoming:
            path = (arrow.source, *outline.ancestors(arrow.source))
            region = path[path.index(owner) - 1]
            nearest = next((p for p in path[1:] if outline.kinds.get(p) == "parallel"), None)
            parent = outline.parents[arrow.source]
            guard = (arrow.guard or "").strip() or None
            flagged = bool(arrow.event) or guard is not None
            flags += flagged
            arrivals.append(
                Arrival(
                    arrow.id,
                    arrow.source,
                    parent,
                    region,
                    nearest == owner,
                    arrow.event or None,
                    guard,
                    arrow.action,
                    f"sw_join_{flags}" if flagged else None,
                )
            )
        regions = outline.children.get(owner, ())
        plans.append(JoinPlan(name, owner, tuple(arrivals), outgoing[0], regions))
    return plans


@dataclass(frozen=True)
class Joins:
    """The lowered joins of a chart, indexed as every engine's builder looks them up."""

    #: every plan, in document order
    plans: tuple[JoinPlan, ...]
    #: a leg by its transition's id
    legs: Mapping[int, Arrival]
    #: the plans whose way out leaves a parallel state, by that state
    ways: Mapping[str, tuple[JoinPlan, ...]]
    #: a plan by the id of its way out
    exits: Mapping[int, JoinPlan]
    #: the names of the joins that are lowered (compiled away)
    names: frozenset[str]


def joins(outline: Outline) -> Joins:
    """The chart's lowered joins (`join_plans`), indexed once."""
    plans = tuple(join_plans(outline))
    ways: dict[str, list[JoinPlan]] = {}
    for plan in plans:
        ways.setdefault(plan.owner, []).append(plan)
    return Joins(
        plans,
        {arrival.transition: arrival for plan in plans for arrival in plan.arrivals},
        {owner: tuple(found) for owner, found in ways.items()},
        {plan.exit.id: plan for plan in plans},
        frozenset(plan.join for plan in plans),
    )


def common_parallel(outline: Outline, names: Sequence[str]) -> str | None:
    """The nearest common ancestor of `names` when it is a parallel state, else None."""
    common = set(outline.ancestors(names[0]))
    for name in names[1:]:
        common &= set(outline.ancestors(name))
    for ancestor in outline.ancestors(names[0]):  # nearest first
        if ancestor in common:
            return ancestor if outline.kinds.get(ancestor) == "parallel" else None
    return None


# -- choices --------------------------------------------------------------------------------------


B = TypeVar("B")


def else_last(branches: Iterable[B], guard: Callable[[B], str | None]) -> list[B]:
    """A choice's or junction's branches in document order, the `[else]` (or unguarded) one
    moved last: it is taken only when no other holds. `guard` gives a branch's guard text."""

    def is_else(branch: B) -> bool:
        text = guard(branch)
        return text is None or text.strip() == "else"

    return sorted(branches, key=is_else)


_INVOKE = re.compile(r"^\s*invoke/\s*(\S(?:.*\S)?)\s*$")
_SAGA = re.compile(r"^\s*(compensate|rollback|commit)/(.*)$")


def activity_role(activity: str) -> tuple[str, str] | None:
    """What a state activity asks of the runtime: `("invoke", machine)`, `("compensate",
    action)`, `("rollback", "")`, `("commit", "")`, or None for a plain activity (a hook run
    on entry)."""
    invoked = invoke_name(activity)
    if invoked is not None:
        return ("invoke", invoked)
    saga = _SAGA.match(activity)
    if saga is not None:
        return (saga.group(1), saga.group(2).strip())
    return None


def invoke_name(activity: str) -> str | None:
    """`invoke/ payment` -> `payment`: the machine a state runs while active (an actor)."""
    match = _INVOKE.match(activity)
    return match.group(1) if match else None
