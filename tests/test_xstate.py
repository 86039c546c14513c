"""`-T xstate`: golden files; XState 5's `createMachine` accepts every well-formed golden chart
and an actor starts on it; a choice/fork/join chart gives the same configurations as on
python-statemachine (tests/test_scxml.py). Needs node and xstate (`.ci/run` installs them)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from test_scxml import PIPELINE

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
from statewright.compiler.check import check
from statewright.compiler.emit import xstate

CASES = golden_cases()
needs_xstate = [
    pytest.mark.skipif(
        shutil.which("node") is None, reason="node is not installed: apt-get install nodejs npm"
    ),
    pytest.mark.skipif(
        not (NODE_DIR / "node_modules" / "xstate").is_dir(),
        reason=f"npm xstate is not installed: {INSTALL_NODE}",
    ),
]


_chart = chart_of


def _run(cases: list[dict[str, Any]], tmp_path: Path) -> list[dict[str, Any]]:
    results: list[dict[str, Any]] = run_node(
        ROOT / "tests" / "parity" / "xstate_run.mjs", cases, tmp_path
    )
    return results


@pytest.mark.parametrize("case", CASES, ids=lambda p: p.stem)
def test_golden_xstate(case: Path, golden: GoldenCompare) -> None:
    text = xstate.emit(_chart(case))
    expected = case.with_suffix(".xstate.json")
    golden(text, expected)


@needs_xstate[0]
@needs_xstate[1]
def test_create_machine_accepts_every_well_formed_chart(tmp_path: Path) -> None:
    cases = [
        p
        for p in CASES + sorted(EXAMPLES.glob("*.smcat"))
        if _chart(p).states() and not any(d.is_error for d in check(_chart(p)))
    ]
    results = _run([{"config": json.loads(xstate.emit(_chart(p)))} for p in cases], tmp_path)
    failures = [(p.name, r["error"]) for p, r in zip(cases, results, strict=True) if "error" in r]
    assert failures == []
    assert len(cases) >= 90


@needs_xstate[0]
@needs_xstate[1]
def test_choice_fork_and_join_agree_with_python_statemachine(tmp_path: Path) -> None:
    chart, _ = parse(PIPELINE)
    assert chart is not None
    config = json.loads(xstate.emit(chart))
    refused, accepted = _run(
        [
            {"config": config, "events": ["submit"]},
            {"config": config, "events": ["submit", "indexed", "sent"], "true_guards": ["ok"]},
        ],
        tmp_path,
    )
    assert refused["steps"] == [["work"], ["stopped"]]
    assert refused["status"] == "done"  # terminate is a final state of the machine
    assert accepted["steps"] == [
        ["work"],
        ["index", "upload"],
        ["sync_from_index", "upload"],
        ["final"],
    ]
