"""Declared data (issue 31, part 1): a chart declares the context its guards read and the fields
of its events, in smcat (`//@` lines state-machine-cat reads as comments), YAML, IR and SCXML
exports; machines start with the defaults and refuse bad context and bad event data, with
nothing changed, on both engines and both stores; generated classes get typed event methods.
The checker's rules (SC038, SC039, P010) have their fixtures in tests/compiler/check/fixtures/."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path
from typing import Any

import pytest

from statewright.compiler import ir_document, parse
from statewright.compiler.emit import scxml, smcat, smcat_json, yaml_text
from statewright.compiler.read.scxml import read as read_scxml
from statewright.compiler.read.yaml_chart import read as read_yaml
from statewright.runtime import load
from statewright.runtime.errors import DataError
from statewright.runtime.store import StoredChart
from testkit import NODE_DIR, ROOT, generated_module

PAYMENT = """//@ context credit_limit: int = 1000
//@ context notes: list = []
//@ event authorized(amount: int, note?: str)

initial, authorizing, paid;

initial => authorizing;
authorizing => paid: authorized [_event.data.amount <= credit_limit];
"""


def _chart(text: str = PAYMENT) -> Any:
    chart, diagnostics = parse(text, "payment.smcat")
    assert chart is not None and diagnostics == [], diagnostics
    return chart


def test_declarations_round_trip_through_every_format_that_keeps_them() -> None:
    chart = _chart()
    assert [(v.name, v.type, v.default) for v in chart.context] == [
        ("credit_limit", "int", "1000"),
        ("notes", "list", "[]"),
    ]
    (signature,) = chart.signatures
    assert [(f.name, f.type, f.required) for f in signature.fields] == [
        ("amount", "int", True),
        ("note", "str", False),
    ]
    again = _chart(smcat.emit(chart))
    assert (again.context, again.signatures) == (chart.context, chart.signatures)
    document = ir_document.to_document(chart)
    assert document["context"][0] == {"name": "credit_limit", "type": "int", "default": 1000}
    from_ir = ir_document.from_document(json.loads(json.dumps(document)))
    assert (from_ir.context, from_ir.signatures) == (chart.context, chart.signatures)
    from_yaml, diagnostics = read_yaml(yaml_text.emit(chart).encode(), "payment.yaml")
    assert from_yaml is not None and diagnostics == []
    assert (from_yaml.context, from_yaml.signatures) == (chart.context, chart.signatures)
    exported = scxml.emit(chart)
    assert '<data id="credit_limit" expr="1000" sw:type="int"/>' in exported
    from_scxml, _ = read_scxml(exported.encode(), "payment.scxml")
    assert from_scxml is not None and from_scxml.context == chart.context


@pytest.mark.skipif(shutil.which("node") is None, reason="needs node")
def test_state_machine_cat_reads_a_chart_with_declarations_as_we_do(tmp_path: Path) -> None:
    from test_parity_fuzz import SMCAT, _smcat

    if SMCAT is None:
        pytest.fail(f"state-machine-cat is not installed in {NODE_DIR}: run `make node-references`")
    (verdict,) = _smcat([PAYMENT])
    assert verdict["ok"], verdict
    assert verdict["ast"] == json.loads(smcat_json.emit(_chart()))


def test_machines_start_with_the_defaults_and_refuse_an_undeclared_context(
    tmp_path: Path,
) -> None:
    document = ir_document.to_document(_chart())
    machine = load(document).start()
    assert machine.context == {"credit_limit": 1000, "notes": []}
    machine.context["notes"].append("x")
    assert load(document).context["notes"] == []  # each machine its own list
    assert load(document, context={"credit_limit": 5}).context["credit_limit"] == 5
    for bad, message in (
        ({"credit_limt": 5}, "did you mean `credit_limit`?"),
        ({"credit_limit": "5"}, "`credit_limit` is int, not '5'"),
    ):
        with pytest.raises(DataError, match=message):
            load(document, context=bad)
    generated = generated_module(_chart(), tmp_path / "payment_machine.py").machine_class
    assert generated().context == {"credit_limit": 1000, "notes": []}
    with pytest.raises(DataError):
        generated(context={"credit_limt": 5})


@pytest.mark.parametrize("engine", ["interpreter", "generated", "event method"])
@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"amout": 50}, "`amout` is not a field the chart declares (did you mean `amount`?)"),
        ({}, "`authorized` needs `amount` in its data"),
        ({"amount": "50"}, "`amount` is int, not '50'"),
        ({"amount": 50, "note": 3}, "`note` is str, not 3"),
    ],
)
def test_event_data_that_does_not_match_is_refused_and_nothing_changes(
    tmp_path: Path, engine: str, data: dict[str, Any], message: str
) -> None:
    if engine == "interpreter":
        machine = load(ir_document.to_document(_chart())).start()
    else:
        machine = generated_module(_chart(), tmp_path / "payment_machine.py").machine_class()
    if engine == "event method" and ("amout" in data or not data):
        # the typed method's own signature refuses them (and mypy does, before they run)
        with pytest.raises(TypeError):
            machine.authorized(**data)
    else:
        with pytest.raises(DataError, match=re.escape(message)):
            if engine == "event method":
                machine.authorized(**data)
            else:
                machine.send("authorized", **data)
    assert machine.configuration == ["authorizing"]
    assert machine.send("authorized", amount=50, note="ok").configuration == ("paid",)


def test_the_generated_event_method_takes_the_declared_fields(tmp_path: Path) -> None:
    import inspect

    machine = generated_module(_chart(), tmp_path / "payment_machine.py").machine_class
    signature = inspect.signature(machine.authorized)
    assert str(signature) == "(self, *, amount: 'int', note: 'str | None' = None) -> 'Outcome'"
    assert machine().authorized(amount=5000).handled is False  # over the limit
    assert machine().authorized(amount=50).configuration == ("paid",)


def test_stores_refuse_bad_data_and_a_bad_context_with_nothing_written(
    make: Any,  # noqa: F811
) -> None:
    store = make()
    chart = StoredChart(ir_document.to_document(_chart()))
    with pytest.raises(DataError, match="credit_limt"):
        store.create("p-0", chart, context={"credit_limt": 1})
    assert "p-0" not in store.ids()
    store.create("p-1", chart, context={"credit_limit": 100})
    with pytest.raises(DataError, match="`amount` is int"):
        store.send("p-1", "authorized", {"amount": "1"}, chart=chart)
    assert [r["type"] for r in store.history("p-1")] == ["sw.create"]
    receipt = store.send("p-1", "authorized", {"amount": 10}, chart=chart)
    assert receipt.configuration == ["paid"]
    assert list(store.history("p-1"))[0]["context"] == {"credit_limit": 100, "notes": []}


def test_the_door_example_declares_what_its_guards_read() -> None:
    from statewright.compiler import load as load_file

    door = load_file(ROOT / "examples" / "door.smcat", partial=True)
    assert door.context == {"jammed": 0}
    assert door.send("open").configuration == ("opened",)
