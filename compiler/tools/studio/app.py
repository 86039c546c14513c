"""The studio's model (`statewright studio [PATH]`): the charts it may read and write, what a
render returns (diagnostics, the diagram, a simulation), and the instance inspector.

A tool over the pipeline and the runtime, like the CLI; `server.py` puts it on HTTP. Every
request is answered from scratch: the page sends the chart text it holds and the steps it has
taken, and the model parses, checks, renders and replays them, so undo is dropping a step and
no state lives in the server.

What it may touch (docs/security.md): only chart files (.smcat, .yaml, .yml, .scxml) inside
PATH, after resolving links, never in hidden or dependency folders and never the project file;
a save is refused when the file changed on disk since it was loaded. Renders are bounded
(`RENDER_SECONDS` a request, `MAX_DRAWN` states and transitions a picture, `MAX_STEPS` steps,
`RENDERS` at once, `QUEUE_SECONDS` of waiting before a 503), and the instance inspector reads the
store (its logs, by replay) and never opens an instance, so it never recovers, locks or writes
anything.
"""

from __future__ import annotations

import base64
import hashlib
import os
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http import HTTPStatus
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ....runtime.compiling import atomic_write
from ...diagnostics import Diagnostic, Severity
from ...errors import CompilerError, EmitError, RenderError
from ...formats import DIRECTIONS, FORMATS, THEMES, is_chart_file
from ...ir import Chart
from ...pipeline import chart_stem, diagnose_file
from ..generated import HEAD_BYTES, generated_from

if TYPE_CHECKING:
    from ....runtime import FakeClock, Machine
    from ....runtime.store import Store

#: what the page can export the chart as, and each one's media type
EXPORTS = {
    "svg": "image/svg+xml",
    "png": "image/png",
    "scxml": "application/scxml+xml",
    "xstate": "application/json",
    "python": "text/x-python",
    "mermaid": "text/plain",
    "yaml": "application/yaml",
    "json": "application/json",
}
SKIPPED_FOLDERS = frozenset({"node_modules", "__pycache__", "site-packages", "venv"})
PROJECT_FILES = frozenset({"statewright.yaml", "statewright.yml"})
MAX_FILES = 2000
MAX_STEPS = 10_000
#: seconds one render may take: Graphviz gets what parsing, checking and simulating left
RENDER_SECONDS = 20.0
#: states and transitions the studio draws in one picture (`compile -T svg` has no limit)
MAX_DRAWN = 5_000
#: seconds a request waits for a free render slot before it is answered 503 (the server's
#: 64 connections bound how many wait; this stops a wait behind renders that never end)
QUEUE_SECONDS = 60.0


class StudioError(CompilerError):
    """A request the studio refuses: its status and a sentence for the page."""

    def __init__(self, status: HTTPStatus, message: str, **extra: Any) -> None:
        super().__init__(message)
        self.status, self.message, self.extra = status, message, extra


@dataclass
class Studio:
    """What the server serves: charts under `root` (or the one file `only`), and a store."""

    root: Path
    only: Path | None = None
    store_location: str | None = None
    _store: Store | None = field(default=None, init=False, repr=False)

    # -- files ------------------------------------------------------------------------------

    def files(self) -> list[str]:
        if self.only is not None:
            return [self.only.name]
        found = []
        for folder, folders, names in os.walk(self.root):
            # hidden folders (.git, .venv) and dependency trees are not walked at all
            folders[:] = sorted(
                f for f in folders if not f.startswith(".") and f not in SKIPPED_FOLDERS
            )
            for name in sorted(names):
                path = Path(folder) / name
                if is_chart_file(name) and not name.startswith("."):
                    if name in PROJECT_FILES or not self._inside(path):
                        continue
                    found.append(path.relative_to(self.root).as_posix())
            if len(found) > MAX_FILES:
                break
        return sorted(found)[:MAX_FILES]

    def _inside(self, path: Path) -> bool:
        try:
            path.resolve().relative_to(self.root.resolve())
        except ValueError:
            return False
        return True

    def resolve(self, name: str) -> Path:
        """The file `name` names under the root, by the rules `files` lists by: a chart file,
        not hidden, not in a hidden or dependency folder, not the project file; StudioError
        for anything else."""
        if not name or "\x00" in name:
            raise StudioError(HTTPStatus.BAD_REQUEST, "no file named")
        path = self.root / name
        parts = Path(name).parts
        if (
            Path(name).is_absolute()
            or ".." in parts
            or any(part.startswith(".") or part in SKIPPED_FOLDERS for part in parts)
            or path.name in PROJECT_FILES
            or not is_chart_file(path.name)
            or not self._inside(path)
            or (self.only is not None and path.resolve() != self.only.resolve())
        ):
            raise StudioError(HTTPStatus.FORBIDDEN, f"{name}: not a chart file under the folder")
        return path

    def generated(self, names: list[str]) -> dict[str, str]:
        """Which of `names` are a build's outputs (generated/door.scxml, ...): each one's
        source chart, from its build header. The page shows them read-only."""
        found = {}
        for name in names:
            try:
                with (self.root / name).open("rb") as file:
                    source = generated_from(file.read(HEAD_BYTES))
            except OSError:
                continue
            if source is not None:
                found[name] = source
        return found

    def read(self, name: str) -> dict[str, Any]:
        path = self.resolve(name)
        try:
            data = path.read_bytes()
        except FileNotFoundError:
            raise StudioError(HTTPStatus.NOT_FOUND, f"{name}: no such file") from None
        except OSError as error:
            raise StudioError(HTTPStatus.FORBIDDEN, f"{name}: {error.strerror}") from None
        return {
            "path": name,
            "text": data.decode("utf-8", "replace"),
            "hash": _hash(data),
            "generated": generated_from(data),
        }

    def save(
        self, name: str, text: str, base: str | None, force: bool, create: bool = False
    ) -> dict[str, Any]:
        """Write a chart file: refused (409) when it changed on disk since `base` was read,
        or, with `create`, when it exists at all."""
        path = self.resolve(name)
        data = text.encode("utf-8")
        with _SAVE_LOCK:
            try:
                current = path.read_bytes()
            except FileNotFoundError:
                current = None
            if current is not None and create:
                raise StudioError(HTTPStatus.CONFLICT, f"{name} exists already")
            if current is None and not create and base is not None and not force:
                raise StudioError(HTTPStatus.CONFLICT, f"{name} was deleted since it was opened")
            source = generated_from(current) if current is not None else None
            if source is not None:
                raise StudioError(
                    HTTPStatus.FORBIDDEN,
                    f"{name} is generated by `statewright build` from {source}: edit that "
                    "chart instead (the next build overwrites this file)",
                )
            if current is None:
                path.parent.mkdir(parents=True, exist_ok=True)
            if current is not None and not force and _hash(current) != base:
                raise StudioError(
                    HTTPStatus.CONFLICT,
                    f"{name} changed on disk since it was opened",
                    text=current.decode("utf-8", "replace"),
                    hash=_hash(current),
                )
            atomic_write(path, data)
        return {"path": name, "hash": _hash(data)}

    # -- charts ------------------------------------------------------------------------------

    def chart(self, name: str, text: str) -> tuple[Chart | None, list[Diagnostic]]:
        _, chart, diagnostics = diagnose_file(text.encode("utf-8"), name, target="python")
        return chart, diagnostics

    def render(
        self,
        name: str,
        text: str,
        steps: list[Any],
        context: Any,
        theme: str = "light",
        direction: str = "top-down",
    ) -> dict[str, Any]:
        """Diagnostics, the diagram with the active states lit, and the simulation (a few at
        a time: see `_WORK`), within `RENDER_SECONDS` for the whole request."""
        with _slot():
            return self._render(name, text, steps, context, theme, direction)

    def _render(
        self, name: str, text: str, steps: list[Any], context: Any, theme: str, direction: str
    ) -> dict[str, Any]:
        deadline = time.monotonic() + RENDER_SECONDS
        chart, diagnostics = self.chart(name, text)
        result: dict[str, Any] = {
            "diagnostics": [_diagnostic(d) for d in diagnostics],
            "svg": None,
            "simulation": None,
        }
        if chart is None:
            return result
        # what the page needs to make the picture clickable: each drawn transition's event
        # (click it to send it) and each state's line (click it to go there)
        result["events"] = {f"t{t.id}": t.event for t in chart.transitions() if t.event}
        result["lines"] = {s.name: s.span.line for s in chart.states() if s.span.line}
        active: list[str] = []
        taken: list[int] = []
        if not any(d.severity is Severity.ERROR for d in diagnostics):
            simulation = simulate(chart, steps, context)
            result["simulation"] = simulation
            active, taken = simulation["active"], simulation.get("taken", [])
        else:
            result["simulation"] = {"error": "the chart has errors: fix them to simulate it"}
        drawn = len(chart.states()) + len(chart.transitions())
        if drawn > MAX_DRAWN:
            result["render_error"] = (
                f"not drawn: {drawn:,} states and transitions, and the studio draws at most "
                f"{MAX_DRAWN:,} in one picture (`statewright compile -T svg` has no such limit)"
            )
            return result
        left = deadline - time.monotonic()
        if left < 1:
            result["render_error"] = (
                f"not drawn: reading, checking and simulating the chart took the render's "
                f"{RENDER_SECONDS:g} s"
            )
            return result
        result["svg"], result["render_error"] = _svg(chart, active, theme, taken, direction, left)
        return result

    def export(self, name: str, text: str, kind: str) -> dict[str, Any]:
        """The chart in another format, as the page downloads it: a file name, a media type
        and the content (`base64` for a picture in PNG). A format that runs (SCXML, XState,
        Python) is refused while the chart has errors, as `compile` refuses it."""
        found = FORMATS.get(kind)
        if found is None or kind not in EXPORTS:
            raise StudioError(
                HTTPStatus.BAD_REQUEST,
                f"cannot export {kind!r}: use one of {', '.join(EXPORTS)}",
            )
        with _slot():
            _, chart, diagnostics = diagnose_file(text.encode("utf-8"), name, target=kind)
            errors = [d for d in diagnostics if d.severity is Severity.ERROR]
            if chart is None or (errors and found.executable):
                first = errors[0] if errors else None
                where = f" ({first.span.line}:{first.span.column} {first.message})" if first else ""
                raise StudioError(
                    HTTPStatus.UNPROCESSABLE_ENTITY,
                    f"not exporting {kind}: the chart has errors{where}",
                )
            from ...pipeline import emitter

            emit, extension = emitter(kind)
            # a browser's name may be a Windows path: either separator ends a folder here
            base = Path(name.replace("\\", "/")).name
            stem = chart_stem(base) or "chart"
            options: dict[str, Any] = {"name": stem, "source": base}
            if found.diagram:
                options["timeout"] = RENDER_SECONDS
            try:
                output = emit(chart, options)
            except EmitError as error:
                raise StudioError(HTTPStatus.UNPROCESSABLE_ENTITY, str(error)) from None
        result: dict[str, Any] = {"filename": stem + extension, "type": EXPORTS[kind]}
        if isinstance(output, bytes):
            result["base64"] = base64.b64encode(output).decode("ascii")
        else:
            result["text"] = output
        return result

    # -- instances ---------------------------------------------------------------------------

    def store(self) -> Store:
        """The store, opened once (a PostgreSQL store keeps one connection pool)."""
        if self.store_location is None:
            raise StudioError(HTTPStatus.NOT_FOUND, "no store: start the studio with --store")
        with _STORE_LOCK:
            if self._store is None:
                from ....runtime.store import open_store

                self._store = open_store(self.store_location)
            return self._store

    def close(self) -> None:
        """Release the store (its connections), if it was opened."""
        with _STORE_LOCK:
            if self._store is not None:
                self._store.close()
            self._store = None

    def instances(self) -> list[dict[str, Any]]:
        store = self.store()
        found = []
        for resource_id in store.ids():
            try:
                state = store.state_at(resource_id)
                source = store.chart_source(resource_id)
                found.append(
                    {
                        "id": resource_id,
                        "seq": state["seq"],
                        "version": state["version"],
                        "configuration": state["configuration"],
                        "drawable": source is not None,
                        "chart": _chart_file(source),
                    }
                )
            except Exception as error:  # noqa: BLE001 - one broken instance must not hide the rest
                found.append({"id": resource_id, "problem": str(error)})
        return found

    def instance(self, resource_id: str, seq: int | None, theme: str = "light") -> dict[str, Any]:
        with _WORK:
            return self._instance(resource_id, seq, theme)

    def _instance(self, resource_id: str, seq: int | None, theme: str) -> dict[str, Any]:
        from ....runtime.store import check_resource_id

        try:
            check_resource_id(resource_id)
        except ValueError as error:
            raise StudioError(HTTPStatus.BAD_REQUEST, str(error)) from None
        store = self.store()
        if resource_id not in store.ids():
            raise StudioError(HTTPStatus.NOT_FOUND, f"no instance {resource_id!r}")
        records = list(store.history(resource_id))
        state = store.state_at(resource_id, seq=seq) if seq is not None else None
        state = state or store.state_at(resource_id)
        state.pop("snapshot", None)
        source = store.chart_source(resource_id)
        svg: str | None = None
        render_error: str | None = "the instance keeps no diagram source (created by a library)"
        if source is not None:
            from ...ir_document import from_document

            chart = from_document(source, compact=True)
            active = _with_ancestors(chart, state["configuration"])
            svg, render_error = _svg(chart, active, theme)
        return {
            "id": resource_id,
            "chart": _chart_file(source),
            "records": records,
            "state": state,
            "svg": svg,
            "render_error": render_error,
        }


_SAVE_LOCK = threading.Lock()
_STORE_LOCK = threading.Lock()
#: renders (parse, check, simulate, Graphviz) run a few at a time, whatever the number of
#: connections: more at once would not finish sooner on this machine's cores, and each holds
#: a chart's worth of memory
RENDERS = max(2, os.cpu_count() or 2)
_WORK = threading.BoundedSemaphore(RENDERS)


@contextmanager
def _slot() -> Iterator[None]:
    """A render slot, waited for at most `QUEUE_SECONDS`: a studio asked for more renders
    than it can run answers 503, saying so, instead of queueing without end."""
    if not _WORK.acquire(timeout=QUEUE_SECONDS):
        raise StudioError(
            HTTPStatus.SERVICE_UNAVAILABLE,
            f"the studio is busy: {RENDERS} renders are running and this one waited "
            f"{QUEUE_SECONDS:g} s; try again",
            retry=QUEUE_SECONDS,
        )
    try:
        yield
    finally:
        _WORK.release()


def _hash(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _diagnostic(diagnostic: Diagnostic) -> dict[str, Any]:
    found = diagnostic.to_dict()
    found.pop("related", None)
    return found


def _svg(
    chart: Chart,
    active: list[str],
    theme: str = "light",
    taken: list[int] | None = None,
    direction: str = "top-down",
    seconds: float = RENDER_SECONDS,
) -> tuple[str | None, str | None]:
    from ...pipeline import text_of

    options: dict[str, Any] = {
        "highlight": {"active": active, "transition": list(taken or ())},
        "timeout": seconds,
        "theme": theme if theme in THEMES else "light",
        "direction": direction if direction in DIRECTIONS else "top-down",
    }
    try:
        return text_of(chart, "svg", options), None
    except RenderError as error:
        return None, str(error)


def _chart_file(source: dict[str, Any] | None) -> str | None:
    """The name of the chart file an instance was created from (its IR says), if known."""
    file = source.get("file") if source is not None else None
    return Path(file.replace("\\", "/")).name or None if isinstance(file, str) else None


def _with_ancestors(chart: Chart, names: list[str]) -> list[str]:
    active = list(names)
    for name in names:
        if chart.has_state(name):
            active.extend(a for a in chart.ancestors_of(name) if a not in active)
    return active


def simulate(chart: Chart, steps: list[Any], context: Any) -> dict[str, Any]:
    """Replay `steps` (`{"event": name, "data": {...}}` or `{"advance": seconds}`) from the
    start on the interpreter: the configuration after each, the actions run, what can happen
    next."""
    from ....runtime import FakeClock, StatewrightError
    from ...pipeline import machine as machine_of

    if not isinstance(context, dict):
        return {"error": "the context must be a JSON object", "active": []}
    if not isinstance(steps, list) or len(steps) > MAX_STEPS:
        return {"error": "too many steps", "active": []}
    clock = FakeClock()
    timeline: list[dict[str, Any]] = []
    actions: list[str] = []
    error: str | None = None
    try:
        machine = machine_of(chart, context=context, clock=clock, partial=True)
        taken: list[int] = []

        failed: list[dict[str, str]] = []

        def heard(found: dict[str, Any]) -> None:
            if "action" in found:
                actions.append(str(found["action"]))
            elif "guard" in found:
                failed.append({"guard": str(found["guard"]), "error": str(found["error"])})

        machine.add_listener(heard)
        machine.on_transitions = taken.extend
        machine.start()
        timeline.append(
            {"step": None, "configuration": machine.configuration, "actions": actions[:]}
        )
        for step in steps:
            actions.clear()
            taken.clear()
            failed.clear()
            handled = _take_step(machine, clock, step)
            timeline.append(
                {
                    "step": step,
                    "configuration": machine.configuration,
                    "actions": actions[:],
                    "transitions": taken[:],
                    # whether a transition took the event (None for a clock step), and the
                    # guards that could not be evaluated (false, and shown)
                    "handled": handled,
                    "errors": failed[:],
                }
            )
        active = machine.active
        enabled = _enabled(chart, active)
        context_now: Any = machine.context
        running = machine.running
    except (StatewrightError, ValueError, TypeError) as problem:
        error = str(problem)
        active, enabled, context_now, running = [], [], context, False
    return {
        "timeline": timeline,
        "active": active,
        "configuration": timeline[-1]["configuration"] if timeline else [],
        # the transitions the last step took (the diagram draws them in the accent colour)
        "taken": timeline[-1].get("transitions", []) if timeline and steps else [],
        "enabled": enabled,
        "context": context_now,
        "running": running,
        "error": error,
    }


def _take_step(machine: Machine, clock: FakeClock, step: Any) -> bool | None:
    """One step of a simulation: an event sent (whether a transition took it) or the clock
    advanced (None); a step that is neither is refused (`StatewrightError`)."""
    from ....runtime import StatewrightError

    if not isinstance(step, dict):
        raise StatewrightError("a step is an event or a clock advance")
    if "advance" in step:
        seconds = float(step["advance"])
        if not 0 <= seconds <= 10**9:
            raise StatewrightError("advance the clock by 0 seconds or more")
        clock.advance(seconds)
        machine.tick()
        return None
    data = step.get("data") or {}
    if not isinstance(data, dict):
        raise StatewrightError("event data must be a JSON object")
    return machine.send(str(step.get("event", "")), **data).handled


def _enabled(chart: Chart, active: list[str]) -> list[dict[str, Any]]:
    """The events the active states (and their ancestors) have transitions for; a timed event
    says its delay (the page offers to advance the clock instead)."""
    from ....runtime.compiling import delay_ms, reserved

    seen: dict[str, dict[str, Any]] = {}
    for name in active:
        for transition in chart.transitions_from(name):
            event = transition.event
            if not event or event in seen or reserved(event):  # the engine raises those
                continue
            delay = delay_ms(event)
            seen[event] = {
                "event": event,
                "guarded": transition.guard is not None,
                "delay": delay / 1000 if delay is not None else None,
            }
    return list(seen.values())
