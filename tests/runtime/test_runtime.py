"""The interpreter (statewright.runtime): the guard language, scenarios worked out by hand, and
errors. The same interpreter is compared with SCION, python-statemachine and XState on every
portable golden chart in tests/interop/test_engines.py."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from statewright.compiler import ir_document, parse
from statewright.runtime import ChartError, GuardSyntaxError, Machine, load
from statewright.runtime.expr import GuardError, UnknownName, compile_guard, lookup
from statewright.runtime.interpreter import LivelockError


def _machine(text: str, **options: Any) -> Machine:
    chart, diagnostics = parse(text)
    assert chart is not None, diagnostics
    options.setdefault("partial", True)  # hooks only where a test gives them
    return load(json.loads(ir_document.emit(chart)), **options)


@pytest.mark.parametrize(
    ("guard", "context", "expected"),
    [
        ("ready", {"ready": True}, True),
        ("count > 2 && mode == 'fast'", {"count": 3, "mode": "fast"}, True),
        ("count > 2 and not (mode == 'fast')", {"count": 3, "mode": "fast"}, False),
        ("a || b", {"a": 0, "b": 1}, True),
        ("x % 2 == 1 or x >= 10", {"x": 4}, False),
        ("-x + 2 * 3 == 1", {"x": 5}, True),
        ("'b' in letters", {"letters": ["a", "b"]}, True),
        ("order.total >= 100", {"order": {"total": 120}}, True),
        ('name == "O\\"Neil"', {"name": 'O"Neil'}, True),
        ("x === 1", {"x": 1}, True),
        ("flag == true", {"flag": True}, True),
    ],
)
def test_the_guard_language(guard: str, context: dict[str, Any], expected: bool) -> None:
    assert bool(compile_guard(guard)(lookup(context), lambda name: False)) is expected


@pytest.mark.parametrize(
    ("guard", "context", "data", "message"),
    [
        ("ready", {}, None, "`ready` is not in the context"),
        ("batery_level < 100", {"battery_level": 5}, None, "(did you mean `battery_level`?)"),
        ("order.totl > 1", {"order": {"total": 2}}, None, "`order` has no `totl`"),
        ("_event.data.amount <= 10", {}, {"amout": 5}, "has no `amount` (did you mean `amout`?)"),
        ("_event.data.code == 1", {}, None, "`_event.data.code`: the event came without data"),
        ("_event.data.a.b == 1", {}, {"a": {}}, "`_event.data.a` has no `b`"),
        ("_event.name == 'x'", {}, None, "guards read the event's data (`_event.data.x`)"),
        ("x.real == 1", {"x": 1}, None, None),  # an attribute that is there
        ("x.nope == 1", {"x": 1}, None, "`x` has no `nope`"),
    ],
)
def test_a_name_or_field_that_is_not_there_is_an_evaluation_error(
    guard: str, context: dict[str, Any], data: Any, message: str | None
) -> None:
    test = compile_guard(guard)
    if message is None:
        assert test(lookup(context, data), lambda name: False) is True
        return
    with pytest.raises(UnknownName) as raised:
        test(lookup(context, data), lambda name: False)
    assert message in str(raised.value)
    assert isinstance(raised.value, GuardError)


def test_in_and_event_data_in_guards() -> None:
    test = compile_guard("In('open') && _event.data.code == 42")
    assert test(lookup({}, {"code": 42}), lambda name: name == "open")
    assert not test(lookup({}, {"code": 41}), lambda name: name == "open")


@pytest.mark.parametrize("guard", ["", "a >", "(a", "a b", "f(x)", "a = 1", "In(x)", "a; b"])
def test_guards_outside_the_language_fail_when_loaded(guard: str) -> None:
    with pytest.raises(GuardSyntaxError):
        compile_guard(guard)


def test_a_chart_with_a_bad_guard_fails_at_load_not_at_the_first_event() -> None:
    with pytest.raises(GuardSyntaxError):
        _machine("a, b;\na => b: go [x ===];\n")


TRAFFIC = """
initial, off,
on {
    on.history [type=deephistory],
    red, green, yellow;
    red => green: next;
    green => yellow: next;
    yellow => red: next;
},
^check, broken [type=final];

initial => off;
off => on.history: power;
on => off: power;
on => ^check: fault;
^check => off: [retries < 3] / retry;
^check => broken: [else] / give up;
"""


def test_history_choice_and_actions_in_order() -> None:
    log: list[str] = []
    machine = _machine(TRAFFIC, context={"retries": 0})
    machine.add_listener(lambda r: log.append(r["action"]) if "action" in r else None)
    machine.start()
    assert machine.configuration == ["off"]
    for event in ("power", "next", "next"):
        machine.send(event)
    assert machine.configuration == ["yellow"]
    machine.send("power")
    machine.send("power")  # deep history: back in yellow
    assert machine.configuration == ["yellow"] and machine.is_active("on")
    machine.send("fault")
    assert machine.configuration == ["off"] and log == ["retry"]
    machine.context["retries"] = 3
    machine.send("power")
    machine.send("fault")
    assert machine.configuration == ["broken"] and machine.done
    assert log == ["retry", "give up"]
    machine.send("power")  # a finished machine takes no more events
    assert machine.configuration == ["broken"]


def test_named_guards_and_action_hooks() -> None:
    calls: list[tuple[str, Any]] = []
    machine = _machine(
        "idle, busy;\nidle => busy: start [allowed] / begin;\n",
        guards={"allowed": lambda context, data: data.get("user") == "ann"},
        actions={"begin": lambda context, data: calls.append(("begin", data))},
    ).start()
    machine.send("start", user="bob")
    assert machine.configuration == ["idle"] and calls == []
    machine.send("start", user="ann")
    assert machine.configuration == ["busy"] and calls == [("begin", {"user": "ann"})]


def test_done_events_of_composite_and_parallel_states() -> None:
    machine = _machine("""
        both [type=parallel] {
            a { a1, a.final [type=final]; a1 => a.final: x; },
            b { b1, b.final [type=final]; b1 => b.final: y; };
        },
        after_both;
        both => after_both: done.state.both;
        """).start()
    machine.send("x")
    assert machine.configuration == ["a.final", "b1"]
    machine.send("y")  # both regions final: done.state.both is raised and taken
    assert machine.configuration == ["after_both"]


def test_an_eventless_loop_is_an_error_not_a_hang() -> None:
    machine = _machine("a, b;\na => b;\nb => a;\n")
    with pytest.raises(LivelockError):
        machine.start()


def test_a_document_that_is_not_ir_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ChartError):
        load({"format": "something-else"})
    broken = tmp_path / "x.ir.json"
    broken.write_text("{", "utf-8")
    with pytest.raises(ChartError, match="cannot read"):
        load(broken)


def test_timed_events_run_on_an_injected_clock() -> None:
    from statewright.runtime import FakeClock

    clock = FakeClock()
    machine = _machine(
        "idle, waiting, timedout, done;\nidle => waiting: start;\n"
        "waiting => timedout: after 1.5s;\nwaiting => done: reply;\ndone => waiting: again;\n",
        clock=clock,
    ).start()
    machine.send("start")
    assert machine.pending_timers == [
        {"due": 1.5, "event": "sw.after.1/after 1.5s", "state": "waiting"}
    ]
    clock.advance(1.499)
    assert machine.tick().configuration == ["waiting"]
    clock.advance(0.001)
    assert machine.tick().configuration == ["timedout"] and machine.pending_timers == []
    other = _machine(
        "waiting, timedout, done;\nwaiting => timedout: after 10ms;\nwaiting => done: reply;\n"
        "done => waiting: again;\n",
        clock=clock,
    ).start()
    other.send("reply")  # leaving the state cancels its timer
    assert other.pending_timers == []
    other.send("again")  # entering again schedules it again, from now
    assert other.next_due == pytest.approx(clock.now() + 0.010)
    clock.advance(1)
    assert other.tick().configuration == ["timedout"]


def test_snapshot_and_restore_keep_history_context_and_timers() -> None:
    from statewright.runtime import FakeClock

    clock = FakeClock(100.0)
    machine = _machine(
        TRAFFIC + "off => off: after 2s / idle;\n", context={"retries": 1}, clock=clock
    )
    for event in ("power", "next", "power"):  # history holds `green`
        machine.send(event)
    clock.advance(0.5)
    snapshot = json.loads(json.dumps(machine.snapshot()))  # it is plain JSON
    assert snapshot["active"] == ["off"] and snapshot["history"] == {"on.history": ["green"]}
    assert snapshot["timers"] == [{"in": 1.5, "event": "sw.after.1/after 2s", "state": "off"}]
    other_clock = FakeClock(7.0)  # another process: another clock
    copy = _machine(TRAFFIC + "off => off: after 2s / idle;\n", clock=other_clock)
    copy.restore(snapshot)
    assert copy.configuration == ["off"] and copy.context == {"retries": 1}
    assert copy.next_due == pytest.approx(8.5)
    copy.send("power")
    assert copy.configuration == ["green"]  # the deep history came along


@pytest.mark.parametrize(
    "snapshot",
    [
        {},
        {"format": "statewright-snapshot/1"},
        {"format": "statewright-snapshot/1", "active": ["nowhere"], "history": {}, "context": {},
         "timers": []},
        {"format": "statewright-snapshot/1", "active": [], "history": {}, "context": [],
         "timers": [{"in": "soon"}]},
    ],
)  # fmt: skip
def test_a_bad_snapshot_is_refused_and_changes_nothing(snapshot: dict[str, Any]) -> None:
    machine = _machine(TRAFFIC).start()
    with pytest.raises(ChartError):
        machine.restore(snapshot)
    assert machine.configuration == ["off"]


def _simulate(*args: str) -> tuple[int, list[Any], str]:
    import subprocess
    import sys

    run = subprocess.run(
        [sys.executable, "-m", "statewright", "simulate", *args],
        capture_output=True,
        text=True,
    )
    return run.returncode, [json.loads(line) for line in run.stdout.splitlines()], run.stderr


def test_simulate_prints_one_json_line_per_step(tmp_path: Path) -> None:
    from testkit import EXAMPLES

    code, steps, _ = _simulate(str(EXAMPLES / "player.smcat"), "power", "play", "power", "power")
    assert code == 0
    assert [s["configuration"] for s in steps] == [
        ["off"],
        ["stopped"],
        ["playing"],
        ["off"],
        ["playing"],
    ]
    assert [s["event"] for s in steps] == [None, "power", "play", "power", "power"]
    chart = tmp_path / "timer.smcat"
    chart.write_text("a, b;\na => b: after 2s [ok];\n", "utf-8")
    code, steps, _ = _simulate(str(chart), "+1", "+1", "--context", '{"ok": true}')
    assert [s["configuration"] for s in steps] == [["a"], ["a"], ["b"]]


def test_simulate_refuses_bad_input_without_a_traceback(tmp_path: Path) -> None:
    from testkit import EXAMPLES

    broken = tmp_path / "broken.smcat"
    broken.write_text("initial, a;\ninitial => a;\ninitial => b;\n", "utf-8")
    for args, code in [
        ((str(broken),), 1),
        ((str(EXAMPLES / "player.smcat"), "--context", "[1]"), 2),
        ((str(EXAMPLES / "player.smcat"), "--context", "{"), 2),
        (("--ir", str(EXAMPLES / "player.smcat")), 2),
        ((str(EXAMPLES / "player.smcat"), "+soon"), 2),
    ]:
        returned, _, stderr = _simulate(*args)
        assert returned == code, (args, stderr)
        assert "Traceback" not in stderr and "statewright:" in stderr
