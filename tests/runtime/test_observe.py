"""One typed event for what happened (`runtime/observe.py`): `Transition`s are the same from
the interpreter, a generated class and a store; an OpenTelemetry exporter (the SDK's in-memory
one) sees the same transitions a listener does, and continues the trace an event's data
carries (runtime/otel.py)."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

import pytest

from statewright.compiler import ir_document
from statewright.runtime import load
from statewright.runtime.observe import Transition, watch
from statewright.runtime.otel import tracing
from statewright.runtime.store import FileStore, StoredChart
from testkit import EXAMPLES, chart_of, generated_module

PLAYER = EXAMPLES / "player.smcat"
SCRIPT = ["power", "play", "pause", "power", "power", "play", "stop", "power"]


def _run(machine: Any) -> list[Transition]:
    seen: list[Transition] = []
    stop = watch(machine, seen.append)
    for event in SCRIPT:
        machine.send(event)
    stop()
    machine.send("power")  # not heard any more
    return seen


def _shape(found: list[Transition]) -> list[tuple[Any, ...]]:
    return [(t.event, t.source, t.target, t.actions) for t in found]


def test_the_interpreter_and_a_generated_class_tell_the_same_transitions(tmp_path: Path) -> None:
    chart = chart_of(PLAYER)
    interpreted = load(json.loads(ir_document.emit(chart)), partial=True)
    interpreted.start()
    module = generated_module(chart, tmp_path / "player_machine.py")
    generated = module.partial_class()()
    from_interpreter, from_class = _run(interpreted), _run(generated)
    assert _shape(from_interpreter) == _shape(from_class)
    first = from_interpreter[0]
    assert (first.event, first.source, first.target) == ("power", ("off",), ("stopped",))
    assert from_interpreter[1].actions == ("start audio",)  # playing's entry
    assert all(t.instance is None and t.version is None for t in from_interpreter)


def _exporter() -> tuple[Any, Any]:
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    return exporter, provider.get_tracer("test")


def test_a_store_listener_and_an_opentelemetry_exporter_see_the_same_transitions(
    tmp_path: Path,
) -> None:
    exporter, tracer = _exporter()
    store = FileStore(tmp_path / "store")
    heard: list[Transition] = []
    store.observe(heard.append)
    store.observe(tracing(tracer))
    chart = StoredChart(
        json.loads(ir_document.emit(chart_of(PLAYER))), chart_id="player", no_hooks=True
    )
    with store.create("p-1", chart) as player:
        for event in SCRIPT[:3]:
            player.send(event)
    spans = exporter.get_finished_spans()
    assert [t.event for t in heard] == SCRIPT[:3]
    assert [t.version for t in heard] == [2, 3, 4] and {t.instance for t in heard} == {"p-1"}
    assert [s.name for s in spans] == [f"statewright {e}" for e in SCRIPT[:3]]
    for transition, span in zip(heard, spans, strict=True):
        attributes = dict(span.attributes or {})
        assert attributes["statewright.instance"] == "p-1"
        assert attributes["statewright.event"] == transition.event
        assert tuple(attributes["statewright.source"]) == transition.source
        assert tuple(attributes["statewright.target"]) == transition.target
        assert attributes["statewright.version"] == transition.version
    assert heard[1].source == ("stopped",) and heard[1].target == ("playing",)


def test_the_trace_in_an_events_data_is_continued(tmp_path: Path) -> None:
    exporter, tracer = _exporter()
    store = FileStore(tmp_path / "store")
    store.observe(tracing(tracer))
    chart = StoredChart(json.loads(ir_document.emit(chart_of(PLAYER))), no_hooks=True)
    trace_id, parent_id = "4bf92f3577b34da6a3ce929d0e0e4736", "00f067aa0ba902b7"
    with store.create("p-2", chart) as player:
        player.send("power", traceparent=f"00-{trace_id}-{parent_id}-01")
        player.send("play", traceparent="not a trace context")  # ignored: a new trace
    traced, fresh = exporter.get_finished_spans()
    assert format(traced.context.trace_id, "032x") == trace_id
    assert traced.parent is not None and format(traced.parent.span_id, "016x") == parent_id
    assert format(fresh.context.trace_id, "032x") != trace_id and fresh.parent is None


def test_an_observer_that_fails_is_logged_and_the_event_stays_committed(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    store = FileStore(tmp_path / "store")

    def broken(transition: Transition) -> None:
        raise RuntimeError("the dashboard is down")

    stop = store.observe(broken)
    chart = StoredChart(json.loads(ir_document.emit(chart_of(PLAYER))), no_hooks=True)
    with caplog.at_level(logging.ERROR, logger="statewright.store"):
        with store.create("p-3", chart) as player:
            receipt = player.send("power")
    assert receipt.version == 2 and "dashboard is down" in caplog.text
    stop()
    assert store.observers == []


def test_postgresql_tells_the_same_transitions_as_files(tmp_path: Path, pg_dsn: str) -> None:
    from statewright.runtime.store.postgres import PostgresStore

    found: dict[str, list[tuple[Any, ...]]] = {}
    chart = StoredChart(json.loads(ir_document.emit(chart_of(PLAYER))), no_hooks=True)
    for kind, store in (("file", FileStore(tmp_path / "s")), ("pg", PostgresStore(pg_dsn))):
        heard: list[Transition] = []
        store.observe(heard.append)
        with store.create("same", chart) as player:
            for event in SCRIPT:
                player.send(event)
        store.close()
        found[kind] = [(t.instance, t.version, *_shape([t])[0]) for t in heard]
    assert found["file"] == found["pg"] and len(found["pg"]) == len(SCRIPT)
