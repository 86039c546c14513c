"""Diagnostics: findings about a chart, as values, and their rustc-style rendering.

Shared by the readers, the checker and the tools. A `Diagnostic` carries a stable code (`P0xx`
for smcat syntax, `SC0xx` for structure, `I`/`Y`/`R` for the SCXML, YAML and IR readers: the
table is `codes.py`), a severity, a one-sentence message with names in backticks, the
span it is about, and a hint. `render` turns one into text with the source line and a caret. It
imports nothing from lark.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from .ir import Span
from .notation import visible


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


#: the longest source excerpt a rendered diagnostic shows (characters, before escapes)
EXCERPT = 120
#: how many findings of one code `render_all` shows per file before it sums up the rest
SHOWN_PER_CODE = 20


def render(diagnostic: Diagnostic, source: str | None, *, color: bool = False) -> str:
    """Render a diagnostic as text: header, location, source line, caret and hint.

    Chart text in the message, hint and excerpt is shown with `text.visible` (a control
    character or escape sequence in a name cannot reach the terminal), and a long line is
    shown as a window of `EXCERPT` characters around the span.

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
    ) + paint(f": {_shown(diagnostic.message)}", _BOLD if color else "")
    hint = _shown(diagnostic.hint) if diagnostic.hint else None
    lines = [head]
    if span.line <= 0:
        lines.append(f" --> {visible(span.file)}")
        if hint:
            lines.append(f"  = hint: {hint}")
        return "\n".join(lines)
    gutter = " " * len(str(span.line))
    lines.append(f"{gutter}{paint('-->', _BLUE)} {visible(str(span))}")
    text_line = (
        source_lines[span.line - 1]
        if source_lines is not None and span.line <= len(source_lines)
        else None
    )
    if text_line is not None:
        end = span.end_column if span.end_line == span.line else None
        shown, before, width = _excerpt(text_line.rstrip("\r\n"), span.column, end)
        caret = " " * before + "^" * max(width, 1)
        bar = paint("|", _BLUE)
        lines.append(f"{gutter} {bar}")
        lines.append(f"{paint(str(span.line), _BLUE)} {bar} {shown}")
        note = f" {hint}" if hint else ""
        lines.append(f"{gutter} {bar} {paint(caret, _COLORS[diagnostic.severity])}{note}")
    elif hint:
        lines.append(f"  = hint: {hint}")
    for related in diagnostic.related:
        where = visible(str(related.span))
        lines.append(f"{gutter} = note: {_shown(related.message)} at {where}")
    return "\n".join(lines)


def _shown(text: str) -> str:
    """A message or hint as rendered: control characters as escapes, and at most `EXCERPT`
    times 3 characters (a message quoting a huge name stays readable; JSON keeps it all)."""
    limit = EXCERPT * 3
    cut = text if len(text) <= limit else text[: limit - 1] + "…"
    return visible(cut, keep_tabs=False)


def _excerpt(line: str, column: int, end_column: int | None) -> tuple[str, int, int]:
    """The line as shown (tabs as 4 columns, control characters as escapes, cut to a window
    of `EXCERPT` characters around the span with `…` where it is cut), the caret's offset and
    its width."""
    first = max(column - 1, 0)
    last = end_column - 1 if end_column is not None and end_column > column else len(line)
    if len(line) <= EXCERPT and visible(line) == line:
        shown = line.expandtabs(4)
        prefix = len(line[:first].expandtabs(4))
        if end_column is not None and end_column > column:
            return shown, prefix, len(line[first:last].expandtabs(4))
        return shown, prefix, max(len(shown) - prefix, 1)
    start = max(0, min(first - EXCERPT // 3, len(line) - EXCERPT)) if len(line) > EXCERPT else 0
    stop = min(len(line), start + EXCERPT)
    first, last = min(max(first, start), stop), min(max(last, first), stop)

    def show(text: str) -> str:
        return visible(text).expandtabs(4)

    head = "…" if start > 0 else ""
    before, marked, after = show(line[start:first]), show(line[first:last]), show(line[last:stop])
    tail = "…" if stop < len(line) else ""
    return head + before + marked + after + tail, len(head) + len(before), len(marked)


def render_all(
    diagnostics: Sequence[Diagnostic],
    sources: dict[str, str],
    *,
    color: bool = False,
    shown_per_code: int | None = SHOWN_PER_CODE,
) -> str:
    """Render several diagnostics, each followed by a blank line (each source split once).

    At most `shown_per_code` findings of one code are rendered per file (None or 0: all); the
    rest are counted in one line per code, so a chart with thousands of findings prints a
    bounded report (JSON and SARIF reports keep every finding)."""
    split = {name: text.split("\n") for name, text in sources.items()}
    rendered: list[str] = []
    counts: dict[tuple[str, str], int] = {}
    for diagnostic in diagnostics:
        key = (diagnostic.span.file, diagnostic.code)
        counts[key] = counts.get(key, 0) + 1
        if shown_per_code and counts[key] > shown_per_code:
            continue
        rendered.append(_render(diagnostic, split.get(diagnostic.span.file), color) + "\n\n")
    for (file, code), count in counts.items():
        if shown_per_code and count > shown_per_code:
            rendered.append(
                f"… and {count - shown_per_code} more {code} findings in {visible(file)} "
                "(`--max-findings 0` shows them all; `--format json` lists them)\n\n"
            )
    return "".join(rendered)
