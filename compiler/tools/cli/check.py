"""`statewright check`: every finding of every chart, as text, JSON or SARIF."""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from ...diagnostics import SHOWN_PER_CODE, Diagnostic, Severity, render_all
from ...formats import LANGUAGES, language_of
from .common import (
    EXIT_DIAGNOSTICS,
    EXIT_OK,
    UsageError,
    add_stdin_filename,
    load_all,
    read,
    use_color,
)
from .report import to_github, to_json, to_sarif


def add_parsers(commands: Any) -> None:
    check = commands.add_parser(
        "check",
        help="report ill-formed constructs in charts (.smcat, .yaml, .scxml, .ir.json)",
        description="Parse and check each FILE; print every finding (docs/diagnostics.md).",
    )
    check.add_argument(
        "files",
        nargs="+",
        metavar="FILE",
        help="charts (.smcat, .yaml, .scxml, .ir.json); - is stdin",
    )
    add_stdin_filename(check)
    check.add_argument(
        "--format",
        choices=["text", "json", "sarif", "github"],
        default="text",
        help="output format (github: annotations in a GitHub Actions log)",
    )
    check.add_argument(
        "--select",
        metavar="CODES",
        help="report only these codes or prefixes, comma-separated (SC023,SC1); errors always; "
        "information (style findings) only when selected",
    )
    check.add_argument(
        "--ignore",
        metavar="CODES",
        help="do not report these codes or prefixes (errors are always reported)",
    )
    check.add_argument(
        "--no-config",
        action="store_true",
        help="ignore select/ignore of the project file (statewright.yaml, pyproject.toml)",
    )
    check.add_argument(
        "--strict", action="store_true", help="warnings count as errors for the exit code"
    )
    check.add_argument(
        "--target",
        choices=["python", "scxml", "xstate", "run"],
        help=(
            "also run the checks of this output (Python names, portable SCXML guards, XState's "
            "done events; run: what the runtime refuses)"
        ),
    )
    check.add_argument(
        "--charts-only",
        action="store_true",
        help="pass over YAML files that are not charts (no top-level `states` or `transitions`)",
    )
    check.add_argument(
        "--max-findings",
        type=int,
        default=SHOWN_PER_CODE,
        metavar="N",
        help=f"show at most N findings of each code per file, then count the rest (default "
        f"{SHOWN_PER_CODE}; 0 shows all; json and sarif always list all)",
    )
    check.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    if args.max_findings < 0:
        raise UsageError("--max-findings must be 0 or more")
    names = [n for n in args.files if not (args.charts_only and _other_yaml(n))]
    select, ignore = _selection(args)
    read = load_all(names, target=args.target, report=False, stdin_name=args.stdin_filename)
    loaded = [
        (replace(source, diagnostics=_kept(source.diagnostics, select, ignore)), chart)
        for source, chart in read
    ]
    diagnostics = [d for source, _ in loaded for d in source.diagnostics]
    quiet = sorted(
        {d.code for source, _ in read for d in source.diagnostics if d.severity is Severity.INFO}
        - {d.code for d in diagnostics}
    )
    if args.format == "json":
        sys.stdout.write(to_json(diagnostics))
    elif args.format == "github":
        sys.stdout.write(to_github(diagnostics))
    elif args.format == "sarif":
        from ... import __version__

        sys.stdout.write(to_sarif(diagnostics, __version__))
    else:
        color = use_color(sys.stdout)
        for source, _ in loaded:
            sources = {source.display: source.text} if source.text is not None else {}
            sys.stdout.write(
                render_all(
                    source.diagnostics, sources, color=color, shown_per_code=args.max_findings
                )
            )
        quieted = f" (style notes {', '.join(quiet)}: --select shows them)" if quiet else ""
        sys.stdout.write(summary(diagnostics, len(loaded)) + quieted + "\n")
    failing = {Severity.ERROR, Severity.WARNING} if args.strict else {Severity.ERROR}
    return EXIT_DIAGNOSTICS if any(d.severity in failing for d in diagnostics) else EXIT_OK


def _selection(args: argparse.Namespace) -> tuple[tuple[str, ...] | None, tuple[str, ...]]:
    """The codes to report (None: all) and to leave out: from --select and --ignore, else
    from the project file found from the current folder up (unless --no-config)."""
    from pathlib import Path

    from ..build.project import ProjectError, find_config, load_project, unknown_code

    select: tuple[str, ...] | None = None
    ignore: tuple[str, ...] = ()
    if not args.no_config and (config := find_config(Path.cwd())) is not None:
        try:
            project = load_project(config.read_bytes(), config.name, config.parent)
        except ProjectError as error:
            raise UsageError(f"{config}: {error}") from None
        except OSError as error:
            raise UsageError(f"{config}: cannot read: {error.strerror}") from None
        select, ignore = project.select, project.ignore
    for option, value in (("--select", args.select), ("--ignore", args.ignore)):
        if value is None:
            continue
        codes = tuple(code.strip().upper() for code in value.split(",") if code.strip())
        for code in codes:
            if (problem := unknown_code(code)) is not None:
                raise UsageError(f"{option}: {problem}")
        if option == "--select":
            select = codes
        else:
            ignore = codes
    return select, ignore


def _kept(
    diagnostics: Sequence[Diagnostic], select: tuple[str, ...] | None, ignore: tuple[str, ...]
) -> tuple[Diagnostic, ...]:
    """The findings to report: errors always (a chart with errors does not run), warnings
    unless ignored or left out by a selection (a code matches by prefix), and information
    (style: SC001, SC020, ...) only when a selection names it: quiet by default, so that a
    clean chart shows a clean result."""
    return tuple(
        d
        for d in diagnostics
        if d.severity is Severity.ERROR
        or (
            (select is None or d.code.startswith(select))
            and not (ignore and d.code.startswith(ignore))
            and (d.severity is not Severity.INFO or select is not None)
        )
    )


def summary(diagnostics: Sequence[Diagnostic], files: int) -> str:
    """`3 files checked: 1 error, 2 warnings` (or `: no problems`)."""
    counts = {severity: 0 for severity in Severity}
    for diagnostic in diagnostics:
        counts[diagnostic.severity] += 1
    parts = [
        f"{count} {severity.value}{'' if count == 1 else 's'}"
        for severity, count in counts.items()
        if count
    ]
    checked = f"{files} file{'' if files == 1 else 's'} checked"
    return f"{checked}: {', '.join(parts)}" if parts else f"{checked}: no problems"


def _other_yaml(name: str) -> bool:
    """Whether a file is YAML that is not a chart: its top level is not a mapping with
    `states` or `transitions` (read safely). A file that does not read as YAML is a chart when
    a line starts with `states:` or `transitions:` (its YAML error is then reported)."""
    if name == "-" or language_of(name) is not LANGUAGES["yaml"]:
        return False
    from ...read import yaml_nodes  # the safe YAML node reader (a contract allows it)

    data = read(name)
    try:
        root = yaml_nodes.read(data, name)
    except yaml_nodes.YamlError:
        return re.search(rb"^(states|transitions)\s*:", data, re.M) is None
    return not (
        isinstance(root, yaml_nodes.Mapping) and {"states", "transitions"} & set(root.index)
    )
