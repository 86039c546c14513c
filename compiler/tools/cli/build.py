"""`statewright build` and `statewright watch`: a project's outputs, regenerated when their
charts or options change (docs/build.md). The work is `tools/build`; this module reads the
command line, prints progress and chooses the exit code."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ...diagnostics import Diagnostic, Severity, render_all
from ...formats import is_chart_file
from .common import EXIT_DIAGNOSTICS, EXIT_OK, EXIT_USAGE, UsageError, read, use_color

if TYPE_CHECKING:
    from ..build import run as build


def add_parsers(commands: Any) -> None:
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
    build.set_defaults(run=run)

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
    watch.set_defaults(run=run_watch, check=False)


def run(args: argparse.Namespace) -> int:
    from ... import __version__
    from ..build import run as build
    from ..build.plan import unmatched_patterns
    from ..build.project import ProjectError, load_project

    if args.jobs < 1:
        raise UsageError("--jobs must be 1 or more")
    config = Path(args.config) if args.config else _find_config()
    data = read(str(config))
    display = os.path.relpath(config) if config.is_absolute() else str(config)
    try:
        project = load_project(data, display, config.parent.resolve())
        missing = unmatched_patterns(project)
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
        diagnostic = Diagnostic("B001", Severity.ERROR, error.message, error.span, error.hint)
        sys.stderr.write(render_all([diagnostic], sources, color=use_color()))
        return EXIT_USAGE
    except build.BuildError as error:
        raise UsageError(str(error)) from None
    if live:
        sys.stderr.write("\r\x1b[K")
    for report in outcome.reports:
        sources = {str(report.chart): report.text} if report.text is not None else {}
        sys.stderr.write(render_all(report.diagnostics, sources, color=use_color()))
    for result in outcome.results:
        if result.status == "failed":
            print(f"failed: {_shown(result)}: {result.detail}", file=sys.stderr)
    if args.check:
        return _report_check(outcome, project.strict)
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


def _report_check(outcome: build.BuildRun, strict: bool) -> int:
    """What `build --check` prints: each output out of date and why; exit 1 if any."""
    from ..build import run as build

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
    if out_of_date or outcome.orphans or build.failed(outcome, strict):
        if out_of_date or outcome.orphans:
            count = len(out_of_date) + len(outcome.orphans)
            print(f"{count} of {total} outputs out of date: run `statewright build`")
        return EXIT_DIAGNOSTICS
    print(f"{total} outputs up to date")
    return EXIT_OK


def run_watch(args: argparse.Namespace) -> int:
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
        return is_chart_file(path.name) or path == config

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
    from ..build.project import ProjectError, load_project

    try:
        project = load_project(config.read_bytes(), config.name, config.parent)
    except (OSError, ProjectError):
        return []
    return [output.out.resolve() for output in project.outputs]


def _build_once(args: argparse.Namespace) -> None:
    """One build for `watch`: its mistakes are printed, never fatal (the next save may fix
    them)."""
    try:
        run(args)
    except UsageError as error:
        print(f"statewright: error: {error}", file=sys.stderr, flush=True)
    sys.stderr.flush()


def _find_config() -> Path:
    from ..build.project import find_config

    config = find_config(Path.cwd())
    if config is None:
        raise UsageError(
            "no project file here or above: write a statewright.yaml, or a [tool.statewright] "
            "table in pyproject.toml (docs/build.md)"
        )
    return config


def _shown(result: build.Result) -> str:
    return os.path.relpath(result.target.path)
