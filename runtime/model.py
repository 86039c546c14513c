"""A chart as the interpreter runs it: built once from a `statewright-ir/1` document.

The smcat pseudo-states SCXML lacks are lowered here the way the SCXML export lowers them
(docs/scxml.md), so the interpreter and every engine that runs the export agree:

- an initial state becomes its parent's initial targets and actions;
- choice, junction (and a forkjoin used as neither) are transient atomic states whose
  eventless transitions are tried in document order, the `[else]` branch last;
- a transition into a fork enters all the fork's targets at once and runs its branches' actions;
- a join becomes one transition on its parallel state that needs every source state active
  and every arrival flag set (`runtime.lowering`); a leg with an event or a guard becomes a
  targetless transition of its source that sets its flag, which leaving the source clears;
- terminate is a final state of the chart; a history state keeps its default transition.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from .content import Block, validate_scxml
from .datamodel import own_conditions
from .declared import NOTHING, Declared, of_document
from .document import ChartError, validate
from .expr import Compiled, compile_guard
from .graphs import entry_cycles
from .lowering import (
    Arrival,
    JoinPlan,
    Outline,
    activity_role,
    else_last,
    fork_actions,
    fork_targets,
    joins,
)
from .reserved import reserved
from .timers import delay_ms

_RESTING = ("regular", "final", "parallel", "terminate")


#: an action: a hook's text, or a block of executable content
Step = str | Block


@dataclass(eq=False, slots=True)
class Node:
    """A state of the running chart. `order` is its position in document order."""

    name: str
    kind: str
    parent: Node | None
    order: int = 0
    children: list[Node] = field(default_factory=list)
    entry: list[Step] = field(default_factory=list)
    exit: list[Step] = field(default_factory=list)
    transitions: list[Edge] = field(default_factory=list)
    initial: list[Node] = field(default_factory=list)
    initial_actions: list[Step] = field(default_factory=list)
    ancestors: tuple[Node, ...] = ()
    timers: list[tuple[int, str]] = field(default_factory=list)  # (delay ms, timer event)
    #: machines this state runs while it is active (`invoke/ name` activities)
    invokes: list[str] = field(default_factory=list)
    #: sagas: actions that undo this step (`compensate/ action`), pushed when it is entered;
    #: `rollback/` runs the pushed ones in reverse when entered; `commit/` forgets them
    compensations: list[str] = field(default_factory=list)
    #: SCXML: this state's `<data>` and a final state's `<donedata>` (docs/ir.md)
    data: list[Mapping[str, Any]] = field(default_factory=list)
    donedata: Mapping[str, Any] | None = None
    #: SCXML `<invoke>`s (runtime.invocations), each with its child document
    scxml_invokes: list[Mapping[str, Any]] = field(default_factory=list)
    #: joins: the arrival flags of the legs leaving this state, cleared when it is exited
    clears: list[str] = field(default_factory=list)
    rollback: bool = False
    commit: bool = False
    #: event -> the transitions of this state and its ancestors that it matches, innermost
    #: first (filled on first use: the interpreter's transition table; events the chart
    #: names only, so that unknown events sent by the thousand do not grow it)
    table: dict[str | None, tuple[Edge, ...]] = field(default_factory=dict)
    #: this state's own transitions by event descriptor (None: eventless), each with its
    #: position among `transitions` (see `own_matching`)
    by_event: dict[str | None, list[tuple[int, Edge]]] = field(default_factory=dict)
    #: set by freeze(): children that are states (not history), history children, and kind
    states: list[Node] = field(default_factory=list)
    histories: list[Node] = field(default_factory=list)
    is_atomic: bool = True
    is_compound: bool = False
    #: set when the model is complete: entering (exiting) the state does nothing beyond its
    #: entry (exit) actions and its initial content (the interpreter's short path)
    plain_entry: bool = False
    plain_exit: bool = False

    @property
    def is_parallel(self) -> bool:
        return self.kind == "parallel"

    @property
    def is_history(self) -> bool:
        return self.kind in ("history", "deephistory")

    @property
    def is_final(self) -> bool:
        return self.kind in ("final", "terminate")

    def freeze(self) -> None:
        """Compute what the interpreter asks on every event, once the tree is complete."""
        self.states = [c for c in self.children if not c.is_history]
        self.histories = [c for c in self.children if c.is_history]
        self.is_atomic = not self.states and not self.is_parallel
        self.is_compound = bool(self.states) and not self.is_parallel
        for child in self.children:
            child.freeze()

    def __repr__(self) -> str:
        return f"Node({self.name!r})"


@dataclass(eq=False, slots=True)
class Edge:
    """A transition. No targets: a targetless (internal self-) transition."""

    source: Node
    targets: list[Node]
    event: str | None
    guard: Compiled | None
    guard_text: str | None
    actions: list[Step]
    internal: bool
    order: int
    #: a join's way out: the states that must all be active and the arrival flags that must
    #: all be set before the guard is even tried
    requires: tuple[Node, ...] = ()
    flags: tuple[str, ...] = ()
    #: a join's leg: the arrival flag that taking it sets (it is disabled while set)
    arrive: str | None = None


@dataclass(slots=True)
class Model:
    root: Node
    nodes: dict[str, Node]
    events: list[str]
    guard_names: list[str]
    #: the exact event names the chart's transitions take (timers' included)
    known_events: frozenset[str] = frozenset()
    #: SCXML: the datamodel's language (None: statewright's guards over `context`, with no
    #: `<data>`), its binding, the document's name, its `<data>` and top-level `<script>`s
    datamodel: str | None = None
    binding: str = "early"
    name: str | None = None
    data: list[Mapping[str, Any]] = field(default_factory=list)
    scripts: list[Block] = field(default_factory=list)
    #: whether any state invokes a machine (`invoke/ name`): the interpreter looks for actors
    #: to start after each macrostep only then
    invoking: bool = False
    #: the interpreter's memo of microsteps: (active states, event) -> a `runtime.plans.Plan`
    #: (shared by every instance of the chart; see runtime.plans)
    plans: dict[tuple[frozenset[Node], str | None], Any] = field(default_factory=dict)
    #: the interpreter's shared `runtime.outcome.Outcome`s: (active states, event, handled,
    #: done) -> the outcome
    outcomes: dict[tuple[frozenset[Node], str, bool | None, bool], Any] = field(
        default_factory=dict
    )
    #: the document the model was built from (for drawing the chart: runtime.display)
    document: Mapping[str, Any] = field(default_factory=dict)
    #: the context and event fields the chart declares (runtime.declared)
    declared: Declared = NOTHING
    #: the chart's events that `send` need not check: neither reserved nor with declared fields
    plain_events: frozenset[str] = frozenset()
    #: the names hooks may be given for, worked out once (runtime.hooks)
    hook_names: tuple[tuple[str, ...], tuple[str, ...]] | None = None

    def takes(self, event: str) -> bool:
        """Whether some transition of the chart takes `event` (SCXML's descriptors: `a` takes
        `a` and `a.b`, `*` takes every event)."""
        known = self.known_events
        return any(d in known for d in _descriptors(event))

    def suggest(self, event: str) -> str | None:
        """The chart's event name closest to a misspelt `event`, if one is close (never a
        name only the engine raises, nor a pattern)."""
        import difflib

        names = sorted(
            d for d in self.known_events if d != "*" and not d.endswith(".*") and not reserved(d)
        )
        found = difflib.get_close_matches(event, names, n=1, cutoff=0.6)
        return found[0] if found else None

    @property
    def scripted(self) -> bool:
        """Whether the chart has a datamodel or executable content (what generated classes
        leave to the interpreter)."""
        return (
            self.datamodel is not None
            or any(
                not isinstance(step, str)
                for node in self.nodes.values()
                for step in (*node.entry, *node.exit, *node.initial_actions)
            )
            or any(
                not isinstance(step, str)
                for node in self.nodes.values()
                for edge in node.transitions
                for step in edge.actions
            )
        )

    @property
    def has_sagas(self) -> bool:
        return any(n.compensations or n.rollback for n in self.nodes.values())


def build(document: Mapping[str, Any], hooks: Callable[[str], bool] | None = None) -> Model:
    """A `statewright-ir/1` document -> the model the interpreter runs (`ChartError` for a
    document that is not runnable, with the JSON path of the problem)."""
    validate(document)
    validate_scxml(document)
    return _Builder(document).model()


class _Builder:
    def __init__(self, document: Mapping[str, Any]) -> None:
        self.document = document
        language = (document.get("datamodel") or {}).get("language")
        #: a datamodel that evaluates its own conditions (not statewright's guard language)
        self.foreign = own_conditions(language)
        self.root = Node("", "regular", None)
        self.nodes: dict[str, Node] = {}
        self.kinds: dict[str, str] = {}
        self.raw: list[tuple[Mapping[str, Any], Node]] = []
        self.counter = 0
        self.guards: list[str] = []
        # indexes over the raw transitions, filled once the states are read
        self.outgoing: dict[str, list[Mapping[str, Any]]] = {}
        self.incoming: dict[str, list[Mapping[str, Any]]] = {}
        self.initial_of: dict[str | None, str] = {}  # region (None: the chart) -> initial
        self.join_exits: dict[int, JoinPlan] = {}  # a join's way out -> its plan

    def model(self) -> Model:
        self.outline = Outline.of_document(self.document)
        self._states(self.document["machine"], self.root)
        for raw, _ in self.raw:
            self.outgoing.setdefault(raw["source"], []).append(raw)
            self.incoming.setdefault(raw["target"], []).append(raw)
        self._number(self.root, ())
        self.root.freeze()
        legs = self._plan_joins()
        events: list[str] = []
        for raw, _ in self.raw:
            event = raw.get("event")
            if event and event not in events:
                events.append(event)
        for raw, region in self.raw:
            self._transition(raw, region, legs)
        self._initials(self.root)
        self._refuse_entry_cycles()
        known: set[str] = set()
        for node in (self.root, *self.nodes.values()):
            _index(node)
            known.update(e for e in node.by_event if e is not None)
        for node in self.nodes.values():
            node.plain_entry = not (
                node.scxml_invokes
                or node.data
                or node.commit
                or node.compensations
                or node.rollback
                or node.timers
                or node.is_final
            )
            node.plain_exit = not (node.histories or node.clears or node.invokes or node.timers)
        extras = self.document.get("datamodel") or {}
        declared = of_document(self.document)
        return Model(
            self.root,
            self.nodes,
            events,
            self.guards,
            frozenset(known),
            extras.get("language") if extras else None,
            extras.get("binding") or "early",
            extras.get("name"),
            list(extras.get("data") or []),
            [
                Block(({"do": "script", "source": src},), "script")
                for src in extras.get("scripts") or []
            ],
            any(node.invokes for node in self.nodes.values()),
            document=self.document,
            declared=declared,
            plain_events=frozenset(
                e for e in known if not reserved(e) and e not in declared.events
            ),
        )

    def _refuse_entry_cycles(self) -> None:
        """A state whose default entry enters itself again (`p.initial => p;`, a history
        whose default is itself) would recurse for ever: refused here, whoever wrote the
        document (the checker reports the same cycles as SC031)."""
        successors: dict[str, list[str]] = {}
        for node in self.nodes.values():
            if node.is_parallel:
                successors[node.name] = [child.name for child in node.states]
            elif node.is_compound:
                successors[node.name] = _entered_with(node, node.initial)
            elif node.is_history and node.transitions:
                assert node.parent is not None
                successors[node.name] = _entered_with(node.parent, node.transitions[0].targets)
        cycles = entry_cycles(successors)
        if cycles:
            path = " -> ".join(f"`{name}`" for name in cycles[0])
            raise ChartError(
                f"entering `{cycles[0][0]}` by default enters it again ({path}): an initial or "
                "history default must lead into the state, not back to it"
            )

    # -- states --------------------------------------------------------------------------------

    def _states(self, machine: Mapping[str, Any], parent: Node) -> None:
        terminates = []
        for raw in machine.get("states", []):
            name, kind = raw["name"], raw["kind"]
            if name in self.kinds:
                continue  # a duplicate declaration (the checker reports it)
            self.kinds[name] = kind
            if kind == "initial":
                self.initial_of.setdefault(None if parent is self.root else parent.name, name)
            if kind in ("initial", "fork"):
                continue
            owner = self.root if kind == "terminate" else parent
            node = Node(name, kind, owner)
            node.data = list(raw.get("data") or [])
            node.donedata = raw.get("donedata")
            node.scxml_invokes = list(raw.get("invoke") or [])
            for action in raw.get("actions", []):
                body = action["body"]
                content = action.get("content")
                role = activity_role(body) if action["kind"] == "activity" else None
                if content is not None:
                    block = Block(tuple(content), body)
                    (node.exit if action["kind"] == "exit" else node.entry).append(block)
                elif role is None:
                    if body.strip():
                        (node.exit if action["kind"] == "exit" else node.entry).append(body)
                elif role[0] == "invoke":
                    node.invokes.append(role[1])
                elif role[0] == "compensate":
                    if role[1]:
                        node.compensations.append(role[1])
                else:
                    node.rollback = node.rollback or role[0] == "rollback"
                    node.commit = node.commit or role[0] == "commit"
            self.nodes[name] = node
            if kind == "terminate":
                terminates.append(node)
            else:
                parent.children.append(node)
            if raw.get("machine") is not None:
                self._states(raw["machine"], node)
        self.root.children.extend(terminates)
        for raw in machine.get("transitions", []):
            self.raw.append((raw, parent))

    def _number(self, node: Node, ancestors: tuple[Node, ...]) -> None:
        node.order = self.counter
        node.ancestors = ancestors
        self.counter += 1
        for child in node.children:
            self._number(child, (node, *ancestors))

    # -- joins ---------------------------------------------------------------------------------

    def _plan_joins(self) -> dict[int, Arrival]:
        """The joins `runtime.lowering` plans: their legs by transition id, and their ways out
        (`join_exits`); the join states themselves are compiled away."""
        legs: dict[int, Arrival] = {}
        for plan in joins(self.outline).plans:
            if plan.owner not in self.nodes or any(s not in self.nodes for s in plan.sources):
                continue
            for arrival in plan.arrivals:
                legs[arrival.transition] = arrival
                if arrival.flag is not None:
                    self.nodes[arrival.source].clears.append(arrival.flag)
            joined = self.nodes.pop(plan.join)
            assert joined.parent is not None
            joined.parent.children.remove(joined)
            self.join_exits[plan.exit.id] = plan
        if self.join_exits:
            self.counter = 0
            self._number(self.root, ())
            self.root.freeze()
        return legs

    # -- transitions ---------------------------------------------------------------------------

    def _targets(self, name: str) -> tuple[list[Node], list[str]]:
        """The nodes a transition into `name` enters, and the actions of fork branches."""
        targets: list[Node] = []
        for target in fork_targets(self.outline, name):
            node = self.nodes.get(target)
            if node is not None and node not in targets:
                targets.append(node)
        return targets, fork_actions(self.outline, name)

    def _guard(self, text: str | None) -> Compiled | None:
        text = (text or "").strip()
        if not text or text == "else" or self.foreign:
            return None  # (a foreign datamodel evaluates its own conditions)
        for word in text.replace("(", " ").replace(")", " ").split():
            if word.isidentifier() and word not in self.guards:
                self.guards.append(word)
        return compile_guard(text)

    def _transition(self, raw: Mapping[str, Any], region: Node, legs: dict[int, Arrival]) -> None:
        source_name, target_name = raw["source"], raw["target"]
        kind = self.kinds.get(source_name)
        if kind in ("initial", "fork"):
            return  # folded into the parent's initial and into the transitions into the fork
        plan = self.join_exits.get(raw["id"])
        if plan is not None:  # a join's way out: from the parallel state, once all arrived
            source_name = plan.owner
        source = self.nodes.get(source_name)
        if source is None:
            return
        leg = legs.get(raw["id"])
        if leg is not None and leg.flag is None:
            return  # it arrives while its source is active: the join's way out runs its action
        targets: list[Node] = []
        extra: list[str] = []
        if leg is None and not (raw.get("kind") == "internal" and source_name == target_name):
            targets, extra = self._targets(target_name)
        actions = [*self._actions(raw), *extra]
        if plan is not None:
            actions = [*plan.actions_on_firing, *extra]
        internal = raw.get("kind") == "internal" or leg is not None
        guard_text = (raw.get("guard") or "").strip() or None
        if guard_text == "else":
            guard_text = None  # taken when no other branch is: it is tried last
        event = raw.get("event") or None
        delay = delay_ms(event)
        if delay is not None:  # `after 30s`: an event of its own, scheduled on entry
            timer = next((e for d, e in source.timers if e.endswith(f"/{event}")), None)
            if timer is None:
                timer = f"sw.after.{sum(len(n.timers) for n in self.nodes.values()) + 1}/{event}"
                source.timers.append((delay, timer))
            event = timer
        edge = Edge(
            source,
            targets,
            event,
            self._guard(guard_text),
            guard_text,
            actions,
            internal,
            raw["id"],
        )
        if plan is not None:
            edge.requires = tuple(self.nodes[name] for name in plan.sources)
            edge.flags = plan.flags
        elif leg is not None:
            edge.arrive = leg.flag
        source.transitions.append(edge)

    @staticmethod
    def _actions(raw: Mapping[str, Any]) -> list[Step]:
        """A transition's action: its executable content, or its action text (a hook)."""
        if raw.get("content") is not None:
            return [Block(tuple(raw["content"]), raw.get("action") or "")]
        return [raw["action"]] if raw.get("action") else []

    # -- initial states ------------------------------------------------------------------------

    def _initials(self, node: Node) -> None:
        for child in node.children:
            self._initials(child)
        if node.transitions and self.kinds.get(node.name) in ("choice", "junction", "forkjoin"):
            # `[else]` (or an unguarded branch) last, as in the exports
            node.transitions = else_last(node.transitions, lambda edge: edge.guard_text)
        if node.is_parallel or not node.states and node is not self.root:
            return
        initial = self.initial_of.get(node.name if node is not self.root else None)
        for raw in self.outgoing.get(initial or "", [])[:1]:
            node.initial, extra = self._targets(raw["target"])
            node.initial_actions = [*self._actions(raw), *extra]
        if not node.initial:
            first = next(
                (c for c in node.states if c.kind in _RESTING and c.kind != "terminate"), None
            )
            if first is not None:
                node.initial = [first]
        for history in (c for c in node.children if c.is_history):
            if not history.transitions:
                first = next((c for c in node.states if c.kind in _RESTING), None)
                if first is not None:
                    history.transitions.append(
                        Edge(history, [first], None, None, None, [], False, -1)
                    )


def _entered_with(owner: Node, targets: list[Node]) -> list[str]:
    """What entering `targets` from `owner` by default enters next: the targets, and the
    other regions of the parallel states between them and `owner`."""
    entered = [target.name for target in targets]
    for target in targets:
        path = (target, *target.ancestors)
        for below, ancestor in zip(path, path[1:], strict=False):
            if ancestor is owner:
                break
            if ancestor.is_parallel:
                entered += [r.name for r in ancestor.states if r is not below]
    return entered


def matches(descriptor: str | None, event: str | None) -> bool:
    """Whether a transition's event descriptor matches an event (SCXML 3.12.1: `*` any event,
    `a.*` and `a` the event `a` and `a.b...`); None is the eventless descriptor."""
    if descriptor is None or event is None:
        return descriptor is None and event is None
    if not event:
        return False  # an empty name is no event: not even `*` matches it
    if descriptor in ("*", event):
        return True
    prefix = descriptor.removesuffix(".*")
    return event == prefix or event.startswith(prefix + ".")


def _index(node: Node) -> None:
    """Fill `by_event` from the node's transitions, once they are final."""
    node.by_event = {}
    for position, edge in enumerate(node.transitions):
        node.by_event.setdefault(edge.event, []).append((position, edge))


def _descriptors(event: str) -> list[str]:
    """The descriptors that can match `event` (`matches`): the event itself, `*`, and for
    each prefix ending before a `.`, the prefix and the prefix with `.*`. As many lookups as
    the name has dots: a transition index, not a scan. An empty name matches nothing."""
    if not event:
        return []
    found = [event, "*", event + ".*"]
    position = event.find(".")
    while position != -1:
        prefix = event[:position]
        found += (prefix, prefix + ".*")
        position = event.find(".", position + 1)
    return found


def own_matching(node: Node, event: str | None) -> list[Edge]:
    """The node's own transitions that `event` takes (None: the eventless ones), in their
    order among the node's transitions."""
    if event is None:
        return [edge for _, edge in node.by_event.get(None, ())]
    found: list[tuple[int, Edge]] = []
    for descriptor in _descriptors(event):
        found += node.by_event.get(descriptor, ())
    if len(found) > 1:
        found.sort(key=lambda entry: entry[0])
    return [edge for _, edge in found]


def order(node: Node) -> int:
    """A node's place in document order (sort key)."""
    return node.order


def is_descendant(state: Node, ancestor: Node | None) -> bool:
    """Whether `state` is strictly inside `ancestor`."""
    return ancestor is not None and ancestor in state.ancestors


def lcca(states: list[Node], root: Node) -> Node:
    """The least common compound ancestor of `states` (SCXML's LCCA): the innermost compound
    state (or the root) that holds them all."""
    head, rest = states[0], states[1:]
    for anc in head.ancestors:
        if anc is root or anc.is_compound:
            if all(is_descendant(s, anc) for s in rest):
                return anc
    return root
