"""Testing charts: paths, invariants and generated event sequences (docs/python.md, "Testing").

- `assert_path(machine, events, expected)`: send the events one by one and compare each
  configuration reached with the expected one; a mismatch fails with a table of the steps.
- `check_invariants(machine)`: what must hold in every configuration (only the chart's own
  states are active, each active state's parent is active, a snapshot restores to a machine
  that behaves the same).
- `events(machine)`: a hypothesis strategy of event sequences over the chart's alphabet (the
  `hypothesis` package, imported when used).
- The pytest plugin (`pytest_plugin.py`, registered when `statewright-runtime` is installed)
  adds the fixtures `fake_clock` and `machine_of`.

Works with both engines: the interpreter's `Machine` and generated classes.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from .timers import FakeClock

__all__ = ["FakeClock", "PathMismatch", "assert_path", "check_invariants", "events"]


class PathMismatch(AssertionError):
    """The configurations a sequence of events reached are not the expected ones."""


def _configuration(expected: str | Sequence[str]) -> list[str]:
    return [expected] if isinstance(expected, str) else list(expected)


def assert_path(
    machine: Any,
    events: Sequence[str | tuple[str, dict[str, Any]]],
    expected: Sequence[str | Sequence[str]],
) -> None:
    """Send `events` (a name, or `(name, data)`) to `machine` one by one; after each, its
    configuration (the active atomic states) must be the matching entry of `expected` (a
    state name, or a list of them for parallel regions). Fails with every step shown."""
    if len(events) != len(expected):
        raise ValueError(f"{len(events)} events but {len(expected)} expected configurations")
    rows: list[tuple[str, list[str], list[str]]] = []
    wrong: int | None = None
    for step, (event, wanted) in enumerate(zip(events, expected, strict=True)):
        name, data = (event, {}) if isinstance(event, str) else event
        machine.send(name, **data)
        got, want = list(machine.configuration), _configuration(wanted)
        rows.append((name, want, got))
        if sorted(got) != sorted(want) and wrong is None:
            wrong = step
            break
    if wrong is None:
        return
    width = max(len(name) for name, _, _ in rows)
    lines = [f"the path differs at step {wrong + 1} (`{rows[wrong][0]}`):"]
    lines.append(f"  step  {'event'.ljust(width)}  expected -> got")
    for number, (name, want, got) in enumerate(rows, 1):
        mark = "  " if sorted(want) == sorted(got) else "!="
        shown_want, shown_got = ", ".join(want), ", ".join(got)
        lines.append(f"  {number:>4}  {name.ljust(width)}  {shown_want} {mark} {shown_got}")
    raise PathMismatch("\n".join(lines))


def check_invariants(machine: Any, *, make: Callable[[], Any] | None = None) -> None:
    """What holds in every configuration of a well-formed run: the active states are the
    chart's own (no synthetic state shows), every active state's parent is active, the
    configuration is the atomic part of the active set; and with `make` (a factory of fresh,
    not-started machines of the same chart), a snapshot restores to the same configuration
    and the same answers to every event (`can`). AssertionError says what broke."""
    document = _document(machine)
    names = {state["name"]: state for state in _states(document)}
    parents = {name: state.get("parent") for name, state in names.items()}
    active = list(machine.active)
    for name in active:
        assert name in names, f"`{name}` is active but is not a state of the chart"
        parent = parents.get(name)
        assert parent is None or parent in active, f"`{name}` is active, its parent `{parent}` not"
    for name in machine.configuration:
        assert name in active, f"`{name}` is in the configuration but not active"
    if make is not None:
        copy = make()
        copy.restore(machine.snapshot())
        assert sorted(copy.configuration) == sorted(
            machine.configuration
        ), f"a snapshot restored to {copy.configuration}, not {machine.configuration}"
        for event in _alphabet(document):
            assert copy.can(event) == machine.can(event), (
                f"after a snapshot, `{event}` is {'taken' if copy.can(event) else 'ignored'}; "
                f"before, {'taken' if machine.can(event) else 'ignored'}"
            )


def events(machine_or_document: Any, *, max_size: int = 30) -> Any:
    """A hypothesis strategy: lists of event names from the chart's alphabet (timed events
    left out: they fire by the clock)."""
    from hypothesis import strategies

    alphabet = _alphabet(_document(machine_or_document))
    if not alphabet:
        return strategies.just([])
    return strategies.lists(strategies.sampled_from(alphabet), max_size=max_size)


def _document(machine: Any) -> Any:
    """The IR document behind a machine (either engine) or a document itself."""
    if isinstance(machine, dict):
        return machine
    model = getattr(machine, "model", None)
    if model is not None:
        return model.document
    return getattr(type(machine), "CHART", {})


def _states(document: Any) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []

    def walk(states: Any, parent: str | None) -> None:
        for state in states or ():
            found.append({**state, "parent": parent})
            walk((state.get("machine") or {}).get("states"), state.get("name"))

    walk((document.get("machine") or {}).get("states"), None)
    return found


def _alphabet(document: Any) -> list[str]:
    """The chart's event names, in order, without timers (`after 2s`)."""
    names: list[str] = []

    def walk(machine: Any) -> None:
        for transition in (machine or {}).get("transitions") or ():
            event = transition.get("event")
            if event and not event.startswith("after ") and event not in names:
                names.append(event)
        for state in (machine or {}).get("states") or ():
            walk(state.get("machine"))

    walk(document.get("machine"))
    return names
