"""Names only the engine raises (issue 31, part 2): `done.state.*`, `done.invoke.*`, `error.*`
and `sw.*` are refused by `send` on both engines, have no generated method, are left out of
`allowed_events`, and still reach the chart when the engine raises them. Old logs that hold
one replay as they were committed. The stores' refusal is in test_store_refusals.py, the
CLI's and the studio's in test_cli_people.py and test_studio.py."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from statewright.compiler import parse
from statewright.runtime import StatewrightError, load
from statewright.runtime.errors import ReservedEvent
from statewright.runtime.reserved import reserved
from testkit import generated_module

ORDER = """
processing [type=parallel] {
  payment { paying, paid [type=final]; paying => paid: pay; },
  shipping { packing, shipped [type=final]; packing => shipped: ship; };
},
complete [type=final], failed [type=final];
processing => complete: done.state.processing;
processing => failed: error.platform;
"""


def _engines(tmp_path: Path) -> list[Any]:
    chart, diagnostics = parse(ORDER, "order.smcat")
    assert chart is not None, diagnostics
    from statewright.compiler import ir_document

    module = generated_module(chart, tmp_path / "order_machine.py")
    return [load(ir_document.to_document(chart)).start(), module.partial_class()()]


@pytest.mark.parametrize("engine", [0, 1], ids=["interpreter", "generated"])
@pytest.mark.parametrize(
    "event",
    ["done.state.processing", "done.invoke.pay", "error.platform", "error.execution", "sw.tick"],
)
def test_send_refuses_a_name_only_the_engine_raises_and_nothing_changes(
    tmp_path: Path, engine: int, event: str
) -> None:
    machine = _engines(tmp_path)[engine]
    before = machine.configuration
    with pytest.raises(ReservedEvent, match="never sent from outside; nothing changed") as refused:
        machine.send(event)
    assert refused.value.event == event
    assert isinstance(refused.value, StatewrightError) and isinstance(refused.value, ValueError)
    assert machine.configuration == before
    assert machine.can(event) is False


@pytest.mark.parametrize("engine", [0, 1], ids=["interpreter", "generated"])
def test_the_engine_raises_them_itself(tmp_path: Path, engine: int) -> None:
    machine = _engines(tmp_path)[engine]
    assert machine.allowed_events == ["pay", "ship"]
    machine.send("pay")
    assert machine.send("ship").configuration == ("complete",)


def test_generated_classes_have_no_method_for_them(tmp_path: Path) -> None:
    generated = _engines(tmp_path)[1]
    assert hasattr(generated, "pay") and hasattr(generated, "ship")
    assert not any(name.startswith(("done_state", "error_")) for name in dir(generated))


def test_the_rule_is_a_prefix_and_a_chart_may_name_its_own_error_and_done() -> None:
    assert reserved("done.state.x") and reserved("error.execution") and reserved("sw.after.1")
    assert not reserved("error") and not reserved("done") and not reserved("errors.x")
    machine = load(_document("a, b; a => b: error;")).start()
    assert machine.send("error").configuration == ("b",)


def test_replay_applies_a_reserved_name_committed_before_it_was_refused() -> None:
    from statewright.runtime.store.replay import apply

    machine = load(_document(ORDER)).start()
    record = {"type": "done.state.processing", "seq": 2, "ts": 0, "to": ["complete"]}
    apply(machine, record)
    assert machine.configuration == ["complete"]


def _document(text: str) -> Any:
    from statewright.compiler import ir_document

    chart, diagnostics = parse(text, "chart.smcat")
    assert chart is not None, diagnostics
    return ir_document.to_document(chart)
