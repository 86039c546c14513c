"""Run a chart: the W3C SCXML algorithm (Appendix D) over the model of `runtime.model`.

An external event is one macrostep: the transitions it enables are taken (one microstep), then
eventless transitions and internal events (`done.state.<name>`) until none is enabled. Within a
microstep: exit innermost first (reverse document order), run the transitions' actions in
document order, enter outermost first (document order). Conflicts between enabled transitions
are resolved as SCXML does (a descendant's transition wins, then document order).
Deliberate differences from SCXML are in docs/semantics.md.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

from . import hooks, outcome, snapshots
from .actors import Actors
from .algorithm import candidates, without_conflicts
from .content import execute
from .datamodel import Event
from .display import Pictured
from .document import ChartError, read_document
from .errors import MAX_MICROSTEPS as MAX_MICROSTEPS
from .errors import LivelockError as LivelockError
from .expr import lookup
from .introspect import Answers
from .introspect import guard_failed as guard_failed
from .invocations import Invocations
from .microstep import enter_chosen, enter_states, exit_states, halt, take
from .model import Edge, Model, Node, Step, build, order
from .outcome import Outcome
from .plans import plan_for, remember
from .reserved import PREFIXES, refusal
from .running import NO_DATA, RunState
from .running import Listener as Listener
from .scheduling import Scheduling
from .scopes import Listeners, begin_scopes, end_scopes
from .session import Session
from .timers import Clock, SystemClock

ActionHook = Callable[..., Any]

SNAPSHOT_FORMAT = snapshots.FORMAT


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
        #: the configuration, queues, timers, history: everything a step changes
        self.run_state = RunState()
        self._done_callbacks: list[Callable[[], None]] = []
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
        self._listeners = Listeners()
        #: for tools (the studio): called, while listeners are attached, with each microstep's ids
        self.on_transitions: Callable[[list[int]], object] | None = None
        self.clock: Clock = clock or SystemClock()
        self.running = False
        self.done = False
        #: an invoked machine's parent and its invoke id (SCXML `#_parent`)
        self.parent: Any = None
        self.invokeid: str | None = None
        self._session = Session(self)
        self._invocations = Invocations(self)
        #: whether the datamodel keeps its own copy of the configuration (ECMAScript's In())
        self._mirror = model.datamodel == "ecmascript"

    # -- public ---------------------------------------------------------------------------------

    def start(self) -> Machine:
        """Enter the initial configuration (runs entry actions and eventless transitions)."""
        if self.running or self.done:
            return self
        self.running = True
        root = self.model.root
        run = self.run_state
        run.stepping = True
        try:
            if self.model.datamodel is not None:
                self._session.initialise()
            self._perform(root.initial_actions, "action", root)
            initial = Edge(root, list(root.initial), None, None, None, [], False, -1)
            enter_chosen(self, [initial], True)
            self._complete()
        finally:
            run.stepping = False
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
        run = self.run_state
        if (
            run.stepping
            or run.external
            or self.model.datamodel is not None
            or self._invocations.running
        ):
            queued = Event(event, data or None)
            run.external.append(queued)
            return outcome.of_interpreter(self, event, self._drain(queued))
        # nothing queued and nothing reads `_event`: the macrostep at once
        if self.done:
            return outcome.of_interpreter(self, event, False)
        run.stepping = True
        scoped = self._listeners.scoped
        if scoped:
            begin_scopes(scoped, event, data)
        failed: BaseException | None = None
        try:
            run.event_data = data
            handled = self._step(event)
            self._complete()
        except BaseException as error:
            failed = error
            raise
        finally:
            run.event_data = NO_DATA
            run.stepping = False
            if scoped:
                end_scopes(scoped, event, failed)
        if run.external:
            self._drain()
        if not self.done:  # the shared outcome of this configuration and event, if known
            found: Outcome | None = self.model.outcomes.get((run.settled, event, handled, False))
            if found is not None:
                return found
        return outcome.of_interpreter(self, event, handled)

    def enqueue(self, event: Event) -> None:
        """Put an event on the external queue (from a parent, a child, a delayed send) and
        process it unless a macrostep is running."""
        self.run_state.external.append(event)
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
        run = self.run_state
        while run.external and not run.stepping:
            event = run.external.popleft()
            if self.done:
                handled = False if event is watched else handled
                continue
            run.stepping = True
            scoped = self._listeners.scoped
            if scoped:
                data = event.data if isinstance(event.data, Mapping) else NO_DATA
                begin_scopes(scoped, event.name, data)
            failed: BaseException | None = None
            try:
                self._bind(event)
                if self._invocations.running:
                    self._invocations.before(event)
                took = self._step(event.name)
                handled = took if event is watched else handled
                self._complete()
            except BaseException as error:
                failed = error
                raise
            finally:
                run.event_data = NO_DATA
                run.stepping = False
                if scoped:
                    end_scopes(scoped, event.name, failed)
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
        if self.done and not self.run_state.announced:
            self.run_state.announced = True
            halt(self)
            for callback in self._done_callbacks:
                callback()

    def _bind(self, event: Event) -> None:
        """The event being processed: its data for guards and hooks, `_event` for the
        datamodel."""
        data = event.data
        self.run_state.event_data = data if isinstance(data, Mapping) else {}
        if self.model.datamodel is not None:
            self._session.datamodel.bind_event(event)

    def _resume(self, data: Mapping[str, Any]) -> None:
        """Finish a macrostep that a generated class began on its tables."""
        run = self.run_state
        run.stepping = True
        try:
            run.event_data = data
            self._complete()
        finally:
            run.event_data = {}
            run.stepping = False
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
        active = self.run_state.configuration
        return [n.name for n in sorted(active, key=order) if n.is_atomic]

    @property
    def active(self) -> list[str]:
        """Every active state (atomic and their ancestors), in document order."""
        return [n.name for n in sorted(self.run_state.configuration, key=order)]

    def is_active(self, name: str) -> bool:
        node = self.model.nodes.get(name)
        return node is not None and node in self.run_state.configuration

    def _drawing(self) -> tuple[Mapping[str, Any], list[str]]:
        """What a notebook draws (`runtime.display`): the chart, the active states lit."""
        return self.model.document, self.active

    def add_listener(self, listener: Listener) -> None:
        """Called with a dict for every action run (`{"action": text, ...}`) and every
        completed step (`{"event": ..., "configuration": [...]}`)."""
        self._listeners.add(listener)

    def remove_listener(self, listener: Listener) -> None:
        """Stop calling `listener` (added by `add_listener`)."""
        self._listeners.discard(listener)

    def _spawn(self, model: Model, invokeid: str) -> Machine:
        """A machine for an invoked SCXML document, this one its parent (not started)."""
        child = type(self)(model, clock=self.clock)
        child.parent, child.invokeid = self, invokeid
        return child

    # -- the macrostep: which transitions an event enables --------------------------------------

    def _settle(self) -> None:
        internal = self.run_state.internal
        steps = 0
        while self.running:
            steps += 1
            if steps > MAX_MICROSTEPS:
                raise LivelockError(
                    f"no stable configuration after {MAX_MICROSTEPS} microsteps "
                    f"(active: {', '.join(self.configuration)}): eventless transitions loop"
                )
            if not self._step(None):
                if not internal:
                    break
                event = internal.popleft()
                self._bind(event)
                self._step(event.name)

    def _step(self, event: str | None) -> bool:
        """One microstep: take the transitions `event` enables (None: the eventless ones);
        False when none is. From a plan when only the configuration and the event decide
        (runtime.plans), else by the full algorithm (`runtime.microstep`)."""
        model = self.model
        run = self.run_state
        key = (frozenset(run.configuration), event)
        plans = model.plans
        if key in plans:
            plan = plans[key]
        else:
            plan = plan_for(model, run.configuration, event)
            if event is None or event in model.known_events:
                remember(model, key, plan)
        if plan is None:
            enabled = self._select(event)
            if not enabled:
                run.settled = key[0]
                return False
            take(self, enabled)
        elif not plan.edges:
            run.settled = key[0]  # a macrostep ends here: `runtime.outcome` reads it
            return False
        else:
            enabled = plan.edges
            exit_states(self, plan.leaving)
            for edge in enabled:
                if edge.actions:
                    self._perform(edge.actions, "action", edge)
            enter_states(self, plan.entering, plan.defaults, {})
        if self._listeners:
            self._notify_step(event, enabled)
        return True

    def _select(self, event: str | None) -> list[Edge]:
        run = self.run_state
        chosen: list[Edge] = []
        atomic = sorted((n for n in run.configuration if n.is_atomic), key=order)
        for state in atomic:
            found = self._first_enabled(state, event)
            if found is not None and found not in chosen:
                chosen.append(found)
        return without_conflicts(chosen, run.configuration, run.history, self.model.root)

    def _first_enabled(self, state: Node, event: str | None) -> Edge | None:
        arrived = self.run_state.arrived
        for edge in candidates(self.model, state, event):
            if edge.arrive is not None and edge.arrive in arrived:
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
        configuration, arrived = self.run_state.configuration, self.run_state.arrived
        return all(s in configuration for s in edge.requires) and all(
            f in arrived for f in edge.flags
        )

    def _holds(self, edge: Edge) -> bool:
        """Whether the guard holds; one that cannot be evaluated is false and reported (with
        an SCXML datamodel, also as `error.execution` on the internal queue)."""
        text = edge.guard_text
        data = self.run_state.event_data
        try:
            if edge.guard is None and text is not None:  # the document's datamodel evaluates it
                return self._session.datamodel.condition(text)
            if text is not None and text in self.guards:
                return bool(self.guards[text](self.context, data))
            env = lookup(self.context, data)
            hooks = self.guards

            def names(name: str) -> Any:
                if name in hooks:
                    return hooks[name](self.context, data)
                return env(name)

            assert edge.guard is not None
            return bool(edge.guard(names, self.is_active))
        except Exception as error:  # noqa: BLE001 - as SCXML: a guard that fails is false
            if self.model.datamodel is not None:
                self._session.error("error.execution", f"[{(text or '')[:80]}]: {error}")
            return guard_failed(self._listeners, text or "", error)

    # -- hooks ----------------------------------------------------------------------------------

    def _perform(self, steps: list[Step], kind: str, where: Edge | Node) -> None:
        """Run actions: an action text calls its hook (if any), a block of executable content
        runs on the session; listeners hear each."""
        if not steps:
            return
        for step in steps:
            if isinstance(step, str):
                hook = self.actions.get(step)
                if hook is not None:
                    hook(self.context, self.run_state.event_data)
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
