"""Every hook accounted for (issue 31, part 3): a machine refuses hooks for names its chart
does not have (with the closest name) and, unless `partial=True`, actions left without a hook,
on the interpreter as generated classes already do; a store moves an instance without hooks
only through steps that run no action (or skips them on purpose, `no_hooks`, and its record
says which); `statewright worker` and `instances send` take `--hooks MODULE:ATTR` or
`--no-hooks`, and refuse otherwise."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from statewright.compiler import load as load_file
from statewright.runtime import load
from statewright.runtime.errors import MissingHooksError, UnknownHookError
from statewright.runtime.store import FileStore, StoredChart
from statewright.runtime.timers import FakeClock
from testkit import EXAMPLES, document, records_of

ORDER = """
reserving, paid, failed: entry/ release stock;
reserving => paid: pay [_event.data.amount > 0] / capture funds;
reserving => failed: after 30s;
"""


def test_a_hook_for_a_name_the_chart_does_not_have_is_refused_with_the_closest() -> None:
    with pytest.raises(UnknownHookError, match=r"`captur funds`.*did you mean `capture funds`"):
        load(document(ORDER), actions={"captur funds": print}, partial=True)
    with pytest.raises(UnknownHookError, match=r"no guard of the chart"):
        load(document(ORDER), guards={"amount": lambda c, d: 1}, partial=True)
    # a guard hook may be given for a whole guard, or a name a guard reads
    chart = document("a, b;\na => b: go [ready and 1 < 2];\n")
    load(chart, guards={"ready and 1 < 2": lambda c, d: True})
    load(chart, guards={"ready": lambda c, d: True})


def test_actions_without_a_hook_are_refused_unless_partial() -> None:
    with pytest.raises(MissingHooksError, match=r"`capture funds`, `release stock` have no hook"):
        load(document(ORDER), actions={})
    with pytest.raises(MissingHooksError, match="`release stock`"):
        load(document(ORDER), actions={"capture funds": print})
    machine = load(document(ORDER), partial=True).start()
    heard: list[Any] = []
    machine.add_listener(heard.append)
    machine.send("pay", amount=5)  # the action does nothing, and listeners still hear it
    assert {"action": "capture funds", "kind": "action"} in heard
    ran: list[str] = []
    hooks = {"capture funds": lambda c, d: ran.append("c"), "release stock": print}
    load(document(ORDER), actions=hooks).start().send("pay", amount=5)
    assert ran == ["c"]


def test_the_compiler_load_follows_the_same_rule(tmp_path: Path) -> None:
    door = EXAMPLES / "door.smcat"
    with pytest.raises(MissingHooksError, match="`beep`"):
        load_file(door)

    class Hooks:
        def beep(self) -> None: ...

        def engage_bolt(self) -> None: ...

    with pytest.raises(MissingHooksError, match="`release bolt`"):
        load_file(door, hooks=Hooks())
    assert load_file(door, hooks=Hooks(), partial=True).configuration == ["closed"]
    with pytest.raises(UnknownHookError, match="did you mean `beep`"):
        load_file(door, actions={"bep": print}, partial=True)


def test_a_store_without_hooks_refuses_a_step_that_runs_an_action_and_writes_nothing(
    make: Any,  # noqa: F811
) -> None:
    store = make()
    bare = StoredChart(document(ORDER))
    store.create("o-1", bare)
    with pytest.raises(MissingHooksError, match="`capture funds` \\(action\\) has no hook here"):
        store.send("o-1", "pay", {"amount": 5}, chart=bare)
    assert [r["type"] for r in records_of(store, "o-1")] == ["sw.create"]
    # a step that runs no action goes through
    assert store.send("o-1", "pay", {"amount": 0}, chart=bare).handled is False
    # the hooks run, and the step is written
    ran: list[Any] = []
    hooked = StoredChart(
        document(ORDER),
        actions={"capture funds": lambda c, d: ran.append(d), "release stock": print},
    )
    assert store.send("o-1", "pay", {"amount": 5}, chart=hooked).configuration == ["paid"]
    assert ran == [{"amount": 5}]


def test_no_hooks_runs_the_step_and_its_record_lists_what_was_skipped(
    make: Any,  # noqa: F811
) -> None:
    store = make()
    skipping = StoredChart(document(ORDER), no_hooks=True)
    store.create("o-2", skipping)
    store.send("o-2", "pay", {"amount": 5}, chart=skipping)
    record = records_of(store, "o-2")[-1]
    assert record["type"] == "pay" and record["skipped"] == ["capture funds"]
    assert "skipped" not in records_of(store, "o-2")[0]  # creation ran no action


def test_hooks_for_only_some_actions_are_refused_when_the_chart_is_made() -> None:
    with pytest.raises(MissingHooksError, match="`release stock`"):
        StoredChart(document(ORDER), actions={"capture funds": print})
    StoredChart(document(ORDER), actions={"capture funds": print}, partial=True)
    with pytest.raises(UnknownHookError):
        StoredChart(document(ORDER), actions={"capture fund": print}, partial=True)


def _worker_store(tmp_path: Path) -> tuple[FileStore, str]:
    """A file store whose clock stood at 0 when the order was created: its 30 s timer is long
    due for a worker on the real clock."""
    location = tmp_path / "store"
    store = FileStore(location, clock=FakeClock())
    store.create("o-3", StoredChart(document(ORDER))).close()
    return store, str(location)


def _worker(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "statewright", "worker", "--once", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=300,
        check=False,
    )


def test_the_worker_refuses_a_timer_whose_actions_have_no_hook(tmp_path: Path) -> None:
    store, location = _worker_store(tmp_path)
    done = _worker("--store", location, cwd=tmp_path)
    assert done.returncode == 1, done.stderr
    assert json.loads(done.stdout)["refused"] == ["o-3"]
    assert "o-3: its timer did not fire: `release stock` (entry) has no hook here" in done.stderr
    assert [r["type"] for r in records_of(store, "o-3")] == ["sw.create"]
    # told to skip them, it fires, and the record says what was skipped
    done = _worker("--store", location, "--no-hooks", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    tick = records_of(store, "o-3")[-1]
    assert tick["type"] == "sw.tick" and tick["to"] == ["failed"]
    assert tick["skipped"] == ["release stock"]


def test_the_worker_runs_the_hooks_it_is_given(tmp_path: Path) -> None:
    store, location = _worker_store(tmp_path)
    (tmp_path / "order.smcat").write_text(ORDER, "utf-8")
    compiled = subprocess.run(
        [sys.executable, "-m", "statewright", "compile", "order.smcat", "-T", "python"]
        + ["-o", "order_machine.py"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
    )
    assert compiled.returncode == 0, compiled.stderr
    (tmp_path / "order_hooks.py").write_text(
        "from order_machine import OrderMachine\n\n\n"
        "class Order(OrderMachine):\n"
        "    def capture_funds(self, data):\n"
        "        pass\n\n"
        "    def release_stock(self, data):\n"
        "        with open('released.txt', 'a') as f:\n"
        "            f.write('released\\n')\n",
        "utf-8",
    )
    done = _worker("--store", location, "--hooks", "order_hooks:Order", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "released.txt").read_text() == "released\n"
    tick = records_of(store, "o-3")[-1]
    assert tick["to"] == ["failed"] and "skipped" not in tick
    for bad in ("order_hooks", "order_hooks:Nope", "nowhere:Order", "order_hooks:json"):
        done = _worker("--store", location, "--hooks", bad, cwd=tmp_path)
        assert done.returncode == 2 and "Traceback" not in done.stderr, bad
        assert done.stderr.startswith("statewright: error: --hooks"), done.stderr
