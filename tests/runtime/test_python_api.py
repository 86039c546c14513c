"""The Python API's first five minutes (issue 23): one call from a chart file to a running
machine (any chart kind, hooks by text or by method names, clear errors), introspection on
both engines (`allowed_events`, `can`, `is_active`, `repr`, snapshots), pictures in notebooks
(`_repr_svg_`), and the testing helpers with the pytest plugin's fixtures."""

from __future__ import annotations

import json
import logging
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings

from statewright.compiler import LoadError, load, parse
from statewright.runtime.testing import PathMismatch, assert_path, check_invariants, events
from testkit import EXAMPLES, chart_of, generated_module

DOOR = EXAMPLES / "door.smcat"


class DoorHooks:
    def __init__(self) -> None:
        self.done: list[str] = []

    def engage_bolt(self, data: dict[str, Any]) -> None:
        self.done.append("engage bolt")

    def release_bolt(self, context: dict[str, Any], data: dict[str, Any]) -> None:
        self.done.append(f"release bolt for {data.get('code')}")

    def beep(self) -> None:
        self.done.append("beep")


def test_one_call_loads_any_chart_kind_and_binds_hooks_by_method_name(tmp_path: Path) -> None:
    hooks = DoorHooks()
    door = load(DOOR, hooks=hooks, context={"jammed": 0})
    door.send("lock")
    door.send("unlock", code=1234)
    assert hooks.done == ["beep", "engage bolt", "release bolt for 1234"]
    assert door.configuration == ["closed"]
    texts = {"beep": lambda context, data: hooks.done.append("by text")}
    load(DOOR, actions=texts, hooks=hooks).send("lock")  # a text given wins over a method
    assert hooks.done[-2:] == ["by text", "engage bolt"]
    for other in (EXAMPLES / "order.yaml", EXAMPLES / "generated" / "door.scxml"):
        assert load(other, partial=True).configuration
    ir = tmp_path / "door.ir.json"
    ir.write_text(json.dumps(json.loads(_ir(DOOR))), "utf-8")
    assert load(ir, partial=True).configuration == ["closed"]
    assert load(DOOR, start=False, partial=True).configuration == []


def _ir(path: Path) -> str:
    from statewright.compiler import ir_document

    return ir_document.emit(chart_of(path))


def test_a_chart_that_cannot_run_is_refused_with_its_file_and_line(tmp_path: Path) -> None:
    broken = tmp_path / "broken.smcat"
    broken.write_text("a;\na => ;\n", "utf-8")
    with pytest.raises(LoadError, match=r"broken.smcat:2:6: unexpected `;` \[P002\]") as error:
        load(broken)
    assert error.value.diagnostics
    with pytest.raises(LoadError, match="no such file"):
        load(tmp_path / "missing.smcat")


def test_introspection_is_the_same_on_both_engines(tmp_path: Path) -> None:
    module = generated_module(chart_of(DOOR), tmp_path / "door_machine.py")
    engines = [load(DOOR, context={"jammed": 0}, partial=True), module.partial_class()()]
    engines[1].context["jammed"] = 0
    for machine in engines:
        assert machine.allowed_events == ["open", "lock"]
        assert machine.can("open") and not machine.can("close")
        machine.send("lock")
        assert machine.allowed_events == []  # unlock's guard reads the event's data
        assert machine.can("unlock", code=1234) and not machine.can("unlock", code=1)
        assert machine.configuration == ["locked"]  # asking changed nothing
        assert machine.is_active("locked") and not machine.is_active("closed")
        assert "configuration=['locked']" in repr(machine)
    assert repr(engines[0]).startswith("<Machine door running")
    # the same state gives equal snapshots, on either engine and across them
    again = load(DOOR, context={"jammed": 0}, partial=True)
    again.send("lock")
    assert engines[0].snapshot() == again.snapshot()
    assert engines[0].snapshot() == engines[1].snapshot()


@pytest.mark.skipif(shutil.which("dot") is None, reason="needs Graphviz: apt-get install graphviz")
def test_charts_and_machines_draw_themselves_in_notebooks(tmp_path: Path) -> None:
    machine = load(DOOR, partial=True)
    machine.send("lock")
    picture = machine._repr_svg_()
    assert picture is not None and "<svg" in picture
    assert 'class="node state regular active"' in picture and "locked" in picture
    chart, _ = parse("a => b;")
    assert chart is not None and "<svg" in (chart._repr_svg_() or "")
    module = generated_module(chart_of(DOOR), tmp_path / "door_machine.py")
    generated = module.partial_class()()
    assert 'class="node state regular active"' in (generated._repr_svg_() or "")
    # the HTML form (which Jupyter prefers) is the picture captioned with the repr, escaped
    page = generated._repr_html_() or ""
    assert page.startswith('<figure class="statewright" style="margin:0"><svg')  # no prolog
    assert "&lt;DoorMachinePartial configuration=[&#x27;closed&#x27;]&gt;</figcaption>" in page
    assert "&lt;Machine door running configuration=[&#x27;locked&#x27;]&gt;" in (
        machine._repr_html_() or ""
    )
    assert "&lt;input&gt;: 2 states, 1 transitions</figcaption>" in (chart._repr_html_() or "")


def test_without_a_picture_there_is_no_html_either(monkeypatch: pytest.MonkeyPatch) -> None:
    """The runtime alone (no compiler) or no Graphviz: no picture, and Jupyter shows `repr`."""
    from statewright.runtime import display

    monkeypatch.setattr(display, "compiler_function", lambda name: None)
    machine = load(DOOR, partial=True)
    assert machine._repr_svg_() is None and machine._repr_html_() is None
    chart, _ = parse("a => b;")
    assert chart is not None and chart._repr_svg_() is None


def test_the_runtime_takes_the_compilers_functions_from_its_entry_points() -> None:
    """The runtime never imports the compiler: what it uses of it (a picture, a chart file
    loaded) is what the compiler's distribution declares (group `statewright.compiler`)."""
    from statewright.compiler import pipeline
    from statewright.runtime import plugins

    assert plugins.compiler_function("svg") is pipeline.svg
    assert plugins.compiler_function("load") is pipeline.load
    assert plugins.compiler_function("no such function") is None


def test_an_entry_point_that_cannot_load_is_no_function_and_says_why(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """Stale metadata (an entry naming a module or name that is gone): None, and a warning."""
    from importlib import metadata

    from statewright.runtime import plugins

    gone = metadata.EntryPoint("svg", "statewright.compiler.pipeline:gone", plugins.GROUP)
    monkeypatch.setattr(metadata, "entry_points", lambda **_: [gone])
    logger = logging.getLogger("statewright.runtime")
    # whatever an earlier test's logging set-up did (a recipe's raises the root's level)
    monkeypatch.setattr(logger, "disabled", False)
    caplog.set_level(logging.WARNING, logger="statewright.runtime")
    logger.addHandler(caplog.handler)
    plugins.compiler_function.cache_clear()
    try:
        assert plugins.compiler_function("svg") is None
    finally:
        plugins.compiler_function.cache_clear()
        logger.removeHandler(caplog.handler)
    assert "cannot be loaded" in caplog.text and "pipeline:gone" in caplog.text


def test_machine_of_a_chart_file_says_it_needs_the_compiler(
    monkeypatch: pytest.MonkeyPatch, machine_of: Callable[..., Any]
) -> None:
    from statewright.runtime import plugins

    assert machine_of(str(DOOR), partial=True).configuration == ["closed"]
    monkeypatch.setattr(plugins, "compiler_function", lambda name: None)
    with pytest.raises(TypeError, match="needs the statewright distribution"):
        machine_of(str(DOOR), partial=True)


def test_assert_path_shows_every_step_when_it_fails() -> None:
    door = load(DOOR, context={"jammed": 0}, partial=True)
    assert_path(door, ["open", "close", "lock"], ["opened", "closed", "locked"])
    with pytest.raises(PathMismatch) as failed:
        assert_path(
            load(DOOR, context={"jammed": 0}, partial=True), ["open", "lock"], ["opened", "locked"]
        )
    message = str(failed.value)
    assert "differs at step 2 (`lock`)" in message
    assert "1  open  opened    opened" in message and "2  lock  locked != opened" in message
    assert_path(
        load(DOOR, partial=True), ["lock", ("unlock", {"code": 1234})], ["locked", "closed"]
    )


def test_the_plugins_fixtures_give_a_machine_on_a_fake_clock(
    machine_of: Any, fake_clock: Any
) -> None:
    timed = machine_of(EXAMPLES / "reconcile.smcat", partial=True)
    assert timed.configuration == ["idle"]
    fake_clock.advance(30)
    timed.tick()
    assert timed.configuration == ["observing"]


@settings(max_examples=40, deadline=None)
@given(events(json.loads(_ir(EXAMPLES / "player.smcat"))))
def test_any_event_sequence_keeps_the_invariants(sequence: list[str]) -> None:
    player = load(EXAMPLES / "player.smcat", partial=True)
    for event in sequence:
        player.send(event)
        check_invariants(
            player, make=lambda: load(EXAMPLES / "player.smcat", start=False, partial=True)
        )


def test_a_broken_invariant_is_reported() -> None:
    class Liar:
        configuration = ["nowhere"]
        active = ["nowhere"]
        model = type("M", (), {"document": json.loads(_ir(DOOR))})

    with pytest.raises(AssertionError, match="`nowhere` is active but is not a state"):
        check_invariants(Liar())
