"""Emitters: one module per output format, each `emit(chart, options) -> str | bytes`.

`formats.FORMATS` names them (a format's module and function). Emitters read the IR only: they
never import a reader, and they never iterate over sets, so their output is the same from run
to run.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from typing import Any

from ..formats import FORMATS
from ..ir import Chart

Emitter = Callable[[Chart, Mapping[str, Any] | None], str | bytes]


def emitter(name: str) -> tuple[Emitter, str]:
    """The emitter of format `name` (a key of `formats.FORMATS`) and the file extension of
    its output. Its module is imported now, on first use."""
    found = FORMATS[name]
    loaded = importlib.import_module(f"{__name__}.{found.module}")
    emit: Emitter = getattr(loaded, found.function)
    return emit, found.extension
