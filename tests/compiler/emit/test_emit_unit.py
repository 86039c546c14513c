"""Emitters on IR built by hand, so a parser bug cannot hide behind an emitter test."""

from __future__ import annotations

import json

from statewright.compiler import ir_document
from statewright.compiler.emit import dot, mermaid, smcat, smcat_json
from statewright.compiler.ir import (
    Action,
    ActionKind,
    Chart,
    Region,
    State,
    StateKind,
    Transition,
    TransitionKind,
)

CHART = Chart(
    Region(
        (
            State("initial", StateKind.INITIAL),
            State(
                "on",
                label="Switched on",
                color="green",
                actions=(Action(ActionKind.ENTRY, "light"), Action(ActionKind.ACTIVITY, "hum")),
                notes=("watch the fuse",),
                region=Region(
                    (State("low"), State("high", active=True)),
                    (Transition(1, "low", "high", label="up", event="up"),),
                ),
            ),
            State("off", StateKind.FINAL, kind_explicit=True),
        ),
        (
            Transition(2, "initial", "on"),
            Transition(3, "on", "off", event="cut", guard="safe", action="log"),
            Transition(4, "on", "on", label="tick", event="tick", kind=TransitionKind.INTERNAL),
        ),
    )
)


def test_smcat_json() -> None:
    ast = json.loads(smcat_json.emit(CHART))
    on = ast["states"][1]
    assert on["label"] == "Switched on" and on["note"] == ["watch the fuse"]
    assert on["actions"] == [
        {"type": "entry", "body": "light"},
        {"type": "activity", "body": "hum"},
    ]
    assert on["statemachine"]["states"][1] == {"name": "high", "type": "regular", "active": True}
    assert ast["states"][2] == {"name": "off", "type": "final", "typeExplicitlySet": True}
    assert ast["transitions"][1] == {
        "from": "on",
        "to": "off",
        "event": "cut",
        "cond": "safe",
        "action": "log",
        "id": 3,
    }


def test_smcat_text_composes_labels_from_parts() -> None:
    text = smcat.emit(CHART)
    assert "on => off: cut [safe] / log;" in text
    assert "on => on [type=internal]: tick;" in text
    assert 'on [label="Switched on" color="green"]: entry/ light\n    hum {' in text
    assert "off [type=final]" in text


def test_ir_json_keeps_every_field() -> None:
    document = json.loads(ir_document.emit(CHART))
    state = document["machine"]["states"][1]
    assert state["machine"]["states"][1]["active"] is True
    assert document["machine"]["transitions"][2]["kind"] == "internal"


def test_dot() -> None:
    text = dot.emit(CHART)
    assert "subgraph cluster_s1 {" in text  # the composite `on`
    assert "s0 -> s1 [" in text and "lhead=cluster_s1" in text  # initial to the border
    assert "s1 -> s4 [" in text and "ltail=cluster_s1" in text  # from the border to `off`
    assert "tick" in text and "s1 -> s1" not in text  # internal: inside, not a loop
    assert 'label=" cut [safe] / log "' in text
    assert "shape=doublecircle" in text and "shape=note" in text


def test_mermaid() -> None:
    text = mermaid.emit(CHART)
    assert "[*] --> s1" in text and "s1 --> [*] : cut [safe] / log" in text
    assert 'state "Switched on" as s1' in text and "note right of s1 : watch the fuse" in text
    assert "class s3 active" in text


def test_fork_targets_follow_forks_into_forks_once() -> None:
    from statewright.compiler import parse
    from statewright.runtime.lowering import fork_targets

    chart, _ = parse(
        "f1 [type=fork], f2 [type=fork], a, b;\nf1 => f2;\nf1 => a;\nf2 => f1;\nf2 => b;\n"
    )
    assert chart is not None
    assert fork_targets(chart.outline(), "f1") == ["a", "b"]
    assert fork_targets(chart.outline(), "a") == ["a"]


def test_timed_events_are_whole_milliseconds() -> None:
    from statewright.runtime.timers import delay_ms

    assert delay_ms("after 50ms") == 50
    assert delay_ms("after 30s") == 30_000
    assert delay_ms("After 1.5 min") == 90_000
    assert delay_ms("after 2h") == 7_200_000
    assert delay_ms("after 0.4ms") == 0
    assert (
        delay_ms("after lunch") is None and delay_ms("wait 5s") is None and delay_ms(None) is None
    )
