"""The store contract: durable instances survive reopening, conflicts, duplicates and bad input.

Written against `FileStore`; tests/store/test_pgstore.py runs the PostgreSQL store through the same
contract. Crash and fault-injection tests are in tests/crash/.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import subprocess
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from statewright.runtime import FakeClock
from statewright.runtime.store import (
    BadResourceId,
    ChartMismatch,
    ConcurrencyConflict,
    FileStore,
    InstanceExists,
    StoredChart,
    StoreError,
    UnknownInstance,
)
from statewright.runtime.store.logfile import LogCorrupt, frame, scan, unframe
from testkit import (
    EXAMPLES,
    TIMED,
    TOGGLE,
    chart_of,
    counting,
    document,
    generated_module,
    store_at,
)


def test_an_instance_survives_reopening_with_its_context_and_history(make: Any) -> None:
    store = make(snapshot_every=3)
    chart = counting()
    with store.create("t1", chart, context={"owner": "ann"}) as instance:
        for _ in range(7):
            receipt = instance.send("flip")
        assert receipt.seq == 8 and receipt.version == 8 and receipt.configuration == ["on"]
        assert instance.context == {"owner": "ann", "count": 7}
    reopened = store.open("t1", chart)
    assert reopened.configuration == ["on"] and reopened.version == 8
    assert reopened.context == {"owner": "ann", "count": 7}  # hooks' changes are in the log
    reopened.close()
    history = list(store.history("t1"))
    assert [r["seq"] for r in history] == list(range(1, 9))
    assert history[0]["type"] == "sw.create" and history[-1]["to"] == ["on"]
    assert store.state_at("t1", seq=3)["configuration"] == ["off"]
    assert store.state_at("t1", at=history[2]["ts"])["seq"] >= 3
    assert store.verify("t1") == []
    assert store.ids() == ["t1"]


def test_an_event_id_already_logged_is_acknowledged_not_applied_again(make: Any) -> None:
    store = make()
    with store.create("t", counting()) as instance:
        first = instance.send("flip", event_id="order-1")
        again = instance.send("flip", event_id="order-1")
        assert again.duplicate and again.seq == first.seq and instance.configuration == ["on"]
    assert [r["id"] for r in store.history("t")].count("order-1") == 1


def test_a_stale_handle_conflicts_and_send_retries_by_reloading(make: Any) -> None:
    store = make()
    chart = counting()
    store.create("t", chart).close()
    first, second = store.open("t", chart), store.open("t", chart)
    first.send("flip")
    assert second.version == 1
    with pytest.raises(ConcurrencyConflict):
        second.send("flip", expected_version=1)  # the version it read: another got there first
    assert second.version == 2  # it caught up while it checked
    stale = store.open("t", chart)
    first.send("flip")
    receipt = stale.send("flip")  # a conflict inside: reloaded and applied on top of the other
    assert receipt.version == 4 and receipt.configuration == ["on"]
    stale.close()
    first.close()
    second.close()
    assert store.verify("t") == []


def _worker(location: tuple[str, str], worker: int, count: int, resend: bool) -> None:
    store = store_at(location)
    with store.open("hot", counting()) as instance:
        for n in range(count):
            instance.send("flip", event_id=f"w{worker}-{n}")
            if resend and n % 10 == 0:
                instance.send("flip", event_id=f"w{worker}-{n}")  # a retry of the same event


@pytest.mark.parametrize("resend", [False, True], ids=["fresh ids", "with resent ids"])
def test_four_processes_on_one_instance_lose_and_duplicate_nothing(make: Any, resend: bool) -> None:
    store = make()
    store.create("hot", counting()).close()
    context = multiprocessing.get_context("fork")
    workers = [
        context.Process(target=_worker, args=(make.location, w, 500, resend)) for w in range(4)
    ]
    for process in workers:
        process.start()
    for process in workers:
        process.join(120)
        assert process.exitcode == 0
    records = list(store.history("hot"))
    ids = Counter(r["id"] for r in records[1:])
    assert len(records) == 2001 and set(ids.values()) == {1}
    assert {f"w{w}-{n}" for w in range(4) for n in range(500)} == set(ids)
    assert [r["version"] for r in records] == list(range(1, 2002))  # strictly increasing
    final = store.open("hot", counting())
    assert final.configuration == ["off"]  # 2000 flips: a serial replay ends where it began
    assert final.context["count"] == 2000
    final.close()
    assert store.verify("hot") == []


def test_resource_ids_cannot_leave_the_store(make: Any, tmp_path: Path) -> None:
    store = make()
    for bad in ["../x", "a/b", "", ".", "..", ".hidden", "a\x00b", "x" * 129, "a b", "é"]:
        with pytest.raises(BadResourceId):
            store.create(bad, counting())
    assert not (tmp_path / "x").exists() and store.ids() == []
    with pytest.raises(UnknownInstance):
        store.open("missing", counting())
    store.create("ok", counting()).close()
    with pytest.raises(InstanceExists):
        store.create("ok", counting())


def test_another_chart_is_refused_unless_a_migration_is_given(make: Any) -> None:
    store = make()
    with store.create("t", counting()) as instance:
        instance.send("flip")
    renamed = counting(TOGGLE.replace("on", "lit"))
    with pytest.raises(ChartMismatch, match="migrate="):
        store.open("t", renamed)

    def migrate(snapshot: dict[str, Any], old: Any, new: Any) -> dict[str, Any]:
        return {**snapshot, "active": ["lit" if s == "on" else s for s in snapshot["active"]]}

    migrated = store.open("t", renamed, migrate=migrate)
    assert migrated.configuration == ["lit"]
    migrated.send("flip")
    migrated.close()
    assert store.open("t", renamed).configuration == ["off"]


def test_timed_events_survive_a_restart(make: Any) -> None:
    clock = FakeClock(1_800_000_000.0)
    finished: list[str] = []
    chart = StoredChart(document(TIMED), actions={"finish": lambda c, d: finished.append("x")})
    store = make(clock=clock)
    with store.create("job", chart) as instance:
        instance.send("go")
        assert instance.tick() is None
    clock.advance(11)
    reopened = store.open("job", chart)
    receipt = reopened.tick()
    assert receipt is not None and receipt.configuration == ["done"] and finished == ["x"]
    reopened.close()
    assert store.state_at("job")["configuration"] == ["done"]  # the tick replays


def test_a_generated_class_is_stored_like_its_chart(make: Any, tmp_path: Path) -> None:
    module = generated_module(chart_of(EXAMPLES / "door.smcat"), tmp_path / "door_machine.py")
    beeps: list[int] = []

    class Door(module.machine_class):  # type: ignore[name-defined]
        def beep(self, data: Any) -> None:
            beeps.append(1)

        def engage_bolt(self, data: Any) -> None:
            pass

        def release_bolt(self, data: Any) -> None:
            pass

    store = make()
    chart = StoredChart(Door)
    assert chart.hash == StoredChart(document((EXAMPLES / "door.smcat").read_text())).hash
    with store.create("front", chart) as instance:
        instance.send("lock")
        instance.send("unlock", code=1234)
    assert beeps == [1]
    reopened = store.open("front", chart)
    assert reopened.configuration == ["closed"] and beeps == [1]  # replay runs no hook
    reopened.close()


def test_log_framing_detects_every_damage() -> None:
    line = frame({"seq": 1, "type": "go", "data": {"text": "a\nb"}})
    assert line.count(b"\n") == 1 and unframe(line) == {
        "seq": 1,
        "type": "go",
        "data": {"text": "a\nb"},
    }
    for index in range(len(line) - 1):
        flipped = bytearray(line)
        flipped[index] ^= 0x01
        assert unframe(bytes(flipped)) is None or bytes(flipped) == line


def test_corruption_in_the_middle_names_the_line_and_changes_nothing(tmp_path: Path) -> None:
    store = FileStore(tmp_path)
    with store.create("t", counting()) as instance:
        for _ in range(5):
            instance.send("flip")
    log = tmp_path / "resources" / "t" / "events.log"
    lines = log.read_bytes().splitlines(keepends=True)
    lines[3] = lines[3].replace(b'"flip"', b'"flop"')
    log.write_bytes(b"".join(lines))
    before = log.read_bytes()
    with pytest.raises(LogCorrupt, match=r"events.log:4: .* byte \d+"):
        store.open("t", counting())
    assert log.read_bytes() == before
    assert any("corrupt" in p for p in store.verify("t"))
    with pytest.raises(LogCorrupt):
        scan(log)


def test_the_command_line_drives_instances_without_tracebacks(tmp_path: Path) -> None:
    def sw(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [
                sys.executable,
                "-m",
                "statewright",
                "instances",
                *args,
                "--store",
                str(tmp_path),
            ],
            capture_output=True,
            text=True,
            check=False,
        )

    created = sw("create", str(EXAMPLES / "door.smcat"), "--id", "d1", "--context", '{"jammed": 0}')
    assert created.returncode == 0, created.stderr
    # `lock` runs `beep` and `engage bolt`, which have no hook here: refused, nothing written
    refused = sw("send", "d1", "lock", "--event-id", "k1")
    assert refused.returncode == 1 and "`beep` (action) has no hook here" in refused.stderr
    sent = sw("send", "d1", "lock", "--event-id", "k1", "--no-hooks")
    assert json.loads(sent.stdout)["configuration"] == ["locked"]
    again = sw("send", "d1", "lock", "--event-id", "k1", "--no-hooks")
    assert json.loads(again.stdout)["duplicate"] is True
    sw("send", "d1", "unlock", "--data", '{"code": 1234}', "--no-hooks")
    shown = sw("show", "d1", "-o", str(tmp_path / "d1.dot"))
    assert json.loads(shown.stdout)["configuration"] == ["closed"]
    assert "closed" in (tmp_path / "d1.dot").read_text()
    history = sw("history", "d1", "--as-of", "2")
    assert json.loads(history.stdout)["configuration"] == ["locked"]
    assert sw("verify").returncode == 0
    assert len(sw("history", "d1").stdout.splitlines()) == 3
    for args, code in [
        (("send", "../d1", "lock"), 1),
        (("send", "nobody", "lock"), 1),
        (("send", "d1", "lock", "--data", "[1"), 2),
        (("send", "d1", "lock", "--data", "[1]"), 2),
        (("create", str(EXAMPLES / "door.smcat"), "--id", "d1"), 1),
    ]:
        failed = sw(*args)
        assert failed.returncode == code, (args, failed.stderr)
        assert "Traceback" not in failed.stderr and failed.stderr.startswith("statewright:")
    log = tmp_path / "resources" / "d1" / "events.log"
    log.write_bytes(log.read_bytes() + b'{"seq": 9')
    verified = sw("verify", "d1")  # a write in flight at a crash: the next open cuts it
    assert verified.returncode == 0 and "torn" in json.loads(verified.stdout)["notes"][0]
    log.write_bytes(log.read_bytes() + b'\n{"seq": 10}\n')  # two bad lines: damage
    verified = sw("verify", "d1")
    assert verified.returncode == 1 and "damage" in verified.stdout
    assert os.path.getsize(log) > 0


SAGA_HOOKS = ["allocate", "release", "attach disk", "detach disk", "boot", "shut down"]


def _saga(log: list[str], fail: str | None = None) -> StoredChart:
    def hook(name: str) -> Any:
        def run(context: Any, data: Any) -> None:
            if name == fail:
                raise RuntimeError(f"{name} failed")
            log.append(name)

        return run

    return StoredChart(
        document((EXAMPLES / "provisioning.smcat").read_text()),
        actions={name: hook(name) for name in SAGA_HOOKS},
    )


def test_a_saga_rolls_back_its_finished_steps_newest_first_and_logs_each(make: Any) -> None:
    log: list[str] = []
    store = make()
    with store.create("vm", _saga(log)) as instance:
        instance.send("allocated")
        instance.send("attached")
        receipt = instance.send("error")
    assert receipt.configuration == ["failed"]
    assert log == ["allocate", "attach disk", "boot", "shut down", "detach disk", "release"]
    compensations = [
        r["data"]["action"] for r in store.history("vm") if r["type"] == "sw.compensate"
    ]
    assert compensations == ["shut down", "detach disk", "release"]
    assert store.verify("vm") == []
    log.clear()
    with store.create("vm2", _saga(log)) as instance:  # a finished saga forgets its steps
        for event in ("allocated", "attached", "booted", "delete"):
            instance.send(event)
    assert log == ["allocate", "attach disk", "boot", "release"]


def test_an_interrupted_rollback_resumes_when_the_instance_is_opened(make: Any) -> None:
    log: list[str] = []
    store = make()
    instance = store.create("vm", _saga(log, fail="detach disk"))
    instance.send("allocated")
    instance.send("attached")
    # committed; its rollback stopped at the failing compensation, which the receipt names
    # (after its commit a send does not raise: a retry without an id would apply it twice)
    receipt = instance.send("error")
    assert receipt.deferred == ("compensations: RuntimeError: detach disk failed",)
    instance.close(snapshot=False)
    assert log[-1] == "shut down"
    reopened = store.open("vm", _saga(log))
    assert reopened.recovered == ["resumed an interrupted rollback"]
    assert log[-2:] == ["detach disk", "release"] and reopened.configuration == ["failed"]
    reopened.close()
    assert [r["data"].get("action") for r in store.history("vm")][-3:] == [
        "shut down",
        "detach disk",
        "release",
    ]


def test_a_group_commit_acknowledges_its_events_together(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = FileStore(tmp_path)
    first, second = store.create("a", counting()), store.create("b", counting())
    fsyncs: list[int] = []
    real = os.fsync
    monkeypatch.setattr(os, "fsync", lambda fd: (fsyncs.append(fd), real(fd))[1])
    with store.batch() as batch:
        for _ in range(5):
            batch.send(first, "flip")
        batch.send(second, "flip", event_id="only-once")
        batch.send(second, "flip", event_id="only-once")
    assert len(fsyncs) == 2  # one per instance for seven events
    assert [r.version for r in batch.receipts] == [2, 3, 4, 5, 6, 2, 2]
    assert batch.receipts[-1].duplicate
    monkeypatch.setattr(os, "fsync", real)
    other = store.open("a", counting())  # a second handle: catches up inside the next batch
    other.send("flip")
    with store.batch() as batch:
        assert batch.send(first, "flip").version == 8
    with pytest.raises(ValueError), store.batch() as batch:
        batch.send(second, "flip")
        raise ValueError("the block failed: what it wrote is in doubt")
    for handle in (first, second, other):
        handle.close()
    assert store.verify("a") == [] and store.verify("b") == []
    assert store.open("a", counting()).version == 8


def test_a_migrated_instance_verifies_and_replays_across_the_change(make: Any) -> None:
    store = make()
    with store.create("t", counting()) as instance:
        instance.send("flip")
    renamed = counting(TOGGLE.replace("on", "lit"))

    def migrate(snapshot: dict[str, Any], old: Any, new: Any) -> dict[str, Any]:
        return {**snapshot, "active": ["lit" if s == "on" else s for s in snapshot["active"]]}

    with store.open("t", renamed, migrate=migrate) as instance:
        instance.send("flip")
    assert store.verify("t") == []
    assert store.state_at("t", seq=2)["configuration"] == ["on"]  # before: the old chart
    assert store.state_at("t")["configuration"] == ["off"]


def test_a_chain_of_migrations_replays_each_era_on_its_own_chart(make: Any) -> None:
    store = make()
    charts = [counting(TOGGLE.replace("on", name)) for name in ("on", "lit", "glow")]
    with store.create("t", charts[0]) as instance:
        instance.send("flip")  # seq 2: on
    for old, new in (("on", "lit"), ("lit", "glow")):

        def migrate(snapshot: dict[str, Any], a: Any, b: Any, old=old, new=new) -> dict[str, Any]:
            return {**snapshot, "active": [new if s == old else s for s in snapshot["active"]]}

        target = charts[1] if new == "lit" else charts[2]
        with store.open("t", target, migrate=migrate) as instance:
            instance.send("flip")
            instance.send("flip")
    assert store.verify("t") == []
    eras = [store.state_at("t", seq=n)["configuration"] for n in range(1, 9)]
    assert eras == [["off"], ["on"], ["lit"], ["off"], ["lit"], ["glow"], ["off"], ["glow"]]


def test_sends_after_rotation_read_no_older_segment_and_ids_stay_unique(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A new event (a fresh UUIDv7) is never looked up; a caller's id is looked up in the
    keys kept beside the older segments (`segment_ids`), never by reading a segment whole,
    and a retry of an old id is still recognised."""
    from statewright.runtime.store import logfile

    scans: list[Path] = []
    real_scan = logfile.scan

    def counted(path: Path, data: bytes | None = None) -> Any:
        scans.append(path)
        return real_scan(path, data)

    store = FileStore(tmp_path, snapshot_every=5, segment_records=10)
    chart = counting()
    with store.create("r1", chart) as instance:
        first = instance.send("flip", event_id="first-id")
        monkeypatch.setattr(logfile, "scan", counted)
        for _ in range(60):
            instance.send("flip")
        assert len(store.segments("r1")) >= 5 and scans == []
        for k in range(20):
            instance.send("flip", event_id=f"given-{k}")  # crosses two more rotations
        assert scans == []  # the keys kept beside each closed segment answer
        again = instance.send("flip", event_id="first-id")
        assert again.duplicate and again.seq == first.seq
        assert instance.send("flip", event_id="given-3").duplicate
        assert scans == []
        version = instance.version
    with store.open("r1", chart) as reopened:
        assert reopened.send("flip", event_id="given-0").duplicate
        assert reopened.version == version


def test_timestamps_and_event_ids_are_formatted_as_the_standard_library_would() -> None:
    import random
    import uuid
    from datetime import UTC, datetime

    from statewright.runtime.store.records import new_event_id, timestamp

    chosen = random.Random(20)
    moments = [0.0, 1.5, 1732874400.123, 1732874400.9995, 1732874400.9999996, 1e9 + 0.001]
    moments += [chosen.uniform(0, 4e9) for _ in range(20_000)]
    for moment in moments:
        iso = datetime.fromtimestamp(moment, tz=UTC).isoformat(timespec="milliseconds")
        assert timestamp(moment) == iso.replace("+00:00", "Z"), moment
    ids = [new_event_id() for _ in range(1000)]
    assert len(set(ids)) == 1000
    for text in ids:
        parsed = uuid.UUID(text)
        assert str(parsed) == text and parsed.version == 7 and parsed.variant == uuid.RFC_4122


def test_a_group_commit_holds_its_events_and_catches_up_on_both_stores(make: Any) -> None:
    """`store.batch()` on every store: the receipts of the block in order, a duplicate id
    applied once, another handle's commit caught up inside the next batch, and everything
    readable from a second handle afterwards."""
    store = make()
    first, second = store.create("a", counting()), store.create("b", counting())
    with store.batch() as batch:
        for _ in range(5):
            batch.send(first, "flip")
        batch.send(second, "flip", event_id="only-once")
        batch.send(second, "flip", event_id="only-once")
    assert [r.version for r in batch.receipts] == [2, 3, 4, 5, 6, 2, 2]
    assert batch.receipts[-1].duplicate and not batch.receipts[-2].duplicate
    other = store.open("a", counting())
    other.send("flip")  # version 7, behind `first`'s back
    with store.batch() as batch:
        assert batch.send(first, "flip").version == 8
        assert batch.send(first, "flip").configuration == ["off"]
    for handle in (first, second, other):
        handle.close()
    reread = store_at(make.location)
    assert reread.open("a", counting()).version == 9
    assert [r["version"] for r in reread.history("b")] == [1, 2]
    assert reread.open("a", counting()).context == {"count": 8}


def test_a_postgres_batch_that_raises_or_cannot_commit_commits_nothing(pg_dsn: str) -> None:
    import psycopg

    from statewright.runtime.store.postgres import PostgresStore

    with PostgresStore(pg_dsn) as store:
        instance = store.create("p", counting())
        with pytest.raises(ValueError), store.batch() as batch:
            batch.send(instance, "flip")
            batch.send(instance, "flip")
            raise ValueError("the block failed")
        assert instance.version == 1 and instance.configuration == ["off"]  # reloaded
        assert store.open("p", counting()).version == 1
        with pytest.raises(StoreError, match="not committed"), store.batch() as batch:
            batch.send(instance, "flip")
            assert batch.conn is not None
            pid = batch.conn.info.backend_pid
            with psycopg.connect(pg_dsn, autocommit=True) as killer:
                killer.execute("SELECT pg_terminate_backend(%s)", (pid,))
        assert store.open("p", counting()).version == 1
        assert instance.send("flip", event_id="after").version == 2  # the handle still works
        with pytest.raises(StoreError, match="inside its `with` block"):
            batch.send(instance, "flip")
