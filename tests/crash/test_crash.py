"""Crash and fault-injection tests for FileStore (the plan of docs/persistence.md, "Proof").

1. Random SIGKILL: a forked writer sends events in a loop and reports each acknowledgement on a
   pipe; it is killed at a random moment, 200 times. After each kill the instance opens,
   every acknowledged event is in the log exactly once, the log holds at most the one event in
   flight beyond them, and the context rebuilt from snapshot + log counts every logged event
   (`verify`, which replays the whole log, runs every 25 kills and at the end).
2. Targeted kills at each step of the write protocol (20 each).
3. I/O errors (EIO, ENOSPC) at each step: nothing is acknowledged that is not durable, and a
   retry with the same event id is applied at most once.
4. A byte sweep: every cut of the last record, NUL tails, bit flips, deleted, duplicated and
   swapped lines: a torn tail is cut (and kept), anything else is refused with the line named
   and the file unchanged.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import random
import signal
import time
from pathlib import Path
from typing import Any

import pytest

from statewright.compiler import ir_document, parse
from statewright.runtime.store import FileStore, StoredChart, StoreIOError
from statewright.runtime.store.logfile import LogCorrupt

#: heavy: `make test` runs it, `make test-fast` leaves it out
pytestmark = pytest.mark.slow

TOGGLE = "off, on;\noff => on: flip / count;\non => off: flip / count;\n"
KILLS = 200
PER_STEP = 20


def _chart() -> StoredChart:
    chart, _ = parse(TOGGLE)
    assert chart is not None

    def count(context: dict[str, Any], data: Any) -> None:
        context["count"] = context.get("count", 0) + 1

    return StoredChart(json.loads(ir_document.emit(chart)), actions={"count": count}, chart_id="t")


def _writer(base: Path, start: int, fault: str | None, snapshot_every: int) -> tuple[int, int]:
    """Fork a writer sending `flip` with ids e<start>, e<start+1>, ...; it writes `READY`,
    then `ACK <n>` after each acknowledgement. Returns (pid, read end of its pipe)."""
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: never returns into pytest
        try:
            os.close(read)
            if fault:
                os.environ["STATEWRIGHT_FAULT"] = fault
            store = FileStore(base, snapshot_every=snapshot_every)
            instance = store.open("t", _chart())
            os.write(write, b"READY\n")
            n = start
            while True:
                instance.send("flip", event_id=f"e{n}")
                os.write(write, f"ACK {n}\n".encode())
                n += 1
        finally:
            os._exit(0)
    os.close(write)
    return pid, read


def _read_all(fd: int) -> bytes:
    chunks = []
    while chunk := os.read(fd, 65536):
        chunks.append(chunk)
    return b"".join(chunks)


def _wait_ready(fd: int) -> bytes:
    seen = b""
    while b"READY\n" not in seen:
        chunk = os.read(fd, 65536)
        if not chunk:
            break
        seen += chunk
    return seen


def _check(store: FileStore, acked: set[int], *, full: bool) -> None:
    """The instance after a crash."""
    instance = store.open("t", _chart())
    records = list(store.history("t"))[1:]
    numbers = [int(r["id"][1:]) for r in records]
    assert len(numbers) == len(set(numbers)), "an event applied twice"
    assert acked <= set(numbers), f"acknowledged but lost: {sorted(acked - set(numbers))[:5]}"
    assert len(set(numbers) - acked) <= 1, "more than the one event in flight"
    assert instance.context.get("count", 0) == len(records)
    assert instance.version == len(records) + 1
    instance.close()
    if full:
        assert store.verify("t") == []
    assert not list((store.resources / "t").glob(".*.tmp"))


def test_random_sigkills_lose_no_acknowledged_event(tmp_path: Path) -> None:
    store = FileStore(tmp_path, snapshot_every=7)
    store.create("t", _chart()).close()
    rng = random.Random(20261123)
    acked: set[int] = set()
    last = 0
    for kill in range(KILLS):
        pid, fd = _writer(tmp_path, last + 1, None, 7)
        seen = _wait_ready(fd)
        time.sleep(rng.uniform(0, 0.012))
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
        seen += _read_all(fd)
        os.close(fd)
        acked |= {int(line.split()[1]) for line in seen.splitlines() if line.startswith(b"ACK")}
        _check(store, acked, full=kill % 25 == 24)
        last = max(acked, default=0)  # the event in flight is sent again, with its id
    assert len(acked) > KILLS  # the writers did make progress between kills


STEPS = [
    "kill-at:before-write",
    "kill-at:mid-write",
    "kill-at:after-write",
    "kill-at:after-fsync",
    "kill-at:before-snapshot",
    "kill-at:before-replace",
    "kill-at:before-dir-fsync",
]


@pytest.mark.parametrize("fault", STEPS)
def test_a_kill_at_each_step_of_the_write_protocol(tmp_path: Path, fault: str) -> None:
    store = FileStore(tmp_path, snapshot_every=1)
    store.create("t", _chart()).close()
    acked: set[int] = set()
    last = 0
    for _ in range(PER_STEP):
        pid, fd = _writer(tmp_path, last + 1, fault, 1)
        _, status = os.waitpid(pid, 0)
        assert os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGKILL
        seen = _read_all(fd)
        os.close(fd)
        assert b"READY" in seen
        acked |= {int(line.split()[1]) for line in seen.splitlines() if line.startswith(b"ACK")}
        _check(store, acked, full=True)
        last = max(acked, default=0)
    logged = len(list(store.history("t"))) - 1
    if fault in ("kill-at:before-write", "kill-at:mid-write", "kill-at:after-write"):
        assert logged <= PER_STEP  # at most the events in flight (page cache survives a kill)
    else:
        assert logged == PER_STEP  # the record was durable before the kill


@pytest.mark.parametrize(
    "fault",
    [
        "io-error-at:before-write",
        "io-error-at:after-write",
        "no-space-at:before-write",
        "no-space-at:after-write",
    ],
)
def test_an_io_error_acknowledges_nothing_and_a_retry_applies_once(
    tmp_path: Path, fault: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = FileStore(tmp_path)
    instance = store.create("t", _chart())
    instance.send("flip", event_id="a")
    monkeypatch.setenv("STATEWRIGHT_FAULT", fault)
    with pytest.raises(StoreIOError, match="was not committed.*cut back.*same event id"):
        instance.send("flip", event_id="b")
    # not acknowledged, and not in the log either: what a failed write or fsync left there
    # was cut back (after a failed fsync the page cache proves nothing), and the handle shows
    # what the log holds
    assert "b" not in [r["id"] for r in store.history("t")]
    assert instance.configuration == ["on"]
    monkeypatch.delenv("STATEWRIGHT_FAULT")
    receipt = instance.send("flip", event_id="b")  # the retry, with the same id
    assert receipt.configuration == ["off"] and not receipt.duplicate
    instance.close()
    ids = [r["id"] for r in store.history("t")]
    assert ids.count("b") == 1 and store.verify("t") == []


def test_a_failed_snapshot_does_not_fail_the_committed_event(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    store = FileStore(tmp_path, snapshot_every=1)
    instance = store.create("t", _chart())
    monkeypatch.setenv("STATEWRIGHT_FAULT", "io-error-at:before-snapshot")
    with caplog.at_level(logging.WARNING, logger="statewright.store"):
        receipt = instance.send("flip")
    assert receipt.seq == 2
    assert any("snapshot not written" in r.getMessage() for r in caplog.records)
    monkeypatch.delenv("STATEWRIGHT_FAULT")
    instance.close()
    assert store.open("t", _chart()).configuration == ["on"]


def test_short_writes_are_completed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    store = FileStore(tmp_path)
    instance = store.create("t", _chart())
    real_write = os.write

    def trickle(fd: int, data: Any) -> int:
        return real_write(fd, bytes(data[:7]))

    monkeypatch.setattr(os, "write", trickle)
    instance.send("flip")
    monkeypatch.setattr(os, "write", real_write)
    instance.close()
    assert store.verify("t") == [] and store.open("t", _chart()).configuration == ["on"]


# -- the byte sweep -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def sample(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, bytes]:
    base = tmp_path_factory.mktemp("sample")
    store = FileStore(base, snapshot_every=1000)
    with store.create("t", _chart()) as instance:
        for _ in range(60):
            instance.send("flip")
    (base / "resources" / "t" / "state.json").unlink()  # every open replays the whole log
    log = base / "resources" / "t" / "events.log"
    return base, log.read_bytes()


def _try_open(base: Path, data: bytes, tmp_path: Path) -> tuple[str, Any, bytes]:
    folder = tmp_path / "resources" / "t"
    folder.mkdir(parents=True, exist_ok=True)
    for name in ("chart.json",):
        (folder / name).write_bytes((base / "resources" / "t" / name).read_bytes())
    (folder / "events.log").write_bytes(data)
    for leftover in folder.glob("events.log.torn-*"):
        leftover.unlink()
    try:
        instance = FileStore(tmp_path).open("t", _chart())
    except LogCorrupt as error:
        return "corrupt", error, (folder / "events.log").read_bytes()
    result = ("opened", instance.last_seq, (folder / "events.log").read_bytes())
    instance.close(snapshot=False)
    (folder / "state.json").unlink(missing_ok=True)
    return result


def test_every_cut_of_the_last_record_is_a_torn_tail(
    sample: tuple[Path, bytes], tmp_path: Path
) -> None:
    base, data = sample
    start = data.rstrip(b"\n").rfind(b"\n") + 1
    for cut in range(start + 1, len(data)):
        outcome, last_seq, after = _try_open(base, data[:cut], tmp_path)
        assert outcome == "opened" and last_seq == 60 and after == data[:start], cut
        assert list((tmp_path / "resources" / "t").glob("events.log.torn-*"))


@pytest.mark.parametrize("zeros", [1, 511, 512, 4096])
@pytest.mark.parametrize("half", [False, True])
def test_a_nul_tail_is_cut(
    sample: tuple[Path, bytes], tmp_path: Path, zeros: int, half: bool
) -> None:
    base, data = sample
    last_line = data[data.rstrip(b"\n").rfind(b"\n") + 1 :]
    tail = (last_line[:20] if half else b"") + b"\0" * zeros
    outcome, last_seq, after = _try_open(base, data + tail, tmp_path)
    assert outcome == "opened" and last_seq == 61 and after == data


def test_damage_before_a_valid_line_is_refused_and_nothing_is_rewritten(
    sample: tuple[Path, bytes], tmp_path: Path
) -> None:
    base, data = sample
    lines = data.splitlines(keepends=True)
    rng = random.Random(7)
    cases: list[bytes] = []
    for _ in range(200):  # single-bit flips in middle records
        index = rng.randrange(1, len(lines) - 2)
        line = bytearray(lines[index])
        position = rng.randrange(len(line) - 1)
        line[position] ^= 1 << rng.randrange(8)
        cases.append(b"".join(lines[:index] + [bytes(line)] + lines[index + 1 :]))
    for _ in range(50):
        index = rng.randrange(2, len(lines) - 2)
        cases.append(b"".join(lines[:index] + lines[index + 1 :]))  # deleted
        cases.append(b"".join(lines[: index + 1] + lines[index:]))  # duplicated
        cases.append(
            b"".join(lines[:index] + [lines[index + 1], lines[index]] + lines[index + 2 :])
        )  # swapped
    for case in cases:
        digest = hashlib.sha256(case).hexdigest()
        outcome, error, after = _try_open(base, case, tmp_path)
        if outcome == "opened":  # a flip that JSON and the CRC both accept cannot exist
            pytest.fail(f"damage was accepted: {error}")
        assert isinstance(error, LogCorrupt) and error.line >= 2 and error.offset > 0
        assert hashlib.sha256(after).hexdigest() == digest
