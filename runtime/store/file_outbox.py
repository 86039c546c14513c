"""The file store's outbox: each committed record goes to every sink, in order, at least once.

Part of `statewright.runtime.store`. The log is the outbox; a sink's cursor file
(`outbox/<sink>.cursor`, replaced atomically after each delivery) says how far it got, so a
crash between a delivery and its cursor repeats that delivery, and nothing is skipped.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any, Protocol

from . import fsio
from .disk import atomic_write, locked
from .sinks import cloud_event


class Outboxed(Protocol):
    """What the outbox reads of a file instance (`file_instance.FileInstance`)."""

    store: Any
    folder: Path
    chart: Any
    resource_id: str
    last_seq: int
    _recent: list[dict[str, Any]]


_log = logging.getLogger("statewright.store")


def deliver(instance: Outboxed) -> int:
    """Send every committed record a sink has not had yet, in order (at least once): the
    log is the outbox, and each sink's cursor file says how far it got. How many
    deliveries were made (a sink that fails is logged to `statewright.store` and tried
    again at the next commit, open or relay). For a store with sinks: it makes the outbox
    folder."""
    outbox = instance.folder / "outbox"
    fsio.makedirs(outbox)
    with locked(str(outbox / ".lock")):  # and closed after (one was left open per delivery)
        return _to_sinks(instance, outbox)


def _to_sinks(instance: Outboxed, outbox: Path) -> int:
    """`deliver`, under the outbox's lock."""
    delivered = 0
    source = f"statewright://{instance.store.base.name}/{instance.chart.id}"
    for sink in instance.store.sinks:
        cursor_path = outbox / f"{sink.name}.cursor"
        try:
            cursor = int(cursor_path.read_text() or 0)
        except (FileNotFoundError, ValueError):
            cursor = 0
        if cursor >= instance.last_seq:
            continue
        recent = instance._recent
        if not recent or recent[0]["seq"] > cursor + 1:
            recent = list(instance.store.history(instance.resource_id))  # catching up
        for record in recent:
            if record["seq"] <= cursor:
                continue
            try:
                sink.deliver(
                    cloud_event(
                        record,
                        resource_id=instance.resource_id,
                        source=source,
                        before=record.get("from"),
                        context_keys=instance.store.notify_context,
                    )
                )
            except Exception as error:  # noqa: BLE001 - retried at the next commit
                _log.warning(
                    "%s: sink %s did not take event %s (retried later): %s",
                    instance.resource_id,
                    sink.name,
                    record["seq"],
                    error,
                )
                break
            cursor = record["seq"]
            atomic_write(cursor_path, str(cursor).encode())
            delivered += 1
    return delivered
