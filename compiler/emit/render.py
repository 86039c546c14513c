"""Emit `-T svg` and `-T png`: the DOT diagram laid out by Graphviz.

Stage 3 (emitter): Chart -> str (SVG) or bytes (PNG). It runs Graphviz through the `graphviz`
package; `engine` picks the layout program (dot by default). When the program is missing it
raises `RenderError` naming the package to install. It imports no reader.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..errors import RenderError as RenderError
from ..formats import ENGINES
from ..ir import Chart
from . import dot

#: seconds a layout may take (option `timeout`): Graphviz on a huge or dense chart can take
#: hours, and a server (the studio) must not wait that long
TIMEOUT = 120.0


def render(chart: Chart, options: Mapping[str, Any] | None, output: str) -> bytes:
    options = options or {}
    engine = str(options.get("engine", "dot"))
    if engine not in ENGINES:
        raise RenderError(f"unknown engine {engine!r}: use one of {', '.join(ENGINES)}")
    source = dot.emit(chart, options)
    seconds = float(options.get("timeout", TIMEOUT))
    import subprocess

    # imported here: it costs start-up time every other format does not need
    import graphviz
    from graphviz.backend import dot_command, execute

    command = dot_command.command(engine, output)
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
