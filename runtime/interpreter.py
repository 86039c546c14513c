"""Run a chart: the W3C SCXML algorithm (Appendix D) over the model of `runtime.model`.

An external event is one macrostep: the transitions it enables are taken (one microstep), then
eventless transitions and internal events (`done.state.<name>`) until none is enabled. Within a
microstep: exit innermost first (reverse document order), run the transitions' actions in
document order, enter outermost first (document order). Conflicts between enabled transitions
are resolved as SCXML does (a descendant's transition wins, then document order).
Deliberate differences from SCXML are in docs/semantics.md.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable, Mapping, Sequence, Set
from pathlib import Path
from types import MappingProxyType
from typing import Any

from . import hooks, outcome, snapshots
from .actors import Actors
from .algorithm import (
    add_ancestors,
    add_descendants,
    candidates,
    domain,
    effective_targets,
    exit_set,
    in_final,
    without_conflicts,
)
from .content import execute
from .datamodel import Event
from .display import Pictured
from .document import ChartError, read_document
from .errors import LivelockError as LivelockError
from .expr import lookup
from .introspect import Answers
from .introspect import guard_failed as guard_failed
from .invocations import Invocations
from .model import Edge, Model, Node, Step, build, is_descendant, order
from .outcome import Outcome
from .plans import plan_for, remember
from .reserved import PREFIXES, refusal
from .scheduling import Scheduling
from .session import Session
from .timers import Clock, SystemClock, Timer

ActionHook = Callable[..., Any]

SNAPSHOT_FORMAT = snapshots.FORMAT


#: A macrostep that takes more microsteps than this is an eventless loop.
MAX_MICROSTEPS = 10_000


Listener = Callable[[dict[str, Any]], None]

#: the data of an event that carries none (read-only: hooks may not change it)
_NO_DATA: Mapping[str, Any] = MappingProxyType({})


class Machine(Scheduling, Actors, Answers, Pictured):
    """A running instance of a chart.

    Args:
        model: the chart (see `load`).
        actions: hooks by action text (`"send SYN+ACK"`), one per action (`runtime.hooks`).
        guards: named guards by name; a name without a hook is read from `context`.
        partial: actions may lack a hook (they do nothing; listeners still hear them).
        context: the instance's data, read by guards.
        clock: where timed events read the time (`SystemClock` by default).
        machines: for actors, a factory per name a state invokes (`invoke/ payment`): called
            when the state is entered, it returns the child machine (a `Machine` or a
            generated class instance), which runs until the state is left.
    """

    def __init__(
        self,
        model: Model,
        *,
        actions: Mapping[str, ActionHook] | None = None,
        guards: Mapping[str, Callable[..., bool]] | None = None,
        context: Mapping[str, Any] | None = None,
        clock: Clock | None = None,
        machines: Mapping[str, Callable[[], Any]] | None = None,
        partial: bool = False,
    ) -> None:
        self.model = model
        hooks.check(model, actions or {}, guards or {}, partial=partial)
        self.machines = dict(machines or {})
        missing = sorted(
            {n for node in model.nodes.values() for n in node.invokes} - set(self.machines)
        )
        if missing:
            raise ChartError(
                f"the chart invokes {', '.join(missing)}: give a factory for each "
                "(`machines={name: factory}`)"
            )
        #: the running child machines (actors), by the name their state invokes
        self.children: dict[str, Any] = {}
        self._external: deque[Event] = deque()
        self._stepping = False
        #: the active states when the last macrostep settled (`_step` keeps it)
        self._settled: frozenset[Node] = frozenset()
        self._done_callbacks: list[Callable[[], None]] = []
        self._announced = False
        #: sagas: the compensations of the steps taken (`compensate/`), oldest first, and
        #: whether a `rollback/` state asked for them; a durable store runs them one by one
        #: (`compensate_one`), a plain machine at the end of the macrostep
        self.compensations: list[str] = []
        self.rolling_back = False
        self.auto_compensate = True
        #: how a child's `done.invoke.<name>` comes in (a generated class: through its own)
        self.deliver: Callable[[str], object] = lambda event: self._apply(event, {})
        self.actions = dict(actions or {})
        self.guards = dict(guards or {})
        self.context: dict[str, Any] = model.declared.context(context)
        self._configuration: set[Node] = set()
        self._history: dict[str, list[Node]] = {}
        #: joins: the legs that have arrived (their flags), each while its source is active
        self._arrived: set[str] = set()
        self._internal: deque[Event] = deque()
        self._listeners: list[Listener] = []
        #: for tools (the studio): called, while listeners are attached, with each microstep's ids
        self.on_transitions: Callable[[list[int]], object] | None = None
        self._event_data: Mapping[str, Any] = {}
        self.clock: Clock = clock or SystemClock()
        #: (due, sequence, event, the state that scheduled it or None, the target of a <send>,
        #: the id that cancels it)
        self._timers: list[Timer] = []
        self._timer_sequence = 0
        self.running = False
        self.done = False
        #: an invoked machine's parent and its invoke id (SCXML `#_parent`)
        self.parent: Any = None
        self.invokeid: str | None = None
        self._session = Session(self)
        self._invocations = Invocations(self)
        #: the data of the done event of an invoked session (its final state's <donedata>)
        self._done_data: Any = None
        #: whether the datamodel keeps its own copy of the configuration (ECMAScript's In())
        self._mirror = model.datamodel == "ecmascript"

    # -- public ---------------------------------------------------------------------------------

    def start(self) -> Machine:
        """Enter the initial configuration (runs entry actions and eventless transitions)."""
        if self.running or self.done:
            return self
        self.running = True
        root = self.model.root
        self._stepping = True
        try:
            if self.model.datamodel is not None:
                self._session.initialise()
            self._run(root.initial_actions, "action", root)
            self._enter(
                [Edge(root, list(root.initial), None, None, None, [], False, -1)], initial=True
            )
            self._complete()
        finally:
            self._stepping = False
        self._drain()
        return self

    def send(self, event: str, **data: Any) -> Outcome:
        """Process one external event to completion (a macrostep) and say what it did
        (`runtime.outcome`); one sent while a macrostep runs is queued, in order. A name only
        the engine raises (`runtime.reserved`) is refused: `ReservedEvent`, nothing changes."""
        if event not in self.model.plain_events:  # else neither reserved nor declared
            if event.startswith(PREFIXES):
                raise refusal(event)
            self.model.declared.check(event, data)  # its declared fields (runtime.declared)
        return self._apply(event, data)

    def _apply(self, event: str, data: dict[str, Any]) -> Outcome:
        """`send` without the refusal of reserved names (replay, a child's completion)."""
        if not self.running:
            self.start()
        if (
            self._stepping
            or self._external
            or self.model.datamodel is not None
            or self._invocations.running
        ):
            queued = Event(event, data or None)
            self._external.append(queued)
            return outcome.of_interpreter(self, event, self._drain(queued))
        # nothing queued and nothing reads `_event`: the macrostep at once
        if self.done:
            return outcome.of_interpreter(self, event, False)
        self._stepping = True
        try:
            self._event_data = data
            handled = self._step(event)
            self._complete()
        finally:
            self._event_data = _NO_DATA
            self._stepping = False
        if self._external:
            self._drain()
        if not self.done:  # the shared outcome of this configuration and event, if known
            found: Outcome | None = self.model.outcomes.get((self._settled, event, handled, False))
            if found is not None:
                return found
        return outcome.of_interpreter(self, event, handled)

    def enqueue(self, event: Event) -> None:
        """Put an event on the external queue (from a parent, a child, a delayed send) and
        process it unless a macrostep is running."""
        self._external.append(event)
        if self.running:
            self._drain()

    def on_done(self, callback: Callable[[], None]) -> None:
        """Call `callback()` once, after the macrostep in which the machine finishes (reaches a
        top-level final or terminate state)."""
        self._done_callbacks.append(callback)

    def _drain(self, watched: Event | None = None) -> bool | None:
        """Process the queued events; whether `watched` took a transition (None: not
        processed, as a macrostep is running)."""
        handled: bool | None = None
        while self._external and not self._stepping:
            event = self._external.popleft()
            if self.done:
                handled = False if event is watched else handled
                continue
            self._stepping = True
            try:
                self._bind(event)
                if self._invocations.running:
                    self._invocations.before(event)
                took = self._step(event.name)
                handled = took if event is watched else handled
                self._complete()
            finally:
                self._event_data = _NO_DATA
                self._stepping = False
        return handled

    def _complete(self) -> None:
        """The end of a macrostep: eventless transitions and internal events, then the actors
        of the states that stay active start, then a finished machine says so."""
        self._settle()
        while self._invocations.pending and self.running:  # SCXML: invoke, then go on
            self._invocations.start_pending()
            self._settle()
        self._invocations.pending.clear()
        if self.rolling_back and self.auto_compensate:
            while self.compensate_one():
                pass
        if self.running and self.model.invoking:
            self._start_children()
        if self.done and not self._announced:
            self._announced = True
            self._halt()
            for callback in self._done_callbacks:
                callback()

    def _bind(self, event: Event) -> None:
        """The event being processed: its data for guards and hooks, `_event` for the
        datamodel."""
        data = event.data
        if data is None:
            self._event_data = {}
        else:
            self._event_data = data if isinstance(data, Mapping) else {}
        if self.model.datamodel is not None:
            self._session.datamodel.bind_event(event)

    def _resume(self, data: Mapping[str, Any]) -> None:
        """Finish a macrostep that a generated class began on its tables."""
        self._stepping = True
        try:
            self._event_data = data
            self._complete()
        finally:
            self._event_data = {}
            self._stepping = False
        self._drain()

    def snapshot(self) -> dict[str, Any]:
        """The instance as JSON-ready data (`statewright-snapshot/1`, runtime.snapshots)."""
        return snapshots.take(self)

    def restore(self, snapshot: Mapping[str, Any]) -> Machine:
        """Put the instance in the state a `snapshot()` recorded (no action runs)."""
        snapshots.put(self, snapshot)
        return self

    @property
    def configuration(self) -> list[str]:
        """The active atomic states, in document order."""
        return [n.name for n in sorted(self._configuration, key=order) if n.is_atomic]

    @property
    def active(self) -> list[str]:
        """Every active state (atomic and their ancestors), in document order."""
        return [n.name for n in sorted(self._configuration, key=order)]

    def is_active(self, name: str) -> bool:
        node = self.model.nodes.get(name)
        return node is not None and node in self._configuration

    def _drawing(self) -> tuple[Mapping[str, Any], list[str]]:
        """What a notebook draws (`runtime.display`): the chart, the active states lit."""
        return self.model.document, self.active

    def add_listener(self, listener: Listener) -> None:
        """Called with a dict for every action run (`{"action": text, ...}`) and every
        completed step (`{"event": ..., "configuration": [...]}`)."""
        self._listeners.append(listener)

    def remove_listener(self, listener: Listener) -> None:
        """Stop calling `listener` (added by `add_listener`)."""
        self._listeners.remove(listener)

    # -- the algorithm --------------------------------------------------------------------------

    def _settle(self) -> None:
        steps = 0
        while self.running:
            steps += 1
            if steps > MAX_MICROSTEPS:
                raise LivelockError(
                    f"no stable configuration after {MAX_MICROSTEPS} microsteps "
                    f"(active: {', '.join(self.configuration)}): eventless transitions loop"
                )
            if not self._step(None):
                if not self._internal:
                    break
                event = self._internal.popleft()
                self._bind(event)
                self._step(event.name)

    def _step(self, event: str | None) -> bool:
        """One microstep: take the transitions `event` enables (None: the eventless ones);
        False when none is. From a plan when only the configuration and the event decide
        (runtime.plans), else by the full algorithm."""
        model = self.model
        key = (frozenset(self._configuration), event)
        plans = model.plans
        if key in plans:
            plan = plans[key]
        else:
            plan = plan_for(model, self._configuration, event)
            if event is None or event in model.known_events:
                remember(model, key, plan)
        if plan is None:
            enabled = self._select(event)
            if not enabled:
                self._settled = key[0]
                return False
            self._microstep(enabled, event)
            return True
        if not plan.edges:
            self._settled = key[0]  # a macrostep ends here: `runtime.outcome` reads it
            return False
        self._exit_states(plan.leaving)
        for edge in plan.edges:
            if edge.actions:
                self._run(edge.actions, "action", edge)
        self._enter_states(plan.entering, plan.defaults, {})
        if self._listeners:
            self._notify_step(event, plan.edges)
        return True

    def _select(self, event: str | None) -> list[Edge]:
        chosen: list[Edge] = []
        atomic = sorted((n for n in self._configuration if n.is_atomic), key=order)
        for state in atomic:
            found = self._first_enabled(state, event)
            if found is not None and found not in chosen:
                chosen.append(found)
        return without_conflicts(chosen, self._configuration, self._history, self.model.root)

    def _first_enabled(self, state: Node, event: str | None) -> Edge | None:
        for edge in candidates(self.model, state, event):
            if edge.arrive is not None and edge.arrive in self._arrived:
                continue  # this join leg has arrived already
            if edge.requires and not self._joined(edge):
                continue
            if edge.guard is None and edge.guard_text is None:
                return edge
            if self._holds(edge):
                return edge
        return None

    def _joined(self, edge: Edge) -> bool:
        """A join's way out: every source active, every flagged leg arrived."""
        configuration, arrived = self._configuration, self._arrived
        return all(s in configuration for s in edge.requires) and all(
            f in arrived for f in edge.flags
        )

    def _holds(self, edge: Edge) -> bool:
        """Whether the guard holds; one that cannot be evaluated is false and reported (with
        an SCXML datamodel, also as `error.execution` on the internal queue)."""
        text = edge.guard_text
        try:
            if edge.guard is None and text is not None:  # the document's datamodel evaluates it
                return self._session.datamodel.condition(text)
            if text is not None and text in self.guards:
                return bool(self.guards[text](self.context, self._event_data))
            env = lookup(self.context, self._event_data)
            hooks = self.guards

            def names(name: str) -> Any:
                if name in hooks:
                    return hooks[name](self.context, self._event_data)
                return env(name)

            assert edge.guard is not None
            return bool(edge.guard(names, self.is_active))
        except Exception as error:  # noqa: BLE001 - as SCXML: a guard that fails is false
            if self.model.datamodel is not None:
                self._session.error("error.execution", f"[{(text or '')[:80]}]: {error}")
            return guard_failed(self._listeners, text or "", error)

    def _microstep(self, enabled: list[Edge], event: str | None) -> None:
        self._exit(enabled)
        self._transition_actions(enabled)
        self._enter(enabled)
        if self._listeners:
            self._notify_step(event, enabled)

    def _transition_actions(self, enabled: Iterable[Edge]) -> None:
        """In the order the transitions were selected (SCXML: document order of the atomic
        states that selected them)."""
        for edge in enabled:
            self._run(edge.actions, "action", edge)
            if edge.arrive is not None:
                self._arrived.add(edge.arrive)

    # -- exit -----------------------------------------------------------------------------------

    def _domain(self, edge: Edge) -> Node | None:
        return domain(edge, effective_targets(edge, self._history), self.model.root)

    def _exit(self, enabled: list[Edge]) -> None:
        configuration = self._configuration
        leaving = exit_set(enabled, configuration, self._history, self.model.root)
        self._exit_states(sorted(leaving, key=order, reverse=True))

    def _exit_states(self, leaving: Sequence[Node]) -> None:
        """Exit the states, in the order given (innermost first, reverse document order)."""
        for state in leaving:
            for history in state.histories:
                if history.kind == "deephistory":
                    kept = [
                        s for s in self._configuration if s.is_atomic and is_descendant(s, state)
                    ]
                else:
                    kept = [s for s in self._configuration if s.parent is state]
                self._history[history.name] = sorted(kept, key=order)
        configuration = self._configuration
        short = not self._mirror and not self._invocations.running
        for state in leaving:
            if state.exit:
                self._run(state.exit, "exit", state)
            configuration.discard(state)
            if short and state.plain_exit:
                continue
            if self._invocations.running:
                self._invocations.exited(state)
            if self._mirror:
                self._session.datamodel.activate(state.name, False)
            if state.clears:
                self._arrived.difference_update(state.clears)
            for name in state.invokes:
                self.children.pop(name, None)  # stopped: its completion no longer counts
            if state.timers:
                self._timers = [t for t in self._timers if t.state != state.name]

    def _halt(self) -> None:
        """The machine finished (SCXML `exitInterpreter`): every active state's exit actions
        run, innermost first in reverse document order; its timers and actors stop. The
        configuration stays as it was, so that it shows where the machine ended."""
        for state in sorted(self._configuration, key=order, reverse=True):
            self._run(state.exit, "exit", state)
            for name in state.invokes:
                self.children.pop(name, None)
        self._timers = []
        self._invocations.cancel_all()
        if self.parent is not None and self.invokeid is not None:
            self.parent._invocations.finished(self.invokeid)
            # delivered by the parent's tick(), as every event between sessions
            self.parent._schedule(
                Event(f"done.invoke.{self.invokeid}", self._done_data, invokeid=self.invokeid),
                0.0,
                None,
            )

    # -- enter ----------------------------------------------------------------------------------

    def _enter(self, enabled: list[Edge], *, initial: bool = False) -> None:
        entering: set[Node] = set()
        defaults: set[Node] = set()
        history_content: dict[Node, Edge] = {}
        for edge in enabled:
            for target in edge.targets:
                add_descendants(target, entering, defaults, history_content, self._history)
            ancestor = self.model.root if initial else self._domain(edge)
            for target in effective_targets(edge, self._history):
                add_ancestors(target, ancestor, entering, defaults, history_content, self._history)
        root = self.model.root
        ordered = [s for s in sorted(entering, key=order) if s is not root]
        self._enter_states(ordered, defaults, history_content)

    def _enter_states(
        self, entering: Iterable[Node], defaults: Set[Node], history_content: Mapping[Node, Edge]
    ) -> None:
        """Enter the states, in the order given (document order)."""
        configuration = self._configuration
        short = not self._mirror and not history_content
        for state in entering:
            configuration.add(state)
            if short and state.plain_entry:
                if state.entry:
                    self._run(state.entry, "entry", state)
                if state.initial_actions and state in defaults:
                    self._run(state.initial_actions, "action", state)
                continue
            if self._mirror:
                self._session.datamodel.activate(state.name, True)
            if state.scxml_invokes:
                self._invocations.entered(state)
            if state.data and state.name not in self._session.initialised:
                self._session.initialised.add(state.name)  # late binding: on first entry
                self._session.declare(state.data)
            self._run(state.entry, "entry", state)
            if state.commit:
                self.compensations.clear()
            self.compensations.extend(state.compensations)
            if state.rollback:
                self.rolling_back = True
            for delay, event in state.timers:
                self._schedule(Event(event), delay / 1000, state.name, None)
            if state in defaults:
                self._run(state.initial_actions, "action", state)
            if state in history_content:
                self._run(history_content[state].actions, "action", state)
            if state.is_final:
                parent = state.parent
                if parent is self.model.root or parent is None or state.kind == "terminate":
                    self.running = False
                    self.done = True
                    if state.donedata and self.parent is not None:
                        self._done_data = self._session.donedata(state.donedata)
                else:
                    data = self._session.donedata(state.donedata) if state.donedata else None
                    self._internal.append(Event(f"done.state.{parent.name}", data, "platform"))
                    grandparent = parent.parent
                    if (
                        grandparent is not None
                        and grandparent.is_parallel
                        and all(in_final(c, self._configuration) for c in grandparent.states)
                    ):
                        self._internal.append(
                            Event(f"done.state.{grandparent.name}", type="platform")
                        )

    # -- hooks ----------------------------------------------------------------------------------

    def _run(self, steps: list[Step], kind: str, where: Edge | Node) -> None:
        """Run actions: an action text calls its hook (if any), a block of executable content
        runs on the session; listeners hear each."""
        if not steps:
            return
        for step in steps:
            if isinstance(step, str):
                hook = self.actions.get(step)
                if hook is not None:
                    hook(self.context, self._event_data)
                if self._listeners:
                    self._notify({"action": step, "kind": kind})
            else:
                execute(step, self._session)
                if self._listeners:
                    self._notify({"action": step.text, "kind": kind})

    def _notify_step(self, event: str | None, edges: Iterable[Edge]) -> None:
        """A completed microstep: listeners hear its event and the configuration it left;
        `on_transitions` (when set) gets the chart's ids of the transitions it took."""
        if self.on_transitions is not None:
            self.on_transitions([edge.order for edge in edges if edge.order >= 0])
        self._notify({"event": event, "configuration": self.configuration})

    def _notify(self, record: dict[str, Any]) -> None:
        for listener in self._listeners:
            listener(record)


def load(source: str | Path | Mapping[str, Any], **options: Any) -> Machine:
    """A machine for a `statewright-ir/1` document (a path, or the parsed JSON), not started."""
    document = read_document(Path(source)) if isinstance(source, str | Path) else source
    return Machine(build(document), **options)
