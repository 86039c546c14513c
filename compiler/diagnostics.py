"""Diagnostics: findings about a chart, as values, and their rustc-style rendering.

Stage: shared by parse, check and the CLI. A `Diagnostic` carries a stable code (`P0xx` for
syntax, `SC0xx` for structure), a severity, a one-sentence message with names in backticks, the
span it is about, and a hint. `render` turns one into text with the source line and a caret. It
imports nothing from lark.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from .ir import Span


class Severity(enum.Enum):
    ERROR = "error"
    WARNING = "warning"
    INFO = "info"


@dataclass(frozen=True, slots=True)
class Related:
    """Another place a diagnostic points at, with a word on why."""

    span: Span
    message: str


@dataclass(frozen=True, slots=True)
class Diagnostic:
    code: str
    severity: Severity
    message: str
    span: Span
    hint: str | None = None
    related: tuple[Related, ...] = ()

    @property
    def is_error(self) -> bool:
        return self.severity is Severity.ERROR

    def to_dict(self) -> dict[str, object]:
        """The documented JSON form (see docs/diagnostics.md)."""
        return {
            "code": self.code,
            "severity": self.severity.value,
            "message": self.message,
            "file": self.span.file,
            "line": self.span.line,
            "column": self.span.column,
            "end_line": self.span.end_line,
            "end_column": self.span.end_column,
            "hint": self.hint,
            "related": [
                {
                    "file": r.span.file,
                    "line": r.span.line,
                    "column": r.span.column,
                    "message": r.message,
                }
                for r in self.related
            ],
        }


def has_errors(diagnostics: Iterable[Diagnostic]) -> bool:
    return any(d.is_error for d in diagnostics)


_COLORS = {
    Severity.ERROR: "\x1b[1;31m",
    Severity.WARNING: "\x1b[1;33m",
    Severity.INFO: "\x1b[1;36m",
}
_BOLD = "\x1b[1m"
_BLUE = "\x1b[1;34m"
_RESET = "\x1b[0m"


def render(diagnostic: Diagnostic, source: str | None, *, color: bool = False) -> str:
    """Render a diagnostic as text: header, location, source line, caret and hint.

    Args:
        diagnostic: what to render.
        source: the text of the file the span points into, or None when it is not at hand
            (then the source line and caret are left out).
        color: use ANSI colours (for a terminal).
    """
    lines = source.split("\n") if source is not None else None
    return _render(diagnostic, lines, color)


def _render(diagnostic: Diagnostic, source_lines: list[str] | None, color: bool) -> str:

    def paint(text: str, code: str) -> str:
        return f"{code}{text}{_RESET}" if color else text

    span = diagnostic.span
    head = paint(
        f"{diagnostic.severity.value}[{diagnostic.code}]", _COLORS[diagnostic.severity]
    ) + paint(f": {diagnostic.message}", _BOLD if color else "")
    lines = [head]
    if span.line <= 0:
        lines.append(f" --> {span.file}")
        if diagnostic.hint:
            lines.append(f"  = hint: {diagnostic.hint}")
        return "\n".join(lines)
    gutter = " " * len(str(span.line))
    lines.append(f"{gutter}{paint('-->', _BLUE)} {span}")
    text_line = (
        source_lines[span.line - 1]
        if source_lines is not None and span.line <= len(source_lines)
        else None
    )
    if text_line is not None:
        shown = text_line.expandtabs(4).rstrip("\r\n")
        prefix = text_line[: max(span.column - 1, 0)].expandtabs(4)
        if span.end_line == span.line and span.end_column > span.column:
            width = len(text_line[span.column - 1 : span.end_column - 1].expandtabs(4))
        else:
            width = max(len(shown) - len(prefix), 1)
        caret = " " * len(prefix) + "^" * max(width, 1)
        bar = paint("|", _BLUE)
        lines.append(f"{gutter} {bar}")
        lines.append(f"{paint(str(span.line), _BLUE)} {bar} {shown}")
        note = f" {diagnostic.hint}" if diagnostic.hint else ""
        lines.append(f"{gutter} {bar} {paint(caret, _COLORS[diagnostic.severity])}{note}")
    elif diagnostic.hint:
        lines.append(f"  = hint: {diagnostic.hint}")
    for related in diagnostic.related:
        lines.append(f"{gutter} = note: {related.message} at {related.span}")
    return "\n".join(lines)


def render_all(
    diagnostics: Sequence[Diagnostic], sources: dict[str, str], *, color: bool = False
) -> str:
    """Render several diagnostics, each followed by a blank line (each source split once)."""
    split = {name: text.split("\n") for name, text in sources.items()}
    return "".join(_render(d, split.get(d.span.file), color) + "\n\n" for d in diagnostics)
