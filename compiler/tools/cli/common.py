"""What every command of the CLI shares: exit codes, `UsageError`, reading charts from files
or standard input (with their findings reported), writing outputs, and colour on terminals.

Only the modules of this folder print and choose exit codes; everything they call returns
values or raises.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ...diagnostics import Diagnostic, Severity, has_errors, render_all
from ...errors import CompilerError
from ...formats import LANGUAGES, Language, language_of
from ...ir import Chart
from ...pipeline import diagnose_file, refused

EXIT_OK = 0
EXIT_DIAGNOSTICS = 1
EXIT_USAGE = 2


class UsageError(CompilerError):
    """A problem with the command line or the file system: exit 2."""


@dataclass(frozen=True)
class Source:
    """One input as read: its name (`-` for standard input), its text (None when it could not
    be read as text) and its findings."""

    name: str
    text: str | None
    diagnostics: tuple[Diagnostic, ...] = ()

    @property
    def display(self) -> str:
        """The name in reports: `<stdin>` for standard input."""
        return "<stdin>" if self.name == "-" else self.name


def add_stdin_filename(parser: Any) -> None:
    """`--stdin-filename NAME`: what standard input is called in reports, and its kind."""
    parser.add_argument(
        "--stdin-filename",
        metavar="NAME",
        help="the file name standard input (-) stands for: its kind (.smcat, .yaml, "
        ".scxml) and its name in findings",
    )


def load_all(
    names: Sequence[str],
    *,
    target: str | None = None,
    report: bool = True,
    checks: bool = True,
    language: str | None = None,
    stdin_name: str | None = None,
) -> list[tuple[Source, Chart | None]]:
    """Read, parse and (unless `checks` is off) check each input; print the diagnostics to
    stderr unless `report` is off. Each is read in `language` when given, else in the language
    of its name's ending (`formats.LANGUAGES`); standard input (`-`) is read as the kind
    `stdin_name` says, and reported under that name."""
    results = []
    for name in names:
        kind = stdin_name if name == "-" and stdin_name else name
        display = kind if name != "-" or stdin_name else "<stdin>"
        chart: Chart | None = None
        kind_language = LANGUAGES[language] if language else language_of(kind)
        if name != "-" and (refused := _refused_by_size(name, display, kind_language)):
            source = Source(name, None, (refused,))
            if report:
                report_findings(source)
            results.append((source, chart))
            continue
        text, chart, diagnostics = diagnose_file(
            read(name),
            display,
            target=target,
            checks=checks,
            language=kind_language,
        )
        source = Source(name, text, tuple(diagnostics))
        if report:
            report_findings(source)
        results.append((source, chart))
    return results


def load_one(path: str, doing: str, *, target: str | None = None) -> Chart | None:
    """One chart, its findings (with `target`'s) on stderr; None (with a line saying it is not
    `doing` what was asked) when it has errors."""
    ((source, chart),) = load_all([path], target=target)
    if chart is None or has_errors(source.diagnostics):
        print(f"statewright: {path}: not {doing}: the chart has errors", file=sys.stderr)
        return None
    return chart


def _refused_by_size(name: str, display: str, language: Language) -> Diagnostic | None:
    """The diagnostic of a file its reader refuses by its size before reading it (YAML's
    Y001), or None."""
    try:
        size = Path(name).stat().st_size
    except OSError:
        return None  # reading it reports the problem
    return refused(language, size, display)


def read(name: str) -> bytes:
    """The bytes of file `name` (`-`: standard input); a clear UsageError when it cannot be
    read."""
    try:
        return sys.stdin.buffer.read() if name == "-" else Path(name).read_bytes()
    except FileNotFoundError:
        raise UsageError(f"{name}: no such file") from None
    except IsADirectoryError:
        raise UsageError(f"{name}: is a directory") from None
    except OSError as error:
        raise UsageError(f"{name}: cannot read: {error.strerror}") from None


def report_findings(source: Source) -> None:
    """Print an input's findings to stderr, with their source lines; style information is
    quiet (`check --select` shows it)."""
    shown = [d for d in source.diagnostics if d.severity is not Severity.INFO]
    if not shown:
        return
    sources = {source.display: source.text} if source.text is not None else {}
    sys.stderr.write(render_all(shown, sources, color=use_color()))


#: `--color`: auto (the default), always or never
COLOR_MODES = ("auto", "always", "never")
color_mode = "auto"


def use_color(stream: object = None) -> bool:
    """Whether to colour what goes to `stream` (stderr by default). `--color always|never`
    decides; else NO_COLOR (when not empty: no-color.org) says no, FORCE_COLOR (when not
    empty) says yes, and otherwise colour goes to a terminal that is not TERM=dumb."""
    if color_mode != "auto":
        return color_mode == "always"
    if os.environ.get("NO_COLOR"):
        return False
    if os.environ.get("FORCE_COLOR"):
        return True
    stream = sys.stderr if stream is None else stream
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty()) and os.environ.get("TERM") != "dumb"


def write(path: Path, data: bytes | str) -> None:
    """Write to `path` atomically: readers see the old file or the new one."""
    from ....runtime.compiling import atomic_write

    try:
        atomic_write(path, data.encode("utf-8") if isinstance(data, str) else data)
    except OSError as error:
        raise UsageError(f"cannot write {path}: {error.strerror}") from None


def add_sink_arguments(parser: Any) -> None:
    """Where notifications go (`worker`, `instances relay`): the runtime's worker options."""
    from ....runtime import compiling

    compiling.add_sink_arguments(parser)


def sinks(args: Any) -> list[Any]:
    """The sinks `--webhook` (with `--webhook-header`, `--webhook-secret-env`) and `--jsonl`
    name (a wrong one is a `UsageError`)."""
    from ....runtime import compiling

    try:
        found: list[Any] = compiling.sinks(args)
    except compiling.OptionError as error:
        raise UsageError(str(error)) from None
    return found


def add_hook_arguments(parser: Any) -> None:
    """The hooks a store's instances run with (`instances create|send`, `worker`)."""
    from ....runtime import compiling

    compiling.add_hook_arguments(parser)


def hooked_charts(args: Any) -> list[Any]:
    """The `StoredChart`s `--hooks MODULE:ATTR` names (a `UsageError` for anything else)."""
    from ....runtime import compiling

    try:
        found: list[Any] = compiling.hooked_charts(args)
    except compiling.OptionError as error:
        raise UsageError(str(error)) from None
    return found
