"""The pipeline as functions: bytes -> text -> Chart -> checked Chart.

Used by the CLI (which does the file I/O around it) and by tools and tests that want the same
diagnostics `statewright check` prints, without a process.
"""

from __future__ import annotations

from .check import check
from .diagnostics import Diagnostic, Severity
from .ir import Chart, Span
from .parse import parse


def decode(data: bytes, name: str) -> tuple[str | None, list[Diagnostic]]:
    """Bytes -> text; a file that is not UTF-8 gives P001 at its first bad byte."""
    try:
        return data.decode("utf-8"), []
    except UnicodeDecodeError as error:
        before = data[: error.start]
        line = before.count(b"\n") + 1
        column = len(before) - (before.rfind(b"\n") + 1) + 1
        return None, [
            Diagnostic(
                "P001",
                Severity.ERROR,
                f"the file is not UTF-8 text (byte 0x{data[error.start]:02x} at offset "
                f"{error.start})",
                Span(name, line, column, line, column + 1),
                "save the file as UTF-8",
            )
        ]


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
    from .scxml_import import read_scxml  # lxml loads only for SCXML input

    chart, diagnostics = read_scxml(data, name)
    if chart is not None and checks:
        diagnostics = diagnostics + check(chart, target=target)
    return chart, diagnostics


def diagnose_yaml(
    data: bytes, name: str, *, target: str | None = None, checks: bool = True
) -> tuple[Chart | None, list[Diagnostic]]:
    """Read a YAML chart and check it: what `diagnose` is for smcat text."""
    from .yaml_load import read_yaml, yaml_hints

    chart, diagnostics = read_yaml(data, name)
    if chart is not None and checks:
        diagnostics = diagnostics + yaml_hints(check(chart, target=target))
    return chart, diagnostics


def diagnose_file(
    data: bytes,
    name: str,
    *,
    target: str | None = None,
    checks: bool = True,
    scxml: bool = False,
) -> tuple[str | None, Chart | None, list[Diagnostic]]:
    """The bytes of a chart file -> its text (for carets; None when it is not UTF-8), its
    chart and every diagnostic. The name's ending picks the reader: YAML (`.yaml`, `.yml`),
    SCXML (`.scxml`, or `scxml`), else smcat text. With `checks` off only reading runs."""
    if is_yaml(name):
        chart, diagnostics = diagnose_yaml(data, name, target=target, checks=checks)
        return data.decode("utf-8", "replace"), chart, diagnostics
    if scxml or name.endswith(".scxml"):
        chart, diagnostics = diagnose_scxml(data, name, target=target, checks=checks)
        return data.decode("utf-8", "replace"), chart, diagnostics
    text, diagnostics = decode(data, name)
    if text is None:
        return None, None, diagnostics
    chart, found = diagnose(text, name, target=target) if checks else parse(text, name)
    return text, chart, diagnostics + found


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
