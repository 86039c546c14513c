"""SCION's test corpus (npm @scion-scxml/test-framework: the W3C IRP tests in their ECMAScript
form and SCION's own cases, each an .scxml with the configurations expected after each event).

Every document imports without a crash. The ones that import cleanly (nothing reported, no
checker error) go through import -> `-T scxml` export and run on SCION and on
python-statemachine beside the original document: the export of the import must pass every
case the original passes, on each engine. Cases with timed steps (`after`) are left out: the
runners do not wait. The figures are printed (run pytest with -s) and asserted as floors.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from test_engines import HERE, _atomic, run_psm

from statewright.compiler.emit import scxml
from statewright.compiler.pipeline import diagnose
from testkit import INSTALL_NODE, NODE_DIR, run_node

CORPUS = NODE_DIR / "node_modules" / "@scion-scxml" / "test-framework" / "test"

pytestmark = [
    pytest.mark.slow,  # heavy: `make test-fast` leaves it out
    pytest.mark.skipif(
        not CORPUS.is_dir(),
        reason=f"npm @scion-scxml/test-framework is not installed: {INSTALL_NODE}",
    ),
]


def _documents() -> list[Path]:
    return sorted(CORPUS.rglob("*.scxml"))


def test_every_corpus_document_imports_without_a_crash() -> None:
    documents = _documents()
    assert len(documents) >= 300
    clean = 0
    for path in documents:
        chart, diagnostics = diagnose(path.read_bytes(), path.name, language="scxml")
        assert chart is not None, (path, diagnostics)
        clean += not any(d.code.startswith("I") or d.is_error for d in diagnostics)
    print(f"\nSCION corpus: {len(documents)} documents, {clean} import with nothing to report")
    assert clean >= 80


def _cases() -> list[dict[str, Any]]:
    cases = []
    for path in _documents():
        expected = path.with_suffix(".json")
        if not expected.is_file():
            continue
        spec = json.loads(expected.read_text("utf-8"))
        if any("after" in step for step in spec.get("events", [])):
            continue
        chart, diagnostics = diagnose(path.read_bytes(), path.name, language="scxml")
        if chart is None or any(d.code.startswith("I") or d.is_error for d in diagnostics):
            continue
        ours = scxml.emit(chart)
        cases.append(
            {
                "name": str(path.relative_to(CORPUS)),
                "original": path.read_text("utf-8"),
                "ours": ours,
                "names": {"ours": _atomic(ours), "original": _atomic(path.read_text("utf-8"))},
                "events": [step["event"]["name"] for step in spec.get("events", [])],
                "expected": [spec["initialConfiguration"]]
                + [step["nextConfiguration"] for step in spec.get("events", [])],
            }
        )
    return cases


def _passes(case: dict[str, Any], result: dict[str, Any], which: str) -> bool:
    """The active atomic states after each step are the expected ones (our ids are mapped back
    to the original ids, which the import took as names)."""
    if "error" in result:
        return False
    names = case["names"][which]
    steps = [sorted(names[s] for s in step if s in names) for step in result["steps"]]
    return steps == [sorted(s) for s in case["expected"]]


def _scion(cases: list[dict[str, Any]], which: str, tmp_path: Path) -> list[dict[str, Any]]:
    batch = [{"scxml": c[which], "events": c["events"]} for c in cases]
    results: list[dict[str, Any]] = run_node(HERE / "scion_run.mjs", batch, tmp_path)
    return results


def _python_statemachine(
    cases: list[dict[str, Any]], which: str, tmp_path: Path
) -> list[dict[str, Any]]:
    batch = []
    for index, case in enumerate(cases):
        path = tmp_path / f"{which}-{index}.scxml"
        path.write_text(case[which], "utf-8")
        batch.append({"path": str(path), "events": case["events"]})
    return run_psm(batch, tmp_path / f"{which}.json")


@pytest.mark.parametrize("engine", ["scion", "python-statemachine"])
def test_the_export_of_the_import_passes_what_the_original_passes(
    engine: str, tmp_path: Path
) -> None:
    if engine == "scion":
        if (
            shutil.which("node") is None
            or not (NODE_DIR / "node_modules" / "@scion-scxml" / "scxml").is_dir()
        ):
            pytest.skip(f"node or npm @scion-scxml/scxml is not installed: {INSTALL_NODE}")
        runner = _scion
    else:
        pytest.importorskip("statemachine.io")
        runner = _python_statemachine
    cases = _cases()
    assert len(cases) >= 60
    original = runner(cases, "original", tmp_path)
    ours = runner(cases, "ours", tmp_path)
    passed_original = {
        c["name"] for c, r in zip(cases, original, strict=True) if _passes(c, r, "original")
    }
    passed_ours = {c["name"] for c, r in zip(cases, ours, strict=True) if _passes(c, r, "ours")}
    print(
        f"\n{engine} on {len(cases)} cleanly imported, untimed corpus cases: original "
        f"{len(passed_original)} pass, import -> export {len(passed_ours)} pass"
    )
    assert passed_original - passed_ours == set()
