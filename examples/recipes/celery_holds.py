"""Celery over durable seat holds, timers included (docs/python.md, "Recipes").

    STATEWRIGHT_STORE=holds CELERY_BROKER_URL=redis://localhost \\
        celery -A celery_holds worker --beat            (from examples/recipes)

A hold (hold.smcat, deployed as hold.ir.json: `statewright compile hold.smcat -T ir`) keeps a
seat until it is confirmed, cancelled, or its 15 minutes run out. Events arrive as tasks
(`send_event`) from anything that reaches the broker; an `event_id` makes a redelivered task
(Celery delivers at least once) a duplicate the store acknowledges again, never a second
event.

The timers are Celery's to wake, the store's to fire. After a task leaves an instance with a
timer pending, `fire_timers` is scheduled for the instant it is due (`eta`); a beat entry runs
it every minute as well, in case a worker lost the message. Firing is exactly once whoever
runs it, and however often: `fire_timers` is one pass of the store's worker (the store ticks
each due instance under its lock; a timer already fired is not fired again, and a pass that
finds nothing due writes nothing). Due times are wall-clock seconds, as Celery's `eta` is.
"""

from __future__ import annotations

import json
import logging
import os
import time
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from celery import Celery

from statewright.runtime.store import (
    InstanceExists,
    InstanceFinished,
    StoredChart,
    UnknownEvent,
    UnknownInstance,
    Worker,
    open_store,
)

HERE = Path(__file__).resolve().parent
_log = logging.getLogger("celery_holds")

app = Celery(
    "celery_holds",
    broker=os.environ.get("CELERY_BROKER_URL", "memory://"),
    backend=os.environ.get("CELERY_RESULT_BACKEND", "cache+memory://"),
)
app.conf.beat_schedule = {
    "fire-timers": {"task": "celery_holds.fire_timers", "schedule": 60.0},
}
app.conf.task_acks_late = True  # a worker that dies mid-task leaves it for another

store = open_store(os.environ.get("STATEWRIGHT_STORE", "holds-store"))


def reserve_seat(context: dict[str, Any], data: Mapping[str, Any]) -> None:
    context["seat"] = data.get("seat", context.get("seat"))


def release_seat(context: dict[str, Any], data: Mapping[str, Any]) -> None:
    _log.info("seat %s is free again", context.get("seat"))
    context["released"] = True


CHART = StoredChart(
    json.loads((HERE / "hold.ir.json").read_text("utf-8")),
    actions={"reserve seat": reserve_seat, "release seat": release_seat},
)


def _wake_at(due: float | None) -> None:
    """Ask Celery to run `fire_timers` when `due` (wall-clock seconds) comes: at least a
    second from now, so that a worker whose clock runs behind the store's cannot spin."""
    if due is not None:
        fire_timers.apply_async(eta=datetime.fromtimestamp(max(due, time.time() + 1.0), UTC))


@app.task(name="celery_holds.create_hold")
def create_hold(hold_id: str, customer: str, seat: str) -> dict[str, Any]:
    """Hold `seat` for `customer`; a hold that exists already is left as it is."""
    try:
        with store.create(hold_id, CHART, context={"customer": customer, "seat": seat}) as hold:
            _wake_at(hold.machine.next_due)
            return {"id": hold_id, "configuration": hold.configuration, "created": True}
    except InstanceExists:  # a redelivered task: the first delivery created it
        with store.open(hold_id, CHART) as hold:
            return {"id": hold_id, "configuration": hold.configuration, "created": False}


@app.task(name="celery_holds.send_event")
def send_event(
    hold_id: str, event: str, data: Mapping[str, Any] | None = None, event_id: str | None = None
) -> dict[str, Any]:
    """Send `event` to a hold, durably; the receipt, or what was wrong as `error`. A task
    that cannot succeed (no such hold, an event the chart does not take, a hold that has
    ended) is not retried."""
    try:
        with store.open(hold_id, CHART) as hold:
            receipt = hold.send(event, event_id=event_id, **dict(data or {}))
            _wake_at(hold.machine.next_due)
    except (UnknownInstance, UnknownEvent, InstanceFinished) as error:
        return {"id": hold_id, "error": str(error)}
    return receipt.to_dict()


@app.task(name="celery_holds.fire_timers")
def fire_timers() -> dict[str, Any]:
    """One pass of the store's worker: fire every due timer, then ask to be woken for the
    next one."""
    done = Worker(store, charts=[CHART]).run_once()
    _wake_at(done.next_due)
    return {"fired": done.fired, "instances": list(done.instances), "next_due": done.next_due}
