"""The output formats, once: what `-T` accepts and what each format is.

One `Format` per output: the emitter that writes it, the extension of its files, whether it
runs (a chart with errors is not written in it), how a comment is written in it (the build's
header), whether it is binary, and whether it is a diagram (takes the diagram options). The
emitter registry (`emit.emitter`), the CLI's choices, the build and the studio read this table;
nothing else lists formats. The diagram options and their values are here too.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Format:
    """One output format.

    Attributes:
        name: what `-T` and a project's `format` say.
        module: the module under `statewright.compiler.emit` that writes it.
        function: the function of that module: `(chart, options) -> str | bytes`.
        extension: the ending of its files (`door` + extension).
        executable: it runs (Python, SCXML, XState): never written from a chart with errors.
        comment: (opening, closing) of a one-line comment, or None when the format has none
            (JSON); `statewright build` writes its header in it.
        binary: its output is bytes (PNG), not text.
        diagram: it is a picture, and takes the `DIAGRAM_OPTIONS`.
    """

    name: str
    module: str
    function: str
    extension: str
    executable: bool = False
    comment: tuple[str, str] | None = None
    binary: bool = False
    diagram: bool = False


#: every format, by name; emitters' modules are imported only when their format is used (lxml
#: and graphviz cost start-up time that `-T json` does not need)
FORMATS: dict[str, Format] = {
    f.name: f
    for f in (
        Format("json", "smcat_json", "emit", ".json"),
        Format("ir", "ir_json", "emit", ".ir.json"),
        Format("smcat", "smcat", "emit", ".smcat", comment=("// ", "")),
        Format("dot", "dot", "emit", ".dot", comment=("// ", ""), diagram=True),
        Format("svg", "render", "emit_svg", ".svg", comment=("<!-- ", " -->"), diagram=True),
        Format("png", "render", "emit_png", ".png", binary=True, diagram=True),
        Format("mermaid", "mermaid", "emit", ".mmd", comment=("%% ", "")),
        Format("scxml", "scxml", "emit", ".scxml", executable=True, comment=("<!-- ", " -->")),
        Format("xstate", "xstate", "emit", ".xstate.json", executable=True),
        Format("python", "python", "emit", "_machine.py", executable=True, comment=("# ", "")),
        Format("yaml", "yaml_text", "emit", ".yaml", comment=("# ", "")),
    )
}

#: Graphviz's layout programs (`--engine`); the first is the default
ENGINES = ("dot", "neato", "fdp", "circo", "twopi", "osage")
#: the directions a diagram is laid out in (`--direction`); the first is the default
DIRECTIONS = ("top-down", "left-right", "bottom-top", "right-left")
#: the colour themes of a diagram (`--theme`); the first is the default
THEMES = ("light", "dark")

#: the options a diagram format takes, and the values each may have (first: the default)
DIAGRAM_OPTIONS: dict[str, tuple[str, ...]] = {
    "direction": DIRECTIONS,
    "engine": ENGINES,
    "theme": THEMES,
}
