"""A worker: what runs a store's instances when nobody sends them events.

Part of `statewright.runtime.store`; `statewright worker` runs one (docs/operations.md). A
`Worker` makes passes over a store. Each pass fires the timers that are due (`fire_due`: an
`after 30min` happens though no program calls `tick()`) and relays the outbox to the store's
sinks (what a webhook missed while it was down). Between passes it sleeps until the next due
timer, at most `max_idle` seconds; on a FileStore a change to any instance's `due` hint wakes
it at once (watchfiles, when installed), on PostgreSQL it looks again every `poll` seconds.

Several workers may run on one store: each timer fires exactly once (a FileStore instance's
lock makes workers take turns and a tick that finds nothing due writes nothing; PostgreSQL
claims instances with `FOR UPDATE SKIP LOCKED`). `stop` (a threading.Event: SIGTERM, Ctrl-C)
ends the run after the instance in flight.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .base import Store
from .charts import StoredChart

_log = logging.getLogger("statewright.store.worker")


@dataclass(frozen=True)
class Pass:
    """What one pass did: timers fired, deliveries made, the next due time (None: no timer),
    the instances a timer was fired for (in order), and those whose due timer was refused
    because its actions have no hook (logged as errors; tried again after `max_idle`)."""

    fired: int
    delivered: int
    next_due: float | None
    instances: tuple[str, ...] = ()
    refused: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {
            "fired": self.fired,
            "delivered": self.delivered,
            "next_due": self.next_due,
            "instances": list(self.instances),
            "refused": list(self.refused),
        }


class Worker:
    """Fires due timers and relays the outbox of `store` (a FileStore or a PostgresStore).

    Args:
        store: the store.
        charts: charts whose hooks timed transitions run (matched by hash); an instance of
            another chart fires its timers without hooks.
        relay_every: seconds between relays of every instance's outbox on a FileStore (its
            sinks also get each record right after its commit); PostgreSQL relays each pass.
        max_idle: the longest sleep between passes, in seconds.
        poll: on PostgreSQL, seconds between looks at the timers table.
        full_every: on a FileStore, seconds between full passes, which read every
            instance's own `due` hint (the first pass is one); the passes between read the
            store's due index only (`due_index`: one folder listing).
    """

    def __init__(
        self,
        store: Store,
        *,
        charts: Sequence[StoredChart] = (),
        relay_every: float = 60.0,
        max_idle: float = 60.0,
        poll: float = 1.0,
        full_every: float = 600.0,
    ) -> None:
        self.store = store
        self.charts = tuple(charts)
        self.relay_every = relay_every
        self.max_idle = max_idle
        self.poll = poll
        self.full_every = full_every
        self._relayed_at = float("-inf")
        self._full_at = float("-inf")
        self._changed = threading.Event()

    @property
    def on_files(self) -> bool:
        return self._folder is not None

    @property
    def _folder(self) -> Path | None:
        """A FileStore's instances folder (watched for new timers); None on PostgreSQL."""
        folder = getattr(self.store, "resources", None)
        return None if folder is None else Path(folder)

    def run_once(self, stop: threading.Event | None = None) -> Pass:
        """One pass: fire what is due, relay, and say when the next timer is due."""
        stopping = stop.is_set if stop is not None else (lambda: False)
        refused: list[tuple[str, str]] = []
        full = time.monotonic() - self._full_at >= self.full_every
        if full:
            self._full_at = time.monotonic()
        receipts = self.store.fire_due(self.charts, stop=stopping, refused=refused, full=full)
        for resource_id, reason in refused:
            _log.error("%s: its timer did not fire: %s", resource_id, reason)
        delivered = 0
        now = time.monotonic()
        if self.store.sinks and (not self.on_files or now - self._relayed_at >= self.relay_every):
            delivered = int(self.store.relay())
            self._relayed_at = now
        done = Pass(
            fired=len(receipts),
            delivered=delivered,
            next_due=self.store.next_due(),
            instances=tuple(receipt.resource_id for receipt in receipts),
            refused=tuple(resource_id for resource_id, _ in refused),
        )
        if done.fired or done.delivered:
            _log.info("fired %d timer(s), made %d delivery(ies)", done.fired, done.delivered)
        return done

    def run(self, stop: threading.Event, report: Callable[[Pass], object] = lambda p: None) -> None:
        """Passes until `stop` is set; `report` gets each pass."""
        watcher = self._watch(stop) if self.on_files else None
        try:
            while not stop.is_set():
                self._changed.clear()
                done = self.run_once(stop)
                report(done)
                if stop.is_set():
                    break
                self._sleep(done.next_due, stop, bool(done.refused))
        finally:
            if watcher is not None:
                stop.set()  # the watcher thread ends with the run
                watcher.join(timeout=5)

    def _sleep(self, next_due: float | None, stop: threading.Event, refused: bool) -> None:
        """Until the next due time (at most `max_idle`; on PostgreSQL at most `poll`), a
        change to the store's files, or `stop`. After a refusal the refused timer is due
        already: the whole limit, so that it is not tried again at once, over and over."""
        limit = self.max_idle if self.on_files else min(self.max_idle, self.poll)
        seconds = limit
        if next_due is not None and not refused:
            seconds = min(limit, max(next_due - self.store.clock.now(), 0.0))
        deadline = time.monotonic() + seconds
        while not stop.is_set() and not self._changed.is_set():
            left = deadline - time.monotonic()
            if left <= 0:
                return
            # wake for either: stop is checked every tenth of a second
            self._changed.wait(min(left, 0.1))

    def _watch(self, stop: threading.Event) -> threading.Thread | None:
        """A thread that sets `_changed` when an instance's `due` hint changes (or an
        instance is created), so a new timer is not slept past. Without watchfiles, the
        worker looks again after `max_idle` seconds at the latest."""
        try:
            import watchfiles
        except ImportError:
            _log.warning(
                "watchfiles is not installed: looking for new timers every %gs", self.max_idle
            )
            return None
        resources = self._folder
        assert resources is not None  # only a FileStore is watched
        resources.mkdir(parents=True, exist_ok=True)

        def hint(change: Any, path: str) -> bool:
            return Path(path).name in ("due", "chart.json")

        def watch() -> None:
            armed = False
            try:
                # `yield_on_timeout`: the first (empty) yield says the watch is armed. A timer
                # made after the first pass read the store but before the watch was armed has
                # no event to wake the worker: one more pass then catches it (under load,
                # arming took longer than a pass, and the worker slept `max_idle` past it)
                for changes in watchfiles.watch(
                    resources,
                    watch_filter=hint,
                    stop_event=stop,
                    debounce=50,
                    rust_timeout=500,
                    yield_on_timeout=True,
                ):
                    if changes or not armed:
                        armed = True
                        self._changed.set()
            except Exception as error:  # noqa: BLE001 - the worker still wakes at max_idle
                _log.warning("watching %s stopped: %s", resources, error)

        thread = threading.Thread(target=watch, name="statewright-worker-watch", daemon=True)
        thread.start()
        return thread
