"""Delivery to remote sinks (webhooks) off the send path: a background thread per store.

Part of `statewright.runtime.store`. A sink that talks to the network (`remote = True`, as
`WebhookSink`) is never called inside `send`: a receiver that accepts a connection and never
answers would cost every send its whole timeout. After a commit the store wakes its
`Deliverer` with the instance's id; the thread runs the store's outbox delivery for that
instance. An instance whose delivery failed is tried again after an exponential backoff
(0.5 s, 1 s, 2 s, ... at most `MAX_BACKOFF`); after `DEAD_LETTER_AFTER` failed tries in a row,
the record a sink keeps refusing goes to the dead letters (the file store's
`outbox/<sink>.dead`, one JSON line each, logged as an error) and delivery goes on with the
next. The relay (`store.relay()`, the worker) delivers the same outbox too, so nothing depends
on this thread surviving: the outbox cursors say what was delivered.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

_log = logging.getLogger("statewright.store")

#: failed tries in a row before the refused record goes to the dead letters
DEAD_LETTER_AFTER = 8
#: the longest wait between two tries, in seconds
MAX_BACKOFF = 60.0
#: seconds with nothing to deliver after which the thread ends (the next wake starts one)
IDLE_EXIT = 30.0


def is_remote(sink: object) -> bool:
    """Whether a sink talks to the network (delivered in the background, never in `send`)."""
    return bool(getattr(sink, "remote", False))


class Deliverer:
    """Runs `deliver(resource_id, dead_letter)` in a thread for each instance woken; it
    returns True when every remote sink took everything, False when one failed."""

    def __init__(self, deliver: Callable[[str, bool], bool], name: str) -> None:
        self._deliver = deliver
        self._due: dict[str, float] = {}  # instance -> when to try next (monotonic)
        self._failures: dict[str, int] = {}
        self._busy = 0
        self._condition = threading.Condition()
        self._closed = False
        self._name = name
        self._thread: threading.Thread | None = None

    def wake(self, resource_id: str) -> None:
        """Deliver this instance's outbox to the remote sinks soon (now, unless it is
        waiting out a backoff); starts the thread when none runs (it ends when idle, so a
        store nobody closes leaves no thread behind for long)."""
        with self._condition:
            self._due.setdefault(resource_id, time.monotonic())
            if self._thread is None and not self._closed:
                self._thread = threading.Thread(target=self._run, name=self._name, daemon=True)
                self._thread.start()
            self._condition.notify()

    def close(self, timeout: float = 5.0) -> None:
        """Try what is due now once more (waiting at most `timeout` seconds), then stop."""
        deadline = time.monotonic() + timeout
        with self._condition:
            while self._busy or any(when <= time.monotonic() for when in self._due.values()):
                left = deadline - time.monotonic()
                if left <= 0:
                    break
                self._condition.wait(min(left, 0.05))
            self._closed = True
            self._condition.notify_all()
            thread = self._thread
        if thread is not None:
            thread.join(timeout=max(deadline - time.monotonic(), 0.1))

    def _run(self) -> None:
        idle_since = time.monotonic()
        while True:
            with self._condition:
                while not self._closed:
                    now = time.monotonic()
                    ready = [rid for rid, when in self._due.items() if when <= now]
                    if ready:
                        break
                    if not self._due and now - idle_since >= IDLE_EXIT:
                        self._thread = None  # the next wake starts another
                        return
                    wait = min(self._due.values(), default=now + 1.0) - now
                    self._condition.wait(min(max(wait, 0.01), 1.0))
                if self._closed:
                    self._thread = None
                    return
                resource_id = ready[0]
                del self._due[resource_id]
                self._busy += 1
            try:
                failures = self._failures.get(resource_id, 0)
                done = self._deliver(resource_id, failures + 1 >= DEAD_LETTER_AFTER)
            except Exception as error:  # noqa: BLE001 - the thread goes on with the others
                _log.warning("%s: delivery failed: %s", resource_id, error)
                done = False
            with self._condition:
                self._busy -= 1
                if done:
                    self._failures.pop(resource_id, None)
                else:
                    failures = self._failures.get(resource_id, 0) + 1
                    self._failures[resource_id] = 0 if failures >= DEAD_LETTER_AFTER else failures
                    wait = min(MAX_BACKOFF, 0.5 * 2 ** (failures - 1))
                    self._due[resource_id] = time.monotonic() + wait
                idle_since = time.monotonic()
                self._condition.notify_all()
