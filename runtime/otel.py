"""OpenTelemetry for statewright: a span for each transition (the `otel` extra:
`pip install 'statewright-runtime[otel]'`; docs/operations.md).

`tracing()` is an observer: give it to `store.observe` (every committed event of every
instance) or to `observe.watch` (one machine). Each `Transition` becomes a span named
`statewright <event>` with the instance, event, source and target configurations, hooks and
version as attributes. When the event's data carries a W3C `traceparent` (and `tracestate`),
the span continues that trace: a request that sent the event and the transition it caused
are one trace.
"""

from __future__ import annotations

from typing import Any

from .observe import Observer, Transition

#: the data keys a trace context is read from (W3C Trace Context)
CONTEXT_KEYS = ("traceparent", "tracestate")


def tracing(tracer: Any = None) -> Observer:
    """An observer that records a span per transition with `tracer` (default: the global
    tracer provider's `statewright` tracer)."""
    from opentelemetry import propagate, trace

    chosen = tracer if tracer is not None else trace.get_tracer("statewright")

    def observe(transition: Transition) -> None:
        carrier = {
            key: value
            for key in CONTEXT_KEYS
            if isinstance(value := transition.data.get(key), str) and len(value) <= 512
        }
        parent = propagate.extract(carrier) if carrier else None
        span = chosen.start_span(
            f"statewright {transition.event or '(eventless)'}",
            context=parent,
            start_time=int(transition.time * 1e9),
            attributes=attributes(transition),
        )
        span.end()

    return observe


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
