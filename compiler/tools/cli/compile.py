"""`statewright compile` and `statewright import`: charts into any `-T` format."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from ...diagnostics import Severity, has_errors
from ...errors import RenderError, UnwritableText
from ...formats import DIRECTIONS, ENGINES, FORMATS, THEMES
from ...ir import Chart
from ...pipeline import chart_stem, emitter
from .common import EXIT_DIAGNOSTICS, EXIT_OK, UsageError, add_stdin_filename, load_all, write

EXAMPLES = """\
examples:
  statewright compile door.smcat -T json          print smcat's JSON AST
  statewright compile door.smcat -T ir -o door.ir.json
  statewright compile examples/*.smcat -T json -o out/
                                                  one output per input, in out/
  cat door.smcat | statewright compile - -T smcat read standard input
  statewright fmt door.smcat                      rewrite the file in canonical form
  statewright fmt --check examples/*.smcat        exit 1 if any file would change
  statewright check examples/*.smcat              report ill-formed constructs
  statewright check door.smcat --format sarif > door.sarif
"""


def add_parsers(commands: Any) -> None:
    compile_ = commands.add_parser(
        "compile",
        help="turn charts (.smcat, .yaml, .scxml, .ir.json) into another format",
        description="Parse each FILE and write it in the format chosen with -T.",
        epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    compile_.add_argument(
        "files",
        nargs="+",
        metavar="FILE",
        help="input files (.smcat, .yaml, .scxml, .ir.json); - is stdin",
    )
    compile_.add_argument(
        "-T",
        "--output-type",
        dest="format",
        default="json",
        choices=sorted(FORMATS),
        help="output format (default: json)",
    )
    compile_.add_argument(
        "-o",
        "--output",
        metavar="OUT",
        help="output file (a directory when there are several inputs); default or -: stdout",
    )
    add_stdin_filename(compile_)
    compile_.add_argument(
        "--strict",
        action="store_true",
        help="warnings count as errors for the exit code (a drawing's structural findings "
        "are warnings: state-machine-cat draws any chart it can read)",
    )
    diagram = compile_.add_argument_group("diagrams (dot, svg, png)")
    diagram.add_argument("--direction", choices=DIRECTIONS, default=DIRECTIONS[0])
    diagram.add_argument("--engine", choices=ENGINES, default=ENGINES[0])
    diagram.add_argument("--theme", choices=THEMES, default=THEMES[0])
    diagram.add_argument(
        "--highlight",
        metavar="STATE[,STATE...]",
        help="draw these states as active (for example, an instance's configuration)",
    )
    compile_.set_defaults(run=run)

    import_ = commands.add_parser(
        "import",
        help="read SCXML files into smcat (or any -T format)",
        description=(
            "Read each SCXML FILE (docs/scxml.md, 'Import') and write it in the format chosen "
            "with -T (default: smcat). What the IR has no place for is reported, with its line."
        ),
    )
    import_.add_argument("files", nargs="+", metavar="FILE", help="SCXML files; - is stdin")
    import_.add_argument(
        "-T", "--output-type", dest="format", default="smcat", choices=sorted(FORMATS)
    )
    import_.add_argument("-o", "--output", metavar="OUT", help="output file or directory")
    add_stdin_filename(import_)
    import_.set_defaults(
        run=run,
        language="scxml",
        direction=DIRECTIONS[0],
        engine=ENGINES[0],
        theme=THEMES[0],
        highlight=None,
    )


def run(args: argparse.Namespace) -> int:
    if args.output == "-":
        args.output = None  # as smcat: `-o -` is standard output
    emit, extension = emitter(args.format)
    options: dict[str, object] = {
        "direction": args.direction,
        "engine": args.engine,
        "theme": args.theme,
    }
    if args.highlight:
        options["highlight"] = {"active": [n.strip() for n in args.highlight.split(",")]}
    out_dir: Path | None = None
    if args.output and len(args.files) > 1:
        out_dir = Path(args.output)
        try:
            out_dir.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise UsageError(f"cannot create directory {out_dir}: {error.strerror}") from None
    failed = False
    language = getattr(args, "language", None)
    stdin_name = getattr(args, "stdin_filename", None)
    for source, chart in load_all(
        args.files, target=args.format, language=language, stdin_name=stdin_name
    ):
        if chart is None:
            failed = True
            continue
        strict = getattr(args, "strict", False)
        if strict and any(d.severity is not Severity.INFO for d in source.diagnostics):
            failed = True
        if has_errors(source.diagnostics):
            failed = True
            if FORMATS[args.format].executable:
                print(
                    f"statewright: {source.name}: not writing {args.format}: the chart has errors",
                    file=sys.stderr,
                )
                continue
        _refuse_unknown_highlight(args.highlight, chart, source.display)
        named = stdin_name if source.name == "-" and stdin_name else source.name
        options["name"] = "stdin" if named == "-" else chart_stem(Path(named).name)
        options["source"] = "<stdin>" if named == "-" else Path(named).name
        try:
            output = emit(chart, options)
        except RenderError as error:
            raise UsageError(str(error)) from None
        except UnwritableText as error:  # this chart, in this format: the next file goes on
            print(f"statewright: {source.display}: {error}", file=sys.stderr)
            failed = True
            continue
        data = output.encode("utf-8") if isinstance(output, str) else output
        if out_dir is not None:
            stem = "stdin" if source.name == "-" else chart_stem(source.name)
            write(out_dir / (stem + extension), data)
        elif args.output:
            write(Path(args.output), data)
        else:
            if not isinstance(output, str) and sys.stdout.isatty():
                raise UsageError(f"not writing {args.format} to a terminal: use -o FILE")
            sys.stdout.flush()
            sys.stdout.buffer.write(data)
            sys.stdout.buffer.flush()
    return EXIT_DIAGNOSTICS if failed else EXIT_OK


def _refuse_unknown_highlight(highlight: str | None, chart: Chart, name: str) -> None:
    """`--highlight` names states of the chart: another name lights nothing, so it is refused
    (with the closest state)."""
    import difflib

    if not highlight:
        return
    states = [state.name for state in chart.states()]
    for wanted in (n.strip() for n in highlight.split(",")):
        if not chart.has_state(wanted):
            close = difflib.get_close_matches(wanted, states, n=1, cutoff=0.6)
            hint = f" (did you mean `{close[0]}`?)" if close else ""
            raise UsageError(f"{name}: --highlight `{wanted}` is no state of the chart{hint}")
