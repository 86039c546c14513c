"""Code quality gates, run with the suite so CI enforces them: ruff, black, mypy --strict on the
installed packages, import-linter's contracts (pyproject.toml: the runtime never imports the
compiler, the core never imports the tools, readers and emitters never import each other, no
import cycle), and the shape docs/architecture.md describes: only the CLI prints or exits, no
source module over 600 lines, at most 12 modules directly under compiler/."""

from __future__ import annotations

import ast
import os
import subprocess
import sys
from pathlib import Path

import pytest

from testkit import ROOT

BIN = Path(sys.executable).parent


def _run(
    *command: str, env: dict[str, str] | None = None, cwd: Path = ROOT
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        command, cwd=cwd, capture_output=True, text=True, env=env, timeout=600, check=False
    )


@pytest.fixture(scope="module")
def installed_copy(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A plain (non-editable) install of both distributions, which mypy and grimp can read."""
    target = tmp_path_factory.mktemp("typecheck")
    result = _run(
        sys.executable,
        "-m",
        "pip",
        "install",
        "--quiet",
        "--no-deps",
        "--no-build-isolation",
        "--disable-pip-version-check",
        "--target",
        str(target),
        "./runtime",
        ".",
    )
    assert result.returncode == 0, result.stderr
    return target


def test_ruff() -> None:
    result = _run(str(BIN / "ruff"), "check", ".")
    assert result.returncode == 0, result.stdout + result.stderr


def test_black() -> None:
    result = _run(str(BIN / "black"), "--check", "--quiet", ".")
    assert result.returncode == 0, result.stdout + result.stderr


def test_mypy_strict(installed_copy: Path) -> None:
    env = dict(os.environ, MYPYPATH=str(installed_copy))
    result = _run(
        str(BIN / "mypy"),
        "--strict",
        "--cache-dir",
        str(installed_copy.parent / "mypy-cache"),
        "-p",
        "statewright.compiler",
        "-p",
        "statewright.runtime",
        env=env,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_generated_modules_are_mypy_strict_clean(installed_copy: Path, tmp_path: Path) -> None:
    """`-T python` output type-checks with --strict: every example, and golden charts with
    guards, history, parallel regions and odd names."""
    from statewright.compiler.emit import python
    from testkit import EXAMPLES, GOLDEN, chart_of

    sources = sorted(EXAMPLES.glob("*.smcat")) + [
        GOLDEN / f"{stem}.smcat"
        for stem in (
            "113-behaviour-deep-history",
            "114-behaviour-parallel-exits",
            "118-behaviour-guards-and-choice",
            "121-behaviour-event-names",
            "126-behaviour-delays",
        )
    ]
    files = []
    for source in sources:
        path = tmp_path / f"{source.stem.replace('-', '_')}_machine.py"
        path.write_text(python.emit(chart_of(source), {"name": source.stem}), "utf-8")
        files.append(str(path))
    env = dict(os.environ, MYPYPATH=str(installed_copy))
    result = _run(
        str(BIN / "mypy"),
        "--strict",
        "--cache-dir",
        str(installed_copy.parent / "mypy-cache"),
        *files,
        env=env,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_mypy_checks_the_declared_fields_of_event_methods(
    installed_copy: Path, tmp_path: Path
) -> None:
    """A chart's declared event fields are the generated method's typed keyword arguments, and
    its declared context the class's typed `context`: a field or a context value of the wrong
    type, or a name the chart does not declare, fails mypy."""
    from statewright.compiler.emit import python
    from testkit import EXAMPLES, chart_of

    module = tmp_path / "door_machine.py"
    module.write_text(python.emit(chart_of(EXAMPLES / "door.smcat"), {"name": "door"}), "utf-8")
    caller = tmp_path / "caller.py"
    caller.write_text(
        "from door_machine import DoorMachine\n\n\n"
        "class Door(DoorMachine, partial=True):\n    pass\n\n\n"
        "door = Door()\n"
        "door.unlock(code=1234)\n"
        "door.unlock()\n"
        'door.unlock(code="1234")\n'
        "door.unlock(cod=1234)\n"
        "door.context['jammed'] = 1\n"
        "door.context['jammed'] = 'stuck'\n"
        "door.context['jamed'] = 1\n",
        "utf-8",
    )
    env = dict(os.environ, MYPYPATH=f"{installed_copy}{os.pathsep}{tmp_path}")
    result = _run(
        str(BIN / "mypy"),
        "--strict",
        "--cache-dir",
        str(installed_copy.parent / "mypy-cache"),
        str(caller),
        env=env,
        cwd=tmp_path,
    )
    errors = [line for line in result.stdout.splitlines() if ": error:" in line]
    assert [line.split(":")[1] for line in errors] == ["11", "12", "14", "15"], result.stdout


def test_generated_modules_are_ruff_clean() -> None:
    """The golden `-T python` modules pass the rules this project uses (a user's linter should
    not trip over generated files)."""
    result = _run(
        str(BIN / "ruff"),
        "check",
        "--no-cache",
        "--isolated",
        "--select",
        "E,W,F,I,UP,B",
        "--line-length",
        "100",
        "tests/golden/python",
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_import_contracts(installed_copy: Path) -> None:
    env = dict(os.environ, PYTHONPATH=str(installed_copy))
    result = _run(str(BIN / "lint-imports"), "--no-cache", env=env)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


def test_runtime_imports_nothing_heavy() -> None:
    code = (
        "import sys, statewright.runtime; "
        "heavy = {'lark', 'jinja2', 'graphviz', 'lxml', 'black', 'statewright.compiler'}; "
        "print(sorted(heavy & set(sys.modules)))"
    )
    result = _run(sys.executable, "-c", code)
    assert result.stdout.strip() == "[]", result.stdout + result.stderr


def test_no_bare_top_level_modules_installed(installed_copy: Path) -> None:
    top = sorted(
        p.name for p in installed_copy.iterdir() if not p.name.endswith("-info") and p.name != "bin"
    )
    assert top == ["statewright"]
    package = installed_copy / "statewright"
    assert sorted(p.name for p in package.iterdir() if p.is_dir() and p.name != "__pycache__") == [
        "compiler",
        "grammars",
        "runtime",
        "schemas",
        "templates",
    ]
    assert (package / "grammars" / "smcat.lark").is_file()
    # `statewright` itself stays a namespace: its only file is `python -m statewright`
    assert sorted(p.name for p in package.iterdir() if p.is_file()) == ["__main__.py"]


SOURCES = sorted(
    p
    for folder in ("compiler", "runtime")
    for p in (ROOT / folder).rglob("*.py")
    if "build" not in p.relative_to(ROOT).parts[1:2]
)
CLI = ROOT / "compiler" / "tools" / "cli"


def _prints_or_exits(tree: ast.AST) -> list[str]:
    """What in a module writes to the terminal or ends the process: print(), sys.exit(),
    exit(), quit(), os._exit(), SystemExit, sys.stdout, sys.stderr."""
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
            if node.func.id in ("print", "exit", "quit"):
                found.append(f"{node.func.id}() at line {node.lineno}")
        elif isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
            if (node.value.id, node.attr) in (
                ("sys", "exit"),
                ("sys", "stdout"),
                ("sys", "stderr"),
                ("os", "_exit"),
            ):
                found.append(f"{node.value.id}.{node.attr} at line {node.lineno}")
        elif isinstance(node, ast.Name) and node.id == "SystemExit":
            found.append(f"SystemExit at line {node.lineno}")
    return found


#: the runtime's one program (`statewright-worker`), a command line like the CLI's
PROGRAMS = {"runtime/worker.py"}


def test_only_the_cli_prints_or_exits() -> None:
    offenders = {}
    for path in SOURCES:
        if (
            path.is_relative_to(CLI)
            or path.name == "__main__.py"
            or str(path.relative_to(ROOT)) in PROGRAMS
        ):
            continue  # the CLI layer, and the entry points that call it
        found = _prints_or_exits(ast.parse(path.read_text("utf-8")))
        if found:
            offenders[str(path.relative_to(ROOT))] = found
    assert offenders == {}


def test_the_print_rule_sees_what_it_forbids() -> None:
    code = "import sys, os\nprint(1)\nsys.stderr.write('x')\nos._exit(3)\nraise SystemExit(2)\n"
    assert len(_prints_or_exits(ast.parse(code))) == 4
    assert _prints_or_exits(ast.parse("log.print = 1\nstdout = None\n")) == []


def test_no_source_module_is_over_600_lines() -> None:
    """The guide holds for the tests too (the golden files and the npm references aside)."""
    tests = [p for p in (ROOT / "tests").rglob("*.py") if not {"golden", "node"} & set(p.parts)]
    sizes = {
        str(p.relative_to(ROOT)): len(p.read_text("utf-8").splitlines()) for p in (*SOURCES, *tests)
    }
    assert len(sizes) > 120
    assert {name: size for name, size in sizes.items() if size > 600} == {}


def test_the_compiler_folder_shows_the_pipeline() -> None:
    """At most 12 modules directly under compiler/; the stages and the tools are folders."""
    modules = sorted(p.name for p in (ROOT / "compiler").glob("*.py"))
    assert len(modules) <= 12, modules
    folders = sorted(p.name for p in (ROOT / "compiler").iterdir() if (p / "__init__.py").exists())
    assert folders == ["check", "emit", "read", "tools"]
    tools = sorted(p.name for p in (ROOT / "compiler" / "tools").iterdir() if p.is_dir())
    assert [t for t in tools if t != "__pycache__"] == ["build", "cli", "docs", "studio"]


def test_git_ignores_no_source_file() -> None:
    """A source file that .gitignore hides is missing from every clone (a folder named `build`
    once was): no file of the source folders may be ignored, caches aside."""
    result = _run(
        "git",
        "ls-files",
        "--others",
        "--ignored",
        "--exclude-standard",
        "--",
        "compiler",
        "runtime",
        "grammars",
        "templates",
        "docs",
        "tests",
        "examples",
    )
    if result.returncode != 0:
        pytest.skip("not a git checkout")
    caches = (
        "__pycache__",
        ".egg-info",
        "node_modules",
        "runtime/build/",
        ".pytest_cache",
        ".hypothesis",
    )
    ignored = [n for n in result.stdout.splitlines() if not any(c in n for c in caches)]
    ignored = [n for n in ignored if not n.startswith(("examples/out/", "tests/node/"))]
    assert ignored == []
