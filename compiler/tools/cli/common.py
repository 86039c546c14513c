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
    """Where notifications go (`worker`, `instances relay`): webhooks, with headers and a
    signing secret, and JSON Lines files."""
    parser.add_argument(
        "--webhook", action="append", default=[], metavar="URL", help="POST notifications to URL"
    )
    parser.add_argument(
        "--webhook-header",
        action="append",
        default=[],
        metavar="'NAME: VALUE'",
        help="a header for every webhook request (e.g. Authorization)",
    )
    parser.add_argument(
        "--webhook-secret-env",
        metavar="VARIABLE",
        help="sign webhook bodies (Standard Webhooks) with the whsec_ secret in this environment "
        "variable (several, space-separated, while one is rotated)",
    )
    parser.add_argument(
        "--jsonl", action="append", default=[], metavar="FILE", help="append notifications to FILE"
    )


def sinks(args: Any) -> list[Any]:
    """The sinks `--webhook` (with `--webhook-header`, `--webhook-secret-env`) and `--jsonl`
    name."""
    import warnings

    from ....runtime.store import JsonlSink, StoreError, WebhookSink

    headers = {}
    for header in args.webhook_header:
        name, colon, value = header.partition(":")
        if not colon or not name.strip():
            raise UsageError(f"--webhook-header wants 'NAME: VALUE', not {header!r}")
        headers[name.strip()] = value.strip()
    secret: list[str] | None = None
    if args.webhook_secret_env:
        secret = os.environ.get(args.webhook_secret_env, "").split()
        if not secret:
            raise UsageError(f"--webhook-secret-env: ${args.webhook_secret_env} is not set")
        if not all(one.startswith("whsec_") for one in secret):
            print(
                f"statewright: warning: ${args.webhook_secret_env} holds a plain text secret, "
                "which is deprecated: receivers' Standard Webhooks libraries read whsec_ "
                "secrets (make one: python -c 'from statewright.runtime.store import "
                "new_webhook_secret as n; print(n())')",
                file=sys.stderr,
            )
    try:
        with warnings.catch_warnings():  # said above, once, in the command's words
            warnings.simplefilter("ignore", DeprecationWarning)
            found: list[Any] = [
                WebhookSink(url, headers=headers, secret=secret) for url in args.webhook
            ]
    except StoreError as error:
        raise UsageError(f"--webhook: {error}") from None
    return found + [JsonlSink(path) for path in args.jsonl]


def add_hook_arguments(parser: Any) -> None:
    """The hooks a store's instances run with (`instances create|send`, `worker`)."""
    parser.add_argument(
        "--hooks",
        action="append",
        default=[],
        metavar="MODULE:ATTR",
        help="the hooks: a generated class (or a StoredChart, or a list of them) that a "
        "program gives the store, imported from MODULE (the current folder is on the path)",
    )
    parser.add_argument(
        "--no-hooks",
        action="store_true",
        help="move instances through steps whose actions have no hook here, skipping those "
        "actions (each record lists what it skipped); refused by default",
    )


def hooked_charts(args: Any) -> list[Any]:
    """The `StoredChart`s `--hooks MODULE:ATTR` names (a UsageError for anything else)."""
    import importlib

    from ....runtime.store import StoredChart

    found: list[Any] = []
    for spec in args.hooks:
        module_name, colon, attribute = spec.partition(":")
        if not colon or not module_name or not attribute:
            raise UsageError(f"--hooks {spec}: write MODULE:ATTR (orders.hooks:Order)")
        if "" not in sys.path and "." not in sys.path:
            sys.path.insert(0, "")
        try:
            value: Any = importlib.import_module(module_name)
            for part in attribute.split("."):
                value = getattr(value, part)
        except Exception as error:  # noqa: BLE001 - the user's module: one line, no traceback
            raise UsageError(f"--hooks {spec}: {type(error).__name__}: {error}") from None
        for item in value if isinstance(value, list | tuple) else [value]:
            if isinstance(item, StoredChart):
                found.append(item)
            elif isinstance(item, type) and hasattr(item, "CHART"):
                found.append(StoredChart(item))
            else:
                raise UsageError(
                    f"--hooks {spec}: {type(item).__name__} is not a generated machine class "
                    "or a StoredChart"
                )
    return found
