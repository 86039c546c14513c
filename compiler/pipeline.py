"""The pipeline as functions: bytes -> Chart (a reader) -> checked Chart (the checker), and
its two ends for Python users: a chart file to a running machine (`load`) and a chart to a
picture in a notebook (`chart_svg`, `document_svg`).

Used by the tools (the CLI, the build and the studio do the file I/O around it) and by tests
that want the same diagnostics `statewright check` prints, without a process. Emitting is the
caller's: `emitter(format)`, from the `formats.FORMATS` table. `machine` is the one way from a
chart to a machine. Nothing here imports PyYAML, lxml or graphviz until a chart needs it.

`load("door.smcat", actions=..., guards=..., context=...)` reads any chart kind (smcat, YAML,
SCXML, IR JSON), checks it as the runtime will run it, and returns the interpreter's
`Machine`, started. A chart with errors is refused with `LoadError`, whose message names the
file, line and column of the first error (all are in `.diagnostics`). Hooks are given by
action text (`actions={"engage bolt": fn}`) or found on an object by the method names a
generated class would have (`hooks=door_hooks`: `engage bolt` -> `engage_bolt`).

`svg` (a chart or an IR document: `chart_svg`, `document_svg`) and `load` are what this
distribution declares for the runtime (entry points `statewright.compiler`, runtime/plugins.py):
`Chart._repr_svg_` and a machine's notebook face draw through them, and the pytest plugin
loads chart files with `load`, none of them importing the compiler. `svg` gives None when the
chart cannot be drawn (no Graphviz, a layout too slow): Jupyter then shows the `repr`.
"""

from __future__ import annotations

import importlib
import inspect
import os
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any, cast

from .check import check
from .diagnostics import Diagnostic, Severity
from .errors import CompilerError, RenderError
from .formats import CHART_SUFFIXES, FORMATS, LANGUAGES, Language, language_of
from .ir import Chart
from .read.smcat import decode as decode

if TYPE_CHECKING:
    from ..runtime import Machine


#: a format's function: the chart and its options -> its text (bytes for PNG)
Emitter = Callable[[Chart, Mapping[str, Any] | None], str | bytes]
#: a reader's function: a file's bytes and name -> its chart (None when unreadable), findings
Reader = Callable[[bytes, str], tuple[Chart | None, list[Diagnostic]]]


def _module(name: str) -> ModuleType:
    """A stage's module that a row of `formats` names, by its name under
    `statewright.compiler` (imported on first use: lxml and graphviz load only for the
    formats that need them)."""
    return importlib.import_module(f"{__package__}.{name}")


def emitter(name: str) -> tuple[Emitter, str]:
    """The function that writes format `name` (a key of `formats.FORMATS`) and the file
    extension of its output."""
    found = FORMATS[name]
    return cast(Emitter, getattr(_module(found.module), found.function)), found.extension


def text_of(chart: Chart, name: str, options: Mapping[str, Any] | None = None) -> str:
    """The chart written in the text format `name` (not PNG): `text_of(chart, "svg", ...)`
    draws it (RenderError when Graphviz cannot), `text_of(chart, "smcat")` formats it."""
    found = FORMATS[name]
    if found.binary:
        raise ValueError(f"{name} is not a text format")
    emit, _ = emitter(name)
    return cast(str, emit(chart, options))


def reader(language: Language) -> Reader:
    """The function that reads a language."""
    return cast(Reader, _module(language.module).read)


def restated(language: Language, found: list[Diagnostic]) -> list[Diagnostic]:
    """The checker's findings as a language's reader restates them (`Language.review`)."""
    if language.review is None:
        return found
    return cast(list[Diagnostic], getattr(_module(language.module), language.review)(found))


def refused(language: Language, size: int, name: str) -> Diagnostic | None:
    """A diagnostic refusing a file of `size` bytes before it is read (`Language.precheck`),
    or None."""
    if language.precheck is None:
        return None
    refuse = getattr(_module(language.module), language.precheck)
    return cast(Diagnostic | None, refuse(size, name))


def diagnose(
    source: str | bytes,
    name: str,
    *,
    language: Language | str | None = None,
    target: str | None = None,
    checks: bool = True,
) -> tuple[Chart | None, list[Diagnostic]]:
    """Read a chart with the reader of its language (`formats.LANGUAGES`: by name, or by the
    ending of `name`; smcat when it has none we know), then check it unless `checks` is off:
    the chart (None when it cannot be read) and every diagnostic, restated for its language."""
    if language is None:
        language = language_of(name)
    elif isinstance(language, str):
        language = LANGUAGES[language]
    # (a lone surrogate in text is kept as bytes that are not UTF-8: the reader says so)
    data = source.encode("utf-8", "surrogatepass") if isinstance(source, str) else source
    chart, diagnostics = reader(language)(data, name)
    if chart is None or not checks:
        return chart, diagnostics
    return chart, diagnostics + restated(language, check(chart, target=target))


def diagnose_file(
    data: bytes,
    name: str,
    *,
    language: Language | str | None = None,
    target: str | None = None,
    checks: bool = True,
) -> tuple[str | None, Chart | None, list[Diagnostic]]:
    """What `diagnose` gives, with the file's text first (for carets; None when it is not
    UTF-8 text)."""
    chart, diagnostics = diagnose(data, name, language=language, target=target, checks=checks)
    if any(d.code == "P001" for d in diagnostics):  # not UTF-8
        return None, chart, diagnostics
    return data.decode("utf-8", "replace"), chart, diagnostics


def chart_stem(name: str) -> str:
    """A chart file's name without its folder and its chart ending (`door.smcat` -> `door`):
    what its outputs are named after. Only this system's separators split folders: on POSIX a
    backslash is part of a file name (`n\\.smcat` is not a file `.smcat` in a folder `n`)."""
    base = name
    for separator in filter(None, (os.sep, os.altsep)):
        base = base.rsplit(separator, 1)[-1]
    for suffix in CHART_SUFFIXES:
        base = base.removesuffix(suffix)
    return base


# -- the ends of the pipeline for Python users ---------------------------------------


class LoadError(CompilerError):
    """A chart that cannot run: its file cannot be read, or it has errors."""

    def __init__(self, message: str, diagnostics: tuple[Diagnostic, ...] = ()) -> None:
        super().__init__(message)
        self.diagnostics = diagnostics


def load(
    source: str | Path,
    *,
    actions: Mapping[str, Callable[..., Any]] | None = None,
    guards: Mapping[str, Callable[..., Any]] | None = None,
    context: Mapping[str, Any] | None = None,
    hooks: object = None,
    clock: Any = None,
    start: bool = True,
    partial: bool = False,
) -> Machine:
    """The chart in the file `source` (.smcat, .yaml, .yml, .scxml, .ir.json) as a running
    machine (see the module docstring). `hooks`: an object whose methods are the hooks, named
    as a generated class names them; a method takes `(context, data)`, `(data)` or nothing.
    Every action needs a hook, and every hook an action or guard of the chart
    (`MissingHooksError`, `UnknownHookError`, runtime.hooks); `partial=True` runs with
    actions left without one. `start=False` returns it not started."""
    path = Path(source)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise LoadError(f"{path}: no such file") from None
    except OSError as error:
        raise LoadError(f"{path}: cannot read: {error.strerror or error}") from None
    _, chart, diagnostics = diagnose_file(data, str(path), target="run")
    errors = [d for d in diagnostics if d.severity is Severity.ERROR]
    if chart is None or errors:
        first = errors[0] if errors else None
        where = f"{first.span.line}:{first.span.column}: " if first else ""
        what = f"{first.message} [{first.code}]" if first else "it does not read as a chart"
        more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
        raise LoadError(f"{path}:{where}{what}{more}", tuple(diagnostics))
    found = machine(
        chart,
        actions=actions,
        guards=guards,
        context=context,
        hooks=hooks,
        clock=clock,
        partial=partial,
    )
    return found.start() if start else found


def machine(
    chart: Chart,
    *,
    actions: Mapping[str, Callable[..., Any]] | None = None,
    guards: Mapping[str, Callable[..., Any]] | None = None,
    context: Mapping[str, Any] | None = None,
    hooks: object = None,
    clock: Any = None,
    partial: bool = False,
) -> Machine:
    """A checked chart as the interpreter's `Machine`, not started: the one way from a chart
    to a machine (`load`, `simulate`, the studio and the instance commands take it). Hooks as
    `load` takes them."""
    from ..runtime import load as run_document
    from .emit.python import chart_guards, chart_hooks
    from .ir_document import to_document
    from .names import hook_name, python_identifier

    bound_actions = dict(actions or {})
    bound_guards = dict(guards or {})
    if hooks is not None:
        for text in chart_hooks(chart):
            method = getattr(hooks, hook_name(text), None)
            if callable(method) and text not in bound_actions:
                bound_actions[text] = _adapted(method)
        for name in chart_guards(chart):
            method = getattr(hooks, python_identifier(name), None)
            if callable(method) and name not in bound_guards:
                bound_guards[name] = _adapted(method)
    return run_document(
        to_document(chart),
        actions=bound_actions,
        guards=bound_guards,
        context=dict(context or {}),
        partial=partial,
        **({"clock": clock} if clock is not None else {}),
    )


def _adapted(method: Callable[..., Any]) -> Callable[[Any, Any], Any]:
    """A method that takes (context, data), (data) or nothing, as a hook (context, data)."""
    try:
        parameters = [
            p
            for p in inspect.signature(method).parameters.values()
            if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)
        ]
    except (TypeError, ValueError):  # a builtin without a signature: give it both
        return method
    if len(parameters) >= 2:
        return method
    if len(parameters) == 1:
        return lambda context, data: method(data)
    return lambda context, data: method()


#: seconds a notebook waits for a picture
TIMEOUT = 20.0


def chart_svg(chart: Chart, active: Sequence[str] = ()) -> str | None:
    from .emit.render import emit_svg

    try:
        return emit_svg(chart, {"highlight": {"active": list(active)}, "timeout": TIMEOUT})
    except (RenderError, ValueError):
        return None


def svg(drawn: Chart | Mapping[str, Any], active: Sequence[str] = ()) -> str | None:
    """A chart or a `statewright-ir/1` document as SVG: the function this distribution declares
    for the runtime (entry point `statewright.compiler` `svg`, runtime/plugins.py)."""
    if isinstance(drawn, Chart):
        return chart_svg(drawn, active)
    return document_svg(drawn, active)


def document_svg(document: Mapping[str, Any], active: Sequence[str] = ()) -> str | None:
    """A `statewright-ir/1` document's chart as SVG."""
    from .ir_document import from_document

    try:
        chart = from_document(dict(document), compact=True)
    except Exception:  # noqa: BLE001 - a document the runtime runs but the IR reader refuses
        return None
    return chart_svg(chart, active)
