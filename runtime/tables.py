"""Transition tables: the microsteps of a chart worked out ahead of time, for generated classes.

`tabulate(model)` explores the configurations a chart reaches (each one the set of active
states) and, for every configuration and event, lists the *arms* the interpreter would choose
between: `(guard, steps, target)`, tried in order, the first whose guard holds is taken. A
taken arm runs `steps` (hook index, kind) in order and makes `target` the configuration.

Only *closed* microsteps are tabled: ones whose effect is known from the configuration alone.
A microstep that records history, enters or leaves a state with a timer or an actor
(`invoke/`), enters a history pseudo-state, a final state or a terminate state, or chooses
between guarded transitions in several parallel regions is left out; the generated class
hands such a step (and every configuration the exploration did not reach) to the
interpreter, which runs the same algorithm. docs/python.md describes the tables; the
differential tests hold both to the same behaviour.

The exploration runs the interpreter's own microstep on scratch machines, so the two cannot
drift apart.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .algorithm import without_conflicts
from .interpreter import Machine
from .microstep import enter_chosen, take
from .model import Edge, Model, Node, order, own_matching
from .timers import delay_ms

#: Configurations explored at most; the rest run on the interpreter.
MAX_CONFIGURATIONS = 2000

Step = tuple[int, str]  # (hook index, "entry" | "exit" | "action")
Arm = tuple[int, tuple[Step, ...], int]  # (guard index or -1, steps, target configuration)


@dataclass
class Tables:
    """What a generated module embeds (all plain data; see the module docstring)."""

    configurations: list[tuple[str, ...]] = field(default_factory=list)  # every active state
    atomic: list[tuple[str, ...]] = field(default_factory=list)  # the active atomic states
    hooks: list[str] = field(default_factory=list)  # action texts, by hook index
    guards: list[str] = field(default_factory=list)  # guard texts, by guard index
    initial: Arm | None = None  # None: the interpreter starts the machine
    #: event -> configuration -> arms, or None when the interpreter must take the event there;
    #: a configuration missing discards the event (no transition matches it)
    rows: dict[str, dict[int, tuple[Arm, ...] | None]] = field(default_factory=dict)
    #: configuration -> eventless arms, or None when the interpreter must settle it; a
    #: configuration missing has no eventless transition
    eventless: dict[int, tuple[Arm, ...] | None] = field(default_factory=dict)


class _Open(Exception):
    """The microstep is not closed: the interpreter must run it."""


def tabulate(model: Model, limit: int = MAX_CONFIGURATIONS) -> Tables:
    """The tables of a chart; none for a chart with a datamodel or executable content (its
    data is not in a configuration: the generated class runs it on the interpreter)."""
    if model.scripted:
        return Tables()
    return _Explorer(model, limit).run()


class _Explorer:
    def __init__(self, model: Model, limit: int) -> None:
        self.model = model
        self.limit = limit
        self.tables = Tables()
        self.ids: dict[frozenset[Node], int] = {}
        self.pending: list[frozenset[Node]] = []
        self.hook_ids: dict[str, int] = {}
        self.guard_ids: dict[str, int] = {}
        self.events = [e for e in model.events if delay_ms(e) is None]
        self.unguarded: dict[int, Edge] = {}

    def machine(self) -> Machine:
        """A machine to explore with: actors are stand-ins that never finish."""
        invoked = {n for node in self.model.nodes.values() for n in node.invokes}
        return Machine(self.model, machines={name: _Child for name in invoked}, partial=True)

    def run(self) -> Tables:
        scratch = self.machine()
        records = self._recorder(scratch)
        scratch.running = True
        root = self.model.root
        try:
            scratch._perform(root.initial_actions, "action", root)
            initial = Edge(root, list(root.initial), None, None, None, [], False, -1)
            enter_chosen(scratch, [initial], True)
            self._closed(scratch, frozenset())
            self.tables.initial = (
                -1,
                self._steps(records),
                self._id(scratch.run_state.configuration),
            )
        except _Open:
            self._discover_from_interpreter()
        while self.pending:
            configuration = self.pending.pop(0)
            self._visit(configuration)
        return self.tables

    def _discover_from_interpreter(self) -> None:
        machine = self.machine()
        try:
            machine.start()
        except Exception:  # noqa: BLE001 - an eventless loop: nothing to table
            return
        if machine.running:
            self._id(machine.run_state.configuration)

    # -- configurations -------------------------------------------------------------------------

    def _id(self, configuration: set[Node] | frozenset[Node]) -> int:
        key = frozenset(configuration)
        found = self.ids.get(key)
        if found is not None:
            return found
        if len(self.ids) >= self.limit:
            return -1
        number = self.ids[key] = len(self.ids)
        ordered = sorted(key, key=order)
        self.tables.configurations.append(tuple(n.name for n in ordered))
        self.tables.atomic.append(tuple(n.name for n in ordered if n.is_atomic))
        self.pending.append(key)
        return number

    def _visit(self, configuration: frozenset[Node]) -> None:
        number = self.ids[configuration]
        atomic = sorted((n for n in configuration if n.is_atomic), key=order)
        for event in self.events:
            arms = self._arms(configuration, atomic, event)
            row = self.tables.rows.setdefault(event, {})
            if arms != ():
                row[number] = arms
        try:
            eventless = any(self._candidates(state, configuration, None) for state in atomic)
        except _Open:
            self.tables.eventless[number] = None
            return
        if eventless:
            self.tables.eventless[number] = self._arms(configuration, atomic, None)

    def _candidates(
        self, state: Node, configuration: frozenset[Node], event: str | None
    ) -> list[Edge]:
        """The transitions the state matches for the event, innermost first, with a join's
        "every source is active" decided against the configuration. A join's arrival flags
        are not in the configuration: a step that reads or sets one is open."""
        found = []
        for node in (state, *state.ancestors):
            for edge in own_matching(node, event):
                if edge.arrive is not None or edge.flags:
                    raise _Open
                if edge.requires:
                    if not all(n in configuration for n in edge.requires):
                        continue
                    edge = self.unguarded.setdefault(edge.order, _unguarded(edge))
                found.append(edge)
        return found

    def _arms(
        self, configuration: frozenset[Node], atomic: list[Node], event: str | None
    ) -> tuple[Arm, ...] | None:
        try:
            per_state = [self._candidates(s, configuration, event) for s in atomic]
            if len(atomic) == 1:
                arms = []
                for edge in per_state[0]:
                    guard = -1 if edge.guard_text is None else self._guard(edge.guard_text)
                    arms.append(self._arm(configuration, [edge], guard))
                    if guard == -1:
                        break
                return tuple(arms)
            if any(e.guard_text is not None for edges in per_state for e in edges):
                for edges in per_state:  # still find the configurations they lead to
                    for edge in edges:
                        self._discover(configuration, [edge])
                return None
            scratch = self._scratch(configuration)
            chosen = without_conflicts(
                _unique(edges[0] for edges in per_state if edges),
                scratch.run_state.configuration,
                scratch.run_state.history,
                self.model.root,
            )
            return (self._arm(configuration, chosen, -1),) if chosen else ()
        except _Open:
            return None

    def _discover(self, configuration: frozenset[Node], edges: list[Edge]) -> None:
        scratch = self._scratch(configuration)
        try:
            take(scratch, edges)
        except Exception:  # noqa: BLE001 - discovery only
            return
        if scratch.running and not scratch.run_state.internal:
            self._id(scratch.run_state.configuration)

    # -- one microstep --------------------------------------------------------------------------

    def _scratch(self, configuration: frozenset[Node]) -> Machine:
        scratch = self.machine()
        scratch.running = True
        scratch.run_state.configuration = set(configuration)
        return scratch

    def _arm(self, configuration: frozenset[Node], edges: list[Edge], guard: int) -> Arm:
        for edge in edges:
            if any(t.is_history for t in edge.targets):
                self._discover(configuration, edges)
                raise _Open
        scratch = self._scratch(configuration)
        records = self._recorder(scratch)
        take(scratch, edges)
        self._closed(scratch, configuration)
        target = self._id(scratch.run_state.configuration)
        if target < 0:
            raise _Open
        steps = tuple(s for s in self._steps(records))
        return (guard, steps, target)

    def _closed(self, scratch: Machine, before: frozenset[Node]) -> None:
        after = frozenset(scratch.run_state.configuration)
        changed = before ^ after
        if (
            scratch.run_state.history
            or scratch.run_state.timers
            or scratch.run_state.internal
            or not scratch.running
            or any(
                n.timers
                or n.is_final
                or n.invokes
                or n.compensations
                or n.rollback
                or n.commit
                or n.clears
                or _enters_history(n)
                for n in changed
            )
        ):
            self._discover_result(scratch)
            raise _Open

    def _discover_result(self, scratch: Machine) -> None:
        if scratch.running and not scratch.run_state.internal:
            self._id(scratch.run_state.configuration)

    @staticmethod
    def _recorder(scratch: Machine) -> list[dict[str, Any]]:
        records: list[dict[str, Any]] = []
        scratch.add_listener(records.append)
        return records

    def _steps(self, records: list[dict[str, Any]]) -> tuple[Step, ...]:
        steps = []
        for record in records:
            if "action" in record:
                text = record["action"]
                if text not in self.hook_ids:
                    self.hook_ids[text] = len(self.tables.hooks)
                    self.tables.hooks.append(text)
                steps.append((self.hook_ids[text], record["kind"]))
        return tuple(steps)

    def _guard(self, text: str) -> int:
        if text not in self.guard_ids:
            self.guard_ids[text] = len(self.tables.guards)
            self.tables.guards.append(text)
        return self.guard_ids[text]


class _Child:
    """A stand-in actor for the exploration."""

    def start(self) -> None:
        pass

    def on_done(self, callback: Any) -> None:
        pass


def _unguarded(edge: Edge) -> Edge:
    return Edge(
        edge.source, edge.targets, edge.event, None, None, edge.actions, edge.internal, edge.order
    )


def _enters_history(node: Node) -> bool:
    """Whether entering the state by default goes through a history pseudo-state (a compound
    whose initial is one): what it enters depends on history the tables do not keep."""
    return any(target.is_history for target in node.initial)


def _unique(edges: Any) -> list[Edge]:
    result: list[Edge] = []
    for edge in edges:
        if edge not in result:
            result.append(edge)
    return result
