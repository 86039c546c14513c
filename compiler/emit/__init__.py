"""Emitters: one module per output format, each `emit(chart, options) -> str`.

`FORMATS` maps the names `-T` accepts to them. Emitters read the IR only: they never import the
parser, and they never iterate over sets, so their output is the same from run to run.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..ir import Chart
from . import ir_json, smcat, smcat_json

Emitter = Callable[[Chart, dict[str, Any] | None], str]

#: format name -> (emitter, file extension of its output)
FORMATS: dict[str, tuple[Emitter, str]] = {
    "json": (smcat_json.emit, ".json"),
    "ir": (ir_json.emit, ".ir.json"),
    "smcat": (smcat.emit, ".smcat"),
}
