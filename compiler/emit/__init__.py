"""Emitters: one module per output format, each `emit(chart, options) -> str`.

`FORMATS` maps the names `-T` accepts to them. Emitters read the IR only: they never import the
parser, and they never iterate over sets, so their output is the same from run to run.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from typing import Any

from ..ir import Chart

Emitter = Callable[[Chart, Mapping[str, Any] | None], str | bytes]

#: format name -> (module, function, file extension of its output). Modules are imported when
#: their format is used: lxml and graphviz cost start-up time that `-T json` does not need.
FORMATS: dict[str, tuple[str, str, str]] = {
    "json": ("smcat_json", "emit", ".json"),
    "ir": ("ir_json", "emit", ".ir.json"),
    "smcat": ("smcat", "emit", ".smcat"),
    "dot": ("dot", "emit", ".dot"),
    "svg": ("render", "emit_svg", ".svg"),
    "png": ("render", "emit_png", ".png"),
    "mermaid": ("mermaid", "emit", ".mmd"),
    "scxml": ("scxml", "emit", ".scxml"),
    "xstate": ("xstate", "emit", ".xstate.json"),
    "python": ("python", "emit", "_machine.py"),
    "yaml": ("yaml_text", "emit", ".yaml"),
}


def emitter(name: str) -> tuple[Emitter, str]:
    """The emitter of format `name` and the file extension of its output."""
    module, function, extension = FORMATS[name]
    loaded = importlib.import_module(f"{__name__}.{module}")
    found: Emitter = getattr(loaded, function)
    return found, extension
