"""Emitters: one module per output format, each `emit(chart, options) -> str`.

`FORMATS` maps the names `-T` accepts to them. Emitters read the IR only: they never import the
parser, and they never iterate over sets, so their output is the same from run to run.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from ..ir import Chart
from . import dot, ir_json, mermaid, render, scxml, smcat, smcat_json

Emitter = Callable[[Chart, Mapping[str, Any] | None], str | bytes]

#: format name -> (emitter, file extension of its output)
FORMATS: dict[str, tuple[Emitter, str]] = {
    "json": (smcat_json.emit, ".json"),
    "ir": (ir_json.emit, ".ir.json"),
    "smcat": (smcat.emit, ".smcat"),
    "dot": (dot.emit, ".dot"),
    "svg": (render.emit_svg, ".svg"),
    "png": (render.emit_png, ".png"),
    "mermaid": (mermaid.emit, ".mmd"),
    "scxml": (scxml.emit, ".scxml"),
}
