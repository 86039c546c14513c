"""What a generated module costs to import (issue 35, item 6): it loads none of the heavy
standard modules (asyncio, inspect, dataclasses, importlib.metadata, logging, json) and not
the interpreter, until a step needs them; the light checks that stand in for `inspect` answer
as `inspect` does. Counted by the modules loaded, never timed (bench/summary.py times it)."""

from __future__ import annotations

import functools
import inspect
import json
import subprocess
import sys
import types
from pathlib import Path
from typing import Any

import pytest

from statewright.compiler import parse
from statewright.compiler.emit import python
from statewright.runtime.awaiting import is_awaitable, is_coroutine_function
from testkit import EXAMPLES

#: what a generated module must not load at import (nor a send on its tables)
HEAVY = (
    "asyncio",
    "inspect",
    "dataclasses",
    "importlib.metadata",
    "logging",
    "json",
    "difflib",
    "statewright.runtime.interpreter",
    "statewright.runtime.model",
)


def _loaded(tmp_path: Path, after: str) -> list[str]:
    """The heavy modules loaded by a fresh process that imports the door's generated class
    and then runs `after`."""
    chart, diagnostics = parse((EXAMPLES / "door.smcat").read_text("utf-8"), "door.smcat")
    assert chart is not None, diagnostics
    (tmp_path / "door_machine.py").write_text(python.emit(chart, {"name": "door"}), "utf-8")
    script = (
        f"import sys, door_machine\n{after}\n" f"print([m for m in {HEAVY!r} if m in sys.modules])"
    )
    done = subprocess.run(
        [sys.executable, "-c", script],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    loaded: list[str] = json.loads(done.stdout.strip().replace("'", '"'))
    return loaded


def test_a_generated_module_loads_nothing_heavy_until_a_step_needs_it(tmp_path: Path) -> None:
    assert _loaded(tmp_path, "") == []
    steps = (
        f"class Door(door_machine.{python.class_name_for('door')}, partial=True): pass\n"
        "door = Door()\n"
        "assert door.send('lock').handled and door.send('unlock', code=1234).handled\n"
        "assert door.send('open').handled and door.configuration == ['opened']"
    )
    assert _loaded(tmp_path, steps) == []  # guarded steps on the tables, declared data too


def test_the_interpreter_is_loaded_when_a_step_leaves_the_tables(tmp_path: Path) -> None:
    snapshot = (
        f"class Door(door_machine.{python.class_name_for('door')}, partial=True): pass\n"
        "Door().snapshot()"
    )
    loaded = _loaded(tmp_path, snapshot)
    assert "statewright.runtime.interpreter" in loaded and "asyncio" not in loaded


async def _coroutine_function() -> None:
    return None


def _plain() -> None:
    return None


class _Hooks:
    async def asynchronous(self) -> None:
        return None

    def plain(self) -> None:
        return None


@types.coroutine
def _legacy() -> Any:
    yield


class _Awaitable:
    def __await__(self) -> Any:
        yield


@pytest.mark.parametrize(
    "function",
    [
        _coroutine_function,
        _plain,
        _Hooks().asynchronous,
        _Hooks().plain,
        _Hooks.asynchronous,
        functools.partial(_coroutine_function),
        functools.partial(functools.partial(_Hooks().asynchronous)),
        functools.partial(_plain),
        lambda: None,
        print,
        _Hooks,
        len,
        None,
    ],
)
def test_is_coroutine_function_answers_as_inspect(function: Any) -> None:
    assert is_coroutine_function(function) is inspect.iscoroutinefunction(function)


def test_is_awaitable_answers_as_inspect() -> None:
    coroutine = _coroutine_function()
    values = [coroutine, _Awaitable(), _legacy(), iter([]), None, 3, "text", _plain]
    try:
        for value in values:
            assert is_awaitable(value) is inspect.isawaitable(value), value
    finally:
        coroutine.close()
