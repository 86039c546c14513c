"""statewright.compiler: smcat text -> IR -> checked chart -> JSON, SCXML, diagrams, code.

The stages are folders: `read/` (a reader per input language: bytes -> Chart and diagnostics),
`check/` (Chart -> diagnostics), `emit/` (Chart -> an output format); `pipeline` strings them
together and `tools/` holds the programs over them (the CLI, the build, the studio). The map is
docs/architecture.md. From here: `parse` (smcat text -> Chart and diagnostics), the IR types,
`Diagnostic` and `render`.
"""

from __future__ import annotations

from .diagnostics import Diagnostic, Severity, render
from .ir import Action, ActionKind, Chart, Region, Span, State, StateKind, Transition
from .read.smcat import parse


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
    "Region",
    "Severity",
    "Span",
    "State",
    "StateKind",
    "Transition",
    "parse",
    "render",
    "__version__",
]
