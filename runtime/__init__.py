"""statewright.runtime: runs statecharts and keeps their instances.

This package stays small: it imports nothing from the compiler, lark, jinja2, graphviz, lxml or
black, so generated classes and deployed IR documents run with it alone.

    from statewright.runtime import load
    machine = load("door.ir.json").start()
    machine.send("open")
    machine.configuration  # ['opened']
"""

from __future__ import annotations

#: the version of the `statewright-runtime` distribution (runtime/pyproject.toml says the same;
#: tests/test_packaging.py checks it)
__version__ = "0.1.0"

from .aio import AsyncMachine, TimerThread
from .compiled import CompiledMachine, MissingHooksError
from .document import ChartError
from .errors import StatewrightError
from .expr import GuardSyntaxError
from .interpreter import Machine, load
from .timers import Clock, FakeClock, SystemClock

__all__ = [
    "__version__",
    "AsyncMachine",
    "CompiledMachine",
    "MissingHooksError",
    "TimerThread",
    "ChartError",
    "Clock",
    "FakeClock",
    "GuardSyntaxError",
    "Machine",
    "StatewrightError",
    "SystemClock",
    "load",
]
