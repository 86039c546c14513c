"""The input languages and the output formats, once: which reader takes a file, what `-T`
accepts and what each format is.

One `Language` per input: its file endings, its reader (a module of `compiler/read/`, or
`ir_document` for IR documents), whether an author writes it (the studio, `build` and `watch`
list such files), whether `fmt` rewrites it, and the reader's optional steps around the
checker. `language_of(name)` is the one way from a
file name to its language; nothing else lists endings.

One `Format` per output: the emitter that writes it, the extension of its files, whether it
runs (a chart with errors is not written in it), how a comment is written in it (the build's
header), whether it is binary, and whether it is a diagram (takes the diagram options). The
emitter lookup (`pipeline.emitter`), the CLI's choices, the build and the studio read this table;
nothing else lists formats. The diagram options and their values are here too.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Format:
    """One output format.

    Attributes:
        name: what `-T` and a project's `format` say.
        module: the module under `statewright.compiler` that writes it.
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
        Format("json", "emit.smcat_json", "emit", ".json"),
        Format("ir", "ir_document", "emit", ".ir.json"),
        Format("smcat", "emit.smcat", "emit", ".smcat", comment=("// ", "")),
        Format("dot", "emit.dot", "emit", ".dot", comment=("// ", ""), diagram=True),
        Format("svg", "emit.render", "emit_svg", ".svg", comment=("<!-- ", " -->"), diagram=True),
        Format("png", "emit.render", "emit_png", ".png", binary=True, diagram=True),
        Format("mermaid", "emit.mermaid", "emit", ".mmd", comment=("%% ", "")),
        Format("scxml", "emit.scxml", "emit", ".scxml", executable=True, comment=("<!-- ", " -->")),
        Format("xstate", "emit.xstate", "emit", ".xstate.json", executable=True),
        Format("python", "emit.python", "emit", "_machine.py", executable=True, comment=("# ", "")),
        Format("yaml", "emit.yaml_text", "emit", ".yaml", comment=("# ", "")),
    )
}


@dataclass(frozen=True)
class Language:
    """One input language.

    Attributes:
        name: what the CLI and the pipeline call it (`smcat`, `yaml`, `scxml`, `ir`).
        module: the module under `statewright.compiler` with its `read(data, name)`.
        suffixes: the endings of its files, the first the usual one.
        chart_file: an author writes it (the studio, `build` and `watch` list these files);
            an IR document is a tool's output, read but not listed.
        formattable: `statewright fmt` rewrites it in place (smcat text only).
        review: a function of the reader module, `(diagnostics) -> diagnostics`, that restates
            the checker's findings for this language (SCXML's document order, YAML's hints).
        precheck: a function of the reader module, `(size, name) -> Diagnostic | None`, that
            refuses a file by its size before it is read.
    """

    name: str
    module: str
    suffixes: tuple[str, ...]
    chart_file: bool = True
    formattable: bool = False
    review: str | None = None
    precheck: str | None = None


#: every input language, by name; a file whose name has no known ending is smcat text
LANGUAGES: dict[str, Language] = {
    language.name: language
    for language in (
        Language("smcat", "read.smcat", (".smcat",), formattable=True),
        Language(
            "yaml",
            "read.yaml_chart",
            (".yaml", ".yml"),
            review="yaml_hints",
            precheck="refuse_large",
        ),
        Language("scxml", "read.scxml", (".scxml",), review="document_order"),
        Language("ir", "ir_document", (".ir.json",), chart_file=False),
    )
}

#: the endings of the files an author writes (`door.smcat`, `door.yaml`, ...)
CHART_SUFFIXES: tuple[str, ...] = tuple(
    suffix for language in LANGUAGES.values() if language.chart_file for suffix in language.suffixes
)


def language_of(name: str) -> Language:
    """The language of a file by its name's ending; smcat when it has none we know."""
    for language in LANGUAGES.values():
        if name.endswith(language.suffixes):
            return language
    return LANGUAGES["smcat"]


def is_chart_file(name: str) -> bool:
    """Whether a file name is a chart an author writes (the studio and `build` list it)."""
    return name.endswith(CHART_SUFFIXES)


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
