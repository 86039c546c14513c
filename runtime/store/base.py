"""What every store is and shares, whatever keeps its bytes.

Part of `statewright.runtime.store`. `Store` is the contract tests/store/test_store.py runs
against each store (`FileStore`, `PostgresStore`); `StoreBase` is what every store does with
its own `open`: one event, durably, then close; observers; and the background delivery to its
remote sinks (`deliverer`). An instance handle's shared part is `instance.py`.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, Protocol

from ..observe import Observer
from ..timers import Clock
from .charts import StoredChart
from .deliverer import Deliverer, is_remote
from .records import Receipt


class StoreBase:
    """What every store does with its own `open`: one event, durably, then close; and the
    background delivery to its remote sinks (`deliverer`)."""

    sinks: list[Any]
    #: the remote sinks' thread, made at the first wake
    _deliverer: Deliverer | None = None
    _deliverer_lock = threading.Lock()

    @property
    def remote_sinks(self) -> bool:
        """Whether a sink talks to the network (delivered off the send path: `deliverer`)."""
        return any(is_remote(sink) for sink in self.sinks)

    def wake(self, resource_id: str) -> None:
        """Have the background thread deliver an instance's outbox to the remote sinks."""
        with self._deliverer_lock:
            if self._deliverer is None:
                self._deliverer = Deliverer(self._deliver_remote, "statewright-deliver")
        self._deliverer.wake(resource_id)

    def _deliver_remote(self, resource_id: str, dead_letter: bool) -> bool:
        """Deliver one instance's outbox to the remote sinks (with `dead_letter`, a record
        they keep refusing is set aside); whether they took everything."""
        raise NotImplementedError  # pragma: no cover - each store reads its own outbox

    def _stop_deliverer(self) -> None:
        """Give the remote sinks their last try (`Deliverer.close`) and end the thread."""
        if self._deliverer is not None:
            self._deliverer.close()
            self._deliverer = None

    def open(self, resource_id: str, chart: StoredChart | None = None) -> Any:
        raise NotImplementedError  # pragma: no cover - each store has its own

    #: callables that get a `Transition` for each step of each committed event
    observers: list[Observer]

    def observe(self, observer: Observer) -> Callable[[], None]:
        """Call `observer` with a `Transition` (instance, event, source, target, actions,
        version, time) for each step of every event committed through this store, once it
        is committed; returns a function that stops the calls."""
        if "observers" not in self.__dict__:
            self.observers = []
        self.observers.append(observer)
        return lambda: self.observers.remove(observer)

    def send(
        self,
        resource_id: str,
        event: str,
        data: Mapping[str, Any] | None = None,
        *,
        event_id: str | None = None,
        chart: StoredChart | None = None,
    ) -> Receipt:
        """Open, send one event durably, close (what `statewright instances send` does)."""
        with self.open(resource_id, chart) as instance:
            receipt: Receipt = instance.send(event, event_id=event_id, **dict(data or {}))
            return receipt


class Store(Protocol):
    """The contract every store keeps (tests/store/test_store.py runs it against each one)."""

    clock: Clock
    sinks: list[Any]

    def fire_due(
        self,
        charts: Sequence[StoredChart] = (),
        *,
        limit: int = 1000,
        stop: Callable[[], bool] = lambda: False,
        refused: list[tuple[str, str]] | None = None,
        full: bool = True,
    ) -> list[Receipt]: ...

    def next_due(self) -> float | None: ...

    def relay(self) -> int: ...

    def ids(self) -> list[str]: ...

    def create(
        self, resource_id: str, chart: StoredChart, *, context: Mapping[str, Any] | None = None
    ) -> Any: ...

    def open(self, resource_id: str, chart: StoredChart | None = None) -> Any: ...

    def send(
        self,
        resource_id: str,
        event: str,
        data: Mapping[str, Any] | None = None,
        *,
        event_id: str | None = None,
        chart: StoredChart | None = None,
    ) -> Receipt: ...

    def history(self, resource_id: str) -> Iterable[dict[str, Any]]: ...

    def chart_source(self, resource_id: str) -> dict[str, Any] | None: ...

    def state_at(
        self, resource_id: str, *, seq: int | None = None, at: float | str | None = None
    ) -> dict[str, Any]: ...

    def verify(self, resource_id: str, *, notes: list[str] | None = None) -> list[str]: ...

    def close(self) -> None: ...

    def __enter__(self) -> Store: ...

    def __exit__(self, *exc: object) -> None: ...
