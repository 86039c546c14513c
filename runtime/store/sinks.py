"""Notifications: each committed record as a CloudEvents 1.0 event, delivered to sinks.

Part of `statewright.runtime.store`. The log is the outbox: a store delivers to each sink, in
order per instance and at least once, what its cursor has not passed (docs/persistence.md).
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any, Protocol

from . import fsio
from .errors import StoreError
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


class WebhookSink:
    """POSTs each notification as `application/cloudevents+json` (structured mode), from the
    store's background thread, the relay or the worker, never inside `send`. A non-2xx answer
    or a network error stops delivery; it is tried again with a backoff, and after
    `deliverer.DEAD_LETTER_AFTER` tries the refused record goes to the dead letters.

    Args:
        url: http(s) URL.
        timeout: seconds to connect, and to wait for the answer.
        headers: more request headers (`{"Authorization": "Bearer ..."}`).
        secret: signs each body (HMAC-SHA256, as GitHub and Stripe sign theirs): the header
            `Statewright-Signature: t=<unix time>,v1=<hex>` signs `<t>.<body>`; a receiver
            checks it with `verify_signature`.
    The connection is kept open between deliveries (HTTP/1.1 keep-alive) and opened again
    when the server closed it."""

    SIGNATURE_HEADER = "Statewright-Signature"
    #: a network sink: delivered by a background thread, the relay or the worker, never
    #: inside `send` (`deliverer`)
    remote = True

    def __init__(
        self,
        url: str,
        *,
        timeout: float = 5.0,
        name: str | None = None,
        headers: Mapping[str, str] | None = None,
        secret: str | bytes | None = None,
    ) -> None:
        from urllib.parse import urlsplit

        if not url.startswith(("http://", "https://")):
            raise StoreError(f"a webhook needs an http(s) URL, not {url!r}")
        for key, value in (headers or {}).items():
            if not re.fullmatch(r"[A-Za-z0-9!#$%&'*+.^_`|~-]+", key) or re.search(r"[\r\n]", value):
                raise StoreError(f"a webhook header must be one line with a token name: {key!r}")
        self.url, self.timeout = url, timeout
        self.name = name or "webhook-" + re.sub(r"[^A-Za-z0-9._-]", "_", url)[:80]
        self.headers = dict(headers or {})
        self.secret = secret.encode() if isinstance(secret, str) else secret
        parts = urlsplit(url)
        self._https = parts.scheme == "https"
        self._host = parts.hostname or ""
        self._port = parts.port
        self._path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        self._connection: Any = None
        self._lock = threading.Lock()

    def deliver(self, event: dict[str, Any]) -> None:
        import json

        body = json.dumps(event).encode()
        headers = {
            "Content-Type": "application/cloudevents+json; charset=utf-8",
            "User-Agent": "statewright",
            **self.headers,
        }
        if self.secret is not None:
            headers[self.SIGNATURE_HEADER] = sign(body, self.secret)
        with self._lock:
            for attempt in (1, 2):  # a kept connection the server closed: once more, anew
                connection = self._connect()
                try:
                    connection.request("POST", self._path, body=body, headers=headers)
                    answer = connection.getresponse()
                    answer.read()
                except OSError as error:
                    self._close()
                    if attempt == 2 or not _stale_connection(error):
                        raise StoreError(f"webhook {self.url}: {error}") from None
                    continue
                except Exception as error:  # http.client's protocol errors
                    self._close()
                    if attempt == 2:
                        raise StoreError(f"webhook {self.url}: {error}") from None
                    continue
                if answer.getheader("Connection", "").lower() == "close":
                    self._close()
                if not 200 <= answer.status < 300:
                    raise StoreError(f"webhook {self.url} answered {answer.status}")
                return

    def _connect(self) -> Any:
        import http.client

        if self._connection is None:
            kind = http.client.HTTPSConnection if self._https else http.client.HTTPConnection
            self._connection = kind(self._host, self._port, timeout=self.timeout)
        return self._connection

    def _close(self) -> None:
        if self._connection is not None:
            self._connection.close()
        self._connection = None

    def close(self) -> None:
        """Close the kept connection (a store closes its sinks when it is closed)."""
        with self._lock:
            self._close()

    def __del__(self) -> None:
        connection, self._connection = getattr(self, "_connection", None), None
        if connection is not None:
            connection.close()


def _stale_connection(error: OSError) -> bool:
    import errno

    return isinstance(error, ConnectionError) or error.errno in (errno.EPIPE, errno.ECONNRESET)


def sign(body: bytes, secret: bytes, *, now: float | None = None) -> str:
    """The `Statewright-Signature` of a webhook body: `t=<unix time>,v1=<HMAC-SHA256 hex of
    "<t>.<body>">`."""
    import hashlib
    import hmac
    import time

    stamp = int(time.time() if now is None else now)
    digest = hmac.new(secret, f"{stamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={stamp},v1={digest}"


def verify_signature(
    body: bytes,
    header: str | None,
    secret: str | bytes,
    *,
    tolerance: float = 300.0,
    now: float | None = None,
) -> bool:
    """For a webhook receiver: whether `header` (the `Statewright-Signature` value) signs
    `body` with `secret`, within `tolerance` seconds of now (an old signature is a replay)."""
    import hashlib
    import hmac
    import time

    if not header:
        return False
    fields = dict(part.split("=", 1) for part in header.split(",") if "=" in part)
    try:
        stamp = int(fields["t"])
    except (KeyError, ValueError):
        return False
    if abs((time.time() if now is None else now) - stamp) > tolerance:
        return False
    key = secret.encode() if isinstance(secret, str) else secret
    expected = hmac.new(key, f"{stamp}.".encode() + body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, fields.get("v1", ""))
