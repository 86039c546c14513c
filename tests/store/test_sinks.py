"""The stores' sinks: notifications are CloudEvents delivered at least once (a callback, a JSON
Lines file, a webhook), a webhook that never answers does not hold up `send`, and a record a
webhook keeps refusing goes to the dead letters."""

from __future__ import annotations

import contextlib
import json
import logging
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from statewright.runtime.store import CallbackSink, FileStore, JsonlSink, StoreError, WebhookSink
from testkit import counting, until


def test_notifications_are_cloud_events_delivered_at_least_once(tmp_path: Path) -> None:
    cloudevents = pytest.importorskip("cloudevents.core.formats.json")
    received: list[dict[str, Any]] = []
    outbox = tmp_path / "outbox.jsonl"
    sinks = [CallbackSink(received.append), JsonlSink(outbox)]
    store = FileStore(tmp_path / "store", sinks=sinks, notify_context=["owner"])
    with store.create("t", counting(), context={"owner": "ann", "secret": 1}) as instance:
        instance.send("flip")
    assert [e["data"]["to"] for e in received] == [["off"], ["on"]]
    event = received[-1]
    assert event["type"] == "statewright.transition" and event["subject"] == "t"
    assert event["data"]["from"] == ["off"] and "secret" not in json.dumps(event)
    parsed = cloudevents.JSONFormat().read(None, json.dumps(event).encode())
    assert parsed.get_id() == event["id"]
    assert len(outbox.read_text().splitlines()) == 2
    # a sink that failed (or a crash before delivery) gets what it missed on the next open
    (tmp_path / "store" / "resources" / "t" / "outbox" / "callback.cursor").write_text("1")
    received.clear()
    store.open("t", counting()).close()
    assert [e["seq"] for e in received] == [2]


@contextlib.contextmanager
def receiver(answer: Callable[[str, dict[str, Any]], int]) -> Iterator[str]:
    """A local webhook receiver: `answer(content type, event)` gives each POST's status (it
    may block: requests are served in threads). Yields the URL to post to."""
    import http.server

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 - the standard library's name
            event = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            self.send_response(answer(self.headers["Content-Type"], event))
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/hook"
    finally:
        server.shutdown()


def test_a_webhook_sink_posts_cloud_events(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:

    received: list[Any] = []

    def answer(kind: str, event: dict[str, Any]) -> int:
        received.append((kind, event))
        return 204 if len(received) != 2 else 500

    with receiver(answer) as url:
        store = FileStore(tmp_path, sinks=[WebhookSink(url)])
        with caplog.at_level(logging.WARNING, logger="statewright.store"):
            with store.create("t", counting()) as instance:
                instance.send("flip")  # the server answers 500: tried again after a backoff
                instance.send("flip")
                until(lambda: len(received) >= 4)  # in the background, not in send
            store.close()
        assert any("did not take" in r.getMessage() for r in caplog.records)
    assert received[0][0].startswith("application/cloudevents+json")
    assert [event["seq"] for _, event in received] == [1, 2, 2, 3]
    with pytest.raises(StoreError):
        WebhookSink("file:///etc/passwd")


def test_a_webhook_that_never_answers_does_not_hold_up_send(tmp_path: Path) -> None:
    """The receiver takes the request and answers only once the test has sent every event:
    were delivery in the send path, the first send would wait for its timeout instead."""

    from statewright.runtime.store import WebhookSink

    sent = threading.Event()
    seen: list[int] = []

    def answer(kind: str, event: dict[str, Any]) -> int:
        seen.append(event["seq"])
        sent.wait(30)
        return 204

    try:
        with receiver(answer) as url:
            store = FileStore(tmp_path, sinks=[WebhookSink(url, timeout=30)])
            with store.create("t", counting()) as instance:
                receipts = [instance.send("flip") for _ in range(5)]
            assert not sent.is_set() and len(seen) <= 1  # every send returned unanswered
            sent.set()
            until(lambda: seen[-1:] == [6])
            store.close()
    finally:
        sent.set()
    assert [r.seq for r in receipts] == [2, 3, 4, 5, 6] and seen == [1, 2, 3, 4, 5, 6]


def test_a_record_a_webhook_keeps_refusing_goes_to_the_dead_letters(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from statewright.runtime.store import deliverer

    monkeypatch.setattr(deliverer, "DEAD_LETTER_AFTER", 3)
    monkeypatch.setattr(deliverer, "MAX_BACKOFF", 0.01)
    taken: list[int] = []

    def answer(kind: str, event: dict[str, Any]) -> int:
        if event["seq"] == 2:  # the second record, never
            return 500
        taken.append(event["seq"])
        return 204

    with receiver(answer) as url:
        store = FileStore(tmp_path, sinks=[WebhookSink(url, name="hook")])
        with store.create("t", counting()) as instance:
            instance.send("flip")
            instance.send("flip")
            until(lambda: taken == [1, 3])
        store.close()
    outbox = tmp_path / "resources/t/outbox"
    dead = [json.loads(line) for line in (outbox / "hook.dead").read_text().splitlines()]
    assert [(d["seq"], d["type"]) for d in dead] == [(2, "flip")]
    assert (outbox / "hook.cursor").read_text() == "3"
