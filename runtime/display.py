"""Charts and machines in notebooks: `_repr_svg_` draws the chart with the active states lit,
`_repr_html_` the same picture with a caption (the machine's `repr`), which Jupyter prefers.

Drawing is the compiler's (its DOT emitter and Graphviz): the runtime never imports it. When
the `statewright` distribution is installed, `svg` takes its drawing function from the entry
point it declares (`plugins.py`), at the moment a notebook asks; without it (the runtime alone)
or without Graphviz, there is no picture and Jupyter shows the `repr` instead.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from .plugins import compiler_function


def svg(drawn: object, active: Sequence[str] = ()) -> str | None:
    """A chart (the compiler's `Chart`) or a `statewright-ir/1` document as SVG with `active`
    lit, or None when it cannot be drawn."""
    if not drawn:
        return None
    draw = compiler_function("svg")
    if draw is None:
        return None
    picture: str | None = draw(drawn, list(active))
    return picture


def figure(picture: str | None, caption: str) -> str | None:
    """`picture` (SVG text) in an HTML figure with `caption` (escaped), or None without one."""
    if picture is None:
        return None
    picture = picture[picture.find("<svg") :] if "<svg" in picture else picture  # no prolog
    import html  # on first use: only a notebook asks

    text = html.escape(caption)
    return (
        '<figure class="statewright" style="margin:0">'
        f'{picture}<figcaption style="font-family:monospace">{text}</figcaption></figure>'
    )


class Pictured:
    """A machine's notebook face; the machine says what to draw (`_drawing`)."""

    __slots__ = ()

    def _drawing(self) -> tuple[Mapping[str, Any], Sequence[str]]:
        raise NotImplementedError

    def _repr_svg_(self) -> str | None:
        """Jupyter: the chart with the active states lit."""
        return svg(*self._drawing())

    def _repr_html_(self) -> str | None:
        """Jupyter: the chart with the active states lit, captioned with the `repr`."""
        return figure(svg(*self._drawing()), repr(self))
