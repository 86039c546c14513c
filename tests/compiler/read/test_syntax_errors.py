"""Syntax errors: located at the offending token, explained in words, rendered exactly.

Every input in tests/golden/errors/ is rejected by state-machine-cat too (its message is in the
`.smcat-error` sibling); the `.diag` sibling is our rendered diagnostic.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from statewright.compiler import parse
from statewright.compiler.diagnostics import render_all
from testkit import GOLDEN, GoldenCompare

ERRORS = sorted((GOLDEN / "errors").glob("*.smcat"))


@pytest.mark.parametrize("case", ERRORS, ids=lambda p: p.stem)
def test_error_is_reported_as_expected(case: Path, golden: GoldenCompare) -> None:
    text = case.read_text("utf-8")
    chart, diagnostics = parse(text, case.name)
    assert diagnostics and any(d.is_error for d in diagnostics)
    rendered = render_all(diagnostics, {case.name: text})
    expected = case.with_suffix(".diag")
    golden(rendered, expected)
    assert case.with_suffix(".smcat-error").exists(), "smcat must reject it too"


def test_error_corpus_is_complete() -> None:
    assert len(ERRORS) >= 15
    for case in ERRORS:
        assert case.with_suffix(".diag").exists(), case
        assert case.with_suffix(".smcat-error").read_text("utf-8").strip(), case


def test_error_points_inside_composite_not_at_its_start() -> None:
    text = "outer {\n  inner {\n    a => b\n    b => c;\n  };\n};\n"
    _, (diagnostic,) = parse(text, "deep.smcat")
    assert (diagnostic.span.line, diagnostic.span.column) == (4, 5)


def test_colored_rendering_only_when_asked() -> None:
    text = "a => ;\n"
    _, diagnostics = parse(text, "x.smcat")
    plain = render_all(diagnostics, {"x.smcat": text})
    colored = render_all(diagnostics, {"x.smcat": text}, color=True)
    assert "\x1b[" not in plain
    assert "\x1b[1;31merror[P002]" in colored


def test_deep_nesting_is_refused_with_a_diagnostic() -> None:
    depth = 150
    text = "".join(f"s{i} {{\n" for i in range(depth)) + "x;\n" + "};\n" * depth
    chart, diagnostics = parse(text, "deep.smcat")
    assert [d.code for d in diagnostics] == ["P004"]
    assert chart is not None


def test_byte_order_mark_is_skipped() -> None:
    chart, diagnostics = parse("\ufeffa => b;\n")
    assert chart is not None and not diagnostics
    assert [s.name for s in chart.states()] == ["a", "b"]


def test_empty_composite_is_accepted() -> None:
    # An extension: smcat rejects `a {};` (it reads `}` as a state name there).
    chart, diagnostics = parse("a {};\n")
    assert chart is not None and not diagnostics
    assert chart.state("a").region is not None
