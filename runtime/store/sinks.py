"""Notifications: each committed record as a CloudEvents 1.0 event, delivered to sinks.

Part of `statewright.runtime.store`. The log is the outbox: a store delivers to each sink, in
order per instance and at least once, what its cursor has not passed (docs/persistence.md).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any, Protocol

from . import fsio
from .fsio import write_all


class Sink(Protocol):
    """Where notifications go. `name` keys the delivery cursor (at least once, in order)."""

    name: str

    def deliver(self, event: dict[str, Any]) -> None: ...


def cloud_event(
    record: Mapping[str, Any],
    *,
    resource_id: str,
    source: str,
    before: Sequence[str] | None,
    context_keys: Iterable[str] = (),
) -> dict[str, Any]:
    """A committed transition as a CloudEvents 1.0 structured JSON event."""
    context = record.get("context") or {}
    return {
        "specversion": "1.0",
        "id": record["id"],
        "source": source,
        "type": "statewright.transition",
        "subject": resource_id,
        "time": record["ts"],
        "datacontenttype": "application/json",
        "seq": record["seq"],
        "version": record["version"],
        "data": {
            "event": record["type"],
            "from": list(before) if before is not None else None,
            "to": record.get("to"),
            "context": {k: context[k] for k in context_keys if k in context},
        },
    }


class CallbackSink:
    """Calls a function with each notification."""

    def __init__(self, callback: Callable[[dict[str, Any]], Any], name: str = "callback") -> None:
        self.callback, self.name = callback, name

    def deliver(self, event: dict[str, Any]) -> None:
        self.callback(event)


class JsonlSink:
    """Appends each notification to a JSON Lines file (fsynced): an outbox other programs
    tail. At least once: after a crash a line may appear twice (same `id`), and a power cut
    may leave the last line torn (or zeros): the next line starts on a line of its own, so
    a reader skips the one line that does not parse."""

    def __init__(self, path: str | Path, name: str | None = None) -> None:
        self.path = Path(path)
        self.name = name or f"jsonl-{self.path.name}"

    def deliver(self, event: dict[str, Any]) -> None:
        import json
        import os

        line = (json.dumps(event, separators=(",", ":"), ensure_ascii=False) + "\n").encode()
        files = fsio.FILES
        created = not self.path.exists()
        fd = files.open(self.path, os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o644)
        try:
            size = os.fstat(fd).st_size
            if size and os.pread(fd, 1, size - 1) != b"\n":  # a line torn by a crash
                line = b"\n" + line
            write_all(fd, line)
            files.fsync(fd)
        finally:
            files.close(fd)
        if created:  # the file's name is durable only once its folder is synced
            files.fsync_dir(self.path.parent if str(self.path.parent) else Path("."))
