"""Code quality gates, run with the suite so CI enforces them: ruff, black, mypy --strict on the
installed packages, and import-linter's layer contracts (runtime never imports the compiler,
emitters never import the parser, nothing imports the CLI)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import ROOT

BIN = Path(sys.executable).parent


def _run(*command: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        command, cwd=ROOT, capture_output=True, text=True, env=env, timeout=600, check=False
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
    from conftest import EXAMPLES, GOLDEN, chart_of
    from statewright.compiler.emit import python

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
