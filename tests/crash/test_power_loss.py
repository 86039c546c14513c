"""Power loss: every state a crash could leave on disk, from recorded runs of the file store
(issue 24; the model is tests/crash/power.py, the guarantees docs/persistence.md's).

Each scenario runs once with the store's file operations recorded; every crash state the
model allows (a bounded, seeded sample: distinct images only) is written to a folder, the store
opens it, and the invariants are checked:

- every event acknowledged before the crash is in the log exactly once, and no event id twice;
- the context (a count the chart's hook keeps) equals a replay of the log, and the instance
  verifies (`verify`: framing, sequence, snapshot equal to a replay of the log);
- an instance whose creation was not acknowledged may be missing or refused, nothing else is;
- nothing is repaired silently: a torn tail the store cuts is reported in `recovered` and
  kept beside the log;
- nothing raises but the store's documented errors.

The scenarios: sends with snapshots, log rotation and a JSON Lines outbox with its cursor;
group commits over four instances; a migration to a new chart; a saga whose rollback runs
its compensations; and `statewright build` replacing its outputs (each output old or new,
never torn, and the next build succeeds).
"""

from __future__ import annotations

import json
import shutil
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from power import Recorder, State, crash_states, kill_state
from statewright.compiler import ir_document, parse
from statewright.runtime.hooks import action_texts
from statewright.runtime.model import build as build_model
from statewright.runtime.store import (
    FileStore,
    JsonlSink,
    StoredChart,
    UnknownInstance,
    fsio,
    logfile,
)
from statewright.runtime.store.errors import StoreError

#: heavy: `make test` runs it, `make test-fast` leaves it out
pytestmark = pytest.mark.slow

TOGGLE = "off, on;\noff => on: flip / count;\non => off: flip / count;\n"
#: the toggle after a change: a new state (a migration carries instances over)
TOGGLE_2 = (
    "off, on, broken;\noff => on: flip / count;\non => off: flip / count;\non => broken: fault;\n"
)
SAGA = """initial,
allocating: entry/ allocate
    compensate/ release,
booting: entry/ boot
    compensate/ shut down,
rolling_back: rollback/,
failed [type=final];

initial => allocating;
allocating => booting: allocated / count;
booting => rolling_back: error / count;
rolling_back => failed;
"""
#: what a scenario's check opens: (instance id, the chart it is opened with, migrate=)
Opening = tuple[str, StoredChart, Any]
#: a scenario's check of one crash state, materialised in a folder: what happened
Checker = Callable[[State, Path], str]


def _chart(text: str = TOGGLE, chart_id: str = "t") -> StoredChart:
    chart, _ = parse(text)
    assert chart is not None

    def count(context: dict[str, Any], data: Any) -> None:
        context["count"] = context.get("count", 0) + 1

    def undo(context: dict[str, Any], data: Any) -> None:
        context["undone"] = context.get("undone", 0) + 1

    document = json.loads(ir_document.emit(chart))
    known = action_texts(build_model(document))  # each chart: the hooks of its own actions
    hooks = {"count": count, "release": undo, "shut down": undo}
    actions = {text: hook for text, hook in hooks.items() if text in known}
    return StoredChart(document, actions=actions, chart_id=chart_id, partial=True)


def _same(snapshot: Any, old: Any, new: Any) -> Any:
    return snapshot


def _store(root: Path) -> FileStore:
    return FileStore(
        root, snapshot_every=3, segment_records=4, sinks=[JsonlSink(root / "outbox.jsonl")]
    )


def sends(root: Path) -> tuple[Recorder, Checker]:
    """Create an instance and send `flip` 16 times (a snapshot every 3 events, a new log
    segment every 4 records, a JSON Lines outbox and its cursor), marking each
    acknowledgement."""
    recorder = Recorder(root)
    with fsio.using(recorder):
        with _store(root).create("t", _chart()) as instance:
            recorder.mark("created", "t")
            for n in range(16):
                instance.send("flip", event_id=f"e{n}")
                recorder.mark("ack", "t", f"e{n}")
    return recorder, opening([("t", _chart(), None)])


def batches(root: Path) -> tuple[Recorder, Checker]:
    """Four instances (made before the record starts), then three group commits of two
    `flip`s to each: the records of a batch are fsynced together when it ends."""
    store = FileStore(root, snapshot_every=3)
    names = ["a", "b", "c", "d"]
    for name in names:
        store.create(name, _chart()).close()
    recorder = Recorder(root)
    for name in names:
        recorder.mark("created", name)
    with fsio.using(recorder):
        store = FileStore(root, snapshot_every=3)
        instances = [store.open(name, _chart()) for name in names]
        for round_ in range(3):
            sent = []
            with store.batch() as batch:
                for twice in range(2):
                    for instance in instances:
                        event_id = f"{instance.resource_id}{round_}.{twice}"
                        batch.send(instance, "flip", event_id=event_id)
                        sent.append((instance.resource_id, event_id))
            for resource_id, event_id in sent:
                recorder.mark("ack", resource_id, event_id)
        for instance in instances:
            instance.close()
    return recorder, opening([(name, _chart(), None) for name in names])


def migration(root: Path) -> tuple[Recorder, Checker]:
    """Two events, then the instance carried over to a changed chart, then five more."""
    store = FileStore(root, snapshot_every=3)
    with store.create("t", _chart()) as instance:
        instance.send("flip", event_id="e0")
        instance.send("flip", event_id="e1")
    recorder = Recorder(root)
    recorder.mark("created", "t")
    recorder.mark("ack", "t", "e0")
    recorder.mark("ack", "t", "e1")
    new = _chart(TOGGLE_2)
    with fsio.using(recorder):
        store = FileStore(root, snapshot_every=3)
        with store.open("t", new, migrate=_same) as instance:
            recorder.mark("migrated", "t")
            for n in range(2, 7):
                instance.send("flip", event_id=f"e{n}")
                recorder.mark("ack", "t", f"e{n}")
    return recorder, opening([("t", new, _same)])


def saga(root: Path) -> tuple[Recorder, Checker]:
    """A saga: two steps taken, then an error whose rollback runs both compensations, each
    its own record."""
    recorder = Recorder(root)
    chart = _chart(SAGA, "saga")
    with fsio.using(recorder):
        with FileStore(root, snapshot_every=2).create("s", chart) as instance:
            recorder.mark("created", "s")
            instance.send("allocated", event_id="e0")
            recorder.mark("ack", "s", "e0")
            instance.send("error", event_id="e1")
            recorder.mark("ack", "s", "e1")
    return recorder, opening([("s", _chart(SAGA, "saga"), None)])


def opening(openings: list[Opening]) -> Checker:
    """The check of a store's crash state: open each instance (`check`)."""
    return lambda state, folder: check(state, folder, openings)


def check(state: State, folder: Path, openings: list[Opening]) -> str:
    """Open the crash state and check the invariants (the module docstring); what happened
    ("ok", "missing", "creation interrupted: ..."). A broken invariant fails with the state's
    description."""
    state.materialise(folder)
    where = f"crash after operation {state.crash_at} ({state.how})"
    store = FileStore(folder, sinks=[JsonlSink(folder / "outbox.jsonl")])
    outcomes = []
    for resource_id, chart, migrate in openings:
        acked = [m[2] for m in state.marks if m[0] == "ack" and m[1] == resource_id]
        created = ("created", resource_id) in state.marks
        log = folder / "resources" / resource_id / "events.log"
        torn = log.exists() and logfile.scan(log).torn is not None
        try:
            with store.open(resource_id, chart, migrate=migrate) as instance:
                count = instance.context.get("count", 0)
                rolling_back = instance.machine.rolling_back
                said = " ".join(instance.recovered)
            # nothing repaired silently: a tail cut is reported, and kept beside the log
            assert not torn or "cut a torn last record" in said, f"{where}: cut silently"
            assert not torn or any(log.parent.glob("events.log.torn-*")), f"{where}: not kept"
        except UnknownInstance:
            assert not created, f"{where}: the created instance {resource_id} is gone"
            outcomes.append("missing")
            continue
        except StoreError as error:
            assert not created, f"{where}: {resource_id} refused: {error}"
            outcomes.append(f"creation interrupted: {type(error).__name__}")
            continue
        records = list(store.history(resource_id))
        ids = [r["id"] for r in records if not r["type"].startswith("sw.")]
        duplicated = [i for i, n in Counter(ids).items() if n > 1]
        assert not duplicated, f"{where}: events twice in the log: {duplicated}"
        lost = [event_id for event_id in acked if event_id not in ids]
        assert not lost, f"{where}: acknowledged events of {resource_id} lost: {lost}"
        assert count == len(ids), f"{where}: the context counts {count}, the log {len(ids)}"
        assert not rolling_back, f"{where}: a rollback was left unfinished"
        problems = store.verify(resource_id)
        if not created and problems:  # a creation cut short, never acknowledged
            outcomes.append(f"creation interrupted: {problems[0]}")
            continue
        assert not problems, f"{where}: verify: {problems}"
        _check_outbox(folder, resource_id, records, where)
        outcomes.append("ok")
    return "ok" if all(o == "ok" for o in outcomes) else "; ".join(sorted(set(outcomes)))


def build(root: Path) -> tuple[Recorder, Checker]:
    """`statewright build` (compiler/tools/build, whose writes are `disk.atomic_write`'s) of
    a project of two charts into JSON (no header: a manifest), Python and Mermaid, after
    both charts changed: every output is replaced."""
    from statewright.compiler import __version__
    from statewright.compiler.tools.build.project import load_project
    from statewright.compiler.tools.build.run import run

    charts = root / "charts"
    charts.mkdir()
    for name, text in (("door", TOGGLE), ("lamp", TOGGLE.replace("on", "lit"))):
        (charts / f"{name}.smcat").write_text(text, "utf-8")
    config = root / "statewright.yaml"
    config.write_text(
        'charts: ["charts/*.smcat"]\nout: out\noutputs:\n  - format: json\n'
        "  - format: python\n  - format: mermaid\n",
        "utf-8",
    )

    def project() -> Any:
        return load_project(config.read_bytes(), config.name, root)

    assert not run(project(), __version__).count("failed")
    old = {p.relative_to(root): p.read_bytes() for p in (root / "out").iterdir()}
    for path in charts.iterdir():  # both charts change
        path.write_text(path.read_text("utf-8").replace("flip", "toggle"), "utf-8")
    recorder = Recorder(root)
    with fsio.using(recorder):
        assert not run(project(), __version__).count("failed")
    new = {p.relative_to(root): p.read_bytes() for p in (root / "out").iterdir()}

    def after_crash(state: State, folder: Path) -> str:
        """Each output is the old file or the new one, never a mixture or a torn file; the
        next build succeeds and leaves the project up to date."""
        state.materialise(folder)
        where = f"crash after operation {state.crash_at} ({state.how})"
        for name in set(old) | set(new):
            found = state.files.get(str(name))
            assert found in (old.get(name), new.get(name), None), f"{where}: {name} is torn"
        moved = load_project(config.read_bytes(), config.name, folder)
        again = run(moved, __version__)
        assert not again.count("failed"), f"{where}: the next build failed"
        assert not run(moved, __version__, check=True).count("stale", "edited", "failed")
        outputs = {p.relative_to(folder): p.read_bytes() for p in (folder / "out").iterdir()}
        assert outputs == new, f"{where}: the next build did not write what the first did"
        return "ok"

    return recorder, after_crash


SCENARIOS: dict[str, Callable[[Path], tuple[Recorder, Checker]]] = {
    "sends": sends,
    "batches": batches,
    "migration": migration,
    "saga": saga,
    "build": build,
}


def _check_outbox(folder: Path, resource_id: str, records: list[Any], where: str) -> None:
    """At least once: every record up to a sink's cursor is in what the sink wrote (the
    JSON Lines file), whatever the crash kept of either."""
    cursor_file = folder / "resources" / resource_id / "outbox" / "jsonl-outbox.jsonl.cursor"
    if not cursor_file.exists():
        return
    cursor = int(cursor_file.read_text() or 0)
    outbox = folder / "outbox.jsonl"
    lines = outbox.read_text("utf-8").splitlines() if outbox.exists() else []
    delivered = set()
    for line in lines:
        try:
            delivered.add(json.loads(line)["id"])
        except ValueError:  # a line torn by the crash: readers skip it (JsonlSink)
            continue
    missing = [r["id"] for r in records if r["seq"] <= cursor and r["id"] not in delivered]
    assert not missing, f"{where}: the cursor passed records the outbox file lost: {missing}"


def test_a_creation_cut_short_can_be_made_again(tmp_path: Path) -> None:
    """Found by the explorer: a crash inside `create` (a process kill was enough) left a
    folder with `chart.json` and no log, which could neither be opened (StoreError) nor
    created again (InstanceExists). Now the folder is made whole under a hidden name and
    renamed into place: at every crash point the instance is there, or its id is free."""
    (tmp_path / "run").mkdir()
    recorder = Recorder(tmp_path / "run")
    with fsio.using(recorder):
        FileStore(tmp_path / "run").create("t", _chart()).close()
    kills = [kill_state(recorder, at) for at in range(len(recorder.ops) + 1)]
    missing = 0
    for number, state in enumerate(kills):
        folder = tmp_path / f"state-{number}"
        state.materialise(folder)
        store = FileStore(folder)
        try:
            store.open("t", _chart()).close()
        except UnknownInstance:
            missing += 1
            assert store.ids() == []  # the half-made folder is hidden
            with store.create("t", _chart()) as made:
                assert made.configuration == ["off"]
    assert 0 < missing < len(kills)


def test_a_migration_cut_short_after_its_new_log_is_finished_on_open(tmp_path: Path) -> None:
    """Found by the explorer: a crash after a migration's new log took its name but before
    chart.json said the new chart (a process kill was enough) left the instance refused for
    good ("the header names another chart"). Now the new log is written whole, with its
    `sw.migrate` record, before it takes the name, and opening with the new chart finishes
    chart.json."""
    (tmp_path / "run").mkdir()
    recorder, _ = migration(tmp_path / "run")
    last_log = max(
        i
        for i, op in enumerate(recorder.ops)
        if op[0] == "rename" and op[2].endswith("events.log") and "tmp" in op[1]
    )
    # the new log in place and its folder synced; chart.json still the old chart's
    state = kill_state(recorder, last_log + 2)
    state.materialise(tmp_path / "crashed")
    store = FileStore(tmp_path / "crashed")
    with pytest.raises(StoreError, match="open it with that chart to finish"):
        store.open("t")
    with store.open("t", _chart(TOGGLE_2), migrate=_same) as instance:
        assert "finished an interrupted migration (chart.json)" in instance.recovered
        assert instance.configuration == ["off"]
    assert store.verify("t") == []
    assert [r["type"] for r in store.history("t")].count("sw.migrate") == 1


def explore(name: str, work: Path, *, seed: int = 24, samples: int = 2) -> tuple[Counter[str], int]:
    """Record scenario `name` in `work`, check every crash state; (outcomes, operations)."""
    recorder, checker = SCENARIOS[name](work / "run")
    outcomes: Counter[str] = Counter()
    for number, state in enumerate(crash_states(recorder, seed=seed, samples=samples)):
        folder = work / f"state-{number}"
        outcomes[checker(state, folder)] += 1
        shutil.rmtree(folder)
    return outcomes, len(recorder.ops)


COUNTS: dict[str, int] = {}


@pytest.mark.parametrize("name", list(SCENARIOS))
def test_every_crash_state_keeps_what_was_acknowledged(name: str, tmp_path: Path) -> None:
    (tmp_path / "run").mkdir()
    outcomes, operations = explore(name, tmp_path, samples=8)
    COUNTS[name] = sum(outcomes.values())
    print(f"\n{name}: {operations} operations, {COUNTS[name]} crash states: {dict(outcomes)}")
    assert outcomes["ok"] > 0


def test_at_least_a_thousand_distinct_crash_states_were_checked() -> None:
    """Runs after the scenarios (pytest keeps file order)."""
    assert set(COUNTS) == set(SCENARIOS), "run the whole file"
    assert sum(COUNTS.values()) >= 1000, COUNTS
