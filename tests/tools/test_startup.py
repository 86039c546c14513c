"""Start-up: each command imports what it runs and nothing more (bench/startup_bench.py times
it; here the imports are counted, never timed), and the parser's cache lives where no other
user can plant it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from statewright.compiler.read import smcat
from testkit import ROOT


def _modules_after(code: str) -> set[str]:
    """The modules a fresh interpreter holds after running `code`."""
    probe = code + "\nimport sys\nprint('\\n'.join(sorted(sys.modules)))"
    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, cwd=ROOT
    )
    return set(result.stdout.split())


def test_version_imports_neither_the_parser_nor_the_runtime() -> None:
    loaded = _modules_after(
        "from statewright.compiler.tools.cli.main import main\n"
        "import contextlib, io\n"
        "with contextlib.redirect_stdout(io.StringIO()): main(['--version'])"
    )
    assert "statewright.compiler.tools.cli.main" in loaded
    for heavy in ("lark", "statewright.compiler.ir", "statewright.runtime.interpreter", "asyncio"):
        assert heavy not in loaded, heavy


def test_check_imports_no_emitter_no_interpreter_and_no_template_engine() -> None:
    chart = ROOT / "examples" / "door.smcat"
    loaded = _modules_after(
        "from statewright.compiler.tools.cli.main import main\n"
        "import contextlib, io\n"
        f"with contextlib.redirect_stdout(io.StringIO()): main(['check', {str(chart)!r}])"
    )
    assert "lark" in loaded and "statewright.compiler.check" in loaded
    for heavy in (
        "jinja2",
        "black",
        "asyncio",
        "statewright.runtime.interpreter",
        "statewright.runtime.model",
        "statewright.compiler.emit.python",
        "statewright.compiler.tools.cli.instances",
        "lxml",
        "statewright.compiler.ir_document",
    ):
        assert heavy not in loaded, heavy


def test_the_runtime_package_loads_its_parts_on_first_use() -> None:
    loaded = _modules_after("import statewright.runtime")
    assert "statewright.runtime.interpreter" not in loaded and "asyncio" not in loaded
    loaded = _modules_after("from statewright.runtime import load, Machine, FakeClock")
    assert "statewright.runtime.interpreter" in loaded


def test_the_parser_cache_is_a_private_folder_of_the_user(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    path = smcat._cache_file(False)
    assert isinstance(path, str) and Path(path).parent == tmp_path / "statewright"
    assert (tmp_path / "statewright").stat().st_mode & 0o777 == 0o700
    assert not path.startswith(os.path.realpath("/tmp") + "/.lark")


@pytest.mark.skipif(not hasattr(os, "getuid"), reason="POSIX permissions")
def test_a_cache_folder_others_can_write_is_not_used(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    (tmp_path / "statewright").mkdir(mode=0o777)
    os.chmod(tmp_path / "statewright", 0o777)
    assert smcat._cache_file(False) is False
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "file"))
    (tmp_path / "file").write_text("not a folder")
    assert smcat._cache_file(True) is False
