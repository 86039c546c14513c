"""`-T mermaid`: golden outputs, and every golden chart's output accepted by the official
Mermaid parser (npm `mermaid` in Node with jsdom; `make test` installs it into tests/node)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from conftest import (
    EXAMPLES,
    INSTALL_NODE,
    NODE_DIR,
    ROOT,
    GoldenCompare,
    chart_of,
    golden_cases,
    run_node,
)
from statewright.compiler import parse
from statewright.compiler.emit import mermaid

HAVE_MERMAID = (NODE_DIR / "node_modules" / "mermaid").is_dir() and (
    NODE_DIR / "node_modules" / "jsdom"
).is_dir()
CASES = golden_cases()


def _emit(path: Path) -> str:
    return mermaid.emit(chart_of(path))


@pytest.mark.parametrize("case", CASES, ids=lambda p: p.stem)
def test_golden_mermaid(case: Path, golden: GoldenCompare) -> None:
    text = _emit(case)
    expected = case.with_suffix(".mmd")
    golden(text, expected)


def test_structure() -> None:
    chart, _ = parse(
        "initial, p [type=parallel] { r1 { a => b; }, r2 { c; }; }, ^q, done [type=final];\n"
        "initial => p;\np => ^q: leave;\n^q => done: [ok];\n^q => p: [else];\n"
    )
    assert chart is not None
    text = mermaid.emit(chart)
    assert text.startswith("stateDiagram-v2\n    direction TB\n")
    assert "[*] --> s1" in text and "--> [*]" in text
    assert "\n        --\n" in text
    assert "<<choice>>" in text
    assert "s7 --> s1 : [else]" in text


@pytest.mark.skipif(
    shutil.which("node") is None, reason="node is not installed: apt-get install nodejs npm"
)
@pytest.mark.skipif(
    not HAVE_MERMAID, reason=f"npm mermaid and jsdom are not installed: {INSTALL_NODE}"
)
def test_official_parser_accepts_every_chart(tmp_path: Path) -> None:
    cases = CASES + sorted(EXAMPLES.glob("*.smcat"))
    sources = [_emit(case) for case in cases]
    verdicts = run_node(ROOT / "tests" / "parity" / "mermaid_check.mjs", sources, tmp_path)
    failures = [(c.name, v) for c, v in zip(cases, verdicts, strict=True) if v is not None]
    assert failures == []
