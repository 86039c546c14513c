"""The pipeline as functions: bytes -> Chart (a reader) -> checked Chart (the checker).

Used by the tools (the CLI, the build and the studio do the file I/O around it) and by tests
that want the same diagnostics `statewright check` prints, without a process. Emitting is the
caller's: `emit.emitter(format)`.
"""

from __future__ import annotations

from dataclasses import replace

from .check import check
from .diagnostics import Diagnostic, Severity
from .ir import Chart
from .read import language_of, reader
from .read.smcat import decode as decode
from .read.smcat import parse


def diagnose(
    text: str, name: str, *, target: str | None = None
) -> tuple[Chart | None, list[Diagnostic]]:
    """Parse and check: the chart (None after a syntax error) and every diagnostic."""
    chart, diagnostics = parse(text, name)
    if chart is not None:
        diagnostics = diagnostics + check(chart, target=target)
    return chart, diagnostics


def diagnose_scxml(
    data: bytes, name: str, *, target: str | None = None, checks: bool = True
) -> tuple[Chart | None, list[Diagnostic]]:
    """Import SCXML and check the chart: what `diagnose` is for smcat text."""
    return diagnose_data(data, name, "scxml", target=target, checks=checks)


def diagnose_yaml(
    data: bytes, name: str, *, target: str | None = None, checks: bool = True
) -> tuple[Chart | None, list[Diagnostic]]:
    """Read a YAML chart and check it: what `diagnose` is for smcat text."""
    return diagnose_data(data, name, "yaml_chart", target=target, checks=checks)


def diagnose_data(
    data: bytes, name: str, language: str, *, target: str | None = None, checks: bool = True
) -> tuple[Chart | None, list[Diagnostic]]:
    """Read `data` with the reader of `language` (a module of `read/`), then check the chart
    unless `checks` is off: the chart (None when it cannot be read) and every diagnostic."""
    chart, diagnostics = reader(language)(data, name)
    if chart is None or not checks:
        return chart, diagnostics
    found = check(chart, target=target)
    if language == "scxml":
        found = [_document_order(d) for d in found]
    if language == "yaml_chart":
        from .read.yaml_chart import yaml_hints  # the hints say what to write in YAML

        found = yaml_hints(found)
    return chart, diagnostics + found


def _document_order(diagnostic: Diagnostic) -> Diagnostic:
    """SC012 is a warning in SCXML, where document order decides between two transitions
    with the same trigger (every engine takes the first)."""
    if diagnostic.code != "SC012" or not diagnostic.is_error:
        return diagnostic
    return replace(
        diagnostic,
        severity=Severity.WARNING,
        hint="SCXML takes the first in document order; the other never fires",
    )


def diagnose_file(
    data: bytes,
    name: str,
    *,
    target: str | None = None,
    checks: bool = True,
    scxml: bool = False,
) -> tuple[str | None, Chart | None, list[Diagnostic]]:
    """The bytes of a chart file -> its text (for carets; None when it is not UTF-8), its
    chart and every diagnostic. The name's ending picks the reader (`read.SUFFIXES`: smcat,
    YAML, SCXML, IR), or `scxml` says it is SCXML. With `checks` off only reading runs."""
    language = "scxml" if scxml else language_of(name)
    chart, diagnostics = diagnose_data(data, name, language, target=target, checks=checks)
    if language == "smcat" and any(d.code == "P001" for d in diagnostics):
        return None, chart, diagnostics
    return data.decode("utf-8", "replace"), chart, diagnostics


def is_yaml(name: str) -> bool:
    """Whether a file name says the file is a YAML chart."""
    return name.endswith((".yaml", ".yml"))


#: the file name endings of charts, each read by its own stage 1
CHART_SUFFIXES = (".smcat", ".yaml", ".yml", ".scxml")


def chart_stem(name: str) -> str:
    """A chart file's name without its folder and its chart ending (`door.smcat` -> `door`):
    what its outputs are named after."""
    base = name.replace("\\", "/").rsplit("/", 1)[-1]
    for suffix in CHART_SUFFIXES:
        base = base.removesuffix(suffix)
    return base
