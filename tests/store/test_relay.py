"""`statewright instances relay`: the notifications a sink has not had, from the log as outbox,
on both stores; once per event however often it runs; `--follow` keeps going."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from testkit import EXAMPLES

SW = [sys.executable, "-m", "statewright", "instances"]


def _sw(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*SW, *args], capture_output=True, text=True, cwd=cwd, timeout=120)


def _events(path: Path) -> list[dict[str, object]]:
    return [json.loads(line) for line in path.read_text("utf-8").splitlines()]


@pytest.fixture(params=["file", "postgres"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "file":
        return str(tmp_path / "store")
    return str(request.getfixturevalue("pg_dsn"))


def test_relay_delivers_each_event_once_in_order(store: str, tmp_path: Path) -> None:
    assert (
        _sw("create", str(EXAMPLES / "door.smcat"), "--store", store, cwd=tmp_path).returncode == 0
    )
    for event in ("open", "close", "lock"):
        sent = _sw("send", "door", event, "--store", store, "--no-hooks", cwd=tmp_path)
        assert sent.returncode == 0, sent.stderr
    outbox = tmp_path / "events.jsonl"
    first = _sw("relay", "--store", store, "--jsonl", str(outbox), cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    again = _sw("relay", "--store", store, "--jsonl", str(outbox), cwd=tmp_path)
    assert again.returncode == 0
    events = _events(outbox)
    assert [e["seq"] for e in events] == [1, 2, 3, 4]  # every event once, in order
    assert {e["type"] for e in events} == {"statewright.transition"}
    assert events[-1]["data"]["to"] == ["locked"]  # type: ignore[index]
    # a new event after the relay: the next pass delivers only it
    assert (
        _sw("send", "door", "unlock", "--store", store, "--no-hooks", cwd=tmp_path).returncode == 0
    )
    assert _sw("relay", "--store", store, "--jsonl", str(outbox), cwd=tmp_path).returncode == 0
    assert [e["seq"] for e in _events(outbox)] == [1, 2, 3, 4, 5]


def test_relay_follow_keeps_delivering(tmp_path: Path) -> None:
    store = str(tmp_path / "store")
    outbox = tmp_path / "events.jsonl"
    assert (
        _sw("create", str(EXAMPLES / "door.smcat"), "--store", store, cwd=tmp_path).returncode == 0
    )
    follower = subprocess.Popen(
        [*SW, "relay", "--store", store, "--jsonl", str(outbox), "--follow", "--interval", "0.2"],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 30
        while not (outbox.exists() and len(_events(outbox)) == 1):
            assert time.monotonic() < deadline and follower.poll() is None
            time.sleep(0.1)
        assert _sw("send", "door", "open", "--store", store, cwd=tmp_path).returncode == 0
        while len(_events(outbox)) < 2:
            assert time.monotonic() < deadline and follower.poll() is None
            time.sleep(0.1)
    finally:
        follower.send_signal(signal.SIGINT)
        assert follower.wait(timeout=30) == 0
    assert [e["seq"] for e in _events(outbox)] == [1, 2]


def test_relay_needs_a_sink(tmp_path: Path) -> None:
    refused = _sw("relay", "--store", str(tmp_path / "store"), cwd=tmp_path)
    assert refused.returncode == 2 and "relay needs a sink" in refused.stderr


def test_delivering_to_sinks_leaves_no_descriptor_open(tmp_path: Path) -> None:
    """Each delivery took the outbox's lock with a new descriptor and never closed it (found
    when the power-loss explorer ran out of descriptors): a long-lived process with a sink
    would have run out too."""
    from statewright.compiler import ir_document, parse
    from statewright.runtime.store import FileStore, JsonlSink, StoredChart

    chart, _ = parse("off, on;\noff => on: flip;\non => off: flip;\n")
    assert chart is not None
    stored = StoredChart(json.loads(ir_document.emit(chart)))
    store = FileStore(tmp_path / "store", sinks=[JsonlSink(tmp_path / "out.jsonl")])
    descriptors = Path("/proc/self/fd")
    with store.create("t", stored) as instance:
        instance.send("flip")
        before = len(list(descriptors.iterdir()))
        for _ in range(50):
            instance.send("flip")
        assert len(list(descriptors.iterdir())) == before
    assert len(_events(tmp_path / "out.jsonl")) == 52  # the creation and 51 flips
