"""Actors and sagas of a running machine: the child machines its states invoke
(`invoke/ name`), and the compensations a `rollback/` state runs.

A mixin of `runtime.interpreter.Machine`, kept apart so that the algorithm reads on its own; it
uses the machine's configuration, factories, children and hooks.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .model import Model, Step, order
from .running import RunState


class Actors:
    model: Model
    machines: dict[str, Callable[[], Any]]
    children: dict[str, Any]
    compensations: list[str]
    rolling_back: bool
    run_state: RunState
    deliver: Callable[[str], object]

    def _perform(self, steps: list[Step], kind: str, where: Any) -> None: ...

    def compensate_one(self) -> str | None:
        """Run the newest compensation left (its hook), or return None when none is left."""
        if not self.rolling_back or not self.compensations:
            self.rolling_back = False
            return None
        action = self.compensations.pop()
        self._perform([action], "compensate", self.model.root)
        if not self.compensations:
            self.rolling_back = False
        return action

    def _start_children(self) -> None:
        for state in sorted(self.run_state.configuration, key=order):
            for name in state.invokes:
                if name not in self.children:
                    self._adopt(name, self.machines[name]()).start()

    def _adopt(self, name: str, child: Any) -> Any:
        self.children[name] = child
        child.on_done(lambda: self._child_done(name, child))
        return child

    def _child_done(self, name: str, child: Any) -> None:
        if self.children.get(name) is child:
            self.deliver(f"done.invoke.{name}")
