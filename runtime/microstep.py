"""One microstep's changes to a running machine: exit the states left (recording history),
run the transitions' actions, enter the states entered; and the machine's halt.

These are SCXML's `exitStates`, `executeTransitionContent`, `enterStates` and
`exitInterpreter` (Appendix D), written as procedures over a machine (`runtime.running.Engine`)
and its `RunState`. Which states to leave and enter is decided by `runtime.algorithm` (or a
memoised plan, `runtime.plans`); here they are left and entered, with everything that
happens on the way: exit and entry actions, the datamodel's copy of the configuration,
invocations, timers, join flags, sagas and the done events of compound and parallel states.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence, Set
from typing import TYPE_CHECKING

from .algorithm import entry_set, exit_set, in_final
from .datamodel import Event
from .model import Edge, Node, is_descendant, order

if TYPE_CHECKING:
    from .running import Engine


def take(machine: Engine, enabled: list[Edge]) -> None:
    """Take the chosen transitions (one microstep of the full algorithm): exit, their
    actions, enter."""
    exit_chosen(machine, enabled)
    transition_actions(machine, enabled)
    enter_chosen(machine, enabled, False)


def exit_chosen(machine: Engine, enabled: list[Edge]) -> None:
    """Exit the states the chosen transitions leave (their exit set), innermost first."""
    run = machine.run_state
    leaving = exit_set(enabled, run.configuration, run.history, machine.model.root)
    exit_states(machine, sorted(leaving, key=order, reverse=True))


def exit_states(machine: Engine, leaving: Sequence[Node]) -> None:
    """Exit the states, in the order given (innermost first, reverse document order): history
    is recorded first, then each state's exit actions run and what it owns stops."""
    run = machine.run_state
    configuration = run.configuration
    for state in leaving:
        for history in state.histories:
            if history.kind == "deephistory":
                kept = [s for s in configuration if s.is_atomic and is_descendant(s, state)]
            else:
                kept = [s for s in configuration if s.parent is state]
            run.history[history.name] = sorted(kept, key=order)
    invocations = machine._invocations
    mirror = machine._mirror
    short = not mirror and not invocations.running
    for state in leaving:
        if state.exit:
            machine._perform(state.exit, "exit", state)
        configuration.discard(state)
        if short and state.plain_exit:
            continue
        if invocations.running:
            invocations.exited(state)
        if mirror:
            machine._session.datamodel.activate(state.name, False)
        if state.clears:
            run.arrived.difference_update(state.clears)
        for name in state.invokes:
            machine.children.pop(name, None)  # stopped: its completion no longer counts
        if state.timers:
            run.timers = [t for t in run.timers if t.state != state.name]


def transition_actions(machine: Engine, enabled: Iterable[Edge]) -> None:
    """Run the transitions' actions in the order they were selected (SCXML: document order
    of the atomic states that selected them); a join leg's flag is set as it is taken."""
    arrived = machine.run_state.arrived
    for edge in enabled:
        machine._perform(edge.actions, "action", edge)
        if edge.arrive is not None:
            arrived.add(edge.arrive)


def enter_chosen(machine: Engine, enabled: list[Edge], initial: bool) -> None:
    """Enter the states the chosen transitions enter (their entry set), outermost first."""
    history, root = machine.run_state.history, machine.model.root
    entering, defaults, history_content = entry_set(enabled, history, root, initial=initial)
    enter_states(machine, entering, defaults, history_content)


def enter_states(
    machine: Engine,
    entering: Iterable[Node],
    defaults: Set[Node],
    history_content: Mapping[Node, Edge],
) -> None:
    """Enter the states, in the order given (document order): each state's entry actions,
    then its initial transition's actions (entered by default) or its history's; a final
    state raises its parent's done event, or finishes the machine."""
    run = machine.run_state
    configuration = run.configuration
    mirror = machine._mirror
    short = not mirror and not history_content
    for state in entering:
        configuration.add(state)
        if short and state.plain_entry:
            if state.entry:
                machine._perform(state.entry, "entry", state)
            if state.initial_actions and state in defaults:
                machine._perform(state.initial_actions, "action", state)
            continue
        session = machine._session
        if mirror:
            session.datamodel.activate(state.name, True)
        if state.scxml_invokes:
            machine._invocations.entered(state)
        if state.data and state.name not in session.initialised:
            session.initialised.add(state.name)  # late binding: on first entry
            session.declare(state.data)
        machine._perform(state.entry, "entry", state)
        if state.commit:
            machine.compensations.clear()
        machine.compensations.extend(state.compensations)
        if state.rollback:
            machine.rolling_back = True
        for delay, event in state.timers:
            machine._schedule(Event(event), delay / 1000, state.name, None)
        if state in defaults:
            machine._perform(state.initial_actions, "action", state)
        if state in history_content:
            machine._perform(history_content[state].actions, "action", state)
        if state.is_final:
            _reached_final(machine, state)


def _reached_final(machine: Engine, state: Node) -> None:
    """A final state was entered: a top-level one (or a terminate) finishes the machine,
    another raises `done.state.<parent>`, and `done.state.<grandparent>` when that is a
    parallel state whose regions are all final."""
    run = machine.run_state
    session = machine._session
    parent = state.parent
    if parent is machine.model.root or parent is None or state.kind == "terminate":
        machine.running = False
        machine.done = True
        if state.donedata and machine.parent is not None:
            run.done_data = session.donedata(state.donedata)
        return
    data = session.donedata(state.donedata) if state.donedata else None
    run.internal.append(Event(f"done.state.{parent.name}", data, "platform"))
    grandparent = parent.parent
    if (
        grandparent is not None
        and grandparent.is_parallel
        and all(in_final(c, run.configuration) for c in grandparent.states)
    ):
        run.internal.append(Event(f"done.state.{grandparent.name}", type="platform"))


def halt(machine: Engine) -> None:
    """The machine finished (SCXML `exitInterpreter`): every active state's exit actions run,
    innermost first in reverse document order; its timers and actors stop. The configuration
    stays as it was, so that it shows where the machine ended. An invoked machine's parent
    hears `done.invoke.<id>` (delivered by the parent's `tick()`, as every event between
    sessions)."""
    run = machine.run_state
    for state in sorted(run.configuration, key=order, reverse=True):
        machine._perform(state.exit, "exit", state)
        for name in state.invokes:
            machine.children.pop(name, None)
    run.timers = []
    machine._invocations.cancel_all()
    parent, invokeid = machine.parent, machine.invokeid
    if parent is not None and invokeid is not None:
        parent._invocations.finished(invokeid)
        done = Event(f"done.invoke.{invokeid}", run.done_data, invokeid=invokeid)
        parent._schedule(done, 0.0, None)
