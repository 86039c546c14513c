"""`statewright fmt`: rewrite smcat files in canonical form, or say which would change."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from ...diagnostics import has_errors
from ...emit import smcat
from ...pipeline import is_yaml
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
    fmt.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    changed: list[str] = []
    failed = False
    for name in args.files:
        if is_yaml(name) or name.endswith(".scxml"):
            raise UsageError(
                f"{name}: fmt rewrites smcat text only; convert with "
                f"`statewright compile {name} -T smcat`"
            )
    for source, chart in load_all(args.files, checks=False):
        if chart is None or has_errors(source.diagnostics):
            failed = True
            continue
        formatted = smcat.emit(chart)
        if source.name == "-":
            if not args.check:
                sys.stdout.write(formatted)
            elif formatted != source.text:
                changed.append("<stdin>")
            continue
        if formatted != source.text:
            changed.append(source.name)
            if not args.check:
                write(Path(source.name), formatted)
    for name in changed:
        verb = "would reformat" if args.check else "reformatted"
        print(f"{verb} {name}", file=sys.stderr)
    if failed:
        return EXIT_DIAGNOSTICS
    return EXIT_DIAGNOSTICS if (args.check and changed) else EXIT_OK
