"""Guards fail closed (issue 31, part 1): a name the context does not have, or a field the
event's data does not have, is an evaluation error on both engines: the guard is false, the
listeners hear `{"guard": ..., "error": ...}` (the same on both), the `statewright.runtime`
logger says it, stores log it, and in a chart with an SCXML datamodel `error.execution` goes
on the internal queue. The language's own cases are in test_runtime.py."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import pytest

from statewright.compiler import load, parse
from statewright.runtime.store import FileStore, StoredChart
from testkit import generated_module

CHARGER = """
idle, charging, paid;
idle => charging: plug [batery_level < 100];
charging => paid: authorized [_event.data.amount <= credit_limit];
"""


def _engines(tmp_path: Path, context: dict[str, Any]) -> list[Any]:
    chart, diagnostics = parse(CHARGER, "charger.smcat")
    assert chart is not None, diagnostics
    from statewright.compiler import ir_document
    from statewright.runtime import load as run

    module = generated_module(chart, tmp_path / "charger_machine.py")
    return [
        run(ir_document.to_document(chart), context=dict(context)).start(),
        module.partial_class()(context=dict(context)),
    ]


def _heard(machine: Any) -> list[dict[str, Any]]:
    heard: list[dict[str, Any]] = []
    machine.add_listener(lambda record: heard.append(record) if "guard" in record else None)
    return heard


def test_a_misspelt_context_name_is_false_and_reported_the_same_on_both_engines(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    said = []
    for machine in _engines(tmp_path, {"battery_level": 40}):
        heard = _heard(machine)
        with caplog.at_level(logging.WARNING, logger="statewright.runtime"):
            outcome = machine.send("plug")
        assert outcome.handled is False and machine.configuration == ["idle"]
        said.append(heard)
    assert (
        said[0]
        == said[1]
        == [
            {
                "guard": "batery_level < 100",
                "error": "UnknownName: `batery_level` is not in the context "
                "(did you mean `battery_level`?)",
            }
        ]
    )
    assert sum("did you mean `battery_level`?" in r.getMessage() for r in caplog.records) == 2


@pytest.mark.parametrize("engine", [0, 1], ids=["interpreter", "generated"])
@pytest.mark.parametrize(
    ("data", "taken", "error"),
    [
        ({"amount": 50}, True, None),
        ({"amount": 5000}, False, None),  # over the limit: false, no error
        ({"amout": 50}, False, "has no `amount` (did you mean `amout`?)"),
        ({}, False, "the event came without data"),
    ],
)
def test_a_missing_event_field_never_passes_the_credit_check(
    tmp_path: Path, engine: int, data: dict[str, Any], taken: bool, error: str | None
) -> None:
    machine = _engines(tmp_path, {"batery_level": 1, "credit_limit": 1000})[engine]
    machine.send("plug")
    heard = _heard(machine)
    assert machine.send("authorized", **data).handled is taken
    assert [error in h["error"] for h in heard] == ([True] if error else [])


def test_the_generated_event_method_fails_closed_too(tmp_path: Path) -> None:
    machine = _engines(tmp_path, {"batery_level": 1, "credit_limit": 1000})[1]
    machine.plug()
    assert machine.authorized(amout=50).handled is False
    assert machine.authorized(amount=50).configuration == ("paid",)


def test_a_store_logs_the_failed_guard_and_records_the_event_unhandled(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    chart, _ = parse(CHARGER, "charger.smcat")
    assert chart is not None
    from statewright.compiler import ir_document

    store = FileStore(tmp_path / "store")
    stored = StoredChart(ir_document.to_document(chart))
    store.create("c-1", stored, context={"battery_level": 40})
    with caplog.at_level(logging.WARNING, logger="statewright"):
        receipt = store.send("c-1", "plug", chart=stored)
    assert receipt.handled is False and receipt.configuration == ["idle"]
    assert any("`batery_level` is not in the context" in r.getMessage() for r in caplog.records)


SCXML = """<scxml xmlns="http://www.w3.org/2005/07/scxml" version="1.0"
    datamodel="statewright" initial="waiting">
  <datamodel><data id="limit" expr="100"/></datamodel>
  <state id="waiting">
    <transition event="pay" cond="_event.data.amount &lt;= limit" target="paid"/>
    <transition event="error.execution" target="failed"/>
  </state>
  <final id="paid"/>
  <final id="failed"/>
</scxml>
"""


@pytest.mark.parametrize(
    ("data", "reached"), [({"amount": 10}, ["paid"]), ({"amout": 10}, ["failed"])]
)
def test_with_an_scxml_datamodel_the_failure_raises_error_execution(
    tmp_path: Path, data: dict[str, Any], reached: list[str]
) -> None:
    path = tmp_path / "pay.scxml"
    path.write_text(SCXML, "utf-8")
    machine = load(path)
    machine.send("pay", **data)
    assert machine.configuration == reached
