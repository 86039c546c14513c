"""Notifications: each committed record as a CloudEvents 1.0 event, delivered to sinks.

Part of `statewright.runtime.store`. The log is the outbox: a store delivers to each sink, in
order per instance and at least once, what its cursor has not passed (docs/persistence.md).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any, Protocol

from .errors import StoreError


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
    tail. At least once: after a crash a line may appear twice (same `id`)."""

    def __init__(self, path: str | Path, name: str | None = None) -> None:
        self.path = Path(path)
        self.name = name or f"jsonl-{self.path.name}"

    def deliver(self, event: dict[str, Any]) -> None:
        import json
        import os

        line = (json.dumps(event, separators=(",", ":"), ensure_ascii=False) + "\n").encode()
        fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        try:
            os.write(fd, line)
            os.fsync(fd)
        finally:
            os.close(fd)


class WebhookSink:
    """POSTs each notification as `application/cloudevents+json` (structured mode). A
    non-2xx answer or a network error stops delivery; it resumes at the next commit or open."""

    def __init__(self, url: str, *, timeout: float = 5.0, name: str | None = None) -> None:
        if not url.startswith(("http://", "https://")):
            raise StoreError(f"a webhook needs an http(s) URL, not {url!r}")
        self.url, self.timeout = url, timeout
        self.name = name or "webhook-" + re.sub(r"[^A-Za-z0-9._-]", "_", url)[:80]

    def deliver(self, event: dict[str, Any]) -> None:
        import json
        import urllib.request

        request = urllib.request.Request(
            self.url,
            data=json.dumps(event).encode(),
            headers={"Content-Type": "application/cloudevents+json; charset=utf-8"},
            method="POST",
        )
        with urllib.request.urlopen(request, timeout=self.timeout) as answer:  # noqa: S310
            if not 200 <= answer.status < 300:
                raise StoreError(f"webhook {self.url} answered {answer.status}")
