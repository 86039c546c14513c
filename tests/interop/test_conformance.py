"""SCION's SCXML corpus on statewright's interpreter and generated classes, held to a committed
baseline (tests/data/conformance-baseline.json): a document that passed may not fail. The whole
table, with SCION and python-statemachine beside ours, is `make conformance`
(tests/interop/conformance.py, which says how a document passes)."""

from __future__ import annotations

import json

import pytest
from conformance import BASELINE, CORPUS, OURS, cases, run_ours

from conftest import INSTALL_NODE

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
