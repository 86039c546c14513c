"""statewright.compiler: smcat text -> IR -> checked chart -> JSON, SCXML, diagrams, code.

The stages are folders: `read/` (a reader per input language: bytes -> Chart and diagnostics),
`check/` (Chart -> diagnostics), `emit/` (Chart -> an output format); `pipeline` strings them
together and `tools/` holds the programs over them (the CLI, the build, the studio). The map is
docs/architecture.md. From here: `parse` (smcat text -> Chart and diagnostics), the IR types,
`Diagnostic` and `render`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..runtime import __version__ as __version__  # one version for both distributions
from ..runtime import lazy

if TYPE_CHECKING:
    from .diagnostics import Diagnostic, Severity, render
    from .ir import Action, ActionKind, Chart, Region, Span, State, StateKind, Transition
    from .ir_document import from_document, to_document
    from .pipeline import LoadError, load
    from .read.smcat import parse

#: public name -> the module that defines it: imported on first use (PEP 562), so that a
#: command imports only what it runs (`statewright --version` loads neither lark nor the IR)
_WHERE = {
    **dict.fromkeys(("Diagnostic", "Severity", "render"), ".diagnostics"),
    **dict.fromkeys(
        ("Action", "ActionKind", "Chart", "Region", "Span", "State", "StateKind", "Transition"),
        ".ir",
    ),
    "parse": ".read.smcat",
    **dict.fromkeys(("to_document", "from_document"), ".ir_document"),
    **dict.fromkeys(("load", "LoadError"), ".pipeline"),
}


def __getattr__(name: str) -> Any:
    return lazy.load(__name__, globals(), _WHERE, name)


def __dir__() -> list[str]:
    return sorted({*globals(), *_WHERE})


__all__ = [
    "Action",
    "ActionKind",
    "Chart",
    "Diagnostic",
    "LoadError",
    "Region",
    "Severity",
    "Span",
    "State",
    "StateKind",
    "Transition",
    "from_document",
    "load",
    "parse",
    "render",
    "to_document",
    "__version__",
]
