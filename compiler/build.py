"""`statewright build`: every output of a project, regenerated only where its inputs changed.

Stage: orchestration over the pipeline (Project -> list of `Result`). For each chart the
project file names and each output it asks for, a *target* is one file to write. Whether a
target is up to date is decided by content, never by timestamps (a fresh clone rebuilds
nothing):

- the *input key* hashes what the output is made of: the chart's bytes, its name, the format,
  the output's options and statewright's version;
- text outputs carry a header line (in the format's own comment syntax) with the input key and
  a hash of the rest of the file. A target whose header holds the current key and whose body
  still has its hash is up to date without reading the chart; a body that does not match its
  hash was edited by hand;
- a PNG carries the same line in a `tEXt` chunk after its header chunk;
- JSON has no comments: its targets are generated again and compared byte for byte.

Charts are parsed and checked once each, in worker processes (`--jobs`). `check=True` writes
nothing and reports each target that is missing, stale or edited. A file is only ever written
whole (temporary file, fsync, rename), and only when its bytes change.
"""

from __future__ import annotations

import concurrent.futures
import glob
import hashlib
import json
import os
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from .diagnostics import Diagnostic, Severity
from .emit import emitter
from .files import atomic_write
from .pipeline import diagnose_file
from .project import Output, Project, ProjectError

#: formats that run: not written from a chart with errors
EXECUTABLE = frozenset({"python", "scxml", "xstate"})

#: format -> (comment opening, comment closing); formats not here carry no header
_COMMENTS: dict[str, tuple[str, str]] = {
    "python": ("# ", ""),
    "yaml": ("# ", ""),
    "smcat": ("// ", ""),
    "dot": ("// ", ""),
    "mermaid": ("%% ", ""),
    "scxml": ("<!-- ", " -->"),
    "svg": ("<!-- ", " -->"),
}
_MARK = "statewright build:"
_HEADER = re.compile(
    rb"statewright build: generated from (?P<source>.*?)(?: \(sha256 [0-9a-f]{16}\))?; "
    rb"do not edit\. input=(?P<key>[0-9a-f]{16}) output=(?P<body>[0-9a-f]{16})"
)


@dataclass(frozen=True)
class Target:
    chart: Path
    output: Output
    path: Path
    key: str
    #: the first 16 hex digits of the chart file's SHA-256 (shown in the header)
    source_hash: str = ""


@dataclass
class Result:
    """What happened to one target: `status` is one of written, unchanged (regenerated to the
    same bytes), up-to-date, failed, and with check=True missing, stale, edited."""

    target: Target
    status: str
    detail: str = ""


@dataclass
class ChartReport:
    chart: Path
    text: str | None
    diagnostics: list[Diagnostic] = field(default_factory=list)


def charts_of(project: Project, patterns: Iterable[str] | None = None) -> list[Path]:
    """The chart files of the project (or of `patterns`), sorted, without outputs or the
    project file itself."""
    generated = {output.out.resolve() for output in project.outputs}
    excluded = {
        Path(p).resolve()
        for pattern in project.exclude
        for p in glob.glob(str(project.root / pattern), recursive=True)
    }
    found: set[Path] = set()
    for pattern in patterns if patterns is not None else project.charts:
        for name in glob.glob(str(project.root / pattern), recursive=True):
            path = Path(name)
            resolved = path.resolve()
            if not path.is_file() or resolved == project.config.resolve():
                continue
            if resolved in excluded or any(folder in resolved.parents for folder in generated):
                continue
            found.add(path)
    return sorted(found)


def unmatched_patterns(project: Project) -> list[str]:
    """The `charts` patterns that match no file (likely typos)."""
    return [
        pattern
        for pattern in project.charts
        if not glob.glob(str(project.root / pattern), recursive=True)
    ]


def input_key(source: bytes, chart: Path, output: Output, version: str) -> str:
    recipe = json.dumps(
        {
            "statewright": version,
            "format": output.format,
            "options": dict(output.options),
            "name": chart.name,
            "source": hashlib.sha256(source).hexdigest(),
        },
        sort_keys=True,
    )
    return hashlib.sha256(recipe.encode()).hexdigest()[:16]


def plan(project: Project, version: str) -> list[Target]:
    """Every file the project generates; `ProjectError` when two outputs would write one file."""
    targets: list[Target] = []
    writers: dict[Path, Output] = {}
    everything = charts_of(project)
    for output in project.outputs:
        charts = charts_of(project, output.charts) if output.charts is not None else everything
        for chart in charts:
            path = output.path_for(chart)
            if path in writers:
                raise ProjectError(
                    f"two outputs write {path.relative_to(project.root).as_posix()}",
                    output.span,
                    f"the other is on line {writers[path].span.line}; give one its own `out` "
                    "or `filename`",
                )
            writers[path] = output
            source = chart.read_bytes()
            key = input_key(source, chart, output, version)
            digest = hashlib.sha256(source).hexdigest()[:16]
            targets.append(Target(chart, output, path, key, digest))
    return targets


# -- headers ------------------------------------------------------------------------------------


def _body_hash(body: bytes) -> str:
    return hashlib.sha256(body).hexdigest()[:16]


def with_header(data: bytes, target: Target, root: Path) -> bytes:
    """The output with its header line (formats with comments; a PNG text chunk), else as
    it is."""
    chart = target.chart
    source = chart.relative_to(root).as_posix() if chart.is_relative_to(root) else chart.name
    text = (
        f"{_MARK} generated from {source} (sha256 {target.source_hash}); do not edit. "
        f"input={target.key} output={_body_hash(data)}"
    )
    if target.output.format == "png":
        return _png_with_text(data, text)
    comment = _COMMENTS.get(target.output.format)
    if comment is None:
        return data
    line = f"{comment[0]}{text}{comment[1]}\n".encode()
    if data.startswith(b"<?xml"):
        end = data.index(b"\n") + 1 if b"\n" in data else len(data)
        return data[:end] + line + data[end:]
    return line + data


_PNG = b"\x89PNG\r\n\x1a\n"
_PNG_KEYWORD = b"statewright-build"


def _png_with_text(data: bytes, text: str) -> bytes:
    """The PNG with a tEXt chunk holding `text`, right after its IHDR chunk."""
    import zlib

    if not data.startswith(_PNG) or len(data) < 33:
        return data
    body = _PNG_KEYWORD + b"\x00" + text.encode("latin-1")
    chunk = (
        len(body).to_bytes(4, "big")
        + b"tEXt"
        + body
        + zlib.crc32(b"tEXt" + body).to_bytes(4, "big")
    )
    ihdr_end = 8 + 4 + 4 + int.from_bytes(data[8:12], "big") + 4
    return data[:ihdr_end] + chunk + data[ihdr_end:]


def _png_header(data: bytes) -> tuple[str, str, bytes] | None:
    """The build header of a PNG (its tEXt chunk), and the PNG without that chunk."""
    position = 8
    while position + 8 <= len(data):
        length = int.from_bytes(data[position : position + 4], "big")
        kind = data[position + 4 : position + 8]
        end = position + 12 + length
        if kind == b"tEXt":
            body = data[position + 8 : position + 8 + length]
            if body.startswith(_PNG_KEYWORD + b"\x00"):
                match = _HEADER.search(body)
                if match is None:
                    return None
                rest = data[:position] + data[end:]
                return match["key"].decode(), match["body"].decode(), rest
        if kind in (b"IDAT", b"IEND"):
            return None  # the chunk is written before the image data
        position = end
    return None


def read_header(data: bytes) -> tuple[str, str, bytes] | None:
    """(input key, recorded body hash, body without the header) of a generated file."""
    if data.startswith(_PNG):
        return _png_header(data)
    head = data[:4096]
    match = _HEADER.search(head)
    if match is None:
        return None
    start = head.rfind(b"\n", 0, match.start()) + 1
    end = head.find(b"\n", match.end())
    end = len(data) if end < 0 else end + 1
    body = data[:start] + data[end:]
    return match["key"].decode(), match["body"].decode(), body


def status_of_existing(target: Target) -> str | None:
    """up-to-date, stale or edited from the file's header alone; None when the file must be
    generated to tell (it is missing, or its format has no header)."""
    if target.output.format not in _COMMENTS and target.output.format != "png":
        return None
    try:
        data = target.path.read_bytes()
    except OSError:
        return None
    header = read_header(data)
    if header is None:
        return "foreign"  # a file in place of an output, without the header the build writes
    key, body_hash, body = header
    if _body_hash(body) != body_hash:
        return "edited"
    return "up-to-date" if key == target.key else "stale"


# -- generating ---------------------------------------------------------------------------------


def read_chart(path: Path, target: str | None) -> tuple[object, ChartReport]:
    display = os.path.relpath(path)
    text, chart, diagnostics = diagnose_file(path.read_bytes(), display, target=target)
    return chart, ChartReport(Path(display), text, diagnostics)


def generate(chart: object, target: Target) -> bytes:
    from .emit.render import RenderError
    from .ir import Chart

    assert isinstance(chart, Chart)
    emit, _ = emitter(target.output.format)
    options: dict[str, object] = dict(target.output.options)
    options["name"] = target.path.name.split(".")[0].removesuffix("_machine")
    options["source"] = target.chart.name
    try:
        output = emit(chart, options)
    except RenderError as error:
        raise BuildError(str(error)) from None
    return output.encode("utf-8") if isinstance(output, str) else output


class BuildError(Exception):
    """An output could not be generated (Graphviz missing, say)."""


def build_chart(
    chart_path: Path, targets: list[Target], root: Path, strict: bool, check: bool
) -> tuple[ChartReport, list[Result]]:
    """Parse and check one chart, then bring each of its targets up to date (or, with
    `check`, say which are not). Runs in a worker process."""
    wants_python = any(t.output.format == "python" for t in targets)
    chart, report = read_chart(chart_path, "python" if wants_python else None)
    failing = {Severity.ERROR, Severity.WARNING} if strict else {Severity.ERROR}
    broken = chart is None or any(d.severity in failing for d in report.diagnostics)
    results: list[Result] = []
    for target in targets:
        if chart is None or (broken and target.output.format in EXECUTABLE):
            results.append(Result(target, "failed", "the chart has errors"))
            continue
        try:
            data = with_header(generate(chart, target), target, root)
        except BuildError as error:
            results.append(Result(target, "failed", str(error)))
            continue
        try:
            existing: bytes | None = target.path.read_bytes()
        except OSError:
            existing = None
        if existing == data:
            results.append(Result(target, "unchanged"))
        elif check:
            results.append(Result(target, "missing" if existing is None else "stale"))
        else:
            _write(target.path, data)
            results.append(Result(target, "written", "" if existing is None else "replaced"))
        if broken and not check and results[-1].status != "failed":
            results[-1].detail = "written from a chart with findings"
    return report, results


def _write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write(path, data)


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
            results.append(
                Result(
                    target,
                    "failed",
                    "a file statewright build did not write is in its place: move it away, or "
                    "run `statewright build --force` to replace it",
                )
            )
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
    if jobs <= 1 or len(work) <= 1:
        for chart, chart_targets in work:
            collect(*build_chart(chart, chart_targets, project.root, project.strict, check))
    else:
        with concurrent.futures.ProcessPoolExecutor(max_workers=jobs) as pool:
            futures = [
                pool.submit(build_chart, chart, chart_targets, project.root, project.strict, check)
                for chart, chart_targets in work
            ]
            for future in concurrent.futures.as_completed(futures):
                collect(*future.result())
    order = {target.path: index for index, target in enumerate(targets)}
    results.sort(key=lambda r: order.get(r.target.path, 0))
    reports.sort(key=lambda r: r.chart)
    orphans = find_orphans(project, targets)
    if not check:
        for orphan in orphans:
            orphan.unlink(missing_ok=True)
    return BuildRun(results, reports, orphans)


def find_orphans(project: Project, targets: list[Target]) -> list[Path]:
    """Files in the output folders that an earlier build wrote (they carry its header) but
    that no output of the project makes any more: their chart was removed or renamed, or
    their output was. Files without the header are never touched."""
    current = {target.path.resolve() for target in targets}
    folders = sorted({output.out.resolve() for output in project.outputs})
    found: list[Path] = []
    for folder in folders:
        if not folder.is_dir():
            continue
        for path in sorted(folder.iterdir()):
            if path.name.startswith(".") or not path.is_file() or path.resolve() in current:
                continue
            try:
                data = path.read_bytes()
            except OSError:
                continue
            if read_header(data) is not None:
                found.append(path)
    return found


def failed(run: BuildRun, strict: bool = False) -> bool:
    """Whether the build failed: a chart with errors (or warnings, when strict), or an output
    that could not be generated."""
    failing = {Severity.ERROR, Severity.WARNING} if strict else {Severity.ERROR}
    findings = any(d.severity in failing for r in run.reports for d in r.diagnostics)
    return findings or run.count("failed") > 0
