"""Tracing that nests and continues (issue 35, item 3): the span of a sent event is started
before its step and is current while the hooks run, so that a hook's own span nests under it,
on a store, the interpreter and a generated class alike; `observe.watch` on a plain machine
continues the trace an event's data carries; a step that fails ends its span with the error.
The SDK's in-memory exporter sees it all."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from statewright.compiler import ir_document, parse
from statewright.compiler.ir import Chart
from statewright.runtime import load
from statewright.runtime.observe import Transition, watch
from statewright.runtime.otel import tracing
from statewright.runtime.store import FileStore, StoredChart
from testkit import generated_module

pytest.importorskip("opentelemetry.sdk")

from opentelemetry.sdk.trace import ReadableSpan, TracerProvider  # noqa: E402
from opentelemetry.sdk.trace.export import SimpleSpanProcessor  # noqa: E402
from opentelemetry.sdk.trace.export.in_memory_span_exporter import (  # noqa: E402
    InMemorySpanExporter,
)
from opentelemetry.trace import StatusCode  # noqa: E402

CHART = "idle, busy, done;\nidle => busy: go / charge;\nbusy => done;\n"
TRACE, PARENT = "4bf92f3577b34da6a3ce929d0e0e4736", "00f067aa0ba902b7"


class _Traced:
    def __init__(self) -> None:
        self.exporter = InMemorySpanExporter()
        provider = TracerProvider()
        provider.add_span_processor(SimpleSpanProcessor(self.exporter))
        self.tracer = provider.get_tracer("test")

    def charge(self, *args: Any) -> None:
        """A hook that makes its own span (as a database or HTTP client would)."""
        with self.tracer.start_as_current_span("charge the card"):
            pass

    def spans(self) -> dict[str, ReadableSpan]:
        return {span.name: span for span in self.exporter.get_finished_spans()}


def _nested(spans: dict[str, ReadableSpan], event: str = "go") -> ReadableSpan:
    outer, inner = spans[f"statewright {event}"], spans["charge the card"]
    assert inner.parent is not None and inner.parent.span_id == outer.context.span_id
    assert inner.context.trace_id == outer.context.trace_id
    return outer


def _chart() -> Chart:
    chart, diagnostics = parse(CHART, "order.smcat")
    assert chart is not None, diagnostics
    return chart


def _document() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(ir_document.emit(_chart()))
    return loaded


def test_in_a_store_a_hooks_span_nests_under_the_events_span(tmp_path: Path) -> None:
    traced = _Traced()
    store = FileStore(tmp_path / "store")
    heard: list[Transition] = []
    store.observe(heard.append)
    store.observe(tracing(traced.tracer))
    chart = StoredChart(_document(), actions={"charge": traced.charge})
    with store.create("order-1", chart) as order:
        order.send("go", traceparent=f"00-{TRACE}-{PARENT}-01")
    outer = _nested(traced.spans())
    assert format(outer.context.trace_id, "032x") == TRACE  # the request's trace, continued
    attributes = dict(outer.attributes or {})
    # one span for the event's macrostep: go, then the eventless step to done
    assert tuple(attributes["statewright.source"]) == ("idle",)
    assert tuple(attributes["statewright.target"]) == ("done",)
    assert (
        attributes["statewright.version"] == 2 and attributes["statewright.instance"] == "order-1"
    )
    assert [e.name for e in outer.events] == ["statewright.microstep"] * 2
    assert [t.target for t in heard[-2:]] == [("busy",), ("done",)]  # plain observers as before


def test_a_failed_step_ends_its_span_with_the_error(tmp_path: Path) -> None:
    traced = _Traced()
    store = FileStore(tmp_path / "store")
    store.observe(tracing(traced.tracer))

    def broken(*args: Any) -> None:
        raise RuntimeError("the card was declined")

    chart = StoredChart(_document(), actions={"charge": broken})
    with store.create("order-2", chart) as order:
        with pytest.raises(RuntimeError):
            order.send("go")
    with store.open("order-2", chart) as order:
        assert order.configuration == ["idle"] and order.version == 1
    span = traced.spans()["statewright go"]
    assert span.status.status_code is StatusCode.ERROR
    assert "statewright.target" not in dict(span.attributes or {})  # nothing was committed
    assert [e.name for e in span.events] == ["exception"]


def test_watching_the_interpreter_nests_and_continues_the_trace() -> None:
    traced = _Traced()
    machine = load(_document(), actions={"charge": traced.charge})
    stop = watch(machine, tracing(traced.tracer))
    machine.start()
    machine.send("go", traceparent=f"00-{TRACE}-{PARENT}-01")
    stop()
    outer = _nested(traced.spans())
    assert format(outer.context.trace_id, "032x") == TRACE
    assert outer.parent is not None and format(outer.parent.span_id, "016x") == PARENT


def test_watching_a_generated_class_nests_and_continues_the_trace(tmp_path: Path) -> None:
    traced = _Traced()
    module = generated_module(_chart(), tmp_path / "order_machine.py")

    class Order(module.machine_class):  # type: ignore[misc, name-defined]
        def charge(self, data: Any) -> None:
            traced.charge()

    order = Order()
    seen: list[Transition] = []
    stop = watch(order, seen.append)
    stop_tracing = watch(order, tracing(traced.tracer))
    order.send("go", traceparent=f"00-{TRACE}-{PARENT}-01")
    stop()
    stop_tracing()
    outer = _nested(traced.spans())
    assert format(outer.context.trace_id, "032x") == TRACE
    # a plain observer of a plain machine gets the event's data too (it was {} before)
    assert seen[0].event == "go" and seen[0].data["traceparent"].startswith("00-")


def _metric_points(reader: Any) -> dict[str, list[Any]]:
    found: dict[str, list[Any]] = {}
    data = reader.get_metrics_data()
    for resource in data.resource_metrics:
        for scoped in resource.scope_metrics:
            for metric in scoped.metrics:
                found[metric.name] = list(metric.data.data_points)
    return found


def test_metrics_count_transitions_and_time_each_step(tmp_path: Path) -> None:
    from opentelemetry.sdk.metrics import MeterProvider
    from opentelemetry.sdk.metrics.export import InMemoryMetricReader

    from statewright.runtime.otel import metrics

    reader = InMemoryMetricReader()
    meter = MeterProvider(metric_readers=[reader]).get_meter("test")
    store = FileStore(tmp_path / "store")
    store.observe(metrics(meter))
    calls: list[int] = []

    def charge(*args: Any) -> None:
        calls.append(1)
        if len(calls) == 2:
            raise RuntimeError("declined")

    chart = StoredChart(_document(), actions={"charge": charge}, chart_id="orders")
    with store.create("a", chart) as first:
        first.send("go")
    with store.create("b", chart) as second:
        with pytest.raises(RuntimeError):
            second.send("go")
    points = _metric_points(reader)
    counted = {
        (p.attributes["statewright.chart"], p.attributes["statewright.event"]): p.value
        for p in points["statewright.transitions"]
    }
    # a: go, then the eventless step to done; b's step failed: nothing committed, not counted
    assert counted[("orders", "go")] == 1 and counted[("orders", "(eventless)")] == 1
    durations = {
        p.attributes.get("error.type"): p.count for p in points["statewright.step.duration"]
    }
    assert durations == {None: 1, "RuntimeError": 1}


def test_an_observer_removed_mid_send_still_ends_its_span(tmp_path: Path) -> None:
    """A tracer stopped while a step runs (its hook does it) still ends the span and leaves
    no context behind: the next span in the thread is a root span."""
    traced = _Traced()
    store = FileStore(tmp_path / "store")
    stop = store.observe(tracing(traced.tracer))

    def charge(*args: Any) -> None:
        stop()

    chart = StoredChart(_document(), actions={"charge": charge})
    with store.create("order-3", chart) as order:
        order.send("go")
    assert "statewright go" in traced.spans()
    with traced.tracer.start_as_current_span("afterwards") as span:
        assert span.parent is None
