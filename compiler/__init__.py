"""statewright.compiler: smcat text -> IR -> checked chart -> JSON, SCXML, diagrams, code.

The stages, one module each: `parse` (text -> Chart and diagnostics), `resolve` (the passes smcat
applies after parsing), `emit.*` (Chart -> text). `cli` is the only module that touches files.
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

from .diagnostics import Diagnostic, Severity, render
from .ir import Action, ActionKind, Chart, Machine, Span, State, StateKind, Transition
from .parse import parse

try:
    __version__ = version("statewright")
except PackageNotFoundError:  # pragma: no cover - running from a source tree
    __version__ = "0.0.0"

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
