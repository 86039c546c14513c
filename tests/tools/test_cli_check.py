"""`statewright check` and the checks inside `compile`."""

from __future__ import annotations

import json
from pathlib import Path

from test_cli import run

from testkit import EXAMPLES

TYPO = "initial, on, off;\n\ninitial => off;\noff => on: flip;\non => of: flip;\n"
BROKEN = "initial, a, b;\n\ninitial => a;\na => b: go;\na => b: go;\nb => a: back;\n"


def test_check_text_output(tmp_path: Path) -> None:
    path = tmp_path / "typo.smcat"
    path.write_text(TYPO)
    result = run("check", str(path))
    assert result.returncode == 1  # a misspelt state makes a new one: an error (SC036)
    assert result.stdout.endswith("1 file checked: 1 error, 1 warning\n")
    assert result.stdout.startswith("error[SC036]")  # errors first, then warnings
    assert "did you mean `off`?" in result.stdout
    path.write_text(TYPO.replace("=> of:", "=> standby:"))
    result = run("check", str(path))
    assert result.returncode == 0  # warnings only
    assert run("check", "--strict", str(path)).returncode == 1


def test_check_errors_exit_1_and_formats(tmp_path: Path) -> None:
    path = tmp_path / "broken.smcat"
    path.write_text(BROKEN)
    assert run("check", str(path)).returncode == 1
    items = json.loads(run("check", "--format", "json", str(path)).stdout)
    assert [i["code"] for i in items] == ["SC012"]
    sarif = json.loads(run("check", "--format", "sarif", str(path)).stdout)
    assert sarif["runs"][0]["results"][0]["ruleId"] == "SC012"


def test_check_examples_clean() -> None:
    files = sorted(str(p) for p in EXAMPLES.glob("*.smcat"))
    result = run("check", "--strict", "--target", "python", *files)
    assert result.returncode == 0, result.stdout
    assert result.stdout == f"{len(files)} files checked: no problems\n"


def test_check_reports_syntax_errors_too() -> None:
    result = run("check", "-", stdin=b"a => ;\n")
    assert result.returncode == 1
    assert "error[P002]" in result.stdout


def test_compile_still_renders_a_chart_with_errors(tmp_path: Path) -> None:
    """A drawing is what state-machine-cat gives for any chart it reads (a drop-in exits 0
    where smcat does): the chart's errors are warnings there, printed; `--strict` fails."""
    path = tmp_path / "broken.smcat"
    path.write_text(BROKEN)
    for output in ("json", "dot", "smcat", "mermaid", "yaml"):
        result = run("compile", str(path), "-T", output)
        assert result.returncode == 0, output
        assert "warning[SC012]" in result.stderr and result.stdout
    assert json.loads(run("compile", str(path), "-T", "json").stdout)["transitions"]
    assert run("compile", str(path), "-T", "json", "--strict").returncode == 1
    # where it runs, or is exported to run, it is an error (exit 1)
    for output in ("python", "scxml", "xstate", "ir"):
        result = run("compile", str(path), "-T", output)
        assert result.returncode == 1 and "error[SC012]" in result.stderr, output


def test_charts_only_passes_over_yaml_that_is_not_a_chart(tmp_path: Path) -> None:
    (tmp_path / "workflow.yml").write_text("on: push\njobs: {}\n", "utf-8")
    (tmp_path / "statewright.yaml").write_text("charts: ['*.yaml']\noutputs: []\n", "utf-8")
    (tmp_path / "broken.yaml").write_text("states: [a\n", "utf-8")  # a chart that does not read
    order = tmp_path / "order.yaml"
    order.write_text((EXAMPLES / "order.yaml").read_text("utf-8"), "utf-8")
    names = [str(tmp_path / n) for n in ("workflow.yml", "statewright.yaml", "broken.yaml")]
    result = run("check", "--charts-only", *names, str(order), str(EXAMPLES / "door.smcat"))
    assert result.returncode == 1  # the broken chart
    assert result.stdout.endswith("3 files checked: 1 error\n"), result.stdout
    assert "broken.yaml" in result.stdout and "workflow" not in result.stdout
    assert run("check", *names).returncode == 1  # without the flag, every file is a chart
