"""What every store's instance handle does the same way, whatever keeps its bytes.

Part of `statewright.runtime.store`. `DurableInstance` runs a step on the machine and describes
it as a `Record`, retries a send that lost a race (capped exponential backoff, full jitter),
runs a saga's compensations one committed record at a time, fires due timers, and builds the
record of a migration. A store's handle (`FileInstance`, `PgInstance`) only commits records
and loads state: `_send_once`, `_commit`. `StoreBase` is what every store does with its own
`open`; `Store` is the contract tests/test_store.py runs against each store.
"""

from __future__ import annotations

import json
import logging
import random
import time
from collections.abc import Callable, Iterable, Mapping
from functools import partial
from typing import Any, Protocol, TypeVar

from ..errors import MissingHooksError
from ..observe import Observer, Recorder, Transition
from ..reserved import refusal, reserved
from ..timers import Clock
from .charts import RunningMachine, StoredChart
from .errors import ConcurrencyConflict, InstanceFinished, UnknownEvent, check_event_id
from .records import TICK, Receipt, Record, new_event_id
from .replay import durable_snapshot

_log = logging.getLogger("statewright.store")
T = TypeVar("T")

#: migrate(snapshot, old document, new document) -> the snapshot the new chart continues from
Migrate = Callable[[dict[str, Any], Mapping[str, Any], Mapping[str, Any]], dict[str, Any]]

#: how often a send that lost a race is tried again before the conflict is raised
RETRIES = 200


def retry_conflicts(step: Callable[[], T]) -> T:
    """Run `step` (a send: reload, apply again) until it does not lose a race, waiting between
    attempts with capped exponential backoff and full jitter (a random wait up to 2 ms, 4 ms,
    ... at most 200 ms); after `RETRIES` attempts the last `ConcurrencyConflict` is raised."""
    for attempt in range(RETRIES):
        try:
            return step()
        except ConcurrencyConflict:
            if attempt == RETRIES - 1:
                raise
            time.sleep(random.uniform(0, min(0.2, 0.002 * 2**attempt)))
    raise AssertionError("unreachable")  # pragma: no cover


class _NothingDue(Exception):
    """A tick found no timer due once the instance was current: nothing to write."""


class _Clocked(Protocol):
    clock: Clock


class DurableInstance:
    """An open durable instance: the part both stores share (see the module docstring)."""

    store: _Clocked
    chart: StoredChart
    machine: RunningMachine
    resource_id: str
    version: int
    last_seq: int
    #: what recovery did when the instance was opened (torn tails cut, snapshot rebuilt)
    recovered: list[str]
    #: when the last record was committed (RFC 3339), if known
    last_time: str | None = None
    #: whether a transition took the last event this handle applied
    _handled: bool = True
    #: what the last step heard: (configuration before, machine records, data, event)
    _heard: tuple[Any, ...] = ((), [], {}, None)

    # -- what the store implements -----------------------------------------------------------

    def _send_once(
        self,
        event: str,
        event_id: str,
        data: Mapping[str, Any],
        expected_version: int | None,
        given_id: bool,
    ) -> Receipt:
        raise NotImplementedError  # pragma: no cover - each store commits its own way

    def _commit(self, record: Record) -> bool:
        """Write the record durably (the acknowledgement); False when its event id was
        committed already. Raises ConcurrencyConflict or StoreIOError."""
        raise NotImplementedError  # pragma: no cover

    def _interrupted(self) -> None:
        """A hook raised mid-step: the machine may be between configurations."""

    @property
    def strict(self) -> bool:
        """Refuse events the chart has no transition for (`UnknownEvent`): the store's
        setting (`strict=False` accepts any event)."""
        return bool(getattr(self.store, "strict", True))

    # -- reading ---------------------------------------------------------------------------------

    @property
    def configuration(self) -> list[str]:
        return self.machine.configuration

    @property
    def context(self) -> dict[str, Any]:
        return self.machine.context

    def snapshot(self) -> dict[str, Any]:
        """The machine's snapshot, timers as absolute times."""
        return durable_snapshot(self.machine, self.store.clock)

    # -- sending -------------------------------------------------------------------------------

    def send(
        self,
        event: str,
        *,
        event_id: str | None = None,
        expected_version: int | None = None,
        **data: Any,
    ) -> Receipt:
        """Process one event and commit it (acknowledged once committed durably).

        An event id already committed is acknowledged again, not applied twice. With
        `expected_version`, a conflict is raised to the caller; without, a conflict (another
        writer got there first) reloads the instance and applies the event again, with capped
        exponential backoff and jitter. An event id is 1 to 256 characters."""
        self._refuse_unknown(event)
        if self.chart.declared.events:  # declared fields: refused before anything is written
            self.chart.declared.check(event, data)
        given = event_id is not None
        event_id = new_event_id() if event_id is None else check_event_id(event_id)
        if expected_version is not None:
            return self._send_once(event, event_id, data, expected_version, given)
        return retry_conflicts(lambda: self._send_once(event, event_id, data, None, given))

    def _refuse_unknown(self, event: str) -> None:
        """Refuse, before anything is written, an event no transition of the chart takes
        (unless the store is not strict), and the names statewright keeps for itself."""
        if event == TICK:
            return
        if reserved(event):
            refused = refusal(event, self.resource_id, "nothing was written")
            raise UnknownEvent(str(refused), event, None)
        if not self.strict or self.chart.knows(event):
            return
        suggestion = self.chart.suggest(event)
        hint = f" (did you mean `{suggestion}`?)" if suggestion else ""
        raise UnknownEvent(
            f"{self.resource_id}: its chart has no transition for `{event}`{hint}; nothing "
            "was written (a store made with strict=False, or `--allow-unknown`, records "
            "events the chart does not know)",
            event,
            suggestion,
        )

    def _refuse(self, event: str) -> None:
        """Refuse an event for an instance in a top-level final state, and a tick when no
        timer is due (another worker fired it: `tick` returns None, nothing is written).
        Called once a send knows the event is not a duplicate, on the current state."""
        if event == TICK:
            due = self.machine.next_due
            if due is None or due > self.store.clock.now():
                raise _NothingDue
            return
        ended = [name for name in self.machine.configuration if name in self.chart.finals]
        if ended:
            when = f" at {self.last_time}" if self.last_time else ""
            raise InstanceFinished(
                f"{self.resource_id} finished{when}: it reached the final state `{ended[0]}` "
                f"(seq {self.last_seq}, version {self.version}) and takes no more events; "
                "nothing was written"
            )

    def _start(self) -> list[str]:
        """Start the machine for `create` (its initial entry actions run here); the actions
        skipped for want of a hook (see `StoredChart`)."""
        skipped: list[str] = []
        unhooked = self.chart.unhooked
        if not unhooked:
            self.machine.start()
            return skipped
        heard = partial(_heard_unhooked, [], skipped, unhooked, self.chart.no_hooks)
        self.machine.add_listener(heard)
        try:
            self.machine.start()
        finally:
            self.machine.remove_listener(heard)
        return skipped

    def tick(self) -> Receipt | None:
        """Commit the timed events that are due now, as one `sw.tick` record (replay fires the
        same timers: their due times are absolute and the record carries the time)."""
        due = self.machine.next_due
        if due is None or due > self.store.clock.now():
            return None
        try:
            return self.send(TICK)
        except _NothingDue:  # fired meanwhile by another handle (a worker)
            return None

    def _step(
        self, event: str, event_id: str, data: Mapping[str, Any], before: list[str]
    ) -> Record:
        """Run one event on the machine (hooks run here) and describe it: the configuration
        before and after, and the context when the step changed it."""
        context = self.machine.context
        context_before = json.dumps(context, default=str) if context else ""
        steps: list[dict[str, Any]] = []
        skipped: list[str] = []
        unhooked = self.chart.unhooked
        heard: Callable[[dict[str, Any]], None] = steps.append
        if unhooked:
            heard = partial(_heard_unhooked, steps, skipped, unhooked, self.chart.no_hooks)
        # the steps are heard for the store's observers, for a tick (which fires any number of
        # timers) and for actions without a hook; a send says itself whether it was taken
        listening = event == TICK or bool(unhooked) or bool(getattr(self.store, "observers", None))
        if listening:
            self.machine.add_listener(heard)
        try:
            if event == TICK:
                self.machine.tick()
            else:
                self._handled = self.machine.send(event, **data).handled is not False
        finally:
            if listening:
                self.machine.remove_listener(heard)
        if event == TICK:  # a microstep's record has the configuration it left
            self._handled = any("configuration" in step for step in steps)
        self._heard = (before, steps, data, event)
        context = self.machine.context
        changed = (json.dumps(context, default=str) if context else "") != context_before
        return Record.step(
            seq=self.last_seq + 1,
            version=self.version + 1,
            now=self.store.clock.now(),
            event=event,
            event_id=event_id,
            data=data,
            before=before,
            to=self.machine.configuration,
            context=dict(context) if changed else None,
            skipped=skipped,
        )

    def _announce(self, version: int) -> None:
        """Tell the store's observers (`store.observe`) what the event just committed did:
        one `Transition` per step, with this instance's id and the version committed. An
        observer that raises is logged, never the send's failure: the event is committed."""
        observers = getattr(self.store, "observers", None)
        if not observers:
            return
        before, steps, data, _ = self._heard
        found: list[Transition] = []
        recorder = Recorder(
            list(before), found.append, self.store.clock.now, instance=self.resource_id
        )
        recorder.version, recorder.data = version, data
        for step in steps:
            recorder(step)
        for transition in found:
            for observer in list(observers):
                try:
                    observer(transition)
                except Exception:  # noqa: BLE001 - the event is committed whatever it does
                    _log.exception("an observer failed on %s", transition)

    def _compensate(self) -> None:
        """Sagas: run the compensations a `rollback/` state asked for, newest first, each one
        committed as its own `sw.compensate` record as it completes, so that an interrupted
        rollback resumes when the instance is next opened."""
        while self.machine.rolling_back:
            before = self.machine.configuration
            try:
                action = self.machine.compensate_one()
            except BaseException:
                self._interrupted()  # the compensation failed: it runs again on reload
                raise
            if action is None:
                return
            self._commit(
                Record.compensation(
                    seq=self.last_seq + 1,
                    version=self.version + 1,
                    now=self.store.clock.now(),
                    action=action,
                    before=before,
                    to=self.machine.configuration,
                )
            )

    def _migration(self, old_hash: str, snapshot: Mapping[str, Any]) -> Record:
        """The record that carries the instance over to its new chart (`migrate=`)."""
        return Record.migration(
            seq=self.last_seq + 1,
            version=self.version + 1,
            now=self.store.clock.now(),
            from_hash=old_hash,
            to_hash=self.chart.hash,
            to=self.machine.configuration,
            snapshot=snapshot,
        )


class StoreBase:
    """What every store does with its own `open`: one event, durably, then close."""

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
    """The contract every store keeps (tests/test_store.py runs it against each one)."""

    clock: Clock

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

    def verify(self, resource_id: str) -> list[str]: ...

    def close(self) -> None: ...

    def __enter__(self) -> Store: ...

    def __exit__(self, *exc: object) -> None: ...


def _heard_unhooked(
    steps: list[dict[str, Any]],
    skipped: list[str],
    unhooked: frozenset[str],
    no_hooks: bool,
    record: dict[str, Any],
) -> None:
    """A machine record, heard by a store whose chart has actions without a hook: such an
    action is refused (the step raises, nothing is written) or, with `no_hooks`, noted as
    skipped in the step's record."""
    steps.append(record)
    action = record.get("action")
    if action is None or action not in unhooked:
        return
    if not no_hooks:
        raise MissingHooksError(
            f"`{action}` ({record.get('kind')}) has no hook here: nothing was written. Give "
            "the hooks (`StoredChart(..., actions=...)`, a generated class, or `--hooks "
            "module:attr` on the command line), or skip actions on purpose with `no_hooks` "
            "(`--no-hooks`; the record then lists what was skipped)"
        )
    if action not in skipped:
        skipped.append(action)
