"""The compiler's exceptions: every one derives from `CompilerError`, itself a
`StatewrightError` (the runtime's root), so `except StatewrightError` catches all of
statewright.

Bad charts never raise: readers and the checker return `Diagnostic`s. These exceptions are for
what is not a chart's finding:

- `RenderError`: Graphviz could not lay out a diagram (not installed, failed, too slow);
- `IRFormatError`: a document is not `statewright-ir/1` (also a `ValueError`);
- `SpannedError`: a problem at a place in a file that is not a chart (a YAML document's
  syntax: `read.yaml_nodes.YamlError`; a project file: `tools.build.project.ProjectError`);
- the tools' own: `UsageError` (the CLI, exit 2), `BuildError`, `StudioError`.
"""

from __future__ import annotations

from ..runtime import StatewrightError
from .ir import Span


class CompilerError(StatewrightError):
    """Root of every exception the compiler and its tools raise."""


class EmitError(CompilerError):
    """An output could not be written."""


class RenderError(EmitError):
    """Graphviz could not render the diagram (not installed, failed, or too slow)."""


class UnwritableText(EmitError, ValueError):
    """A text of the chart that the output's language has no way to write so that it reads
    back the same (smcat's quoted strings cannot end in a backslash): refused, never
    written as something else."""


class IRFormatError(CompilerError, ValueError):
    """The document is not a valid statewright-ir/1 document."""


class SpannedError(CompilerError):
    """A problem at `span` of a file: its message, and a hint saying what to do."""

    def __init__(self, message: str, span: Span, hint: str | None = None) -> None:
        super().__init__(message)
        self.message, self.span, self.hint = message, span, hint
