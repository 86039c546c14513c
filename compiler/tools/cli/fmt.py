"""`statewright fmt`: rewrite smcat files in canonical form, or say which would change."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from ...diagnostics import has_errors
from ...formats import language_of
from ...pipeline import text_of
from .common import EXIT_DIAGNOSTICS, EXIT_OK, UsageError, load_all, write


def add_parsers(commands: Any) -> None:
    fmt = commands.add_parser(
        "fmt",
        help="rewrite .smcat files in canonical form",
        description="Format each FILE in place (- formats stdin to stdout).",
    )
    fmt.add_argument("files", nargs="+", metavar="FILE")
    fmt.add_argument(
        "--check", action="store_true", help="change nothing; exit 1 if a file would change"
    )
    fmt.add_argument(
        "--diff",
        action="store_true",
        help="change nothing; print what would change as a unified diff; exit 1 if any",
    )
    fmt.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    changed: list[str] = []
    failed = False
    for name in args.files:
        if name != "-" and not language_of(name).formattable:
            raise UsageError(
                f"{name}: fmt rewrites smcat text only; convert with "
                f"`statewright compile {name} -T smcat`"
            )
    for source, chart in load_all(args.files, checks=False):
        if chart is None or has_errors(source.diagnostics):
            failed = True
            continue
        formatted = text_of(chart, "smcat")
        dry = args.check or args.diff
        if source.name == "-" and not dry:
            sys.stdout.write(formatted)  # stdin formatted to stdout
            continue
        if formatted == source.text:
            continue
        changed.append(source.display)
        if args.diff:
            sys.stdout.writelines(_diff(source.text or "", formatted, source.display))
        elif not dry:
            write(Path(source.name), formatted)
    for name in changed:
        verb = "would reformat" if args.check or args.diff else "reformatted"
        print(f"{verb} {name}", file=sys.stderr)
    if failed:
        return EXIT_DIAGNOSTICS
    return EXIT_DIAGNOSTICS if ((args.check or args.diff) and changed) else EXIT_OK


def _diff(before: str, after: str, name: str) -> list[str]:
    """A unified diff from the file as it is to the file formatted (`a/NAME`, `b/NAME`)."""
    import difflib

    return list(
        difflib.unified_diff(
            before.splitlines(keepends=True),
            after.splitlines(keepends=True),
            fromfile=f"a/{name}",
            tofile=f"b/{name}",
        )
    )
