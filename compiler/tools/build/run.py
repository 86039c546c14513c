"""`statewright build`: every output of a project, regenerated only where its inputs changed.

A tool over the pipeline (Project -> list of `Result`). For each chart the
project file names and each output it asks for, a *target* is one file to write. Whether a
target is up to date is decided by content, never by timestamps (a fresh clone rebuilds
nothing):

- the *input key* hashes what the output is made of: the chart's bytes, its name, the format,
  the output's options and statewright's version (and for Python modules the format of the
  runtime's tables, which refuses a module made for another);
- text outputs carry a header line (in the format's own comment syntax) with the input key and
  a hash of the rest of the file. A target whose header holds the current key and whose body
  still has its hash is up to date without reading the chart; a body that does not match its
  hash was edited by hand;
- a PNG carries the same line in a `tEXt` chunk after its header chunk;
- JSON has no comments: its targets are generated again and compared byte for byte.

The files without a header that the build wrote are recorded in a manifest in their output
folder (`MANIFEST`: file name -> SHA-256 of the bytes written). A file without a header in an
output's place is replaced only when the manifest names it (an output edited by hand, as with a
header) or it already holds what the build would write, and an orphan is removed only when it
still holds the recorded bytes: a hand-made `door.json` is never overwritten or removed without
`--force`.

Everything stays inside the project folder: a chart or an output folder that resolves
elsewhere (through a symbolic link) is refused before anything is read or written.

The build is three modules and the header's: `plan.py` (the targets and their input keys),
`manifest.py` (what the build wrote without a header), this module (reading charts,
generating, writing, orphans), and `tools/generated.py` (the header, written and read).

Charts are parsed and checked once each, in worker processes (`--jobs`). `check=True` writes
nothing and reports each target that is missing, stale or edited. A file is only ever written
whole (temporary file, fsync, rename), and only when its bytes change.
"""

from __future__ import annotations

import concurrent.futures
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from ....runtime.compiling import replacing, unlink_if_there
from ...diagnostics import Diagnostic, Severity
from ...errors import EmitError
from ...formats import FORMATS
from ...pipeline import diagnose_file, emitter
from ..generated import body_hash, read_header, with_header
from .manifest import MANIFEST, read_manifest, sha, write_file, write_manifest
from .plan import BuildError as BuildError
from .plan import Target, plan
from .project import Project


@dataclass
class Result:
    """What happened to one target: `status` is one of written, unchanged (regenerated to the
    same bytes), up-to-date, failed, and with check=True missing, stale, edited."""

    target: Target
    status: str
    detail: str = ""
    #: the SHA-256 of the file's bytes once the build is done with it (for the manifest)
    digest: str | None = None


@dataclass
class ChartReport:
    chart: Path
    text: str | None
    diagnostics: list[Diagnostic] = field(default_factory=list)


def status_of_existing(target: Target) -> str | None:
    """up-to-date, stale or edited from the file's header alone; None when the file must be
    generated to tell (it is missing, or its format has no header)."""
    if not has_header(target):
        return None
    try:
        data = target.path.read_bytes()
    except OSError:
        return None
    header = read_header(data)
    if header is None:
        return "foreign"  # a file in place of an output, without the header the build writes
    key, recorded, body = header
    if body_hash(body) != recorded:
        return "edited"
    return "up-to-date" if key == target.key else "stale"


# -- generating ---------------------------------------------------------------------------------


def read_chart(path: Path, target: str | None) -> tuple[object, ChartReport]:
    display = os.path.relpath(path)
    text, chart, diagnostics = diagnose_file(path.read_bytes(), display, target=target)
    return chart, ChartReport(Path(display), text, diagnostics)


def _source_name(chart: Path, root: Path) -> str:
    """A chart file as its outputs' headers name it: its path in the project."""
    return chart.relative_to(root).as_posix() if chart.is_relative_to(root) else chart.name


def has_header(target: Target) -> bool:
    """Whether the target's format carries the build's header (a PNG its text chunk)."""
    found = FORMATS[target.output.format]
    return found.comment is not None or found.binary


def generate(chart: object, target: Target) -> bytes:
    from ...ir import Chart

    assert isinstance(chart, Chart)
    emit, _ = emitter(target.output.format)
    options: dict[str, object] = dict(target.output.options)
    options["name"] = target.path.name.split(".")[0].removesuffix("_machine")
    options["source"] = target.chart.name
    try:
        output = emit(chart, options)
    except EmitError as error:
        raise BuildError(str(error)) from None
    return output.encode("utf-8") if isinstance(output, str) else output


_FOREIGN = (
    "a file statewright build did not write is in its place: move it away, or run "
    "`statewright build --force` to replace it"
)


def build_chart(
    chart_path: Path,
    targets: list[Target],
    root: Path,
    strict: bool,
    check: bool,
    force: bool = False,
) -> tuple[ChartReport, list[Result]]:
    """Parse and check one chart, then bring each of its targets up to date (or, with
    `check`, say which are not). Runs in a worker process."""
    wants_python = any(t.output.format == "python" for t in targets)
    chart, report = read_chart(chart_path, "python" if wants_python else None)
    failing = {Severity.ERROR, Severity.WARNING} if strict else {Severity.ERROR}
    broken = chart is None or any(d.severity in failing for d in report.diagnostics)
    results: list[Result] = []
    for target in targets:
        if chart is None or (broken and FORMATS[target.output.format].executable):
            results.append(Result(target, "failed", "the chart has errors"))
            continue
        try:
            data = with_header(
                generate(chart, target),
                target.output.format,
                _source_name(target.chart, root),
                target.source_hash,
                target.key,
            )
        except BuildError as error:
            results.append(Result(target, "failed", str(error)))
            continue
        try:
            existing: bytes | None = target.path.read_bytes()
        except OSError:
            existing = None
        # a file without a header is the build's when its manifest names it; the bytes
        # tell whether it was edited since
        ours = existing is None or has_header(target) or target.recorded is not None
        edited = (
            existing is not None and not has_header(target) and (sha(existing) != target.recorded)
        )
        if existing == data:
            results.append(Result(target, "unchanged", digest=sha(data)))
        elif check:
            status = "missing" if existing is None else "edited" if edited else "stale"
            results.append(Result(target, status))
        elif not ours and not force:
            results.append(Result(target, "failed", _FOREIGN))
        else:
            try:
                write_file(target.path, data)
            except OSError as error:  # the old file is untouched (atomic_write)
                results.append(Result(target, "failed", _not_written(target.path, error)))
                continue
            detail = "" if existing is None else "replaced"
            if edited and ours:
                detail = "replaced a file edited by hand"
            results.append(Result(target, "written", detail, digest=sha(data)))
        if broken and not check and results[-1].status != "failed":
            results[-1].detail = "written from a chart with findings"
    return report, results


def _not_written(path: Path, error: OSError) -> str:
    """What a failed write of an output says: the file, and the system's reason."""
    return f"cannot write {error.filename or path}: {error.strerror or error} (left as it was)"


# -- the whole build ----------------------------------------------------------------------------


@dataclass
class BuildRun:
    results: list[Result]
    reports: list[ChartReport]
    #: generated files no output makes any more: removed by a build, reported by a check
    orphans: list[Path] = field(default_factory=list)

    def count(self, *statuses: str) -> int:
        return sum(1 for r in self.results if r.status in statuses)


def run(
    project: Project,
    version: str,
    *,
    check: bool = False,
    force: bool = False,
    jobs: int = 1,
    progress: Callable[[int, int, Result], None] | None = None,
) -> BuildRun:
    """Bring every target up to date (or with `check`, say which are not). A file in an
    output's place that the build did not write (no header) is left alone unless `force`."""
    targets = plan(project, version)
    if not check:
        try:
            _remove_leftovers(targets)
        except OSError as error:
            raise BuildError(f"{error.filename}: {error.strerror or error}") from None
    results: list[Result] = []
    pending: dict[Path, list[Target]] = {}
    edited: set[Path] = set()
    for target in targets:
        known = status_of_existing(target)
        if known == "foreign" and check:
            known = "edited"
        if known == "up-to-date" or (check and known in ("stale", "edited")):
            results.append(Result(target, known))
        elif known == "foreign" and not force:
            results.append(Result(target, "failed", _FOREIGN))
        else:
            if known in ("edited", "foreign"):
                edited.add(target.path)
            pending.setdefault(target.chart, []).append(target)
    total = len(targets)
    done = len(results)
    reports: list[ChartReport] = []

    def collect(report: ChartReport, found: list[Result]) -> None:
        nonlocal done
        reports.append(report)
        for result in found:
            if result.status == "written" and result.target.path in edited:
                result.detail = "replaced a file edited by hand"
            done += 1
            results.append(result)
            if progress is not None:
                progress(done, total, result)

    work = [(chart, chart_targets) for chart, chart_targets in sorted(pending.items())]
    settings = (project.root, project.strict, check, force)
    if jobs <= 1 or len(work) <= 1:
        for chart, chart_targets in work:
            collect(*build_chart(chart, chart_targets, *settings))
    else:
        with concurrent.futures.ProcessPoolExecutor(max_workers=jobs) as pool:
            futures = [
                pool.submit(build_chart, chart, chart_targets, *settings)
                for chart, chart_targets in work
            ]
            for future in concurrent.futures.as_completed(futures):
                collect(*future.result())
    order = {target.path: index for index, target in enumerate(targets)}
    results.sort(key=lambda r: order.get(r.target.path, 0))
    reports.sort(key=lambda r: r.chart)
    orphans = find_orphans(project, targets)
    if not check:
        try:
            for orphan in orphans:
                unlink_if_there(orphan)
            _record(project, results)
        except OSError as error:
            raise BuildError(
                f"{error.filename or project.root}: {error.strerror or error}; the outputs "
                "written are complete (the next build finishes the rest)"
            ) from None
    return BuildRun(results, reports, orphans)


def _remove_leftovers(targets: list[Target]) -> None:
    """The temporary files a build stopped by a crash left beside its outputs (the
    temporaries of `disk.atomic_write`)."""
    names: dict[Path, set[str]] = {}
    for target in targets:
        names.setdefault(target.path.parent, {MANIFEST}).add(target.path.name)
    for folder, outputs in names.items():
        for leftover in folder.glob(".*.tmp") if folder.is_dir() else ():
            if replacing(leftover.name) in outputs:
                unlink_if_there(leftover)


def _record(project: Project, results: list[Result]) -> None:
    """Write each output folder's manifest: the files without a header that the build now
    stands behind (a header proves the rest)."""
    folders: dict[Path, dict[str, str]] = {output.out: {} for output in project.outputs}
    for result in results:
        path = result.target.path
        if result.digest is not None and not has_header(result.target):
            folders.setdefault(path.parent, {})[path.name] = result.digest
    for folder, files in folders.items():
        if folder.is_dir():
            write_manifest(folder, files)


def find_orphans(project: Project, targets: list[Target]) -> list[Path]:
    """Files in the output folders that an earlier build wrote (they carry its header, or
    the folder's manifest holds their bytes) but that no output of the project makes any
    more: their chart was removed or renamed, or their output was. Files the build did not
    write are never touched."""
    current = {target.path.resolve() for target in targets}
    folders = sorted({output.out for output in project.outputs})
    found: list[Path] = []
    for folder in folders:
        if not folder.is_dir() or folder.is_symlink():
            continue
        manifest = read_manifest(folder)
        for path in sorted(folder.iterdir()):
            if path.name.startswith(".") or path.is_symlink() or not path.is_file():
                continue
            if path.resolve() in current:
                continue
            try:
                data = path.read_bytes()
            except OSError:
                continue
            if read_header(data) is not None or manifest.get(path.name) == sha(data):
                found.append(path)
    return found


def failed(run: BuildRun, strict: bool = False) -> bool:
    """Whether the build failed: a chart with errors (or warnings, when strict), or an output
    that could not be generated."""
    failing = {Severity.ERROR, Severity.WARNING} if strict else {Severity.ERROR}
    findings = any(d.severity in failing for r in run.reports for d in r.diagnostics)
    return findings or run.count("failed") > 0
