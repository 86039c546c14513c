"""What every store's instance handle does the same way, whatever keeps its bytes.

Part of `statewright.runtime.store`. `DurableInstance` owns the send sequence, once for every
store: validate, step, append, commit, then the work after the commit. It runs a step on the
machine and describes it as a `Record`, retries a send that lost a race (capped exponential
backoff, full jitter), runs a saga's compensations one committed record at a time, fires due
timers, and builds the record of a migration. A store's handle (`FileInstance`, `PgInstance`)
implements the narrow log interface under it (`_writing`, `_find`, `_commit`, `_settle`,
`_after_release`), as httpx's transports implement `BaseTransport` under one client.

Once `_commit` returned, `send` does not raise: the work after it (observers, compensations,
snapshot, hints, sinks) that fails is logged, done later (the next send, open, relay or
worker), and named in the receipt's `deferred`. What every store is and shares (`Store`,
`StoreBase`) is `base.py`.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import logging
import random
import time
from collections.abc import Callable, Mapping, Sequence
from functools import partial
from typing import Any, Protocol, TypeVar

from ..errors import MissingHooksError
from ..observe import Recorder, Transition
from ..reserved import refusal, reserved
from ..timers import Clock
from .charts import RunningMachine, StoredChart
from .errors import (
    CLOCK_TOLERANCE,
    RECORD_LIMIT,
    ClockSkew,
    ConcurrencyConflict,
    InstanceFinished,
    RecordTooLarge,
    StoreIOError,
    UnknownEvent,
    check_event_id,
    check_record,
)
from .records import TICK, Receipt, Record, new_event_id, seconds
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
    #: the observers wrapping the send in flight (`observe.Scoped`), with their handles
    _scopes: Sequence[tuple[Any, Any]] = ()

    #: how many commits lost a race and were retried (the bench reports the rate)
    conflicts: int = 0
    #: how often a send that met a StoreIOError is tried again (a store whose I/O errors can
    #: be transient: PostgreSQL's lost connections); 0: raised at once
    transient_retries: int = 0

    # -- the log interface each store implements ---------------------------------------------

    def _writing(self) -> contextlib.AbstractContextManager[None]:
        """Hold the instance for one send: reopen a poisoned handle from what is durable, take
        the store's write lock where it has one, and catch up with other writers."""
        return contextlib.nullcontext()

    def _find(self, event: str, event_id: str) -> Receipt | None:
        """The receipt of `event_id` when it was committed already (a retry), else None."""
        raise NotImplementedError  # pragma: no cover - each store looks it up its own way

    def _refresh(self) -> None:
        """Read the instance again (the version a caller expected differs from this handle's)."""

    def _before(self) -> list[str]:
        """The configuration a step starts from, as the record will say."""
        return self.machine.configuration

    def _commit(self, record: Record) -> bool:
        """Write the record durably (the acknowledgement); False when its event id was
        committed already, by another writer meanwhile. Raises ConcurrencyConflict or
        StoreIOError (nothing acknowledged)."""
        raise NotImplementedError  # pragma: no cover

    def _settle(self) -> None:
        """The store's own work after a commit, under its lock (a file store's snapshot)."""

    def _after_release(self) -> None:
        """The store's work after a commit once the instance is released (the sinks)."""

    def _interrupted(self) -> None:
        """A hook raised mid-step: the machine may be between configurations."""

    # -- the send sequence ---------------------------------------------------------------------

    def _send_once(
        self,
        event: str,
        event_id: str,
        data: Mapping[str, Any],
        expected_version: int | None,
        given_id: bool,
    ) -> Receipt:
        """One attempt at a send: validate, step, append and commit, then the work after the
        commit, which never raises (see the module docstring)."""
        with self._writing():
            # a caller's id may have been committed already (a retry); a new UUIDv7 has not.
            # Before the version check: a retry of a send that succeeded expects the version
            # it had then, and gets its receipt, not a conflict.
            seen = self._find(event, event_id) if given_id else None
            if seen is not None:
                return seen
            if expected_version is not None and expected_version != self.version:
                self._refresh()
                if expected_version != self.version:
                    self.conflicts += 1
                    raise ConcurrencyConflict(
                        f"{self.resource_id} is at version {self.version}, not {expected_version}"
                    )
            self._refuse(event)
            before = self._before()
            self._scopes = self._begin_scopes(event, data)  # ended by `_announce`, or below
            try:
                try:
                    record = self._step(event, event_id, data, before)
                    check_record(record.to_json(), self.record_limit, self.resource_id, "the step")
                except BaseException:
                    self._interrupted()  # a hook failed mid-step: reload before the next use
                    raise
                if not self._commit(record):  # the same id, committed by another writer
                    seen = self._find(event, event_id)
                    if seen is None:  # pragma: no cover - the store said it was there
                        raise ConcurrencyConflict(f"{self.resource_id}: {event_id} vanished")
                    self._end_scopes([], None)
                    return seen
            except BaseException as error:
                self._end_scopes([], error)
                raise
            receipt = Receipt(
                self.resource_id,
                record.seq,
                record.version,
                event,
                event_id,
                list(record.to),
                handled=self._handled,
            )
            deferred = self._after_commit(record)
        deferred += self._after_commit_work("sinks", self._after_release)
        return dataclasses.replace(receipt, deferred=tuple(deferred)) if deferred else receipt

    def _after_commit(self, record: Record) -> list[str]:
        """The work after a commit under the store's lock: observers, compensations, the
        store's own (snapshot, hints). What failed, for the receipt."""
        return [
            *self._after_commit_work("observers", partial(self._announce, record.version)),
            *self._after_commit_work("compensations", self._compensate),
            *self._after_commit_work("snapshot", self._settle),
        ]

    def _after_commit_work(self, name: str, work: Callable[[], object]) -> list[str]:
        """Run one piece of the work after a commit: a failure is logged and returned as a
        sentence (it is done again later: compensations when the instance is next opened, a
        snapshot at the next one, sinks at the next commit, open or relay)."""
        try:
            work()
        except Exception as error:  # noqa: BLE001 - the event is committed whatever happens
            text = f"{name}: {type(error).__name__}: {error}"
            _log.warning("%s: committed, but %s (done later)", self.resource_id, text)
            return [text]
        return []

    @property
    def record_limit(self) -> int:
        """Bytes one record may take as JSON (the store's `record_limit`)."""
        return int(getattr(self.store, "record_limit", RECORD_LIMIT))

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
        check_record(data, self.record_limit, self.resource_id, "the event's data")
        if self.chart.declared.events:  # declared fields: refused before anything is written
            self.chart.declared.check(event, data)
        given = event_id is not None
        event_id = new_event_id() if event_id is None else check_event_id(event_id)
        for attempt in range(self.transient_retries + 1):
            try:
                if expected_version is not None:
                    return self._send_once(event, event_id, data, expected_version, given)
                once = partial(self._send_once, event, event_id, data, None, given)
                return retry_conflicts(once)
            except RecordTooLarge:
                with self._writing():  # the machine stepped: back to what is committed
                    pass
                raise
            except StoreIOError:
                if attempt == self.transient_retries:
                    raise
                given = True  # it may have been committed: looked up before applying again
                time.sleep(random.uniform(0, 0.05 * 2**attempt))
        raise AssertionError("unreachable")  # pragma: no cover

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
        now = self.store.clock.now()
        if due is None:
            return None
        # a clock behind the last record's: refused (and said), not a quiet "nothing due"
        if self.last_time is not None and seconds(self.last_time) > now + CLOCK_TOLERANCE:
            raise ClockSkew(
                f"{self.resource_id}: its last record was written at {self.last_time}, "
                f"{seconds(self.last_time) - now:.1f} s later than this process's clock says it "
                "is now: no timer fired (fix the clock: NTP)"
            )
        if due > now:
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
        observers = list(getattr(self.store, "observers", None) or ())
        if not observers and not self._scopes:
            return
        found: list[Transition] = []
        try:  # the scopes end whatever happens here (a tracer's context is detached)
            before, steps, data, _ = self._heard
            recorder = Recorder(
                list(before),
                found.append,
                self.store.clock.now,
                instance=self.resource_id,
                chart=self.chart.id,
            )
            recorder.version, recorder.data = version, data
            for step in steps:
                recorder(step)
            scoped = {id(observer) for observer, _ in self._scopes}
            for transition in found:
                for observer in observers:
                    if id(observer) in scoped:
                        continue  # it has them all at the end of its scope, below
                    try:
                        observer(transition)
                    except Exception:  # noqa: BLE001 - the event is committed whatever it does
                        _log.exception("an observer failed on %s", transition)
        finally:
            self._end_scopes(found, None)

    def _begin_scopes(self, event: str, data: Mapping[str, Any]) -> Sequence[tuple[Any, Any]]:
        """The observers that wrap a sent event's steps (`observe.Scoped`, as a tracer), told
        that they begin, before the hooks run; each with what `end` gets back."""
        observers = getattr(self.store, "observers", None)
        if not observers:
            return ()
        opened: list[tuple[Any, Any]] = []
        for observer in list(observers):
            if hasattr(observer, "begin"):
                try:
                    opened.append((observer, observer.begin(event, data, self.resource_id)))
                except Exception:  # noqa: BLE001 - an observer never fails the send
                    _log.exception("an observer failed as %s began", event)
        return opened

    def _end_scopes(self, transitions: list[Transition], error: BaseException | None) -> None:
        """Tell the observers `_begin_scopes` opened that the step ended (innermost first):
        its committed transitions, or the error that stopped it."""
        opened, self._scopes = self._scopes, ()
        for observer, handle in reversed(opened):
            try:
                observer.end(handle, transitions, error)
            except Exception:  # noqa: BLE001 - the event is committed (or failed) regardless
                _log.exception("an observer failed as its scope ended")

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
