"""Text that reaches an output from outside the chart's own syntax (issue 33): file names, and
renderer directives.

File names are chart text too (item 1): `statewright build` writes a chart's path into every
output's header comment, so a name holding a line break, `-->`, `*`, quotes, a DOCTYPE, a Mermaid
directive or any Unicode must add nothing to any output. Hypothesis builds charts under hostile
file names into every output format, then checks each output: `build --check` finds every body
intact (the header is one line, and removing it leaves the bytes the build generated), the
header line is a comment of its format that nothing ends early, the name appears in it only
escaped, XML outputs hold no DOCTYPE or entity of the name's, the smcat and YAML outputs read
back to the same chart, and the Python module compiles.

Renderer directives (item 8): Mermaid reads `%%` anywhere, so no name, label or note may bring
one into its output.
"""

from __future__ import annotations

import ast
import contextlib
import io
import os
import shutil
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree

from statewright.compiler import parse
from statewright.compiler.formats import FORMATS
from statewright.compiler.tools.cli.main import main
from statewright.compiler.tools.generated import MARK, header_path

HAVE_DOT = shutil.which("dot") is not None
CHART = "a => b: go;\nb => a: back;\n"
FRAGMENTS = [
    "\n",
    "\r",
    "\r\n",
    "\u2028",
    "\t",
    " ",
    "-->",
    "--",
    "-",
    "*",
    '"""',
    "'''",
    '"',
    "'",
    "\\",
    "\\N",
    "#",
    "%%",
    "%%{init: {'theme': 'dark'}}%%",
    "<!DOCTYPE x [<!ENTITY e SYSTEM 'file:etc:passwd'>]>",
    "]]>",
    "b => c: evil;",
    "}",
    "{{ x }}",
    "🚪",
    "é",
    "x",
]


def _names() -> st.SearchStrategy[str]:
    joined = st.lists(st.sampled_from(FRAGMENTS), min_size=1, max_size=6).map("".join)
    # a file name: no folder separator or NUL, not hidden, short enough with its suffixes
    return joined.map(lambda name: "n" + name).filter(lambda n: len(n.encode()) <= 120)


def _build(project: Path, *args: str) -> int:
    cwd = os.getcwd()
    os.chdir(project)
    try:
        with contextlib.redirect_stderr(io.StringIO()), contextlib.redirect_stdout(io.StringIO()):
            return main(["build", "--jobs", "1", *args])
    finally:
        os.chdir(cwd)


FORMAT_NAMES = [name for name in FORMATS if HAVE_DOT or not FORMATS[name].diagram]


def _project(folder: Path, name: str) -> Path:
    folder.mkdir()
    outputs = "".join(f"  - format: {fmt}\n" for fmt in FORMAT_NAMES)
    (folder / "statewright.yaml").write_text(
        f'charts: ["*.smcat"]\nout: generated\noutputs:\n{outputs}'
    )
    (folder / f"{name}.smcat").write_text(CHART)
    assert _build(folder) == 0, name
    return folder / "generated"


def _body(path: Path) -> str:
    """An output without its header line."""
    return "".join(
        line for line in path.read_text("utf-8").splitlines(keepends=True) if MARK not in line
    )


#: formats whose bytes do not depend on the chart's file name (but for the header)
NAME_FREE = ("smcat", "dot", "mermaid", "yaml")


def test_a_hostile_file_name_adds_nothing_to_any_output(tmp_path: Path) -> None:
    built = [0]
    reference = {
        _kind(path): _body(path)
        for path in _project(tmp_path / "reference", "ref").iterdir()
        if _kind(path) in NAME_FREE
    }

    @settings(
        max_examples=25,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
    )
    @given(name=_names())
    def nothing_added(name: str) -> None:
        built[0] += 1
        generated = _project(tmp_path / f"p{built[0]}", name)
        assert _build(generated.parent, "--check") == 0, name  # every body as generated
        files = sorted(generated.iterdir())
        assert len([f for f in files if not f.name.startswith(".")]) == len(FORMAT_NAMES)
        escaped = header_path(f"{name}.smcat")
        for path in files:
            if path.name.startswith("."):
                continue
            _check(path, name, escaped)
            if _kind(path) in NAME_FREE:  # the header is the only line the name changed
                assert _body(path) == reference[_kind(path)], (name, path.name)

    nothing_added()
    assert built[0] >= 20  # hypothesis ran them


def _check(path: Path, name: str, escaped: str) -> None:
    data = path.read_bytes()
    fmt = FORMATS[_kind(path)]
    if fmt.binary:  # PNG: the header is a tEXt chunk, ASCII
        assert escaped.encode("ascii") in data
        return
    text = data.decode("utf-8")
    if fmt.comment is not None:
        line = next(line for line in text.splitlines() if MARK in line)
        start, end = fmt.comment
        assert line.startswith(start) and line.endswith(end)
        middle = line[len(start) : len(line) - len(end)]
        assert f"generated from {escaped} (" in middle
        if end:  # an XML comment: nothing may end it early, and `--` is not allowed in it
            assert "--" not in middle
    if fmt.name in ("scxml", "svg"):
        root = etree.fromstring(data, etree.XMLParser(resolve_entities=False, no_network=True))
        assert root.getroottree().docinfo.internalDTD is None or fmt.name == "svg"
        assert "<!ENTITY" not in text and "<!DOCTYPE x" not in text
    if fmt.name == "smcat":
        again, _ = parse(text)
        original, _ = parse(CHART)
        assert again is not None and original is not None
        labels = [t.label for t in again.transitions()]
        assert labels == [t.label for t in original.transitions()]
    if fmt.name == "yaml":
        assert "evil" not in str(yaml.safe_load(text))
    if fmt.name == "python":
        tree = ast.parse(text)
        assert all(not isinstance(node, ast.Expr) for node in tree.body[1:])


def _kind(path: Path) -> str:
    """The format of an output file, by the longest extension it ends with (`.json` is also
    the end of `.ir.json`)."""
    matches = [f for f in FORMATS.values() if path.name.endswith(f.extension)]
    return max(matches, key=lambda f: len(f.extension)).name


@pytest.mark.parametrize(
    "name",
    ["door.smcat", "a\nb => c;\n--> x.smcat", "my--chart.smcat", "🚪.smcat", "sub/x y.smcat"],
)
def test_a_header_path_is_one_safe_token(name: str) -> None:
    escaped = header_path(name)
    assert escaped.isascii() and "--" not in escaped
    assert all(c.isalnum() or c in "/._+~@,=-%" for c in escaped)
    from urllib.parse import unquote

    assert unquote(escaped) == name  # nothing lost: it reads back


DIRECTIVES = ["%%{init: {'theme': 'dark'}}%%", "%%", "%", "#", ";", ":", "\n", "x", " "]


@settings(max_examples=60, deadline=None, derandomize=True, database=None)
@given(
    texts=st.lists(
        st.lists(st.sampled_from(DIRECTIVES), min_size=1, max_size=5).map("".join),
        min_size=3,
        max_size=3,
    )
)
def test_chart_text_never_puts_a_directive_or_comment_into_mermaid(texts: list[str]) -> None:
    """Mermaid reads `%%` (a comment, or `%%{init: ...}%%`, a directive) anywhere in its text:
    no state name, label or note may bring one (issue 33, item 8)."""
    from statewright.compiler.emit import mermaid
    from statewright.compiler.emit.escape import smcat_string

    name, label, note = texts
    source = f"# {' '.join(note.split())}\n{smcat_string(name)} => b: {smcat_string(label)};\n"
    chart, _ = parse(source)
    if chart is None:
        return
    assert "%%" not in mermaid.emit(chart, {})
