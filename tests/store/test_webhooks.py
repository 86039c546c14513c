"""Webhooks in the Standard Webhooks format (issue 35, item 4): a receiver verifies every
request with the `standardwebhooks` library, with the old secret or the new one while a secret
is rotated; the deprecated `Statewright-Signature` header still verifies, every `v1=` counting;
bad secrets are refused; headers ride along over one kept connection; proxies come from the
environment (`HTTP_PROXY`, `HTTPS_PROXY`, `NO_PROXY`)."""

from __future__ import annotations

import contextlib
import http.server
import subprocess
import sys
import threading
import warnings
from collections.abc import Iterator
from typing import Any

import pytest

from statewright.runtime.store import (
    StoreError,
    WebhookSink,
    new_webhook_secret,
    sign,
    sign_webhook,
    verify_signature,
    verify_webhook,
)

standardwebhooks = pytest.importorskip("standardwebhooks")

OLD, NEW = new_webhook_secret(), new_webhook_secret()


class _Receiver(http.server.BaseHTTPRequestHandler):
    """Answers 204 when the `standardwebhooks` library verifies the request with `secret`,
    else 401; keeps what it saw."""

    protocol_version = "HTTP/1.1"
    secret = OLD
    seen: list[tuple[str, dict[str, str], bytes]] = []
    connections: set[int] = set()

    def do_POST(self) -> None:  # noqa: N802 - the standard library's name
        body = self.rfile.read(int(self.headers["Content-Length"]))
        _Receiver.seen.append((self.path, dict(self.headers), body))
        _Receiver.connections.add(id(self.connection))
        try:
            standardwebhooks.Webhook(_Receiver.secret).verify(body, dict(self.headers))
            status = 204
        except standardwebhooks.WebhookVerificationError:
            status = 401
        self.send_response(status)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        pass


@contextlib.contextmanager
def _serving(handler: type[http.server.BaseHTTPRequestHandler]) -> Iterator[int]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield server.server_address[1]
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def receiver(monkeypatch: pytest.MonkeyPatch) -> Iterator[int]:
    for name in ("http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY", "no_proxy"):
        monkeypatch.delenv(name, raising=False)
    _Receiver.seen.clear()
    _Receiver.connections.clear()
    _Receiver.secret = OLD
    with _serving(_Receiver) as port:
        yield port


def test_a_receiver_verifies_each_request_with_the_standard_library(receiver: int) -> None:
    url = f"http://127.0.0.1:{receiver}/hook"
    sink = WebhookSink(url, headers={"Authorization": "Bearer t0ken"}, secret=OLD)
    for n in range(3):
        sink.deliver({"id": f"event-{n}", "data": {"n": n}})
    wrong = WebhookSink(url, secret=new_webhook_secret())
    with pytest.raises(StoreError, match="401"):
        wrong.deliver({"id": "x"})
    sink.close()
    wrong.close()
    assert len(_Receiver.seen) == 4
    headers = [h for _, h, _ in _Receiver.seen[:3]]
    assert all(h.get("Authorization") == "Bearer t0ken" for h in headers)
    assert [h["webhook-id"] for h in headers] == ["event-0", "event-1", "event-2"]
    assert len(_Receiver.connections) == 2  # one per sink: kept alive between deliveries
    _, first, body = _Receiver.seen[0]
    assert verify_webhook(body, first, OLD) and not verify_webhook(body + b" ", first, OLD)
    # the deprecated header, beside the standard ones for one release
    assert verify_signature(body, first["Statewright-Signature"], OLD)


def test_while_a_secret_is_rotated_either_one_verifies(receiver: int) -> None:
    url = f"http://127.0.0.1:{receiver}/hook"
    sink = WebhookSink(url, secret=[NEW, OLD])
    sink.deliver({"id": "during"})  # the receiver still holds the old secret
    _Receiver.secret = NEW
    sink.deliver({"id": "after"})  # and now the new one
    sink.close()
    _, headers, body = _Receiver.seen[0]
    assert len(headers["webhook-signature"].split(" ")) == 2
    assert verify_signature(body, headers["Statewright-Signature"], OLD)
    assert verify_signature(body, headers["Statewright-Signature"], NEW)


def test_signatures_check_the_body_the_secret_the_id_and_the_time() -> None:
    body = b'{"id": "1"}'
    header = sign_webhook(body, "1", 1_000_000, OLD)
    signed = {"Webhook-Id": "1", "Webhook-Timestamp": "1000000", "Webhook-Signature": header}
    assert verify_webhook(body, signed, OLD, now=1_000_010)
    assert verify_webhook(body, signed, [NEW, OLD], now=1_000_010)
    assert not verify_webhook(body, signed, NEW, now=1_000_010)
    assert not verify_webhook(body + b" ", signed, OLD, now=1_000_010)
    assert not verify_webhook(body, {**signed, "Webhook-Id": "2"}, OLD, now=1_000_010)
    assert not verify_webhook(body, signed, OLD, now=1_000_000 + 301)  # a replay
    assert not verify_webhook(body, {}, OLD)
    assert not verify_webhook(body, {**signed, "Webhook-Timestamp": "soon"}, OLD)
    # the library made by others agrees, both ways
    library = standardwebhooks.Webhook(OLD)
    from datetime import UTC, datetime

    stamp = datetime.fromtimestamp(1_000_000, tz=UTC)
    assert library.sign("1", stamp, body) == header


def test_the_deprecated_header_counts_every_signature_and_the_time() -> None:
    body = b'{"id": "1"}'
    header = sign(body, [NEW, OLD], now=1_000_000)
    assert header.count("v1=") == 2
    assert verify_signature(body, header, OLD, now=1_000_010)
    assert verify_signature(body, header, NEW, now=1_000_010)
    assert not verify_signature(body, header, new_webhook_secret(), now=1_000_010)
    assert not verify_signature(body + b" ", header, OLD, now=1_000_010)
    assert not verify_signature(body, header, OLD, now=1_000_000 + 301)
    assert not verify_signature(body, None, OLD)
    assert not verify_signature(body, "garbage", OLD)
    assert not verify_signature(body, "t=1,t=2,v1=00", OLD, now=1)


def test_bad_secrets_and_headers_are_refused_when_the_sink_is_made() -> None:
    for bad in ("whsec_", "whsec_not base64!", [], b""):
        with pytest.raises(StoreError):
            WebhookSink("http://x/", secret=bad)
    with pytest.raises(StoreError, match="one line"):
        WebhookSink("http://x/", headers={"X-Evil": "a\r\nInjected: yes"})
    with pytest.raises(StoreError, match="http"):
        WebhookSink("file:///etc/passwd")
    with pytest.warns(DeprecationWarning, match="whsec_"):
        plain = WebhookSink("http://x/", secret="s3cret")
    assert plain.keys == (b"s3cret",)  # as before: the text's bytes
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert WebhookSink("http://x/", secret=b"raw key").keys == (b"raw key",)


class _Proxy(http.server.BaseHTTPRequestHandler):
    """A proxy that keeps each request line and answers a POST itself (204) and a CONNECT with
    405, so no tunnel is made."""

    protocol_version = "HTTP/1.1"
    lines: list[tuple[str, str | None]] = []

    def do_POST(self) -> None:  # noqa: N802
        self.rfile.read(int(self.headers["Content-Length"]))
        _Proxy.lines.append((self.requestline, self.headers.get("Proxy-Authorization")))
        self.send_response(204)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def do_CONNECT(self) -> None:  # noqa: N802
        _Proxy.lines.append((self.requestline, self.headers.get("Proxy-Authorization")))
        self.send_response(405)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        pass


def test_proxies_come_from_the_environment(receiver: int, monkeypatch: Any) -> None:
    _Proxy.lines.clear()
    with _serving(_Proxy) as proxy:
        monkeypatch.setenv("HTTP_PROXY", f"http://ann:p%40ss@127.0.0.1:{proxy}")
        monkeypatch.setenv("HTTPS_PROXY", f"http://127.0.0.1:{proxy}")
        through = WebhookSink("http://receiver.example:8080/hook?x=1", secret=OLD)
        through.deliver({"id": "1"})
        with pytest.raises(StoreError, match="405"):  # the tunnel is asked for, not made
            WebhookSink("https://secure.example/hook").deliver({"id": "2"})
        monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
        direct = WebhookSink(f"http://127.0.0.1:{receiver}/hook", secret=OLD)
        direct.deliver({"id": "3"})
        for sink in (through, direct):
            sink.close()
    assert _Proxy.lines[0] == (
        "POST http://receiver.example:8080/hook?x=1 HTTP/1.1",
        "Basic YW5uOnBAc3M=",  # ann:p@ss
    )
    assert _Proxy.lines[1][0] == "CONNECT secure.example:443 HTTP/1.0"
    assert len(_Proxy.lines) == 2 and [p for p, _, _ in _Receiver.seen] == ["/hook"]


def test_the_worker_command_takes_rotated_secrets_and_warns_of_plain_ones(
    tmp_path: Any,
) -> None:
    """`--webhook-secret-env` holds one whsec_ secret or several (space-separated); a plain
    text one is taken with a warning; a bad one is a usage error, exit 2."""
    command = [sys.executable, "-m", "statewright", "instances", "relay", "--store"]
    command += [str(tmp_path), "--webhook", "http://127.0.0.1:9/", "--webhook-secret-env", "S"]
    runs = {}
    for name, value in {"rotated": f"{NEW} {OLD}", "plain": "s3cret", "bad": "whsec_!"}.items():
        runs[name] = subprocess.run(
            command,
            env={**_environment(), "S": value},
            capture_output=True,
            text=True,
            check=False,
            timeout=120,
        )
    assert "warning" not in runs["rotated"].stderr and "Traceback" not in runs["rotated"].stderr
    assert "plain text secret, which is deprecated" in runs["plain"].stderr
    assert runs["bad"].returncode == 2 and "base64" in runs["bad"].stderr
    assert all("Traceback" not in run.stderr for run in runs.values())


def _environment() -> dict[str, str]:
    import os

    return {k: v for k, v in os.environ.items() if not k.lower().endswith("_proxy")}
