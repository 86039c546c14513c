"""`statewright build`, the plan: which files a project makes (a *target*: one output of one
chart), and the input key that says whether a target is up to date. Nothing here reads a chart
or writes a file (run.py does both)."""

from __future__ import annotations

import glob
import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from ...errors import CompilerError
from .manifest import read_manifest
from .project import Output, Project, ProjectError


class BuildError(CompilerError):
    """The build cannot go on: an output could not be generated (Graphviz missing, say), or a
    chart or an output folder resolves outside the project folder."""


@dataclass(frozen=True)
class Target:
    chart: Path
    output: Output
    path: Path
    key: str
    #: the first 16 hex digits of the chart file's SHA-256 (shown in the header)
    source_hash: str = ""
    #: the SHA-256 of the bytes the build last wrote at `path` (its manifest), if any
    recorded: str | None = None


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
    recipe: dict[str, object] = {
        "statewright": version,
        "format": output.format,
        "options": dict(output.options),
        "name": chart.name,
        "source": hashlib.sha256(source).hexdigest(),
    }
    if output.format == "python":  # a module for other tables is refused by the runtime
        from ....runtime.compiling import TABLES

        recipe["tables"] = TABLES
    return hashlib.sha256(json.dumps(recipe, sort_keys=True).encode()).hexdigest()[:16]


def plan(project: Project, version: str) -> list[Target]:
    """Every file the project generates; `ProjectError` when two outputs would write one file,
    `BuildError` when a chart or an output folder resolves outside the project folder."""
    targets: list[Target] = []
    writers: dict[Path, Output] = {}
    everything = charts_of(project)
    root = project.root.resolve()
    for output in project.outputs:
        _contained(output.out, root, "the output folder")
    manifests = {folder: read_manifest(folder) for folder in {o.out for o in project.outputs}}
    for output in project.outputs:
        charts = charts_of(project, output.charts) if output.charts is not None else everything
        for chart in charts:
            _contained(chart, root, "the chart")
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
            recorded = manifests[output.out].get(path.name)
            targets.append(Target(chart, output, path, key, digest, recorded))
    return targets


def _contained(path: Path, root: Path, what: str) -> None:
    """Refuse a path that resolves outside the project folder (a link pointing out)."""
    resolved = path.resolve()
    if resolved != root and root not in resolved.parents:
        shown = path.relative_to(root).as_posix() if path.is_relative_to(root) else str(path)
        raise BuildError(
            f"{what} {shown} resolves to {resolved}, outside the project folder {root}: "
            "statewright build reads and writes inside its project only"
        )
