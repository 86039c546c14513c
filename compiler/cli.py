"""The `statewright` command line.

The only module that reads and writes files, prints, and chooses exit codes:
0 success, 1 diagnostics with errors (or `fmt --check` found unformatted files),
2 usage or I/O errors. Bad input never produces a traceback.
"""

from __future__ import annotations

import argparse
import gc
import os
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from .diagnostics import SHOWN_PER_CODE, Diagnostic, Severity, has_errors, render_all
from .emit import FORMATS, emitter
from .emit import smcat as smcat_format
from .emit.render import RenderError  # light: graphviz is imported when rendering
from .ir import Chart
from .pipeline import CHART_SUFFIXES, chart_stem, diagnose_file, is_yaml
from .report import to_json, to_sarif

if TYPE_CHECKING:
    from . import build

#: Formats that run: a chart with errors is not written in them (pictures and data still are,
#: so a broken chart can be looked at).
EXECUTABLE_FORMATS = frozenset({"python", "scxml", "xstate"})

EXIT_OK = 0
EXIT_DIAGNOSTICS = 1
EXIT_USAGE = 2

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


class UsageError(Exception):
    """A problem with the command line or the file system: exit 2."""


@dataclass(frozen=True)
class Source:
    name: str
    text: str | None
    diagnostics: tuple[Diagnostic, ...] = ()


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit code (the console script exits with it)."""
    # A compiler run is short and builds large acyclic structures: the cyclic collector would
    # rescan them again and again. Freeze what start-up allocated and collect rarely.
    gc.freeze()
    gc.set_threshold(200_000, 50, 100)
    parser = _argument_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help(sys.stderr)
        return EXIT_USAGE
    try:
        code: int = args.run(args)
        return code
    except UsageError as error:
        print(f"statewright: error: {error}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        # the reader went away (`statewright check ... | head`): stop quietly, as other
        # command-line tools do, and keep Python from complaining when it flushes at exit
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 141


class _VersionAction(argparse.Action):
    def __call__(self, *args: object, **kwargs: object) -> None:
        from . import __version__

        print(f"statewright {__version__}")
        raise SystemExit(EXIT_OK)


def _argument_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="statewright",
        description="Statecharts from smcat text: check them, draw them, export and run them.",
        epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action=_VersionAction, nargs=0, help="print the version")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    compile_ = commands.add_parser(
        "compile",
        help="turn .smcat files into another format",
        description="Parse each FILE and write it in the format chosen with -T.",
        epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    compile_.add_argument("files", nargs="+", metavar="FILE", help="input files; - is stdin")
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
        help="output file (a directory when there are several inputs); default: stdout",
    )
    diagram = compile_.add_argument_group("diagrams (dot, svg, png)")
    diagram.add_argument(
        "--direction",
        choices=["top-down", "left-right", "bottom-top", "right-left"],
        default="top-down",
    )
    diagram.add_argument(
        "--engine", choices=["dot", "neato", "fdp", "circo", "twopi", "osage"], default="dot"
    )
    diagram.add_argument("--theme", choices=["light", "dark"], default="light")
    diagram.add_argument(
        "--highlight",
        metavar="STATE[,STATE...]",
        help="draw these states as active (for example, an instance's configuration)",
    )
    compile_.set_defaults(run=_compile)

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
    import_.set_defaults(
        run=_compile, scxml=True, direction="top-down", engine="dot", theme="light", highlight=None
    )

    simulate = commands.add_parser(
        "simulate",
        help="run a chart on the interpreter and print each step as JSON",
        description=(
            "Start the chart in FILE (.smcat, .scxml, or with --ir a statewright-ir/1 "
            "document), send each EVENT, and print one JSON line per step: "
            '{"event": ..., "configuration": [...]} (docs/semantics.md). An EVENT written '
            "+SECONDS moves the clock instead (timed events that fall due fire)."
        ),
    )
    simulate.add_argument("file", metavar="FILE")
    simulate.add_argument("events", nargs="*", metavar="EVENT")
    simulate.add_argument("--context", metavar="JSON", help="the initial context, a JSON object")
    simulate.add_argument("--ir", action="store_true", help="FILE is a statewright-ir/1 document")
    simulate.set_defaults(run=_simulate)

    fmt = commands.add_parser(
        "fmt",
        help="rewrite .smcat files in canonical form",
        description="Format each FILE in place (- formats stdin to stdout).",
    )
    fmt.add_argument("files", nargs="+", metavar="FILE")
    fmt.add_argument(
        "--check", action="store_true", help="change nothing; exit 1 if a file would change"
    )
    fmt.set_defaults(run=_fmt)

    check = commands.add_parser(
        "check",
        help="report ill-formed constructs in .smcat files",
        description="Parse and check each FILE; print every finding (docs/diagnostics.md).",
    )
    check.add_argument("files", nargs="+", metavar="FILE", help="input files; - is stdin")
    check.add_argument(
        "--format", choices=["text", "json", "sarif"], default="text", help="output format"
    )
    check.add_argument(
        "--strict", action="store_true", help="warnings count as errors for the exit code"
    )
    check.add_argument(
        "--target",
        choices=["python", "scxml"],
        help="also run the checks of this output (Python names, portable SCXML guards)",
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
    check.set_defaults(run=_check)

    build = commands.add_parser(
        "build",
        help="regenerate a project's outputs whose charts or options changed",
        description=(
            "Read the project file (statewright.yaml, or [tool.statewright] in pyproject.toml, "
            "found in this folder or above; docs/build.md), check every chart it names, and "
            "write each output whose inputs changed. Up-to-dateness is decided by content "
            "hashes, not timestamps."
        ),
    )
    build.add_argument("--config", metavar="FILE", help="the project file (default: search)")
    build.add_argument(
        "--check",
        action="store_true",
        help="write nothing; exit 1 listing outputs that are missing, stale or edited by hand",
    )
    build.add_argument(
        "--force",
        action="store_true",
        help="replace files in the outputs' places that the build did not write",
    )
    build.add_argument(
        "-j",
        "--jobs",
        type=int,
        default=os.cpu_count() or 1,
        metavar="N",
        help="charts processed in parallel (default: the number of CPUs)",
    )
    build.set_defaults(run=_build)

    watch = commands.add_parser(
        "watch",
        help="build, then build again whenever a chart or the project file changes",
        description=(
            "Run `statewright build`, then watch the project's folder and build again (only "
            "what changed) each time a chart or the project file is saved. Ctrl-C stops."
        ),
    )
    watch.add_argument("--config", metavar="FILE", help="the project file (default: search)")
    watch.add_argument("-j", "--jobs", type=int, default=os.cpu_count() or 1, metavar="N")
    watch.set_defaults(run=_watch, check=False)

    studio = commands.add_parser(
        "studio",
        help="edit, draw and simulate charts, and inspect instances, in the browser",
        description=(
            "Serve the studio for the charts in PATH (a folder, or one chart file): an editor "
            "with the diagram beside it, a simulator, and with --store an instance inspector. "
            "It listens on 127.0.0.1 unless --host says otherwise (docs/studio.md)."
        ),
    )
    studio.add_argument("path", nargs="?", default=".", metavar="PATH")
    studio.add_argument("--port", type=int, default=8765, help="default 8765; 0 picks a free one")
    studio.add_argument(
        "--host",
        default="127.0.0.1",
        help="the address to listen on (default 127.0.0.1: this machine only; any other "
        "address prints a URL with a token that every request must carry)",
    )
    studio.add_argument(
        "--store", metavar="DIR|URL", help="a store to inspect (a folder or postgresql://...)"
    )
    studio.add_argument(
        "--allow-host",
        action="append",
        default=[],
        metavar="NAME",
        help="also answer requests for this host name (a DNS name of this machine), when "
        "--host is not loopback",
    )
    studio.add_argument("--open", action="store_true", help="open the page in a browser")
    studio.set_defaults(run=_studio)

    from . import instances

    instances.add_parser(commands, UsageError, _load_one)
    instances.add_db_parser(commands)
    return parser


def _load_one(path: str) -> Chart | None:
    """One chart for `instances create`: its findings go to stderr; None when it has errors."""
    ((source, chart),) = _load_all([path])
    if chart is None or has_errors(source.diagnostics):
        print(f"statewright: {path}: the chart has errors", file=sys.stderr)
        return None
    return chart


# -- commands -------------------------------------------------------------------------------


def _compile(args: argparse.Namespace) -> int:
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
    scxml = getattr(args, "scxml", False)
    for source, chart in _load_all(args.files, target=args.format, scxml=scxml):
        if chart is None:
            failed = True
            continue
        if has_errors(source.diagnostics):
            failed = True
            if args.format in EXECUTABLE_FORMATS:
                print(
                    f"statewright: {source.name}: not writing {args.format}: the chart has errors",
                    file=sys.stderr,
                )
                continue
        options["name"] = "stdin" if source.name == "-" else chart_stem(source.name)
        options["source"] = "<stdin>" if source.name == "-" else Path(source.name).name
        try:
            output = emit(chart, options)
        except RenderError as error:
            raise UsageError(str(error)) from None
        data = output.encode("utf-8") if isinstance(output, str) else output
        if out_dir is not None:
            stem = "stdin" if source.name == "-" else chart_stem(source.name)
            _write(out_dir / (stem + extension), data)
        elif args.output:
            _write(Path(args.output), data)
        else:
            if not isinstance(output, str) and sys.stdout.isatty():
                raise UsageError(f"not writing {args.format} to a terminal: use -o FILE")
            sys.stdout.flush()
            sys.stdout.buffer.write(data)
            sys.stdout.buffer.flush()
    return EXIT_DIAGNOSTICS if failed else EXIT_OK


def _simulate(args: argparse.Namespace) -> int:
    import json

    from ..runtime import ChartError, FakeClock, StatewrightError, load
    from ..runtime.interpreter import parse_document
    from .emit import ir_json

    context: object = {}
    if args.context is not None:
        try:
            context = json.loads(args.context)
        except ValueError as error:
            raise UsageError(f"--context is not JSON: {error}") from None
        if not isinstance(context, dict):
            raise UsageError("--context must be a JSON object")
    if args.ir:
        try:
            document = parse_document(_read(args.file), args.file)
        except ChartError as error:  # not a JSON file at all
            raise UsageError(str(error)) from None
    else:
        ((source, chart),) = _load_all([args.file])
        if chart is None or has_errors(source.diagnostics):
            print(
                f"statewright: {args.file}: not simulating: the chart has errors", file=sys.stderr
            )
            return EXIT_DIAGNOSTICS
        document = json.loads(ir_json.emit(chart))
    clock = FakeClock()
    try:
        machine = load(document, context=context, clock=clock).start()
        print(json.dumps({"event": None, "configuration": machine.configuration}))
        for event in args.events:
            if event.startswith("+"):
                try:
                    clock.advance(float(event[1:].removesuffix("s")))
                except ValueError:
                    raise UsageError(
                        f"{event}: write a clock step as +SECONDS, like +1.5"
                    ) from None
                machine.tick()
            else:
                machine.send(event)
            print(json.dumps({"event": event, "configuration": machine.configuration}))
    except StatewrightError as error:
        print(f"statewright: {args.file}: {error}", file=sys.stderr)
        return EXIT_DIAGNOSTICS
    return EXIT_OK


def _fmt(args: argparse.Namespace) -> int:
    changed: list[str] = []
    failed = False
    for name in args.files:
        if is_yaml(name) or name.endswith(".scxml"):
            raise UsageError(
                f"{name}: fmt rewrites smcat text only; convert with "
                f"`statewright compile {name} -T smcat`"
            )
    for source, chart in _load_all(args.files, checks=False):
        if chart is None or has_errors(source.diagnostics):
            failed = True
            continue
        formatted = smcat_format.emit(chart)
        if source.name == "-":
            if not args.check:
                sys.stdout.write(formatted)
            elif formatted != source.text:
                changed.append("<stdin>")
            continue
        if formatted != source.text:
            changed.append(source.name)
            if not args.check:
                _write(Path(source.name), formatted)
    for name in changed:
        verb = "would reformat" if args.check else "reformatted"
        print(f"{verb} {name}", file=sys.stderr)
    if failed:
        return EXIT_DIAGNOSTICS
    return EXIT_DIAGNOSTICS if (args.check and changed) else EXIT_OK


def _check(args: argparse.Namespace) -> int:
    if args.max_findings < 0:
        raise UsageError("--max-findings must be 0 or more")
    names = [n for n in args.files if not (args.charts_only and _other_yaml(n))]
    loaded = _load_all(names, target=args.target, report=False)
    diagnostics = [d for source, _ in loaded for d in source.diagnostics]
    if args.format == "json":
        sys.stdout.write(to_json(diagnostics))
    elif args.format == "sarif":
        from . import __version__

        sys.stdout.write(to_sarif(diagnostics, __version__))
    else:
        color = sys.stdout.isatty() and "NO_COLOR" not in os.environ
        for source, _ in loaded:
            display = "<stdin>" if source.name == "-" else source.name
            sources = {display: source.text} if source.text is not None else {}
            sys.stdout.write(
                render_all(
                    source.diagnostics, sources, color=color, shown_per_code=args.max_findings
                )
            )
        sys.stdout.write(_summary(diagnostics, len(loaded)) + "\n")
    failing = {Severity.ERROR, Severity.WARNING} if args.strict else {Severity.ERROR}
    return EXIT_DIAGNOSTICS if any(d.severity in failing for d in diagnostics) else EXIT_OK


def _build(args: argparse.Namespace) -> int:
    from . import __version__, build
    from .project import ProjectError, load_project

    if args.jobs < 1:
        raise UsageError("--jobs must be 1 or more")
    config = Path(args.config) if args.config else _find_config()
    data = _read(str(config))
    display = os.path.relpath(config) if config.is_absolute() else str(config)
    try:
        project = load_project(data, display, config.parent.resolve())
        missing = build.unmatched_patterns(project)
        if missing:
            raise UsageError(
                f"{display}: `charts` pattern {', '.join(repr(m) for m in missing)} matches no file"
            )
        live = sys.stderr.isatty()

        def progress(done: int, total: int, result: build.Result) -> None:
            # Each written file gets a line of its own; on a terminal a status line below
            # them counts the outputs done.
            if result.status == "written":
                detail = f" ({result.detail})" if result.detail else ""
                clear = "\r\x1b[K" if live else ""
                print(f"{clear}written: {_shown(result)}{detail}", file=sys.stderr)
            if live:
                sys.stderr.write(f"\r\x1b[K[{done}/{total}] {_shown(result)}")
                sys.stderr.flush()

        outcome = build.run(
            project,
            __version__,
            check=args.check,
            force=getattr(args, "force", False),
            jobs=args.jobs,
            progress=progress,
        )
    except ProjectError as error:
        sources = {display: data.decode("utf-8", "replace")}
        hint = error.hint
        diagnostic = Diagnostic("B001", Severity.ERROR, error.message, error.span, hint)
        sys.stderr.write(render_all([diagnostic], sources, color=_use_color()))
        return EXIT_USAGE
    except build.BuildError as error:
        raise UsageError(str(error)) from None
    if live:
        sys.stderr.write("\r\x1b[K")
    for report in outcome.reports:
        sources = {str(report.chart): report.text} if report.text is not None else {}
        sys.stderr.write(render_all(report.diagnostics, sources, color=_use_color()))
    for result in outcome.results:
        if result.status == "failed":
            print(f"failed: {_shown(result)}: {result.detail}", file=sys.stderr)
    if args.check:
        reasons = {
            "missing": "not generated yet",
            "stale": "its chart or options changed since it was generated",
            "edited": "changed by hand since it was generated",
        }
        out_of_date = [r for r in outcome.results if r.status in reasons]
        for result in out_of_date:
            print(f"{result.status}: {_shown(result)} ({reasons[result.status]})")
        for orphan in outcome.orphans:
            print(
                f"orphaned: {os.path.relpath(orphan)} (generated earlier, but no output of the "
                "project makes it now)"
            )
        total = len(outcome.results)
        if out_of_date or outcome.orphans or build.failed(outcome, project.strict):
            if out_of_date or outcome.orphans:
                count = len(out_of_date) + len(outcome.orphans)
                print(f"{count} of {total} outputs out of date: run `statewright build`")
            return EXIT_DIAGNOSTICS
        print(f"{total} outputs up to date")
        return EXIT_OK
    for orphan in outcome.orphans:
        print(f"removed: {os.path.relpath(orphan)} (no output makes it now)", file=sys.stderr)
    written = outcome.count("written")
    current = outcome.count("up-to-date", "unchanged")
    print(
        f"build: {len(outcome.results)} outputs: {written} written, {current} up to date"
        + (f", {outcome.count('failed')} failed" if outcome.count("failed") else ""),
        file=sys.stderr,
    )
    return EXIT_DIAGNOSTICS if build.failed(outcome, project.strict) else EXIT_OK


def _watch(args: argparse.Namespace) -> int:
    """Build, then build again on every change to a chart or the project file (not to the
    build's own outputs)."""
    import watchfiles

    config = (Path(args.config) if args.config else _find_config()).resolve()
    root = config.parent
    outputs: list[Path] = []

    def relevant(change: watchfiles.Change, name: str) -> bool:
        path = Path(name).resolve()
        if path.name.startswith(".") or path.name.endswith(".tmp"):
            return False  # our own temporary files, editors' swap files
        if any(folder == path or folder in path.parents for folder in outputs):
            return False  # what the build writes
        return path.suffix in CHART_SUFFIXES or path == config

    def build_once() -> None:
        outputs[:] = _output_folders(config)
        _build_once(args)

    args.config = str(config)
    build_once()
    print(f"watch: watching {os.path.relpath(root)} (Ctrl-C to stop)", file=sys.stderr, flush=True)
    try:
        for changes in watchfiles.watch(root, watch_filter=relevant, debounce=200):
            names = sorted({os.path.relpath(name) for _, name in changes})
            print(f"watch: changed {', '.join(names)}", file=sys.stderr, flush=True)
            build_once()
    except KeyboardInterrupt:
        pass
    return EXIT_OK


def _output_folders(config: Path) -> list[Path]:
    """The folders a project's outputs go to (none while the project file is wrong)."""
    from .project import ProjectError, load_project

    try:
        project = load_project(config.read_bytes(), config.name, config.parent)
    except (OSError, ProjectError):
        return []
    return [output.out.resolve() for output in project.outputs]


def _build_once(args: argparse.Namespace) -> None:
    """One build for `watch`: its mistakes are printed, never fatal (the next save may fix
    them)."""
    try:
        _build(args)
    except UsageError as error:
        print(f"statewright: error: {error}", file=sys.stderr, flush=True)
    sys.stderr.flush()


def _find_config() -> Path:
    from .project import find_config

    config = find_config(Path.cwd())
    if config is None:
        raise UsageError(
            "no project file here or above: write a statewright.yaml, or a [tool.statewright] "
            "table in pyproject.toml (docs/build.md)"
        )
    return config


def _studio(args: argparse.Namespace) -> int:
    from .studio import Studio, serve

    path = Path(args.path)
    if not path.exists():
        raise UsageError(f"{path}: no such file or folder")
    if path.is_file() and path.suffix not in CHART_SUFFIXES:
        raise UsageError(f"{path}: not a chart file ({', '.join(CHART_SUFFIXES)})")
    if not 0 <= args.port <= 65535:
        raise UsageError("--port must be from 0 to 65535")
    root = path.parent if path.is_file() else path
    studio = Studio(root.resolve(), path.resolve() if path.is_file() else None, args.store)

    def ready(url: str) -> None:
        print(f"statewright studio: {url} (Ctrl-C to stop)", flush=True)
        if args.open:
            import webbrowser

            webbrowser.open(url)

    try:
        server = serve(studio, args.host, args.port, ready, allow_hosts=tuple(args.allow_host))
    except OSError as error:
        raise UsageError(f"cannot listen on {args.host}:{args.port}: {error.strerror}") from None
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
        studio.close()
    return EXIT_OK


def _shown(result: build.Result) -> str:
    return os.path.relpath(result.target.path)


def _summary(diagnostics: Sequence[Diagnostic], files: int) -> str:
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


# -- input and output -----------------------------------------------------------------------


def _load_all(
    names: Sequence[str],
    *,
    target: str | None = None,
    report: bool = True,
    checks: bool = True,
    scxml: bool = False,
) -> list[tuple[Source, Chart | None]]:
    """Read, parse and (unless `checks` is off) check each input; print the diagnostics to
    stderr unless `report` is off. SCXML is read when `scxml` is on or the name ends in
    `.scxml`."""
    results = []
    for name in names:
        display = "<stdin>" if name == "-" else name
        chart: Chart | None = None
        if is_yaml(name) and (refused := _too_large_yaml(name, display)) is not None:
            source = Source(name, None, (refused,))
            if report:
                _report(source)
            results.append((source, chart))
            continue
        text, chart, diagnostics = diagnose_file(
            _read(name),
            display,
            target=target,
            checks=checks,
            scxml=scxml or name.endswith(".scxml"),
        )
        source = Source(name, text, tuple(diagnostics))
        if report:
            _report(source)
        results.append((source, chart))
    return results


def _other_yaml(name: str) -> bool:
    """Whether a file is YAML that is not a chart: its top level is not a mapping with
    `states` or `transitions` (read safely). A file that does not read as YAML is a chart when
    a line starts with `states:` or `transitions:` (its YAML error is then reported)."""
    if not is_yaml(name) or name == "-":
        return False
    import re

    from .yaml_nodes import Mapping, YamlError, read

    data = _read(name)
    try:
        root = read(data, name)
    except YamlError:
        return re.search(rb"^(states|transitions)\s*:", data, re.M) is None
    return not (isinstance(root, Mapping) and {"states", "transitions"} & set(root.index))


def _too_large_yaml(name: str, display: str) -> Diagnostic | None:
    """Y001 for a YAML file over the size limit, found before reading it."""
    from .yaml_load import refuse_large

    try:
        size = Path(name).stat().st_size
    except OSError:
        return None  # reading it reports the problem
    return refuse_large(size, display)


def _read(name: str) -> bytes:
    try:
        return sys.stdin.buffer.read() if name == "-" else Path(name).read_bytes()
    except FileNotFoundError:
        raise UsageError(f"{name}: no such file") from None
    except IsADirectoryError:
        raise UsageError(f"{name}: is a directory") from None
    except OSError as error:
        raise UsageError(f"{name}: cannot read: {error.strerror}") from None


def _report(source: Source) -> None:
    if not source.diagnostics:
        return
    display = "<stdin>" if source.name == "-" else source.name
    sources = {display: source.text} if source.text is not None else {}
    sys.stderr.write(render_all(source.diagnostics, sources, color=_use_color()))


def _use_color() -> bool:
    return sys.stderr.isatty() and "NO_COLOR" not in os.environ


def _write(path: Path, data: bytes | str) -> None:
    """Write to `path` atomically: readers see the old file or the new one."""
    from ..runtime.store.disk import atomic_write

    try:
        atomic_write(path, data.encode("utf-8") if isinstance(data, str) else data)
    except OSError as error:
        raise UsageError(f"cannot write {path}: {error.strerror}") from None


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
