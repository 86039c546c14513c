"""The file store under what the crash tests do not make (issue 32): hints that lie, a segment
or a chart.json gone, clocks that disagree, a torn tail that `verify` must not call damage,
and a descriptor number reused by another file after a failed reopen."""

from __future__ import annotations

import errno
import json
import os
from pathlib import Path
from typing import Any

import pytest

from statewright.runtime import FakeClock
from statewright.runtime.store import (
    FileStore,
    StoredChart,
    StoreError,
    StoreIOError,
    Worker,
    fsio,
)
from statewright.runtime.store.errors import ClockSkew
from statewright.runtime.store.logfile import LogCorrupt
from statewright.runtime.store.records import WallClock
from testkit import counting, document

TIMED = "waiting, done;\nwaiting => done: after 30s;\n"


def _timed(store: FileStore, resource_id: str = "job") -> None:
    store.create(resource_id, StoredChart(document(TIMED))).close()


@pytest.mark.parametrize("hint", ["", "nan", "inf", "-inf", "1e400", "1e15", "-5", "soon", None])
def test_a_due_hint_that_does_not_parse_means_look_never_skip(
    tmp_path: Path, hint: str | None
) -> None:
    clock = FakeClock(1000.0)
    store = FileStore(tmp_path, clock=clock)
    _timed(store)
    due = tmp_path / "resources/job/due"
    if hint is None:
        due.unlink()
    else:
        due.write_text(hint)
    clock.time = 1031.0
    assert Worker(store).run_once().instances == ("job",)
    assert store.open("job").configuration == ["done"]
    assert due.read_text() == "none"  # written again by the open: no timer now


def test_a_hint_of_no_timer_is_not_looked_at(tmp_path: Path) -> None:
    clock = FakeClock(1000.0)
    store = FileStore(tmp_path, clock=clock)
    store.create("t", counting()).close()
    assert (tmp_path / "resources/t/due").read_text() == "none"
    assert store.hinted_due() == {"t": None}


def _segmented(tmp_path: Path) -> FileStore:
    store = FileStore(tmp_path, snapshot_every=2, segment_records=2)
    with store.create("t", counting()) as instance:
        for _ in range(7):
            instance.send("flip")
    return store


def test_a_missing_middle_segment_is_log_corrupt_at_open_and_in_verify(tmp_path: Path) -> None:
    store = _segmented(tmp_path)
    folder = tmp_path / "resources/t"
    segments = sorted(folder.glob("events.*.log"))
    assert len(segments) >= 3
    segments[1].unlink()
    (folder / "state.json").unlink()  # the log alone is replayed
    with pytest.raises(LogCorrupt, match="a segment is missing"):
        store.open("t")
    assert any("was due" in problem for problem in store.verify("t"))


def test_a_lost_chart_json_is_listed_verified_and_refused_by_the_worker(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from statewright.compiler.tools.cli.main import main

    clock = FakeClock(1000.0)
    store = FileStore(tmp_path, clock=clock)
    _timed(store, "gone")
    _timed(store, "kept")
    (tmp_path / "resources/gone/chart.json").unlink()
    assert store.ids() == ["gone", "kept"]  # not vanished
    with pytest.raises(StoreError, match="chart.json: missing, though the instance's log"):
        store.open("gone")
    assert any("chart.json: missing" in p for p in store.verify("gone"))
    clock.time = 1031.0
    done = Worker(store).run_once()
    assert done.instances == ("kept",) and done.refused == ("gone",)
    assert main(["instances", "verify", "--store", str(tmp_path)]) == 1
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [(line["id"], line["ok"]) for line in lines] == [("gone", False), ("kept", True)]
    assert main(["instances", "list", "--store", str(tmp_path)]) == 1
    listed = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert "chart.json" in listed[0]["problem"]


def test_a_worker_behind_the_last_record_fires_nothing_and_says_so(tmp_path: Path) -> None:
    clock = FakeClock(1000.0)
    writer = FileStore(tmp_path, clock=clock, strict=False)
    _timed(writer)  # due at 1030
    with writer.open("job") as instance:
        clock.time = 5000.0  # a writer whose clock jumped ahead: its record says 5000
        instance.send("poke")
    behind = FileStore(tmp_path, clock=FakeClock(1031.0))
    refused: list[tuple[str, str]] = []
    assert behind.fire_due(refused=refused) == []
    assert refused and "later than this process's clock" in refused[0][1]
    with behind.open("job") as instance, pytest.raises(ClockSkew):
        instance.tick()
    assert [r["type"] for r in writer.history("job")] == ["sw.create", "poke"]


class _AnHourAhead(WallClock):
    def now(self) -> float:
        return super().now() + 3600


def test_a_worker_whose_clock_runs_an_hour_ahead_fires_nothing(tmp_path: Path) -> None:
    store = FileStore(tmp_path)
    _timed(store)  # due in 30 s, by the real clock
    worker = Worker(FileStore(tmp_path, clock=_AnHourAhead()))
    done = worker.run_once()
    assert done.fired == 0 and done.refused == ("job",)
    assert [r["type"] for r in store.history("job")] == ["sw.create"]


def test_verify_calls_a_torn_tail_what_the_next_open_cuts_not_damage(tmp_path: Path) -> None:
    store = FileStore(tmp_path)
    store.create("t", counting()).close()
    log = tmp_path / "resources/t/events.log"
    with log.open("ab") as file:
        file.write(b'{"seq": 2, "torn')  # a crash in mid-write
    (tmp_path / "resources/t/.due.123.tmp").write_text("1")  # a worker killed mid-hint
    notes: list[str] = []
    assert store.verify("t", notes=notes) == []
    assert any("the next open cuts it" in note for note in notes)
    assert any("leftover temporary file" in note for note in notes)
    with store.open("t"):
        pass
    notes.clear()
    assert store.verify("t", notes=notes) == [] and notes == []


def test_a_failed_reopen_never_leaves_a_descriptor_number_behind(tmp_path: Path) -> None:
    """A failed fsync, then a failed reopen of the log: the handle must not keep the number
    of the descriptor it closed; another file opened meanwhile gets that number, and the next
    send must not write into it."""
    store = FileStore(tmp_path)
    instance = store.create("t", counting())
    other = tmp_path / "other"
    other.write_bytes(b"")

    class Failing(fsio.Files):
        def __init__(self) -> None:
            self.fail = {"fsync", "open"}

        def fsync(self, fd: int) -> None:
            if "fsync" in self.fail:
                self.fail.discard("fsync")
                raise OSError(errno.EIO, "EIO")
            super().fsync(fd)

        def open(self, path: Any, flags: int, mode: int = 0o644) -> int:
            if "open" in self.fail and str(path).endswith("events.log"):
                self.fail.discard("open")
                raise OSError(errno.EMFILE, "EMFILE")
            return super().open(path, flags, mode)

    with fsio.using(Failing()):
        with pytest.raises(StoreIOError):
            instance.send("flip", event_id="lost")
        squatter = os.open(other, os.O_WRONLY | os.O_APPEND)  # takes a freed number
        try:
            receipt = instance.send("flip", event_id="kept")
        finally:
            os.close(squatter)
    assert other.read_bytes() == b""
    assert receipt.seq == 2 and not receipt.duplicate
    instance.close()
    assert [r["id"] for r in store.history("t")][1:] == ["kept"]
    assert store.verify("t") == []


def test_a_worker_pass_between_full_passes_reads_the_due_index_only(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    clock = FakeClock(1000.0)
    store = FileStore(tmp_path, clock=clock)
    for name in ("a", "b", "c"):
        _timed(store, name)  # due at 1030
    index = tmp_path / "due"
    assert sorted(os.listdir(index)) == [f"000000001030000.{n}" for n in ("a", "b", "c")]
    worker = Worker(store)
    assert worker.run_once().fired == 0  # the first pass is full: nothing due yet
    clock.time = 1031.0

    def no_hint_reading() -> Any:
        raise AssertionError("a pass between full passes read the instances' hints")

    monkeypatch.setattr(store, "hinted_due", no_hint_reading)
    assert sorted(worker.run_once().instances) == ["a", "b", "c"]
    assert os.listdir(index) == []  # no timer left: no entry left
    assert store.next_due() is None


def test_a_stale_due_entry_is_looked_at_once_and_a_lost_one_made_again(tmp_path: Path) -> None:
    clock = FakeClock(1000.0)
    store = FileStore(tmp_path, clock=clock)
    _timed(store, "a")
    index = tmp_path / "due"
    (index / "000000000500000.a").touch()  # stale: a crash between making and removing
    assert store.fire_due(full=False) == []  # looked at: nothing due yet, entry removed
    assert sorted(os.listdir(index)) == ["000000001030000.a"]
    for entry in index.iterdir():
        entry.unlink()  # lost (never fsynced, a power cut)
    clock.time = 1031.0
    assert store.fire_due(full=False) == []  # the index alone does not know it
    assert [r.resource_id for r in store.fire_due(full=True)] == ["a"]  # a full pass does


def test_a_retry_of_an_old_event_reads_one_segment_not_all(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from statewright.runtime.store import file_instance, logfile, segment_ids

    store = FileStore(tmp_path, snapshot_every=3, segment_records=3)
    with store.create("t", counting()) as instance:
        for n in range(20):
            instance.send("flip", event_id=f"e{n}")
    folder = tmp_path / "resources/t"
    assert len(list(folder.glob("events.*.ids"))) == len(list(folder.glob("events.*.log"))) >= 5
    scanned: list[str] = []
    lines: list[tuple[str, int]] = []
    real_scan, real_line = logfile.scan, segment_ids._line_at

    def counting_scan(path: Path, data: Any = None) -> Any:
        scanned.append(path.name)
        return real_scan(path, data)

    def counting_line(segment: Path, offset: int) -> Any:
        lines.append((segment.name, offset))
        return real_line(segment, offset)

    monkeypatch.setattr(segment_ids.logfile, "scan", counting_scan)
    monkeypatch.setattr(segment_ids, "_line_at", counting_line)
    with store.open("t", counting()) as instance:
        assert file_instance.logfile.scan is counting_scan
        scanned.clear()
        receipt = instance.send("flip", event_id="e4")
        assert receipt.duplicate and receipt.seq == 6
        # no segment read whole: the one line of the one segment that holds it
        assert scanned == [] and [name for name, _ in lines] == ["events.000000000004.log"]
        lines.clear()
        assert not instance.send("flip", event_id="new").duplicate
        assert scanned == [] and lines == []  # a new id: the keys alone say no
    damaged = sorted(folder.glob("events.*.ids"))[0]
    damaged.write_bytes(damaged.read_bytes()[:-1])  # fails its check: made again
    with store.open("t", counting()) as instance:
        assert instance.send("flip", event_id="e0").duplicate
    assert segment_ids.read(damaged.with_suffix(".log")) is not None


def test_create_makes_two_files_durable_with_two_fsyncs_and_two_folder_fsyncs(
    tmp_path: Path,
) -> None:
    counted: list[str] = []

    class Counting(fsio.Files):
        def fsync(self, fd: int) -> None:
            counted.append("fsync")
            super().fsync(fd)

        def fsync_dir(self, path: Any) -> None:
            counted.append("fsync_dir")
            super().fsync_dir(path)

    store = FileStore(tmp_path)
    with fsio.using(Counting()):
        instance = store.create("t", counting(), context={"owner": "ann"})
    assert sorted(counted) == ["fsync", "fsync", "fsync_dir", "fsync_dir"]
    assert instance.recovered == [] and instance.send("flip").seq == 2
    instance.close()
    assert store.verify("t") == []
    assert store.open("t", counting()).context == {"owner": "ann", "count": 1}


def test_create_many_shares_the_waits_and_refuses_before_making_anything(tmp_path: Path) -> None:
    from statewright.runtime.store import InstanceExists

    counted: list[str] = []

    class Counting(fsio.Files):
        def fsync_dir(self, path: Any) -> None:
            counted.append(Path(path).name)
            super().fsync_dir(path)

    store = FileStore(tmp_path)
    store.create("taken", counting()).close()
    with pytest.raises(InstanceExists):
        store.create_many([("a", counting()), ("taken", counting())])
    with pytest.raises(InstanceExists):
        store.create_many([("a", counting()), ("a", counting())])
    assert store.ids() == ["taken"] and not list((tmp_path / "resources").glob(".new.*"))
    with fsio.using(Counting()):
        made = store.create_many(
            [(f"m{n}", counting(), {"n": n}) for n in range(8)] + [("plain", counting())]
        )
    assert counted.count("resources") == 1  # one acknowledgement for all nine
    assert [m.resource_id for m in made][:2] == ["m0", "m1"] and made[3].context == {"n": 3}
    for instance in made:
        assert instance.send("flip").seq == 2
        instance.close()
    assert all(store.verify(name) == [] for name in store.ids())


def test_the_background_deliverer_ends_when_idle_and_starts_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A store nobody closes leaves no thread behind for long: the remote sinks' thread ends
    after IDLE_EXIT seconds with nothing to deliver, and the next commit starts another."""
    import threading

    from statewright.runtime.store import deliverer
    from testkit import until

    monkeypatch.setattr(deliverer, "IDLE_EXIT", 0.05)
    got: list[int] = []

    class Remote:
        name, remote = "remote", True

        def deliver(self, event: dict[str, Any]) -> None:
            got.append(event["seq"])

    def threads() -> int:
        return sum(t.name == "statewright-deliver" for t in threading.enumerate())

    store = FileStore(tmp_path, sinks=[Remote()])
    with store.create("t", counting()) as instance:
        until(lambda: got == [1])
        until(lambda: threads() == 0)  # idle: ended
        instance.send("flip")
        until(lambda: got == [1, 2])  # started again by the commit
    store.close()
    assert threads() == 0
