"""The chart a store runs, and what a store needs of a running machine.

Part of `statewright.runtime.store`. `StoredChart` is a chart as a store runs it: an IR document
with hooks by action text, or a generated class. `RunningMachine` is what the stores call on the
machine either one makes (the interpreter's `Machine` and every `CompiledMachine` have it).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, Protocol

from .. import hooks
from ..interpreter import Machine
from ..model import build
from ..outcome import Outcome
from ..runnable import chart_hash, runnable_document
from ..timers import Clock
from .errors import StoreError


class RunningMachine(Protocol):
    """What a store calls on a machine: run it, read it, save and restore it, and run a saga's
    compensations one at a time."""

    @property
    def configuration(self) -> list[str]: ...

    @property
    def active(self) -> list[str]: ...

    @property
    def context(self) -> dict[str, Any]: ...

    @property
    def next_due(self) -> float | None: ...

    @property
    def rolling_back(self) -> bool: ...

    auto_compensate: bool

    def start(self) -> object: ...

    def send(self, event: str, **data: Any) -> Outcome: ...

    def _apply(self, event: str, data: dict[str, Any]) -> Outcome: ...

    def tick(self) -> object: ...

    def snapshot(self) -> dict[str, Any]: ...

    def restore(self, snapshot: Mapping[str, Any]) -> object: ...

    def compensate_one(self) -> str | None: ...

    def add_listener(self, listener: Callable[[dict[str, Any]], Any]) -> None: ...

    def remove_listener(self, listener: Callable[[dict[str, Any]], Any]) -> None: ...


class StoredChart:
    """A chart as a store runs it: an IR document with hooks by action text, or a generated
    class (its subclass with the hooks). `new(replaying=True)` gives a machine whose hooks do
    nothing, for replaying the log (guards still run: they decide transitions).

    Every hook is accounted for (`runtime.hooks`): hooks for names the chart does not have are
    refused, and so are hooks given for only some actions unless `partial=True`. A document
    given with no hooks at all (what `instances send` and the worker have without `--hooks`)
    moves an instance only through steps that run no action: a step that would run an action
    without its hook is refused with `MissingHooksError`, nothing written, unless `no_hooks`
    (or `partial`) is set, and then its record lists the actions it skipped (`"skipped"`)."""

    def __init__(
        self,
        source: Mapping[str, Any] | type,
        *,
        actions: Mapping[str, Callable[..., Any]] | None = None,
        guards: Mapping[str, Callable[..., Any]] | None = None,
        chart_id: str | None = None,
        keep_source: bool = False,
        partial: bool = False,
        no_hooks: bool = False,
    ) -> None:
        self.generated: type | None = None
        #: the whole IR document, kept with the instance for drawing it (`instances show -o`):
        #: always for a generated class, for a plain document when `keep_source` is set
        self.source: Mapping[str, Any] | None = None
        if keep_source and not isinstance(source, type):
            self.source = source
        if isinstance(source, type):
            document = next(
                (k.__dict__["CHART"] for k in source.__mro__ if "CHART" in k.__dict__), None
            )
            if document is None:
                raise StoreError(f"{source.__name__} is not a generated machine class")
            self.generated = source
            self.document = runnable_document(document)
            # the class carries its whole IR document: keep it, so the instance can be drawn
            # (`instances show -o`, the studio's inspector) however it was created
            self.source = document
            default_id = source.__name__
        else:
            self.document = runnable_document(source)
            default_id = str(source.get("file") or "chart")
            default_id = Path(default_id).name.split(".")[0] or "chart"
        self.actions = dict(actions or {})
        self.guards = dict(guards or {})
        self.hash = chart_hash(self.document)
        self.id = chart_id or default_id
        self._model = build(self.document)
        #: the context and event fields the chart declares (checked before a send is run)
        self.declared = self._model.declared
        #: the actions a step may not run without `no_hooks` (they have no hook)
        self.unhooked: frozenset[str] = frozenset()
        #: run steps whose actions have no hook (skipping those, as the record says)
        self.no_hooks = no_hooks or partial
        if self.generated is None:
            given = bool(self.actions) and not (partial or no_hooks)
            hooks.check(self._model, self.actions, self.guards, partial=not given)
            self.unhooked = frozenset(hooks.action_texts(self._model)) - set(self.actions)
        self._replay_class: type | None = None
        #: whether the chart has timed events (`after 30s`)
        self.has_timers = any(node.timers for node in self._model.nodes.values())
        #: the top-level final states: an instance in one of them is finished
        self.finals = frozenset(c.name for c in self._model.root.states if c.is_final)

    def knows(self, event: str) -> bool:
        """Whether some transition of the chart takes `event` (`Model.takes`)."""
        return self._model.takes(event)

    def suggest(self, event: str) -> str | None:
        """The chart's event name closest to a misspelt `event` (`Model.suggest`)."""
        return self._model.suggest(event)

    def new(self, *, clock: Clock, replaying: bool = False) -> RunningMachine:
        """A machine of this chart, not started. Compensations (sagas) are left to the store,
        which runs and logs them one at a time."""
        machine = self._new(clock=clock, replaying=replaying)
        if self._model.has_sagas:
            machine.auto_compensate = False
        return machine

    def _new(self, *, clock: Clock, replaying: bool) -> RunningMachine:
        if self.generated is None:
            actions = {} if replaying else self.actions
            return Machine(
                self._model, actions=actions, guards=self.guards, clock=clock, partial=True
            )
        cls = self.generated
        if replaying:
            if self._replay_class is None:
                silent = {name: _nothing for _, name in getattr(cls, "HOOKS", ())}
                self._replay_class = type(f"Replaying{cls.__name__}", (cls,), silent, partial=True)
            cls = self._replay_class
        machine: RunningMachine = cls(clock=clock, start=False)
        return machine


def _nothing(self: object, data: object) -> None:
    return None


# -- replay ---------------------------------------------------------------------------------------
