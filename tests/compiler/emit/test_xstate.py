"""`-T xstate`: golden files; XState 5's `createMachine` accepts every well-formed golden chart
and an actor starts on it; a choice/fork/join chart gives the same configurations as on
python-statemachine (tests/compiler/emit/test_scxml.py). Needs node and xstate (`.ci/run`
installs them).
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from test_scxml import PIPELINE

from statewright.compiler import parse
from statewright.compiler.check import check
from statewright.compiler.emit import xstate
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
        ["index", "upload"],  # UML: the sources stay active until the join fires
        ["final"],
    ]


DONE_EVENTS = """\
paying: invoke/ payment,
job {
    fetch, fetched [type=final];
    fetch => fetched: got;
},
shipped [type=final];
paying => job: done.invoke.payment;
job => shipped: done.state.job;
"""


@needs_xstate[0]
@needs_xstate[1]
def test_done_events_become_on_done_and_xstate_moves_on(tmp_path: Path) -> None:
    """XState never raises `done.state.*` or `done.invoke.*` as events: the export says them as
    `onDone` of the state that finishes and of the invoke, and the chart moves on as the
    interpreter does (with a payment machine that finishes at once)."""
    from statewright.compiler import ir_document
    from statewright.runtime import load

    chart, _ = parse(DONE_EVENTS)
    assert chart is not None
    config = json.loads(xstate.emit(chart))
    assert config["states"]["paying"]["invoke"][0]["onDone"] == [{"target": "#job"}]
    assert config["states"]["job"]["onDone"] == [{"target": "#shipped"}]
    assert "on" not in config["states"]["paying"] and "on" not in config["states"]["job"]
    (result,) = _run([{"config": config, "events": ["got"], "children": "done"}], tmp_path)
    assert result["steps"] == [["fetch"], ["shipped"]]
    assert result["status"] == "done"

    finished = load(json.loads(ir_document.emit(chart)), machines={"payment": _finished})
    finished.start()
    assert finished.configuration == ["fetch"]
    finished.send("got")
    assert finished.configuration == ["shipped"] and finished.done


def _finished() -> Any:
    from statewright.runtime import load

    return load({"format": "statewright-ir/1", "machine": {"states": [
        {"name": "over", "kind": "final"}], "transitions": []}})  # fmt: skip
