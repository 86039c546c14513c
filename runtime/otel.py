"""OpenTelemetry for statewright: a span for each sent event's steps (the `otel` extra:
`pip install 'statewright-runtime[otel]'`; docs/operations.md).

`tracing()` is an observer: give it to `store.observe` (every committed event of every
instance) or to `observe.watch` (one machine). Each sent event becomes a span named
`statewright <event>`, started before its step runs and current while the hooks run, so that a
hook's own spans (a database call, an HTTP request) nest under it; it ends once the event is
committed (in a store) or its macrostep settled, with the instance, event, source and target
configurations, hooks and version as attributes, and each microstep as a span event when
there are several. A step that failed ends its span with the error. When the event's data
carries a W3C `traceparent` (and `tracestate`), the span continues that trace: a request that
sent the event and the transition it caused are one trace. The eventless steps of a start,
outside any sent event, are a span each, made after the fact.

`metrics()` is another observer, for OpenTelemetry metrics: `statewright.transitions` counts
transitions by chart and event, and `statewright.step.duration` is a histogram of how long each
sent event took, from before its step to its commit (seconds; `error.type` on one that failed).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from .observe import Transition

#: the data keys a trace context is read from (W3C Trace Context)
CONTEXT_KEYS = ("traceparent", "tracestate")


class Tracing:
    """The observer `tracing()` makes (`observe.Scoped`)."""

    def __init__(self, tracer: Any) -> None:
        self.tracer = tracer

    def begin(self, event: str, data: Mapping[str, Any], instance: str | None) -> Any:
        """Start the event's span and make it current (its hooks' spans nest under it)."""
        from opentelemetry import context, trace

        attributes: dict[str, Any] = {"statewright.event": event}
        if instance is not None:
            attributes["statewright.instance"] = instance
        span = self.tracer.start_span(
            f"statewright {event}", context=_parent(data), attributes=attributes
        )
        return span, context.attach(trace.set_span_in_context(span))

    def end(
        self, handle: Any, transitions: Sequence[Transition], error: BaseException | None
    ) -> None:
        """End the span: what the steps did, or the error that stopped them."""
        from opentelemetry import context, trace

        span, token = handle
        context.detach(token)
        if transitions:
            first, last = transitions[0], transitions[-1]
            summary = Transition(
                last.instance,
                first.event,
                first.source,
                last.target,
                tuple(action for t in transitions for action in t.actions),
                last.version,
                last.time,
            )
            span.set_attributes(attributes(summary))
            if len(transitions) > 1:
                for step in transitions:
                    span.add_event("statewright.microstep", attributes(step))
        if error is not None:
            span.record_exception(error)
            span.set_status(trace.Status(trace.StatusCode.ERROR, type(error).__name__))
        span.end()

    def __call__(self, transition: Transition) -> None:
        """A transition outside a sent event (a start's eventless steps): a span of its own."""
        span = self.tracer.start_span(
            f"statewright {transition.event or '(eventless)'}",
            context=_parent(transition.data),
            start_time=int(transition.time * 1e9),
            attributes=attributes(transition),
        )
        span.end()


def tracing(tracer: Any = None) -> Tracing:
    """An observer that records a span per sent event with `tracer` (default: the global
    tracer provider's `statewright` tracer)."""
    from opentelemetry import trace

    return Tracing(tracer if tracer is not None else trace.get_tracer("statewright"))


class Metrics:
    """The observer `metrics()` makes (`observe.Scoped`)."""

    def __init__(self, meter: Any) -> None:
        self.transitions = meter.create_counter(
            "statewright.transitions",
            unit="{transition}",
            description="Transitions taken, by chart and event",
        )
        self.duration = meter.create_histogram(
            "statewright.step.duration",
            unit="s",
            description="How long a sent event took, from before its step to its commit",
        )

    def begin(self, event: str, data: Mapping[str, Any], instance: str | None) -> Any:
        import time

        return event, time.perf_counter()

    def end(
        self, handle: Any, transitions: Sequence[Transition], error: BaseException | None
    ) -> None:
        import time

        event, started = handle
        found: dict[str, Any] = {"statewright.event": event}
        if transitions and transitions[0].chart is not None:
            found["statewright.chart"] = transitions[0].chart
        if error is not None:
            found["error.type"] = type(error).__qualname__
        self.duration.record(time.perf_counter() - started, found)
        for transition in transitions:
            self(transition)

    def __call__(self, transition: Transition) -> None:
        found: dict[str, Any] = {"statewright.event": transition.event or "(eventless)"}
        if transition.chart is not None:
            found["statewright.chart"] = transition.chart
        self.transitions.add(1, found)


def metrics(meter: Any = None) -> Metrics:
    """An observer that records `statewright.transitions` and `statewright.step.duration`
    with `meter` (default: the global meter provider's `statewright` meter)."""
    from opentelemetry import metrics as api

    return Metrics(meter if meter is not None else api.get_meter("statewright"))


def _parent(data: Mapping[str, Any]) -> Any:
    """The trace context an event's data carries (`traceparent`, `tracestate`), or None."""
    from opentelemetry import propagate

    carrier = {
        key: value
        for key in CONTEXT_KEYS
        if isinstance(value := data.get(key), str) and len(value) <= 512
    }
    return propagate.extract(carrier) if carrier else None


def attributes(transition: Transition) -> dict[str, Any]:
    """A transition as span attributes (`statewright.*`; none is None)."""
    found: dict[str, Any] = {
        "statewright.source": list(transition.source),
        "statewright.target": list(transition.target),
        "statewright.actions": list(transition.actions),
    }
    if transition.event is not None:
        found["statewright.event"] = transition.event
    if transition.instance is not None:
        found["statewright.instance"] = transition.instance
    if transition.version is not None:
        found["statewright.version"] = transition.version
    return found
