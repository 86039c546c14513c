"""The timers of a running machine: a state's `after` events and delayed `<send>`s, fired by
`tick()` when the clock says they are due (and the invoked children's with them).

A mixin of `runtime.interpreter.Machine`, kept apart so that the algorithm reads on its own; it
uses the machine's `RunState` (its timers), `clock`, queues and session.
"""

from __future__ import annotations

from typing import Any

from .datamodel import Event
from .invocations import Invocations
from .running import RunState
from .session import Session
from .timers import Timer

#: how many rounds of due timers `tick()` fires before it stops (events that keep sending
#: each other at once would otherwise never end)
MAX_ROUNDS = 10_000


class Scheduling:
    run_state: RunState
    clock: Any
    done: bool
    running: bool
    _session: Session
    _invocations: Invocations

    def start(self) -> Any: ...

    def _drain(self, watched: Event | None = None) -> bool | None: ...

    def tick(self) -> Any:
        """Fire every timed event that is due by the clock, earliest first, each as an external
        event. Call it when `next_due` has passed (a driver loop does; tests move a
        `FakeClock` and call it)."""
        for _ in range(MAX_ROUNDS):
            fired = False
            run = self.run_state
            while run.timers and not self.done:
                run.timers.sort()
                first = run.timers[0]
                if first.due > self.clock.now():
                    break
                run.timers.pop(0)
                if not self.running:
                    self.start()
                self._session.deliver(first.event, first.target)
                self._drain()
                fired = True
            if self._invocations.running and self._invocations.tick():
                fired = True
            if not fired or self.done:
                break
        return self

    def _schedule(
        self,
        event: Event,
        delay: float,
        state: str | None,
        target: str | None = None,
        sendid: str | None = None,
    ) -> None:
        """A timed event: due `delay` seconds from now (a state's `after`, or a `<send>`)."""
        run = self.run_state
        run.timer_sequence += 1
        due = self.clock.now() + delay
        run.timers.append(Timer(due, run.timer_sequence, event, state, target, sendid))

    @property
    def next_due(self) -> float | None:
        """When the earliest pending timed event is due (clock time), or None."""
        own = min((t.due for t in self.run_state.timers), default=None)
        if not self._invocations.running:
            return own
        children = self._invocations.next_due()
        return children if own is None else own if children is None else min(own, children)

    @property
    def pending_timers(self) -> list[dict[str, Any]]:
        """The scheduled timed events: due time, event and the state that scheduled it."""
        return [
            {"due": timer.due, "event": timer.event.name, "state": timer.state}
            for timer in sorted(self.run_state.timers)
        ]
