"""The file store's outbox: each committed record goes to every sink, in order, at least once.

Part of `statewright.runtime.store`. The log is the outbox; a sink's cursor file
(`outbox/<sink>.cursor`, replaced atomically after each delivery) says how far it got, so a
crash between a delivery and its cursor repeats that delivery, and nothing is skipped.
"""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path
from typing import Any, Protocol

from . import fsio
from .deliverer import DEAD_LETTER_AFTER, is_remote
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


def deliver(instance: Outboxed, *, remote: bool | None = False, dead_letter: bool = False) -> int:
    """Send every committed record a sink has not had yet, in order (at least once): the
    log is the outbox, and each sink's cursor file says how far it got. How many
    deliveries were made (a sink that fails is logged to `statewright.store` and tried
    again at the next commit, open or relay). `remote`: False, the local sinks only (what
    a send delivers); True, the remote ones only (the `deliverer`); None, all (the relay).
    With `dead_letter`, a record a sink refuses goes to `outbox/<sink>.dead` and delivery
    goes on. For a store with sinks: it makes the outbox folder."""
    return _deliver(instance, remote, dead_letter)[0]


def deliver_remote(instance: Outboxed, dead_letter: bool) -> bool:
    """`deliver` to the remote sinks; whether they took everything."""
    return not _deliver(instance, True, dead_letter)[1]


def _deliver(instance: Outboxed, remote: bool | None, dead_letter: bool) -> tuple[int, bool]:
    sinks = [s for s in instance.store.sinks if remote is None or is_remote(s) == remote]
    if not sinks:
        return 0, False
    outbox = instance.folder / "outbox"
    fsio.makedirs(outbox)
    with locked(str(outbox / ".lock")):  # and closed after (one was left open per delivery)
        return _to_sinks(instance, outbox, sinks, dead_letter)


def _to_sinks(
    instance: Outboxed, outbox: Path, sinks: list[Any], dead_letter: bool
) -> tuple[int, bool]:
    """`deliver`, under the outbox's lock: (deliveries made, whether a sink failed)."""
    delivered, failed = 0, False
    source = f"statewright://{instance.store.base.name}/{instance.chart.id}"
    for sink in sinks:
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
                if not dead_letter:
                    _log.warning(
                        "%s: sink %s did not take event %s (retried later): %s",
                        instance.resource_id,
                        sink.name,
                        record["seq"],
                        error,
                    )
                    failed = True
                    break
                _dead(outbox / f"{sink.name}.dead", instance.resource_id, sink.name, record, error)
            cursor = record["seq"]
            atomic_write(cursor_path, str(cursor).encode())
            delivered += 1
    return delivered, failed


def _dead(
    path: Path, resource_id: str, sink: str, record: dict[str, Any], error: Exception
) -> None:
    """A record a sink kept refusing: one JSON line in the sink's dead letters, durably."""
    line = {"seq": record["seq"], "id": record["id"], "type": record["type"], "error": str(error)}
    fd = fsio.FILES.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    try:
        fsio.write_all(fd, (json.dumps(line) + "\n").encode())
        fsio.FILES.fsync(fd)
    finally:
        fsio.FILES.close(fd)
    _log.error(
        "%s: sink %s refused event %s %d times: moved to %s",
        resource_id,
        sink,
        record["seq"],
        DEAD_LETTER_AFTER,
        path,
    )
