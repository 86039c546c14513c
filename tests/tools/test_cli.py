"""The command line: outputs, files, exit codes, and bad input without tracebacks."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from testkit import EXAMPLES

EXE = [sys.executable, "-m", "statewright"]


def run(
    *args: str, stdin: bytes | None = None, cwd: Path | None = None
) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, NO_COLOR="1")
    result = subprocess.run(
        [*EXE, *args],
        input=stdin.decode("utf-8", "surrogateescape") if stdin is not None else None,
        capture_output=True,
        text=True,
        cwd=cwd,
        env=env,
        timeout=120,
    )
    assert "Traceback" not in result.stderr, result.stderr
    return result


def test_compile_json_to_stdout() -> None:
    result = run("compile", str(EXAMPLES / "door.smcat"), "-T", "json")
    assert result.returncode == 0, result.stderr
    ast = json.loads(result.stdout)
    assert [s["name"] for s in ast["states"]] == ["initial", "opened", "closed", "locked"]


def test_compile_reads_stdin() -> None:
    result = run("compile", "-", "-T", "smcat", stdin=b"a=>b:go;")
    assert (result.returncode, result.stdout) == (0, "a => b: go;\n")


def test_compile_several_files_into_a_directory(tmp_path: Path) -> None:
    files = sorted(str(p) for p in EXAMPLES.glob("*.smcat"))
    result = run("compile", *files, "-T", "ir", "-o", str(tmp_path / "out"))
    assert result.returncode == 0, result.stderr
    written = sorted(p.name for p in (tmp_path / "out").iterdir())
    assert written == sorted(Path(f).stem + ".ir.json" for f in files)
    document = json.loads((tmp_path / "out" / "door.ir.json").read_text("utf-8"))
    assert document["format"] == "statewright-ir/1"


def test_compile_to_a_file(tmp_path: Path) -> None:
    out = tmp_path / "door.json"
    result = run("compile", str(EXAMPLES / "door.smcat"), "-o", str(out))
    assert result.returncode == 0 and result.stdout == ""
    assert json.loads(out.read_text("utf-8"))["states"]


def test_syntax_error_exits_1_with_a_located_message(tmp_path: Path) -> None:
    bad = tmp_path / "bad.smcat"
    bad.write_text("a => b;\nc;\n")
    result = run("compile", str(bad))
    assert result.returncode == 1
    assert result.stdout == ""
    assert result.stderr == (
        "error[P007]: state `c` is declared after a transition\n"
        f" --> {bad}:2:1\n"
        "  |\n"
        "2 | c;\n"
        "  | ^ declare the states of a level in one list (`a, b, c;`) before its transitions\n\n"
    )


def test_one_bad_file_does_not_stop_the_others(tmp_path: Path) -> None:
    bad = tmp_path / "bad.smcat"
    bad.write_text("=> nothing;\n")
    result = run("compile", str(bad), str(EXAMPLES / "door.smcat"))
    assert result.returncode == 1
    assert json.loads(result.stdout)["states"]


@pytest.mark.parametrize(
    ("data", "code"),
    [
        (b"\xff\xfe\x00garbage", "P001"),
        (b"a => b;\n\x80", "P001"),
        (bytes(range(256)), "P001"),
    ],
)
def test_binary_input_is_a_diagnostic(tmp_path: Path, data: bytes, code: str) -> None:
    path = tmp_path / "binary.smcat"
    path.write_bytes(data)
    result = run("compile", str(path))
    assert result.returncode == 1
    assert f"error[{code}]" in result.stderr


def test_missing_file_is_a_usage_error() -> None:
    result = run("compile", "no/such/file.smcat")
    assert result.returncode == 2
    assert result.stderr == "statewright: error: no/such/file.smcat: no such file\n"


def test_directory_as_input_is_a_usage_error(tmp_path: Path) -> None:
    result = run("compile", str(tmp_path))
    assert result.returncode == 2
    assert "is a directory" in result.stderr


def test_unknown_format_is_a_usage_error() -> None:
    result = run("compile", str(EXAMPLES / "door.smcat"), "-T", "bogus")
    assert result.returncode == 2
    assert "invalid choice" in result.stderr


def test_no_command_prints_help() -> None:
    result = run()
    assert result.returncode == 2
    assert "compile" in result.stderr


def test_help_has_examples() -> None:
    result = run("--help")
    assert result.returncode == 0
    assert "examples:" in result.stdout


def test_version() -> None:
    result = run("--version")
    assert result.returncode == 0
    assert result.stdout.startswith("statewright ")


def test_fmt_rewrites_in_place_and_check_reports(tmp_path: Path) -> None:
    path = tmp_path / "x.smcat"
    path.write_text("a,b;a=>b:go;")
    check = run("fmt", "--check", str(path))
    assert check.returncode == 1
    assert check.stderr == f"would reformat {path}\n"
    assert path.read_text() == "a,b;a=>b:go;"
    rewrite = run("fmt", str(path))
    assert rewrite.returncode == 0
    assert path.read_text() == "a,\nb;\n\na => b: go;\n"
    assert run("fmt", "--check", str(path)).returncode == 0


def test_fmt_refuses_broken_input_and_keeps_the_file(tmp_path: Path) -> None:
    path = tmp_path / "x.smcat"
    path.write_text("a => ;")
    result = run("fmt", str(path))
    assert result.returncode == 1
    assert path.read_text() == "a => ;"


def test_fmt_stdin_to_stdout() -> None:
    result = run("fmt", "-", stdin=b"a=>b;")
    assert (result.returncode, result.stdout) == (0, "a => b;\n")


def test_examples_are_formatted() -> None:
    result = run("fmt", "--check", *sorted(str(p) for p in EXAMPLES.glob("*.smcat")))
    assert result.returncode == 0, result.stderr


def test_unwritable_output_is_a_usage_error(tmp_path: Path) -> None:
    result = run("compile", str(EXAMPLES / "door.smcat"), "-o", str(tmp_path / "no" / "x.json"))
    assert result.returncode == 2
    assert "cannot write" in result.stderr
