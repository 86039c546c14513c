"""statewright.runtime: runs statecharts and keeps their instances.

This package stays small: it imports nothing from the compiler, lark, jinja2, graphviz, lxml or
black, so generated classes and deployed IR documents run with it alone.

    from statewright.runtime import load
    machine = load("door.ir.json").start()
    machine.send("open")
    machine.configuration  # ['opened']

The names below are imported on first use (PEP 562), so that importing one module of the
package (the compiler reads `runtime.lowering`) does not pay for asyncio and the interpreter.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from . import lazy

#: the version of the `statewright-runtime` distribution (runtime/pyproject.toml says the same;
#: tests/test_packaging.py checks it)
__version__ = "0.1.0"

if TYPE_CHECKING:
    from .aio import AsyncMachine, TimerThread
    from .compiled import CompiledMachine, MissingHooksError
    from .document import ChartError
    from .errors import StatewrightError
    from .expr import GuardSyntaxError
    from .interpreter import Machine, load
    from .timers import Clock, FakeClock, SystemClock

#: public name -> the module that defines it
_WHERE = {
    "AsyncMachine": ".aio",
    "TimerThread": ".aio",
    "CompiledMachine": ".compiled",
    "MissingHooksError": ".compiled",
    "ChartError": ".document",
    "StatewrightError": ".errors",
    "GuardSyntaxError": ".expr",
    "Machine": ".interpreter",
    "load": ".interpreter",
    "Clock": ".timers",
    "FakeClock": ".timers",
    "SystemClock": ".timers",
}

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


def __getattr__(name: str) -> Any:
    return lazy.load(__name__, globals(), _WHERE, name)


def __dir__() -> list[str]:
    return sorted({*globals(), *_WHERE})
