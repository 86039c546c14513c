"""Emit `-T svg` and `-T png`: the DOT diagram laid out by Graphviz.

Stage 3 (emitter): Chart -> str (SVG) or bytes (PNG). It runs Graphviz through the `graphviz`
package; `engine` picks the layout program (dot by default). When the program is missing it
raises `RenderError` naming the package to install. It imports no reader.
"""

from __future__ import annotations

import json
import time
from collections.abc import Mapping
from typing import Any

from ..errors import RenderError as RenderError
from ..formats import ENGINES
from ..ir import Chart
from . import dot, placement

#: seconds a layout may take (option `timeout`): Graphviz on a huge or dense chart can take
#: hours, and a server (the studio) must not wait that long
TIMEOUT = 120.0


def render(chart: Chart, options: Mapping[str, Any] | None, output: str) -> bytes:
    """The chart laid out by Graphviz, in `output` (svg, png). With `dot`, the layout gets a
    second look (`placement`): when its mirror image has fewer states out of document order
    (Graphviz may turn a scope around: regions right to left, the initial dot right of what
    it starts), the mirror image is drawn; a label Graphviz put inside the composite state
    its transition starts or ends at is moved out. Then `neato -n2` draws those positions."""
    options = options or {}
    engine = str(options.get("engine", "dot"))
    if engine not in ENGINES:
        raise RenderError(f"unknown engine {engine!r}: use one of {', '.join(ENGINES)}")
    seconds = float(options.get("timeout", TIMEOUT))
    if engine != "dot":
        return _layout(dot.emit(chart, options), engine, [f"-T{output}"], seconds)
    deadline = time.monotonic() + seconds
    source = dot.emit(chart, options)
    data = _layout(source, engine, ["-Tjson", f"-T{output}"], seconds)
    layout, picture = _split(data)
    order = dot.document_order(chart)
    across = str(options.get("direction", "top-down")) in ("top-down", "bottom-top")
    placed = placement.boxes(layout)
    wrong = placement.inversions(placed, order, across=across)
    turned = wrong > 0 and placement.inversions(placed, order, across=across, mirror=True) < wrong
    if turned:
        layout = placement.mirror(layout, across=across)
    moved = placement.labels_outside(layout) + placement.captions_clear(layout)
    if not turned and not moved:
        return picture
    adjusted = placement.adjusted(source, layout)
    if adjusted is None:
        return picture
    try:
        left = max(deadline - time.monotonic(), 1.0)
        return _layout(adjusted, "neato", ["-n2", f"-T{output}"], left)
    except RenderError:
        return picture  # out of time: the layout as Graphviz made it


def _split(data: bytes) -> tuple[dict[str, Any], bytes]:
    """Graphviz's `-Tjson -Tsvg` (or png) output: the layout, and the picture after it."""
    text = data.decode("utf-8", "replace")
    layout, end = json.JSONDecoder().raw_decode(text)
    # the offset of the picture in bytes, not characters
    return layout, data[len(text[:end].encode("utf-8")) :].lstrip(b"\n")


def _layout(source: str, engine: str, formats: list[str], seconds: float) -> bytes:
    import subprocess

    # imported here: it costs start-up time every other format does not need
    import graphviz
    from graphviz.backend import dot_command, execute

    command = [*dot_command.command(engine, "svg")[:-1], *formats]
    try:
        # graphviz.pipe with a time limit: a layout that runs away is stopped, not waited for
        process = execute.run_check(
            command, input=source.encode("utf-8"), capture_output=True, quiet=True, timeout=seconds
        )
        data: bytes = process.stdout
    except subprocess.TimeoutExpired:
        raise RenderError(
            f"Graphviz's `{engine}` took longer than {seconds:g} s to lay out the diagram; the "
            "chart is too large to draw in one picture"
        ) from None
    except graphviz.ExecutableNotFound:
        raise RenderError(
            f"Graphviz's `{engine}` program is not installed: install the `graphviz` package of "
            "your system (apt-get install graphviz, dnf install graphviz, brew install graphviz)"
        ) from None
    except graphviz.CalledProcessError as error:
        detail = (error.stderr or b"").decode("utf-8", "replace").strip()
        raise RenderError(f"Graphviz failed: {detail}") from None
    return data


def emit_svg(chart: Chart, options: Mapping[str, Any] | None = None) -> str:
    return render(chart, options, "svg").decode("utf-8")


def emit_png(chart: Chart, options: Mapping[str, Any] | None = None) -> bytes:
    return render(chart, options, "png")
