"""A Sphinx extension: `extensions = ["statewright.compiler.tools.docs.sphinx"]` in conf.py,
then

    .. statewright:: charts/door.smcat
       :direction: left-right

draws the chart file (any kind: .smcat, .yaml, .scxml, .ir.json; relative to the document),
or, with no argument, the smcat text of the directive's body:

    .. statewright::

       closed => opened: open;

The picture is the SVG `statewright compile -T svg` writes, inlined in HTML output. A chart
with errors fails the build with its findings (as a broken `.. code::` reference would);
without Graphviz the directive leaves a note and the build goes on.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, ClassVar

from docutils import nodes
from docutils.parsers.rst import directives
from sphinx.util.docutils import SphinxDirective

from ...diagnostics import render_all
from ...errors import RenderError
from ...pipeline import diagnose, diagnose_file, text_of
from . import inline_svg

DIRECTIONS = ("top-down", "left-right", "bottom-top", "right-left")


class StatewrightDirective(SphinxDirective):
    """`.. statewright:: [FILE]` (see the module docstring)."""

    optional_arguments = 1
    has_content = True
    option_spec: ClassVar[dict[str, Any]] = {
        "direction": lambda value: directives.choice(value, DIRECTIONS),
        "caption": directives.unchanged,
    }

    def run(self) -> list[nodes.Node]:
        if self.arguments:
            path = Path(self.env.relfn2path(self.arguments[0], self.env.docname)[1])
            source = Path(self.env.srcdir).resolve()
            if not path.resolve().is_relative_to(source):  # `..` or a link out of the docs
                raise self.error(
                    f"statewright: {self.arguments[0]}: outside the documentation's folder "
                    f"({source}); nothing was read"
                )
            self.env.note_dependency(str(path))
            try:
                data = path.read_bytes()
            except OSError as error:
                raise self.error(f"statewright: {path}: {error.strerror or error}") from None
            text, chart, diagnostics = diagnose_file(data, path.name)
            name = path.name
        else:
            text = "\n".join(self.content) + "\n"
            chart, diagnostics = diagnose(text, "chart.smcat")
            name = "chart.smcat"
        if chart is None or any(d.is_error for d in diagnostics):
            shown = render_all(diagnostics, {name: text or ""}, color=False)
            raise self.error(f"statewright: {name} has errors:\n{shown}")
        try:
            svg = text_of(chart, "svg", {"direction": self.options.get("direction", "top-down")})
        except RenderError as error:
            return [nodes.warning("", nodes.paragraph(text=f"statewright: no picture: {error}"))]
        figure = nodes.figure(classes=["statewright"])
        figure += nodes.raw("", inline_svg(svg), format="html")
        if "caption" in self.options:
            figure += nodes.caption(text=self.options["caption"])
        return [figure]


def setup(app: Any) -> dict[str, Any]:
    """Sphinx's entry: registers `.. statewright::` (and the smcat lexer comes with Pygments'
    entry point)."""
    from ... import __version__

    app.add_directive("statewright", StatewrightDirective)
    return {"version": __version__, "parallel_read_safe": True, "parallel_write_safe": True}
