"""What `send` says it did (issue 23): an `Outcome(event, handled, configuration, done)` from
the interpreter, a generated class's `send(name)` and event methods, and `AsyncMachine`, the
same on each; queued sends say so; outcomes are read-only and shared; and a module generated
for other tables is refused with a sentence. The differential tests (test_differential.py)
hold both engines to the same outcome on random charts."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

from statewright.compiler import load
from statewright.runtime import AsyncMachine
from statewright.runtime.compiled import CompiledMachine, OutdatedModuleError
from statewright.runtime.outcome import Outcome
from testkit import EXAMPLES, chart_of, generated_module

DOOR = EXAMPLES / "door.smcat"


def _engines(tmp_path: Path) -> list[Any]:
    """The door on the interpreter and as a generated class, both started, not jammed."""
    module = generated_module(chart_of(DOOR), tmp_path / "door_machine.py")
    return [
        load(DOOR, context={"jammed": 0}, partial=True),
        module.partial_class()(context={"jammed": 0}),
    ]


@pytest.mark.parametrize("engine", [0, 1], ids=["interpreter", "generated"])
def test_send_says_whether_it_took_a_transition_and_where_it_left_the_machine(
    tmp_path: Path, engine: int
) -> None:
    door = _engines(tmp_path)[engine]
    opened = door.send("open")
    assert opened == Outcome("open", True, ("opened",), False)
    assert (opened.event, opened.handled, opened.configuration, opened.done) == (
        "open",
        True,
        ("opened",),
        False,
    )
    # not enabled here, a guard that is false, an event the chart does not know
    assert door.send("lock") == Outcome("lock", False, ("opened",))
    door.send("close")
    door.context["jammed"] = 1
    assert door.send("open").handled is False
    assert door.send("knock") == Outcome("knock", False, ("closed",))
    # event data reaches the guard as before
    door.send("lock")
    assert door.send("unlock", code=1).handled is False
    assert door.send("unlock", code=1234) == Outcome("unlock", True, ("closed",))


def test_both_engines_give_equal_outcomes_and_event_methods_give_the_same(tmp_path: Path) -> None:
    interpreter, generated = _engines(tmp_path)
    for event in ("open", "close", "lock", "open", "unlock"):
        assert interpreter.send(event) == generated.send(event)
    _, fresh = _engines(tmp_path)
    assert fresh.open() == Outcome("open", True, ("opened",))  # the generated event method
    assert fresh.lock() == Outcome("lock", False, ("opened",))


def test_a_finished_machine_says_done_and_takes_nothing(tmp_path: Path) -> None:
    chart = "a, b [type=final];\na => b: stop;\n"
    path = tmp_path / "stop.smcat"
    path.write_text(chart, "utf-8")
    module = generated_module(chart_of(path), tmp_path / "stop_machine.py")
    for machine in (load(path), module.machine_class()):
        stopped = machine.send("stop")
        assert stopped.handled is True and stopped.done is True
        assert stopped.configuration == tuple(machine.configuration)
        again = machine.send("stop")
        assert again.handled is False and again.done is True


def test_an_event_a_hook_sends_is_queued_and_says_so(tmp_path: Path) -> None:
    """A send from inside a hook is processed after the running step: its outcome cannot say
    yet what it will do (handled None) nor where (no configuration: the step has not
    settled), and the outer send's outcome shows where both left the machine."""
    chart = "a, b, c;\na => b: go / relay;\nb => c: next;\n"
    path = tmp_path / "relay.smcat"
    path.write_text(chart, "utf-8")
    inner: list[Outcome] = []
    machine = load(
        path, actions={"relay": lambda context, data: inner.append(machine.send("next"))}
    )
    outer = machine.send("go")
    assert inner[0].handled is None and inner[0].event == "next"
    assert inner[0].configuration == ()  # the running step has not settled
    assert outer == Outcome("go", True, ("c",))

    module = generated_module(chart_of(path), tmp_path / "relay_machine.py")
    seen: list[Outcome] = []

    class Relay(module.machine_class):  # type: ignore[misc, name-defined]
        def relay(self, data: Any) -> None:
            seen.append(self.send("next"))

    generated = Relay()
    assert generated.send("go") == Outcome("go", True, ("c",))
    assert seen[0] == Outcome("next", None, ())


def test_a_datamodel_chart_and_the_async_wrapper_return_outcomes() -> None:
    scxml = EXAMPLES / "generated" / "door.scxml"  # the interpreter's queued path (SCXML)
    door = load(scxml, partial=True)
    assert door.send("lock") == Outcome("lock", True, ("locked",))
    assert door.send("lock").handled is False

    async def run() -> Outcome:
        machine = AsyncMachine(load(DOOR, context={"jammed": 0}, partial=True))
        return await machine.send("open")

    assert asyncio.run(run()) == Outcome("open", True, ("opened",))


def test_outcomes_are_read_only_shared_and_refuse_to_be_truth_values(tmp_path: Path) -> None:
    interpreter, generated = _engines(tmp_path)
    first = generated.send("open")
    generated.send("close")
    assert generated.send("open") is first  # a plain step's outcome is built once
    one = interpreter.send("open")
    interpreter.send("close")
    assert interpreter.send("open") is one  # the interpreter keeps one per chart
    with pytest.raises(AttributeError, match="read-only"):
        first.handled = False  # type: ignore[misc]
    with pytest.raises(TypeError, match=r"ask `\.handled`"):
        bool(first)
    assert repr(first) == (
        "Outcome(event='open', handled=True, configuration=('opened',), done=False)"
    )
    assert hash(first) == hash(Outcome("open", True, ("opened",)))
    assert first != ("open", True, ("opened",), False)


def test_a_module_generated_for_other_tables_is_refused_with_a_sentence(tmp_path: Path) -> None:
    module = generated_module(chart_of(DOOR), tmp_path / "door_machine.py")
    chart = module.machine_class.CHART
    with pytest.raises(OutdatedModuleError, match=r"generate it again.*statewright build"):
        type("Old", (CompiledMachine,), {"CHART": chart, "FORMAT": 1})
