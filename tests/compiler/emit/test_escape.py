"""Escaping (compiler/emit/escape.py): every context chart text lands in has its function, the
template uses one for every interpolation, and each function's output reads back as the text.
"""

from __future__ import annotations

import ast
import json
import re
import subprocess
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from lxml import etree

from statewright.compiler.emit import escape
from statewright.compiler.ir import Chart, Region, State, Transition
from statewright.compiler.notation import visible
from statewright.compiler.read.scxml_text import js_string as _js_string
from testkit import ROOT

TEMPLATES = sorted((ROOT / "templates").glob("*.j2"))
#: the filters of templates/python.py.j2, each one of escape.py's functions
FILTERS = {"py", "doc", "ident", "guard", "annotation"}
_HOSTILE = st.text(st.characters(exclude_categories=["Cs"]), max_size=40) | st.sampled_from(
    ['"""', "'''", "\\", '\\"', "\n", "\r\n", "\u2028", "\x00", "\x1b[2J", "\u202e", "{{ x }}"]
)


def test_every_interpolation_of_a_template_names_its_context() -> None:
    assert TEMPLATES
    for template in TEMPLATES:
        text = template.read_text("utf-8")
        for match in re.finditer(r"\{\{(.*?)\}\}", text, re.S):
            expression = match.group(1)
            filters = {f.strip().split("(")[0] for f in expression.split("|")[1:]}
            line = text.count("\n", 0, match.start()) + 1
            assert filters & FILTERS, f"{template.name}:{line}: {{{{{expression}}}}} is raw"


@settings(max_examples=300, deadline=None, derandomize=True)
@given(_HOSTILE)
def test_python_text_stays_inside_a_docstring_and_a_comment(text: str) -> None:
    escaped = escape.python_text(text)
    assert escaped.isprintable() and "\n" not in escaped
    tree = ast.parse(f'"""Doc {escaped}."""\nx = 1  # {escaped}\n')
    doc, assign = tree.body
    assert isinstance(doc, ast.Expr) and isinstance(assign, ast.Assign)
    value = doc.value.value  # type: ignore[attr-defined]
    assert value == f"Doc {text}."  # escapes that Python reads back as the text itself


@settings(max_examples=300, deadline=None, derandomize=True)
@given(_HOSTILE)
def test_python_literal_reads_back(text: str) -> None:
    assert ast.literal_eval(escape.python_literal({"k": (text, [text])})) == {"k": (text, [text])}


def test_python_names_and_guards_are_checked() -> None:
    assert escape.python_name("open_door") == "open_door"
    for bad in ("class", "x; import os", "a b", ""):
        with pytest.raises(ValueError):
            escape.python_name(bad)
    assert escape.python_guard("(m._read('x', data) > 1) and m.is_active('a')")
    for bad in ("__import__('os')", "m.__class__", "(lambda: 1)()", "data.pop('x')", "[1]"):
        with pytest.raises((ValueError, SyntaxError)):
            escape.python_guard(bad)


@settings(max_examples=300, deadline=None, derandomize=True)
@given(_HOSTILE)
def test_ecmascript_strings_read_back_and_stay_in_xml(text: str) -> None:
    literal = escape.ecmascript_string(text)
    assert _js_string(literal) == text
    element = etree.Element("log", expr=literal)  # lxml refuses what XML cannot hold
    assert etree.fromstring(etree.tostring(element)).get("expr") == literal


def test_ecmascript_strings_are_what_node_reads(tmp_path: Path) -> None:
    texts = ["a'b\\c", "x\x00y\u2028\n\r\tz", "😀", "é\u202e", '"quoted"']
    literals = [escape.ecmascript_string(t) for t in texts]
    script = "console.log(JSON.stringify([" + ", ".join(literals) + "]))"
    result = subprocess.run(["node", "-e", script], capture_output=True, text=True, check=True)
    assert json.loads(result.stdout) == texts


@settings(max_examples=300, deadline=None, derandomize=True)
@given(_HOSTILE)
def test_xml_text_is_what_xml_can_hold(text: str) -> None:
    element = etree.Element("state")
    element.set("name", escape.xml_text(text))
    assert etree.fromstring(etree.tostring(element)).get("name") == escape.xml_text(text)


@settings(max_examples=300, deadline=None, derandomize=True)
@given(_HOSTILE)
def test_dot_strings_hold_one_graphviz_string(text: str) -> None:
    quoted = escape.dot_string(text)
    # one string token: every quote inside is escaped, nothing is left raw
    assert quoted.startswith('"') and quoted.endswith('"')
    assert re.fullmatch(r'"(?:[^"\\\n]|\\.)*"', quoted, re.S), quoted
    assert visible(quoted) == quoted or "\t" in quoted


def test_dot_strings_render_with_graphviz() -> None:
    names = ['a"b', "x\x00y", "l\u2028m", "bs\\", "nl\nnl", "\x1b[31m", "<b>&amp;</b>"]
    from statewright.compiler.emit.render import emit_svg

    states = tuple(State(name, notes=(name,)) for name in names)
    transitions = tuple(
        Transition(i + 1, a, b, event=a)
        for i, (a, b) in enumerate(zip(names, names[1:], strict=False))
    )
    chart = Chart(Region(states, transitions))
    svg = etree.fromstring(emit_svg(chart).encode())
    shown = "".join(svg.itertext())
    assert 'a"b' in shown and "x\\x00y" in shown and "\\x1b[31m" in shown
    assert not list(svg.iter("{http://www.w3.org/2000/svg}b"))  # markup stayed text


def test_a_multi_line_note_stays_notes_in_smcat() -> None:
    lines = escape.smcat_note("first\nb => c: injected;\r\nthird")
    assert lines == ["# first", "# b => c: injected;", "# third"]


def test_mermaid_text_stays_on_its_line() -> None:
    for text in ("a\nb", "x;y", "#35;", "p\u2028q", "n\x00"):
        line = escape.mermaid_text(text)
        assert "\n" not in line and ";" not in line.replace("#59;", "").replace("#35;", "")
        assert visible(line) == line
