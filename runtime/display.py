"""Charts and machines in notebooks: `_repr_svg_` draws the chart with the active states lit.

Drawing is the compiler's (its DOT emitter and Graphviz): the runtime never imports it. When
the `statewright` distribution is installed, `svg` finds its drawing function by name, at the
moment a notebook asks; without it (the runtime alone) or without Graphviz, there is no
picture and Jupyter shows the `repr` instead.
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping, Sequence
from typing import Any

#: the compiler's function: (IR document, active states) -> SVG text
DRAWER = ("statewright.compiler.pipeline", "document_svg")


def svg(document: Mapping[str, Any], active: Sequence[str] = ()) -> str | None:
    """The chart of `document` as SVG with `active` lit, or None when it cannot be drawn."""
    if not document:
        return None
    try:
        module = importlib.import_module(DRAWER[0])
    except ImportError:
        return None
    drawn: str | None = getattr(module, DRAWER[1])(document, list(active))
    return drawn
