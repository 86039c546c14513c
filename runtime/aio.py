"""Running machines from asyncio, and drivers that fire timed events by themselves.

`AsyncMachine(machine)` drives an interpreter `Machine` or a generated class instance from
asyncio code. Hooks may be coroutines (`async def`):

- each `await am.send(event)` runs one macrostep in a worker thread (one at a time per
  machine, in the order they were awaited), so the event loop is never blocked by a step;
- a hook that returns an awaitable is awaited on the event loop before the step goes on: hooks
  still run one after the other in the order the algorithm calls them; plain hooks run in the
  worker thread;
- guards stay plain functions (a guard decides within a step; a coroutine guard is refused).

`am.run_timers()` starts a task that sleeps until the next timed event is due and fires it;
`TimerThread(machine)` does the same from a thread for code without an event loop. Both hold
the machine's lock while they step it, so `send` from other threads goes through them
(`am.send`, `driver.send`).
"""

from __future__ import annotations

import asyncio
import inspect
import threading
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from .awaiting import bridged, local
from .errors import StatewrightError
from .outcome import Outcome

T = TypeVar("T")


class AsyncMachine:
    """An interpreter `Machine` or a generated class instance, driven from asyncio."""

    def __init__(self, machine: Any) -> None:
        self.machine = machine
        self._lock = threading.Lock()
        self._changed: asyncio.Event | None = None
        self._timers: asyncio.Task[None] | None = None
        actions: dict[str, Callable[..., Any]] | None = getattr(machine, "actions", None)
        if isinstance(actions, dict):  # the interpreter: hooks by action text
            for text, hook in list(actions.items()):
                actions[text] = bridged(hook)
        guards: Mapping[str, Callable[..., Any]] = getattr(machine, "guards", None) or {}
        for name, guard in guards.items():
            if inspect.iscoroutinefunction(guard):
                raise StatewrightError(f"guard `{name}` is a coroutine: guards must be plain")

    # -- stepping -------------------------------------------------------------------------------

    async def _step(self, function: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        loop = asyncio.get_running_loop()

        def work() -> T:
            with self._lock:
                local.loop = loop
                try:
                    return function(*args, **kwargs)
                finally:
                    local.loop = None

        try:
            return await loop.run_in_executor(None, work)
        finally:
            if self._changed is not None:
                self._changed.set()

    async def start(self) -> AsyncMachine:
        await self._step(self.machine.start)
        return self

    async def send(self, event: str, **data: Any) -> Outcome:
        """Process one event to completion and say what it did (`runtime.outcome`);
        coroutine hooks are awaited in order."""
        outcome: Outcome = await self._step(self.machine.send, event, **data)
        return outcome

    async def tick(self) -> AsyncMachine:
        await self._step(self.machine.tick)
        return self

    # -- what the machine shows -----------------------------------------------------------------

    @property
    def configuration(self) -> list[str]:
        return list(self.machine.configuration)

    @property
    def context(self) -> dict[str, Any]:
        context: dict[str, Any] = self.machine.context
        return context

    def is_active(self, name: str) -> bool:
        return bool(self.machine.is_active(name))

    def snapshot(self) -> dict[str, Any]:
        with self._lock:
            snapshot: dict[str, Any] = self.machine.snapshot()
            return snapshot

    # -- timers ---------------------------------------------------------------------------------

    def run_timers(self) -> asyncio.Task[None]:
        """Start (once) a task that fires timed events when they are due, until `aclose()`."""
        if self._timers is None or self._timers.done():
            self._changed = asyncio.Event()
            self._timers = asyncio.get_running_loop().create_task(self._timer_loop())
        return self._timers

    async def _timer_loop(self) -> None:
        assert self._changed is not None
        changed = self._changed
        while True:
            changed.clear()
            due = self.machine.next_due
            if due is None:
                await changed.wait()
                continue
            delay = due - self.machine.clock.now()
            if delay > 0:
                try:
                    await asyncio.wait_for(changed.wait(), timeout=delay)
                    continue  # a step changed the timers: look again
                except TimeoutError:
                    pass
            await self.tick()

    async def aclose(self) -> None:
        """Stop the timer task (the machine itself is kept as it is)."""
        if self._timers is not None:
            self._timers.cancel()
            try:
                await self._timers
            except asyncio.CancelledError:
                pass
            self._timers = None

    async def __aenter__(self) -> AsyncMachine:
        self.run_timers()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()


class TimerThread:
    """Fires a machine's timed events from a daemon thread, for programs without asyncio.
    Send events through `driver.send` (it takes the same lock as the timer thread)."""

    def __init__(self, machine: Any) -> None:
        self.machine = machine
        self._lock = threading.Lock()
        self._wake = threading.Condition(self._lock)
        self._stopped = False
        self._thread = threading.Thread(target=self._run, name="statewright-timers", daemon=True)
        self._thread.start()

    def send(self, event: str, **data: Any) -> Outcome:
        with self._wake:
            outcome: Outcome = self.machine.send(event, **data)
            self._wake.notify()
            return outcome

    def stop(self) -> None:
        with self._wake:
            self._stopped = True
            self._wake.notify()
        self._thread.join()

    def _run(self) -> None:
        with self._wake:
            while not self._stopped:
                due = self.machine.next_due
                if due is None:
                    self._wake.wait()
                    continue
                delay = due - self.machine.clock.now()
                if delay > 0:
                    self._wake.wait(timeout=delay)
                    continue
                self.machine.tick()
