"""SCION's SCXML corpus on statewright's interpreter and generated classes, held to a committed
baseline (tests/data/conformance-baseline.json): a document that passed may not fail. The whole
table, with SCION and python-statemachine beside ours, is `make conformance`
(tests/interop/conformance.py, which says how a document passes)."""

from __future__ import annotations

import json

import pytest
from conformance import BASELINE, CORPUS, OURS, cases, run_ours

from testkit import INSTALL_NODE

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        not CORPUS.is_dir(),
        reason=f"npm @scion-scxml/test-framework is not installed: {INSTALL_NODE}",
    ),
]


@pytest.mark.parametrize("engine", OURS)
def test_no_corpus_document_that_passed_fails_now(engine: str) -> None:
    pytest.importorskip("quickjs")  # the ecmascript extra (`make test` installs it)
    baseline = set(json.loads(BASELINE.read_text("utf-8"))[engine])
    all_cases = cases()
    assert len(all_cases) == 316
    outcomes = run_ours(engine, all_cases)
    passed = {name for name, outcome in outcomes.items() if outcome.passed}
    lost = {name: outcomes[name].why for name in sorted(baseline - passed)}
    assert lost == {}
    print(f"\n{engine}: {len(passed)} / {len(all_cases)} (baseline {len(baseline)})")
    assert len(baseline) >= 260


def test_the_generated_class_passes_what_the_interpreter_passes() -> None:
    baseline = json.loads(BASELINE.read_text("utf-8"))
    assert baseline["statewright-python"] == baseline["statewright"]


def test_documents_that_need_no_ecmascript_pass_without_the_extra(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Without QuickJS (the `ecmascript` extra), every baseline document that needs no
    datamodel (the import runs it on statewright's guards) still passes."""
    from statewright.compiler.pipeline import diagnose
    from statewright.runtime.datamodel import ecmascript

    monkeypatch.setattr(ecmascript, "quickjs", None)
    baseline = set(json.loads(BASELINE.read_text("utf-8"))["statewright"])
    all_cases = cases()
    plain = []
    for case in all_cases:
        chart, _ = diagnose(case.path.read_bytes(), str(case.path), language="scxml")
        if chart is not None and chart.datamodel_language != "ecmascript":
            plain.append(case)
    assert len(plain) >= 100
    outcomes = run_ours("statewright", plain)
    failed = {c.name: outcomes[c.name].why for c in plain if c.name in baseline}
    failed = {name: why for name, why in failed.items() if not outcomes[name].passed}
    assert failed == {}
