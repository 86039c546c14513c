"""statewright.compiler: smcat text -> IR -> checked chart -> JSON, SCXML, diagrams, code.

The stages, one module each: `parse` (text -> Chart and diagnostics), `resolve` (the passes smcat
applies after parsing), `emit.*` (Chart -> text). `cli` is the only module that touches files.
"""

from __future__ import annotations

from .diagnostics import Diagnostic, Severity, render
from .ir import Action, ActionKind, Chart, Machine, Span, State, StateKind, Transition
from .parse import parse


def __getattr__(name: str) -> str:
    # Looked up on demand: importlib.metadata costs more start-up time than parsing a chart.
    if name == "__version__":
        from importlib.metadata import PackageNotFoundError, version

        try:
            return version("statewright")
        except PackageNotFoundError:  # pragma: no cover - running from a source tree
            return "0.0.0"
    raise AttributeError(name)


__all__ = [
    "Action",
    "ActionKind",
    "Chart",
    "Diagnostic",
    "Machine",
    "Severity",
    "Span",
    "State",
    "StateKind",
    "Transition",
    "parse",
    "render",
    "__version__",
]
