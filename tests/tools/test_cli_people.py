"""The command line for people (issue 22): event data in `simulate`, `-o -`,
`--stdin-filename`, did-you-mean for commands, colour switches (NO_COLOR, FORCE_COLOR,
TERM=dumb, --color), shell completion, `fmt --diff`, `check --select/--ignore` and the project
setting, `--format github`, and help texts that name every input kind."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from testkit import EXAMPLES, ROOT, sw

UNTIDY = "initial, a, b;\ninitial => a;\na => b: go;\nc => a: x;\n"


def test_simulate_sends_event_data_inline_and_from_a_steps_file(tmp_path: Path) -> None:
    door = str(EXAMPLES / "door.smcat")
    done = sw("simulate", door, "lock", 'unlock:{"code": 1234}', "+1")
    assert done.returncode == 0, done.stderr
    lines = [json.loads(line) for line in done.stdout.splitlines()]
    assert lines[2] == {
        "event": "unlock",
        "handled": True,
        "configuration": ["closed"],
        "data": {"code": 1234},
    }
    assert lines[3] == {"event": "+1", "configuration": ["closed"]}  # a clock step
    steps = tmp_path / "steps.jsonl"
    steps.write_text('{"event": "lock"}\n{"event": "unlock", "data": {"code": 7}}\n', "utf-8")
    done = sw("simulate", door, "--steps", str(steps))
    assert json.loads(done.stdout.splitlines()[-1])["configuration"] == ["locked"]  # wrong code
    for bad in ('unlock:{"code"', 'unlock:{"code": 1} trailing', "+x"):
        done = sw("simulate", door, bad)
        assert done.returncode == 2 and "Traceback" not in done.stderr, bad
    steps.write_text('{"advance": -1}\n', "utf-8")
    assert sw("simulate", door, "--steps", str(steps)).returncode == 2


def test_simulate_says_what_each_event_did_and_refuses_what_it_cannot_send() -> None:
    door = str(EXAMPLES / "door.smcat")
    done = sw("simulate", door, "lock", "unlock", "--context", '{"jammed": 0}')
    assert done.returncode == 0, done.stderr
    lock, unlock = (json.loads(line) for line in done.stdout.splitlines()[1:])
    assert lock["handled"] is True and "errors" not in lock
    # without a code the guard cannot be evaluated: false, and reported
    assert unlock["handled"] is False and unlock["configuration"] == ["locked"]
    assert unlock["errors"] == [
        {
            "guard": "_event.data.code == 1234",
            "error": "UnknownName: `_event.data.code`: the event came without data",
        }
    ]
    # a known event nothing takes here is unhandled, without errors
    done = sw("simulate", door, "unlock:{}", "--context", '{"jammed": 0}')
    assert json.loads(done.stdout.splitlines()[-1])["handled"] is False
    # an unknown event: refused with the closest name, nothing run
    done = sw("simulate", door, "lock", "unlokc")
    assert done.returncode == 1 and done.stdout == ""
    assert "no transition for `unlokc` (did you mean `unlock`?)" in done.stderr
    done = sw("simulate", door, "unlokc", "--allow-unknown")
    assert done.returncode == 0
    assert json.loads(done.stdout.splitlines()[-1]) == {
        "event": "unlokc",
        "handled": False,
        "configuration": ["closed"],
    }
    # names only the engine raises: refused even with --allow-unknown
    for reserved in ("done.state.locked", "error.execution", "sw.tick"):
        done = sw("simulate", door, reserved, "--allow-unknown")
        assert done.returncode == 1 and "never sent from outside" in done.stderr, reserved
        assert "Traceback" not in done.stderr


def test_dash_o_dash_is_stdout_and_stdin_can_be_named(tmp_path: Path) -> None:
    done = sw("compile", str(EXAMPLES / "door.smcat"), "-T", "smcat", "-o", "-", cwd=tmp_path)
    assert done.returncode == 0 and done.stdout.startswith("//@ context jammed: int = 0\n")
    assert not (tmp_path / "-").exists()
    yaml_text = (EXAMPLES / "order.yaml").read_text("utf-8")
    done = sw("compile", "-", "--stdin-filename", "order.yaml", "-T", "smcat", stdin=yaml_text)
    assert done.returncode == 0 and '"awaiting payment"' in done.stdout
    done = sw("check", "-", "--stdin-filename", "charts/untidy.smcat", stdin=UNTIDY)
    assert "charts/untidy.smcat:4:1" in done.stdout


def test_a_misspelt_command_or_action_gets_a_suggestion() -> None:
    done = sw("chek", "door.smcat")
    assert done.returncode == 2 and "did you mean `check`?" in done.stderr
    done = sw("instances", "sned", "door", "open", "--store", "x")
    assert done.returncode == 2 and "did you mean `send`?" in done.stderr


@pytest.mark.parametrize(
    ("env", "options", "coloured"),
    [
        ({}, [], False),  # not a terminal
        ({"FORCE_COLOR": "1"}, [], True),
        ({"FORCE_COLOR": "1", "NO_COLOR": "1"}, [], False),
        ({"FORCE_COLOR": "1", "NO_COLOR": ""}, [], True),  # an empty NO_COLOR says nothing
        ({}, ["--color", "always"], True),
        ({"FORCE_COLOR": "1"}, ["--color", "never"], False),
    ],
)
def test_colour_follows_the_switches(
    tmp_path: Path, env: dict[str, str], options: list[str], coloured: bool
) -> None:
    chart = tmp_path / "untidy.smcat"
    chart.write_text(UNTIDY, "utf-8")
    done = sw(*options, "check", str(chart), **env)
    assert ("\x1b[" in done.stdout) is coloured
    after = sw("check", str(chart), *options, **env)  # --color after the command too
    assert ("\x1b[" in after.stdout) is coloured


def test_a_dumb_terminal_gets_no_colour(monkeypatch: pytest.MonkeyPatch) -> None:
    from statewright.compiler.tools.cli import common

    class Terminal:
        def isatty(self) -> bool:
            return True

    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.delenv("FORCE_COLOR", raising=False)
    monkeypatch.setenv("TERM", "xterm-256color")
    assert common.use_color(Terminal())
    monkeypatch.setenv("TERM", "dumb")
    assert not common.use_color(Terminal())


@pytest.mark.skipif(shutil.which("bash") is None, reason="needs bash")
def test_bash_completion_completes_commands_options_and_choices(tmp_path: Path) -> None:
    script = tmp_path / "statewright.bash"
    script.write_text(sw("completion", "bash").stdout, "utf-8")

    def complete(*words: str) -> list[str]:
        quoted = " ".join(f"'{w}'" for w in words)
        done = subprocess.run(
            [
                "bash",
                "-c",
                f"source {script}; COMP_WORDS=(statewright {quoted}); "
                f"COMP_CWORD={len(words)}; _statewright; printf '%s\\n' \"${{COMPREPLY[@]}}\"",
            ],
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert done.returncode == 0, done.stderr
        return done.stdout.split()

    assert complete("ch") == ["check"]
    assert complete("compile", "x.smcat", "-T", "sv") == ["svg"]
    assert complete("check", "--form") == ["--format"]
    assert complete("check", "--format", "g") == ["github"]
    assert complete("instances", "s") == ["send", "show"]
    assert complete("instances", "send", "--allow") == ["--allow-unknown"]
    assert "bashcompinit" in sw("completion", "zsh").stdout
    fish = sw("completion", "fish").stdout
    assert "-l output-type -x -a 'dot ir json" in fish and "-a worker" in fish


def test_fmt_diff_shows_the_change_and_writes_nothing(tmp_path: Path) -> None:
    chart = tmp_path / "a.smcat"
    chart.write_text("a=>b;\n", "utf-8")
    done = sw("fmt", "--diff", str(chart))
    assert done.returncode == 1
    assert "-a=>b;\n+a => b;\n" in done.stdout and done.stdout.startswith("--- a/")
    assert chart.read_text("utf-8") == "a=>b;\n"
    chart.write_text("a => b;\n", "utf-8")
    assert sw("fmt", "--diff", str(chart)).returncode == 0


def test_check_selects_and_ignores_codes_from_options_and_the_project(tmp_path: Path) -> None:
    (tmp_path / "untidy.smcat").write_text(UNTIDY, "utf-8")

    def codes(*options: str) -> list[str]:
        done = sw("check", "untidy.smcat", "--format", "json", *options, cwd=tmp_path)
        return sorted(d["code"] for d in json.loads(done.stdout))

    # SC020 (a state only named in transitions) is a style note: quiet unless selected
    assert codes() == ["SC009", "SC011"]
    assert codes("--select", "SC01") == ["SC011"]
    assert codes("--select", "SC0") == ["SC009", "SC011", "SC020"]
    assert codes("--ignore", "SC009,sc020") == ["SC011"]
    done = sw("check", "untidy.smcat", cwd=tmp_path)
    assert done.stdout.endswith(
        "1 file checked: 2 warnings (style notes SC020: --select shows them)\n"
    )
    (tmp_path / "statewright.yaml").write_text(
        'charts: ["*.smcat"]\noutputs:\n  - format: svg\nignore: [SC011]\n', "utf-8"
    )
    assert codes() == ["SC009"]
    assert codes("--no-config") == ["SC009", "SC011"]
    assert codes("--ignore", "SC009") == ["SC011"]  # the option replaces the setting
    # errors are always reported; an unknown code is a usage error with a suggestion
    (tmp_path / "broken.smcat").write_text("a => ;\n", "utf-8")
    done = sw("check", "broken.smcat", "--select", "SC", cwd=tmp_path)
    assert done.returncode == 1 and "P002" in done.stdout
    done = sw("check", "untidy.smcat", "--ignore", "SC0II", cwd=tmp_path)
    assert done.returncode == 2 and "not a diagnostic code" in done.stderr


def test_github_annotations_are_escaped(tmp_path: Path) -> None:
    odd = tmp_path / "a,b:c.smcat"
    odd.write_text("initial, a;\ninitial => a;\nx => a: go;\n", "utf-8")
    done = sw("check", odd.name, "--format", "github", cwd=tmp_path)
    lines = done.stdout.splitlines()
    assert lines and all(line.startswith("::warning file=a%2Cb%3Ac.smcat,line=") for line in lines)
    assert any(",title=statewright SC009::" in line for line in lines)


def test_help_texts_name_every_input_kind_and_both_stores() -> None:
    for command in (["compile"], ["check"], ["simulate"], ["instances", "create"]):
        text = sw(*command, "--help").stdout
        assert ".yaml" in text and ".scxml" in text, command
    for command in (["instances", "send"], ["worker"]):
        assert "postgresql://" in sw(*command, "--help").stdout, command


def test_the_documented_github_workflow_runs_its_statewright_steps(tmp_path: Path) -> None:
    """docs/cli.md's workflow is YAML GitHub reads, and each `statewright` step runs (on a
    copy of examples/ standing in for charts/)."""
    import re

    import yaml

    page = (ROOT / "docs" / "cli.md").read_text("utf-8")
    block = re.search(r"# \.github/workflows/statewright\.yml\n(.*?)```", page, re.S)
    assert block is not None
    workflow = yaml.safe_load(block.group(1))
    steps = workflow["jobs"]["charts"]["steps"]
    assert any(
        str(step.get("uses", "")).startswith("github/codeql-action/upload-sarif") for step in steps
    )
    shutil.copytree(EXAMPLES, tmp_path / "charts")
    ran = 0
    for step in steps:
        command = str(step.get("run", ""))
        if not command.startswith("statewright"):
            continue
        words = command.split(">")[0].split()
        folder = tmp_path / "charts" if words[1] == "build" else tmp_path
        done = sw(
            *[str(p) for w in words[1:] for p in (sorted(folder.glob(w)) if "*" in w else [w])],
            cwd=folder,
        )
        assert done.returncode == 0, (command, done.stdout, done.stderr)
        assert "Traceback" not in done.stderr
        ran += 1
    assert ran == 3
