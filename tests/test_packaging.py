"""The two distributions: `statewright-runtime` (built from runtime/) and `statewright` (built
from the root, depending on the runtime at the same version). Both wheels are built from the
files git tracks; the runtime wheel alone runs a generated class and a durable instance in a
clean virtual environment, and the full install answers `python -m statewright --version`."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tomllib
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from testkit import EXAMPLES, ROOT

pytestmark = pytest.mark.slow  # builds wheels and virtual environments


def _project(path: Path) -> dict[str, object]:
    project: dict[str, object] = tomllib.loads(path.read_text("utf-8"))["project"]
    return project


def test_the_versions_are_one_version() -> None:
    import statewright.runtime

    root = _project(ROOT / "pyproject.toml")
    runtime = _project(ROOT / "runtime" / "pyproject.toml")
    assert root["version"] == runtime["version"] == statewright.runtime.__version__
    assert f"statewright-runtime=={runtime['version']}" in root["dependencies"]  # type: ignore[operator]
    assert runtime["dependencies"] == []  # the standard library only
    assert (ROOT / "LICENSE").read_bytes() == (ROOT / "runtime" / "LICENSE").read_bytes()


@pytest.fixture(scope="module")
def wheels(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Path]]:
    """Both wheels, built without network from a copy of the tracked files."""
    source = tmp_path_factory.mktemp("source")
    tracked = subprocess.run(
        ["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True
    ).stdout.split(b"\0")
    for name in filter(None, tracked):
        target = source / name.decode()
        target.parent.mkdir(parents=True, exist_ok=True)
        if (ROOT / name.decode()).is_file():
            shutil.copy2(ROOT / name.decode(), target)
    dist = tmp_path_factory.mktemp("dist")
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--quiet",
            "--no-deps",
            "--no-build-isolation",
            "--disable-pip-version-check",
            "-w",
            str(dist),
            str(source / "runtime"),
            str(source),
        ],
        check=True,
        capture_output=True,
    )
    (runtime,) = dist.glob("statewright_runtime-*.whl")
    (full,) = dist.glob("statewright-*.whl")
    yield {"runtime": runtime, "statewright": full}


def _names(wheel: Path) -> list[str]:
    with zipfile.ZipFile(wheel) as archive:
        return archive.namelist()


def test_each_wheel_holds_its_own_packages(wheels: dict[str, Path]) -> None:
    runtime = [n for n in _names(wheels["runtime"]) if not n.startswith("statewright_runtime-")]
    assert runtime and all(n.startswith("statewright/runtime/") for n in runtime)
    assert "statewright/runtime/py.typed" in runtime
    full = _names(wheels["statewright"])
    assert not any(n.startswith("statewright/runtime/") for n in full)
    for expected in (
        "statewright/__main__.py",
        "statewright/compiler/tools/cli/main.py",
        "statewright/compiler/read/smcat.py",
        "statewright/compiler/py.typed",
        "statewright/grammars/smcat.lark",
        "statewright/templates/python.py.j2",
        "statewright/schemas/chart.schema.json",
        "statewright/schemas/ir.schema.json",
    ):
        assert expected in full, expected
    assert not any("/namespace/" in n or n.startswith("tests/") for n in full)
    with zipfile.ZipFile(wheels["statewright"]) as archive:
        metadata = archive.read("statewright-0.1.0.dist-info/METADATA").decode()
    assert "License-Expression: MIT" in metadata and "Typing :: Typed" in metadata
    assert "Requires-Dist: statewright-runtime==0.1.0" in metadata


def _venv(path: Path) -> Path:
    subprocess.run([sys.executable, "-m", "venv", str(path)], check=True)
    return path / "bin" / "python"


def test_the_runtime_wheel_alone_runs_generated_classes_and_instances(
    wheels: dict[str, Path], tmp_path: Path
) -> None:
    python = _venv(tmp_path / "venv")
    subprocess.run(
        [
            str(python),
            "-m",
            "pip",
            "install",
            "--quiet",
            "--no-index",
            "--no-deps",
            "--disable-pip-version-check",
            str(wheels["runtime"]),
        ],
        check=True,
    )
    work = tmp_path / "app"
    work.mkdir()
    sw = [sys.executable, "-m", "statewright"]
    door = str(EXAMPLES / "door.smcat")
    subprocess.run(
        [*sw, "compile", door, "-T", "python", "-o", str(work / "door_machine.py")], check=True
    )
    subprocess.run([*sw, "compile", door, "-T", "ir", "-o", str(work / "door.ir.json")], check=True)
    program = """
import json, sys
from door_machine import DoorMachine
from statewright.runtime import load
from statewright.runtime.store import FileStore
from statewright.runtime.store import StoredChart

class Door(DoorMachine):
    def engage_bolt(self, data): pass
    def release_bolt(self, data): pass
    def beep(self, data): pass

door = Door()
door.start()
door.lock()
door.unlock(code=1234)
store = FileStore("store")
chart = StoredChart(json.load(open("door.ir.json")), partial=True)
with store.create("front", chart) as instance:
    instance.send("lock")
with store.open("front", chart) as instance:
    seen = instance.configuration
third = sorted({m.split(".")[0] for m in sys.modules} & {
    "lark", "jinja2", "graphviz", "lxml", "black", "yaml", "tenacity", "uuid6", "portalocker"})
print(json.dumps({"class": door.configuration, "instance": seen, "interpreter":
    list(load("door.ir.json", partial=True).start().send("lock").configuration),
    "third": third}))
"""
    done = subprocess.run(
        [str(python), "-c", program], cwd=work, capture_output=True, text=True, check=True
    )
    outcome = json.loads(done.stdout)
    assert outcome == {
        "class": ["closed"],
        "instance": ["locked"],
        "interpreter": ["locked"],
        "third": [],
    }
    listed = subprocess.run(
        [str(python), "-m", "pip", "list", "--format", "json", "--disable-pip-version-check"],
        capture_output=True,
        text=True,
        check=True,
    )
    installed = {p["name"] for p in json.loads(listed.stdout)}
    assert installed - {"pip", "setuptools", "wheel"} == {"statewright-runtime"}


def test_the_runtime_wheel_alone_runs_the_worker_with_hooks(
    wheels: dict[str, Path], tmp_path: Path
) -> None:
    """Production needs only the runtime: `statewright-worker` (and `python -m
    statewright.runtime.worker`) fires a due timer over a FileStore with the program's hooks,
    in a venv holding the runtime wheel and nothing else."""
    python = _venv(tmp_path / "venv")
    subprocess.run(
        [str(python), "-m", "pip", "install", "--quiet", "--no-index", "--no-deps"]
        + ["--disable-pip-version-check", str(wheels["runtime"])],
        check=True,
    )
    work = tmp_path / "app"
    work.mkdir()
    (work / "jobs.smcat").write_text("waiting, done;\nwaiting => done: after 1ms / notify;\n")
    subprocess.run(
        [sys.executable, "-m", "statewright", "compile", str(work / "jobs.smcat")]
        + ["-T", "python", "-o", str(work / "jobs_machine.py")],
        check=True,
    )
    (work / "jobs_hooks.py").write_text(
        "from jobs_machine import JobsMachine\n\n"
        "class Jobs(JobsMachine):\n"
        "    def notify(self, data):\n"
        "        with open('notified', 'a') as out:\n"
        "            out.write('job\\n')\n"
    )
    create = (
        "from jobs_hooks import Jobs\n"
        "from statewright.runtime.store import FileStore, StoredChart\n"
        "FileStore('store').create('job-1', StoredChart(Jobs)).close()\n"
    )
    subprocess.run([str(python), "-c", create], cwd=work, check=True)
    worker = tmp_path / "venv" / "bin" / "statewright-worker"
    once = [str(worker), "--store", "store", "--hooks", "jobs_hooks:Jobs", "--once"]
    first = subprocess.run(once, cwd=work, capture_output=True, text=True, check=False)
    assert first.returncode == 0, first.stderr
    assert json.loads(first.stdout)["fired"] == 1
    assert (work / "notified").read_text() == "job\n"  # the program's hook ran
    module = [str(python), "-m", "statewright.runtime.worker", "--store", "store", "--once"]
    again = subprocess.run(module, cwd=work, capture_output=True, text=True, check=False)
    assert again.returncode == 0 and json.loads(again.stdout)["fired"] == 0, again.stderr
    wrong = subprocess.run(
        [str(worker), "--store", "store", "--hooks", "jobs_hooks"],
        cwd=work,
        capture_output=True,
        text=True,
        check=False,
    )
    assert wrong.returncode == 2 and "write MODULE:ATTR" in wrong.stderr
    assert "Traceback" not in wrong.stderr + first.stderr + again.stderr


def test_the_full_install_runs_python_m_statewright(
    wheels: dict[str, Path], tmp_path: Path
) -> None:
    """Both wheels into a clean venv, with their dependencies at the pinned versions."""
    python = _venv(tmp_path / "venv")
    subprocess.run(
        [
            str(python),
            "-m",
            "pip",
            "install",
            "--quiet",
            "--disable-pip-version-check",
            "-c",
            str(ROOT / "constraints.txt"),
            str(wheels["runtime"]),
            str(wheels["statewright"]),
        ],
        check=True,
        capture_output=True,
    )
    version = subprocess.run(
        [str(python), "-m", "statewright", "--version"], capture_output=True, text=True, check=True
    )
    assert version.stdout == "statewright 0.1.0\n"
    helped = subprocess.run(
        [str(python), "-m", "statewright", "--help"], capture_output=True, text=True
    )
    assert helped.returncode == 0 and "compile" in helped.stdout
    checked = subprocess.run(
        [str(tmp_path / "venv" / "bin" / "statewright"), "check", str(EXAMPLES / "order.yaml")],
        capture_output=True,
        text=True,
    )
    assert checked.returncode == 0, checked.stderr
    schema = subprocess.run(
        [
            str(python),
            "-c",
            "import importlib.resources as r; "
            "print(r.files('statewright.schemas').joinpath('chart.schema.json').read_text()[:1])",
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    assert schema.stdout == "{\n"


def test_the_source_distribution_leaves_the_tests_out(tmp_path: Path) -> None:
    source = tmp_path / "source"
    tracked = subprocess.run(
        ["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True
    ).stdout.split(b"\0")
    for name in filter(None, tracked):
        if (ROOT / name.decode()).is_file():
            (source / name.decode()).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name.decode(), source / name.decode())
    built = subprocess.run(
        [
            sys.executable,
            "-c",
            f"from setuptools import build_meta; print(build_meta.build_sdist({str(tmp_path)!r}))",
        ],
        cwd=source,
        capture_output=True,
        text=True,
        check=True,
    )
    import tarfile

    with tarfile.open(tmp_path / built.stdout.strip().splitlines()[-1]) as archive:
        names = [n.split("/", 1)[1] for n in archive.getnames() if "/" in n]
    assert not any(n.startswith("tests/") for n in names)
    for expected in (
        "LICENSE",
        "CHANGELOG.md",
        "docs/chart.schema.json",
        "compiler/tools/cli/main.py",
    ):
        assert expected in names, expected
    assert "compiler/namespace/__main__.py" in names
