"""`-T python`: generated classes, their hooks, and the same behaviour as the interpreter.

Golden modules for the behaviour charts; the command line; hooks checked when the subclass is
created; event data, listeners, snapshots (exchangeable with the interpreter's), events sent by
hooks, actors (`invoke/`), asyncio and the timer thread; every example driven through its
generated class with every hook implemented. The step-by-step agreement with SCION is in
tests/interop/test_engines.py, the random charts in tests/runtime/test_differential.py.
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from statewright.compiler import ir_document, parse
from statewright.compiler.check import check
from statewright.compiler.emit import python
from statewright.compiler.names import event_method
from statewright.runtime import (
    AsyncMachine,
    FakeClock,
    MissingHooksError,
    StatewrightError,
    TimerThread,
    load,
)
from statewright.runtime.expr import (
    GuardError,
    GuardSyntaxError,
    arith,
    compile_guard,
    lookup,
    python_source,
)
from testkit import EXAMPLES, GOLDEN, ROOT, GoldenCompare, chart_of, generated_module

GOLDEN_PYTHON = GOLDEN / "python"
BEHAVIOUR = sorted(
    case
    for case in GOLDEN.glob("1[12]?-behaviour-*.smcat")
    if not any(d.is_error for d in check(chart_of(case), target="python"))
)


def _chart(text: str) -> Any:
    chart, diagnostics = parse(text)
    assert chart is not None, diagnostics
    return chart


def _interpreter(text: str, **options: Any) -> Any:
    options.setdefault("partial", True)  # as the partial generated classes beside it
    return load(json.loads(ir_document.emit(_chart(text))), **options)


@pytest.mark.parametrize("case", BEHAVIOUR, ids=lambda p: p.stem)
def test_golden_python(case: Path, golden: GoldenCompare) -> None:
    text = python.emit(chart_of(case), {"name": case.stem, "source": case.name})
    expected = GOLDEN_PYTHON / f"{case.stem.replace('-', '_')}_machine.py"
    golden(text, expected)


def test_the_golden_modules_cover_the_behaviour_charts() -> None:
    assert len(BEHAVIOUR) >= 14
    assert sorted(GOLDEN_PYTHON.glob("*.py")) == sorted(
        GOLDEN_PYTHON / f"{c.stem.replace('-', '_')}_machine.py" for c in BEHAVIOUR
    )


def test_the_command_line_writes_a_module_and_refuses_a_chart_with_errors(tmp_path: Path) -> None:
    out = tmp_path / "door_machine.py"
    statewright = [sys.executable, "-m", "statewright"]
    done = subprocess.run(
        [*statewright, "compile", str(EXAMPLES / "door.smcat"), "-T", "python", "-o", str(out)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "class DoorMachine(CompiledMachine, generated=True):" in out.read_text("utf-8")
    bad = tmp_path / "bad.smcat"
    bad.write_text("a, b;\na => b: go [code ok];\n", "utf-8")
    refused = subprocess.run(
        [*statewright, "compile", str(bad), "-T", "python", "-o", str(tmp_path / "bad.py")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert refused.returncode == 1
    assert "SC029" in refused.stderr and "Traceback" not in refused.stderr
    assert not (tmp_path / "bad.py").exists()


def test_generated_code_imports_only_the_runtime(tmp_path: Path) -> None:
    module = generated_module(chart_of(EXAMPLES / "tcp.smcat"), tmp_path / "tcp_machine.py")
    source = Path(module.__file__).read_text("utf-8")
    imports = [line for line in source.splitlines() if line.startswith(("import ", "from "))]
    assert imports == [
        "from __future__ import annotations",
        "import enum",
        "from collections.abc import Mapping",
        "from typing import Any, ClassVar",
        "from statewright.runtime.compiled import BUSY, CompiledMachine, Outcome, hook",
    ]


DOOR = (EXAMPLES / "door.smcat").read_text("utf-8")


@pytest.fixture
def door(tmp_path: Path) -> Any:
    return generated_module(_chart(DOOR), tmp_path / "door_machine.py")


def test_a_subclass_missing_a_hook_is_refused_when_it_is_created(door: Any) -> None:
    with pytest.raises(MissingHooksError, match=r"engage_bolt \(for `engage bolt`\)"):

        class Door(door.DoorMachine):  # type: ignore[name-defined]
            def beep(self, data: Any) -> None:
                pass

    with pytest.raises(MissingHooksError, match="subclass it"):
        door.DoorMachine()
    partial = type("Partial", (door.DoorMachine,), {}, partial=True)
    assert partial().configuration == ["closed"]


def test_hooks_run_in_order_with_the_event_data(door: Any) -> None:
    calls: list[tuple[str, Any]] = []

    class Door(door.DoorMachine):  # type: ignore[name-defined]
        def beep(self, data: Any) -> None:
            calls.append(("beep", dict(data)))

        def engage_bolt(self, data: Any) -> None:
            calls.append(("engage", dict(data)))

        def release_bolt(self, data: Any) -> None:
            calls.append(("release", dict(data)))

    machine = Door()
    machine.lock(by="ann")
    assert machine.configuration == ["locked"] and machine.is_active(door.State.locked)
    machine.unlock(code=1)  # the guard reads the event's data: stays locked
    assert machine.configuration == ["locked"]
    machine.send(door.Event.unlock, code=1234)
    assert machine.configuration == ["closed"]
    assert calls == [
        ("beep", {"by": "ann"}),
        ("engage", {"by": "ann"}),
        ("release", {"code": 1234}),
    ]
    machine.context["jammed"] = 1
    machine.open()
    assert machine.configuration == ["closed"]


def test_guard_methods_can_be_overridden(door: Any) -> None:
    class Door(door.DoorMachine, partial=True):  # type: ignore[name-defined]
        def guard_jammed(self, data: Any) -> Any:
            return 1

    machine = Door()
    machine.open()
    assert machine.configuration == ["closed"]


PLAYER = (EXAMPLES / "player.smcat").read_text("utf-8")
PLAYER_SCRIPT = ["power", "play", "pause", "power", "power", "play", "stop", "power", "x"]


def test_listeners_and_snapshots_match_the_interpreter(tmp_path: Path) -> None:
    module = generated_module(_chart(PLAYER), tmp_path / "player_machine.py")
    generated = module.partial_class()(start=False)
    interpreted = _interpreter(PLAYER)
    records: dict[str, list[Any]] = {"generated": [], "interpreted": []}
    generated.add_listener(records["generated"].append)
    interpreted.add_listener(records["interpreted"].append)
    generated.start()
    interpreted.start()
    for event in PLAYER_SCRIPT:
        generated.send(event)
        interpreted.send(event)
        assert generated.snapshot() == interpreted.snapshot()
    assert records["generated"] == records["interpreted"]
    # a snapshot moves between the two: history included
    snapshot = interpreted.snapshot()
    assert snapshot["history"]
    other = module.partial_class()(start=False)
    other.restore(json.loads(json.dumps(snapshot)))
    for machine in (other, interpreted):
        machine.send("power")
        machine.send("power")
    assert other.configuration == interpreted.configuration
    assert other.snapshot() == interpreted.snapshot()


def test_an_event_a_hook_sends_waits_for_the_step_to_end(tmp_path: Path) -> None:
    text = "a: entry/ enter a, b: entry/ enter b, c;\na => b: go / kick;\nb => c: next;\n"
    module = generated_module(_chart(text), tmp_path / "kick_machine.py")
    seen: dict[str, list[Any]] = {"generated": [], "interpreted": []}

    class Kick(module.machine_class):  # type: ignore[name-defined]
        def kick(self, data: Any) -> None:
            seen["generated"].append(("kick", self.configuration))
            self.send("next")
            seen["generated"].append(("sent", self.configuration))

        def enter_a(self, data: Any) -> None:
            pass

        def enter_b(self, data: Any) -> None:
            seen["generated"].append(("enter b", self.configuration))

    interpreted: Any = None

    def kick(context: Any, data: Any) -> None:
        seen["interpreted"].append(("kick", interpreted.configuration))
        interpreted.send("next")
        seen["interpreted"].append(("sent", interpreted.configuration))

    interpreted = _interpreter(
        text,
        actions={
            "kick": kick,
            "enter b": lambda c, d: seen["interpreted"].append(
                ("enter b", interpreted.configuration)
            ),
        },
    ).start()
    generated = Kick()
    generated.go()
    interpreted.send("go")
    assert generated.configuration == interpreted.configuration == ["c"]
    assert [s for s, _ in seen["generated"]] == [s for s, _ in seen["interpreted"]]


# -- actors ---------------------------------------------------------------------------------------

PARENT = """idle,
paying: invoke/ payment
    entry/ ask,
paid,
failed;
idle => paying: checkout;
paying => paid: done.invoke.payment;
paying => failed: cancel;
"""
CHILD = "waiting, captured [type=final];\nwaiting => captured: capture / charge;\n"


def test_an_invoked_machine_runs_while_its_state_is_active() -> None:
    charges: list[str] = []

    def payment() -> Any:
        return _interpreter(CHILD, actions={"charge": lambda c, d: charges.append("charge")})

    machine = _interpreter(PARENT, machines={"payment": payment}).start()
    assert machine.children == {}
    machine.send("checkout")
    child = machine.children["payment"]
    assert child.configuration == ["waiting"]
    snapshot = machine.snapshot()
    child.send("capture")  # the child finishes: the parent hears done.invoke.payment
    assert machine.configuration == ["paid"] and machine.children == {} and charges == ["charge"]
    restored = _interpreter(PARENT, machines={"payment": payment}).restore(snapshot)
    assert restored.children["payment"].configuration == ["waiting"]
    restored.send("cancel")  # leaving the state stops the child
    assert restored.configuration == ["failed"] and restored.children == {}
    with pytest.raises(StatewrightError, match="payment"):
        _interpreter(PARENT)  # no factory for the invoked machine


def test_generated_classes_invoke_generated_classes(tmp_path: Path) -> None:
    parent = generated_module(_chart(PARENT), tmp_path / "parent_machine.py")
    child = generated_module(_chart(CHILD), tmp_path / "child_machine.py")
    log: list[str] = []

    class Payment(child.machine_class):  # type: ignore[name-defined]
        def charge(self, data: Any) -> None:
            log.append("charge")

    class Checkout(parent.machine_class):  # type: ignore[name-defined]
        def ask(self, data: Any) -> None:
            log.append("ask")

        def invoke_payment(self) -> Any:
            return Payment(start=False)

    machine = Checkout()
    machine.checkout()
    assert isinstance(machine.children["payment"], Payment)
    machine.children["payment"].capture()
    assert machine.configuration == ["paid"] and log == ["ask", "charge"]
    with pytest.raises(MissingHooksError, match="invoke_payment"):

        class Incomplete(parent.machine_class):  # type: ignore[name-defined]
            def ask(self, data: Any) -> None:
                pass


# -- asyncio and the timer thread -----------------------------------------------------------------

TIMED = "idle, busy, done;\nidle => busy: go / fetch;\nbusy => done: after 30ms / finish;\n"


def test_asyncio_awaits_coroutine_hooks_in_order_and_fires_timers(tmp_path: Path) -> None:
    module = generated_module(_chart(TIMED), tmp_path / "timed_machine.py")
    log: list[str] = []

    async def fetch(context: Any, data: Any) -> None:
        await asyncio.sleep(0.01)
        log.append("fetch")

    class Timed(module.machine_class):  # type: ignore[name-defined]
        async def fetch(self, data: Any) -> None:
            await asyncio.sleep(0.01)
            log.append("fetch")

        def finish(self, data: Any) -> None:
            log.append("finish")

    async def drive(machine: Any) -> list[str]:
        async with AsyncMachine(machine) as running:
            await running.start()
            await running.send("go")
            assert running.configuration == ["busy"] and log[-1] == "fetch"
            for _ in range(200):  # the timer task fires `after 30ms` by itself
                if running.configuration == ["done"]:
                    break
                await asyncio.sleep(0.01)
            return running.configuration

    interpreted = _interpreter(
        TIMED, actions={"fetch": fetch, "finish": lambda c, d: log.append("finish")}
    )
    assert asyncio.run(drive(interpreted)) == ["done"]
    assert asyncio.run(drive(Timed(start=False))) == ["done"]
    assert log == ["fetch", "finish", "fetch", "finish"]
    with pytest.raises(StatewrightError, match="AsyncMachine"):
        Timed().go()  # a coroutine hook outside AsyncMachine is an error, not a silent no-op


def test_a_timer_thread_fires_timed_events() -> None:
    machine = _interpreter(TIMED, actions={}).start()
    driver = TimerThread(machine)
    try:
        driver.send("go")
        for _ in range(300):
            if machine.configuration == ["done"]:
                break
            time.sleep(0.01)
        assert machine.configuration == ["done"]
    finally:
        driver.stop()


def test_timers_on_a_fake_clock_match_the_interpreter(tmp_path: Path) -> None:
    module = generated_module(_chart(TIMED), tmp_path / "timed2_machine.py")
    clock = FakeClock()
    generated = module.partial_class()(clock=clock)
    generated.go()
    assert generated.next_due == pytest.approx(0.03)
    clock.advance(0.05)
    generated.tick()
    assert generated.configuration == ["done"]


# -- the examples ---------------------------------------------------------------------------------


@pytest.mark.parametrize("case", sorted(EXAMPLES.glob("*.smcat")), ids=lambda p: p.stem)
def test_every_example_runs_as_a_generated_class(case: Path, tmp_path: Path) -> None:
    """Each example's class, with every hook implemented (recording its calls), driven by every
    event of the chart twice, agrees with the interpreter after each step."""
    chart = chart_of(case)
    module = generated_module(chart, tmp_path / f"{case.stem}_machine.py")
    calls: list[str] = []
    methods = {
        name: (lambda self, data, text=text: calls.append(text))
        for text, name in module.machine_class.HOOKS
    }
    implemented = type("Implemented", (module.machine_class,), methods)
    generated = implemented()
    interpreted_calls: list[str] = []
    interpreted = load(
        json.loads(ir_document.emit(chart)),
        actions={
            text: (lambda c, d, text=text: interpreted_calls.append(text))
            for text, _ in module.machine_class.HOOKS
        },
    ).start()
    events = [e.value for e in module.Event] * 2
    assert events, case
    for event in events:
        getattr(generated, event_method(event))()
        interpreted.send(event)
        assert generated.configuration == interpreted.configuration, event
    assert calls == interpreted_calls


def test_the_examples_generate_into_examples_out(tmp_path: Path) -> None:
    """`make demo` writes each example's module; it imports with only the runtime present."""
    makefile = (ROOT / "examples" / "Makefile").read_text("utf-8")
    assert "_machine.py" in makefile


# -- guards compiled to Python mean what the interpreter computes ---------------------------------

_OPERANDS = st.sampled_from(["x", "y", "1", "2.5", "0", "'a'", "true", "null", "In('s')"])
_BINARY = st.sampled_from(
    ["and", "or", "&&", "||", "==", "!=", "<", "<=", ">", ">=", "+", "-", "*", "/", "%", "in"]
)


@st.composite
def _guards(draw: st.DrawFn, depth: int = 0) -> str:
    if depth > 2 or draw(st.booleans()):
        text: str = draw(_OPERANDS)
    else:
        text = f"{draw(_guards(depth + 1))} {draw(_BINARY)} {draw(_guards(depth + 1))}"
    if draw(st.integers(0, 4)) == 0:
        text = f"({text})"
    if draw(st.integers(0, 5)) == 0:
        text = draw(st.sampled_from(["not ", "!", "-"])) + text
    return text


def _outcome(function: Any) -> Any:
    try:
        return ("value", function())
    except (TypeError, ZeroDivisionError, ValueError, GuardError) as error:
        return ("error", type(error).__name__)


@settings(max_examples=400, deadline=None, derandomize=True)
@given(
    guard=_guards(),
    x=st.sampled_from([0, 1, 2, "a", None]),
    y=st.sampled_from([0, 3, "ab", [1, 2]]),
)
def test_compiled_guards_compute_what_the_interpreter_computes(guard: str, x: Any, y: Any) -> None:
    context = {"x": x, "y": y}
    env = lookup(context)

    def active(state: str) -> bool:
        return state == "s"

    try:
        closure = compile_guard(guard)
    except GuardSyntaxError:
        with pytest.raises(GuardSyntaxError):
            python_source(guard, repr, repr)
        return
    source = python_source(
        guard,
        lambda n: f"env({n!r})",
        lambda s: f"active({s!r})",
        lambda op, left, right: f"arith({op!r}, {left}, {right})",
    )
    scope = {"env": env, "active": active, "arith": arith}
    compiled = eval(f"lambda: {source}", scope)  # noqa: S307 - test
    assert _outcome(compiled) == _outcome(lambda: closure(env, active)), source


def test_names_python_would_clash_on_are_kept_apart_never_refused(tmp_path: Path) -> None:
    """A keyword gets `_`, the later of two names that share an identifier `_2`: the chart
    compiles, with no error, and runs (SC024, SC025, SC028 are information)."""
    from testkit import generated_module

    chart, _ = parse(
        "pass, idle;\n"
        "pass => idle: caps lock / send SYN+ACK;\n"
        "idle => pass: caps-lock / send SYN ACK;\n"
    )
    assert chart is not None
    found = check(chart, target="python")
    assert not [d for d in found if d.is_error]
    assert {d.code for d in found} >= {"SC024", "SC025", "SC028"}
    module = generated_module(chart, tmp_path / "clash_machine.py")
    assert module.State.pass_.value == "pass"
    calls: list[str] = []

    class Machine(module.machine_class):  # type: ignore[misc, name-defined]
        def send_SYN_ACK(self, data: object) -> None:
            calls.append("plus")

        def send_SYN_ACK_2(self, data: object) -> None:
            calls.append("blank")

    machine = Machine()
    machine.caps_lock()
    machine.caps_lock_2()
    assert machine.configuration == ["pass"] and calls == ["plus", "blank"]
