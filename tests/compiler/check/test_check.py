"""The checker: every code in the table has a fixture that triggers it (rendered exactly as in
its `.diag` golden) and a near miss that does not; examples and well-formed golden charts check
clean; the reports are well-formed."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from statewright.compiler import parse
from statewright.compiler.check import check
from statewright.compiler.codes import CODES
from statewright.compiler.diagnostics import Severity, render_all
from statewright.compiler.pipeline import (
    decode,
    diagnose,
    diagnose_file,
)
from statewright.compiler.tools.cli.report import to_json, to_sarif
from testkit import EXAMPLES, ROOT, GoldenCompare, golden_cases

FIXTURES = ROOT / "tests" / "compiler" / "check" / "fixtures"

# Golden charts written to exercise the parser with constructs that are ill-formed to run.
ILL_FORMED = {
    # two eventless transitions out of `running`, and `idle => running => idle` loops
    "006-implicit-states": ["SC012", "SC037"],
    "010-colon-arrow-after-transitions": ["SC037"],  # `a :> b; b :> a;`: eventless, a loop
    "047-type-history": ["SC002", "SC014"],  # a chart of one history state
    "048-type-deephistory": ["SC002", "SC014"],
    "058-name-history": ["SC002", "SC014", "SC015"],
    "059-name-deep-history": ["SC002", "SC014", "SC015"],
    "061-name-fork": ["SC017"],  # a fork outside a parallel state
    "062-name-join": ["SC017"],
    "063-name-junction": ["SC012"],
    "076-composite-implicit-inner-first": ["SC012"],
    "096-duplicate-state-in-list": ["SC018"],
    "097-duplicate-transitions": ["SC012"],
    "106-history-in-composite": ["SC014"],  # `player.history` is named at the top level
}


def _fixture(code: str, suffix: str = "") -> Path:
    """The fixture of a code: smcat text, or the input its reader takes (SCXML for the import
    codes I..., YAML for Y..., an IR document for R...)."""
    for extension in (".scxml", ".yaml", ".ir.json"):
        other = FIXTURES / f"{code}{suffix}{extension}"
        if other.is_file():
            return other
    return FIXTURES / f"{code}{suffix}.smcat"


def _diagnose(path: Path) -> tuple[list[str], str]:
    target = CODES[path.name.split(".")[0].removesuffix("-ok")].target
    if path.name.endswith(".ir.json"):
        data = path.read_bytes()
        diagnostics = diagnose_file(data, path.name, target=target)[2]
        return [d.code for d in diagnostics], render_all(diagnostics, {path.name: data.decode()})
    if path.suffix == ".scxml":
        data = path.read_bytes()
        diagnostics = diagnose(data, path.name, language="scxml", target=target)[1]
        return [d.code for d in diagnostics], render_all(diagnostics, {path.name: data.decode()})
    if path.suffix == ".yaml":
        data = path.read_bytes()
        diagnostics = diagnose(data, path.name, target=target)[1]
        return [d.code for d in diagnostics], render_all(diagnostics, {path.name: data.decode()})
    text, diagnostics = decode(path.read_bytes(), path.name)
    if text is not None:
        diagnostics += diagnose(text, path.name, target=target)[1]
    return [d.code for d in diagnostics], render_all(diagnostics, {path.name: text or ""})


@pytest.mark.parametrize("code", sorted(CODES))
def test_code_has_a_trigger_and_a_near_miss(code: str, golden: GoldenCompare) -> None:
    codes, rendered = _diagnose(_fixture(code))
    assert code in codes
    expected = FIXTURES / f"{code}.diag"
    golden(rendered, expected)
    near_codes, near_rendered = _diagnose(_fixture(code, "-ok"))
    assert code not in near_codes, near_rendered


def test_every_code_is_documented_with_an_example() -> None:
    documented = (ROOT / "docs" / "diagnostics.md").read_text("utf-8")
    for code in CODES:
        assert f"## {code}:" in documented, code


@pytest.mark.parametrize(
    "case", golden_cases() + sorted(EXAMPLES.glob("*.smcat")), ids=lambda p: p.stem
)
def test_no_false_positives(case: Path) -> None:
    chart, _ = parse(case.read_text("utf-8"), case.name)
    assert chart is not None
    errors = sorted({d.code for d in check(chart) if d.severity is Severity.ERROR})
    expected = ILL_FORMED.get(case.stem)
    assert errors == (expected or []), errors


def test_examples_check_without_any_finding() -> None:
    for case in EXAMPLES.glob("*.smcat"):
        chart, _ = parse(case.read_text("utf-8"), case.name)
        assert chart is not None
        assert check(chart, target="python") == [], case


def test_every_finding_is_collected_not_just_the_first() -> None:
    chart, _ = parse("a, b, c;\na => b: go;\na => b: go;\nb => c: go;\nb => c: go;\n")
    assert chart is not None
    assert [d.code for d in check(chart)].count("SC012") == 2


def test_json_report() -> None:
    chart, _ = parse("initial, a;\ninitial => a: go;\na => a: t;\n", "x.smcat")
    assert chart is not None
    (item,) = json.loads(to_json(check(chart)))
    assert item == {
        "code": "SC005",
        "severity": "error",
        "message": "the transition out of initial state `initial` has an event",
        "file": "x.smcat",
        "line": 2,
        "column": 1,
        "end_line": 2,
        "end_column": 18,
        "hint": "an initial transition fires by itself: remove its event and guard",
        "related": [],
    }


def test_sarif_report() -> None:
    chart, _ = parse("initial, a, a;\ninitial => a;\n", "x.smcat")
    assert chart is not None
    document = json.loads(to_sarif(check(chart), "1.0"))
    assert document["version"] == "2.1.0"
    (run,) = document["runs"]
    rules = run["tool"]["driver"]["rules"]
    assert [r["id"] for r in rules] == list(CODES)
    (result,) = [r for r in run["results"] if r["ruleId"] == "SC018"]
    assert rules[result["ruleIndex"]]["id"] == "SC018"
    region = result["locations"][0]["physicalLocation"]["region"]
    assert (region["startLine"], region["startColumn"]) == (1, 10)
    assert result["relatedLocations"][0]["physicalLocation"]["region"]["startColumn"] == 13
