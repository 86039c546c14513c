"""`-T mermaid`: golden outputs, and every golden chart's output accepted by the official
Mermaid parser (npm `mermaid` in Node with jsdom; `make test` installs it into tests/node)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from statewright.compiler import parse
from statewright.compiler.emit import mermaid
from testkit import (
    EXAMPLES,
    INSTALL_NODE,
    NODE_DIR,
    ROOT,
    GoldenCompare,
    chart_of,
    golden_cases,
    run_node,
)

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


def test_notes_colours_captions_and_finals_keep_a_mermaid_form() -> None:
    """What Mermaid can say is kept: a note on the initial state (beside the state it enters),
    colours (a classDef per colour, as hex), a choice's caption (a note), and each of a
    region's several finals (a named state each, not one merged `[*]`)."""
    chart, _ = parse(
        "# how it starts\ninitial,\n"
        'a [color="green"], ^pick [label="which way?"], ok [type=final], failed [type=final];\n'
        "initial => a;\na => ^pick: go;\n^pick => ok: [x];\n^pick => failed: [else];\n"
    )
    assert chart is not None
    text = mermaid.emit(chart)
    assert "note left of s1 : how it starts" in text
    assert "classDef colour0 stroke:#008000,color:#008000,stroke-width:2px" in text
    assert "class s1 colour0" in text
    assert "state s2 <<choice>>" in text and "note right of s2 : which way?" in text
    assert 'state "◉ ok" as s3' in text and 'state "◉ failed" as s4' in text
    assert "s2 --> s3" in text and "s2 --> s4" in text and "--> [*]" not in text
    single, _ = parse("a, done [type=final];\na => done;\n")
    assert single is not None and "s0 --> [*]" in mermaid.emit(single)  # one final: [*]
