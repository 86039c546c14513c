"""Chart files built to exhaust memory or time: each is refused or handled within bounds, with a
diagnostic and a bounded report (docs/security.md, "Chart files"; and the hostile documents of
YAML, SCXML and smcat: YAML bombs and tags, SCXML entities and DTDs, nesting, sheer size)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bounded import assert_handled, cli

SCXML = '<scxml xmlns="http://www.w3.org/2005/07/scxml" version="1.0"{head}>{body}</scxml>\n'


def _files() -> dict[str, str]:
    """Chart files of sheer size: (name -> text)."""
    misspelt = ", ".join(f"state_number_{i}" for i in range(4_000)) + ";\n"
    misspelt += "".join(f"state_number_{i} => state_numbr_{i};\n" for i in range(4_000))
    return {
        "one-line-10000.smcat": ", ".join(f"s{i}" for i in range(10_000)) + ";\n",
        "misspelt-4000.smcat": misspelt,
        "keys-40000.yaml": "states:\n  - name: a\n    x:\n"
        + "".join(f"      k{i}: 1\n" for i in range(40_000)),
        "anonymous-20000.scxml": SCXML.format(head="", body="<state/>" * 20_000),
        "events-40000.scxml": SCXML.format(
            head=' initial="a"',
            body='<state id="a"><transition event="'
            + " ".join(f"e{i}" for i in range(40_000))
            + '" target="b"/></state><state id="b"/>',
        ),
    }


FILES = _files()


@pytest.mark.parametrize("name", sorted(FILES))
def test_a_huge_chart_is_checked_within_bounds(tmp_path: Path, name: str) -> None:
    (tmp_path / name).write_text(FILES[name], "utf-8")
    shown = cli(["check", name], tmp_path)
    assert_handled(shown)
    # the text report is bounded: 20 findings a code, each line at most an excerpt long
    assert len(shown.stdout) < 200_000, len(shown.stdout)
    assert max(len(line) for line in shown.stdout.splitlines()) < 500
    listed = cli(["check", "--format", "json", name], tmp_path)
    assert_handled(listed)
    every = json.loads(listed.stdout)
    assert len(every) >= sum(
        line.startswith(("error[", "warning[")) for line in shown.stdout.splitlines()
    )


@pytest.mark.slow
@pytest.mark.parametrize("name", ["one-line-10000.smcat", "events-40000.scxml"])
@pytest.mark.parametrize("output", ["json", "ir", "scxml", "xstate", "python", "mermaid", "dot"])
def test_a_huge_chart_compiles_within_bounds(tmp_path: Path, name: str, output: str) -> None:
    (tmp_path / name).write_text(FILES[name], "utf-8")
    assert_handled(cli(["compile", name, "-T", output, "-o", f"out.{output}"], tmp_path))


def test_the_misspellings_get_their_hints(tmp_path: Path) -> None:
    (tmp_path / "m.smcat").write_text(FILES["misspelt-4000.smcat"], "utf-8")
    listed = cli(["check", "--format", "json", "m.smcat"], tmp_path)
    assert_handled(listed, 1)  # a misspelt state is an error (SC036): it makes a new state
    hints = {
        d["message"].split("`")[1]: d["hint"]
        for d in json.loads(listed.stdout)
        if d["code"] == "SC036"
    }
    assert len(hints) == 4_000
    assert hints["state_numbr_17"] == "did you mean `state_number_17`?"


def test_huge_and_deep_smcat_end_in_diagnostics(tmp_path: Path) -> None:
    depth = 10_000
    (tmp_path / "deep.smcat").write_text(
        "".join(f"s{i} {{\n" for i in range(depth)) + "x;\n" + "};\n" * depth, "utf-8"
    )
    assert_handled(cli(["compile", "deep.smcat"], tmp_path), 1, says="error[P004]: state `s0`")
    (tmp_path / "big.smcat").write_text(
        "".join(f"s{i} => s{i + 1}: e{i};\n" for i in range(200_000)), "utf-8"
    )
    assert (tmp_path / "big.smcat").stat().st_size > 4_000_000
    assert_handled(cli(["compile", "big.smcat", "-o", "big.json"], tmp_path), 0)


# -- YAML -----------------------------------------------------------------------------------------


def _laughs(levels: int) -> str:
    lines = ['a: &a ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    previous = "a"
    for index in range(levels):
        name = f"l{index}"
        lines.append(f"{name}: &{name} [{', '.join([f'*{previous}'] * 9)}]")
        previous = name
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize(
    ("name", "content", "message", "line"),
    [
        ("laughs.yaml", _laughs(9), "once its aliases are expanded", 7),
        (
            "states-laughs.yaml",
            "x: &x [a, a, a, a, a, a, a, a, a, a]\n"
            + "".join(
                f"x{i}: &x{i} [{', '.join(['*x' if i == 0 else f'*x{i - 1}'] * 10)}]\n"
                for i in range(8)
            )
            + "states: *x7\n",
            "once its aliases are expanded",
            6,
        ),
        ("recursive.yaml", "states: &s [*s]\n", "inside its own anchor", 1),
        ("deep.yaml", "states: " + "[" * 100_000 + "]" * 100_000 + "\n", "levels deep", 1),
        (
            "tag.yaml",
            "states: !!python/object/apply:os.system [touch owned]\n",
            "is not allowed",
            1,
        ),
        ("two.yaml", "states: []\n---\nstates: []\n", "more than one YAML document", 2),
    ],
)
def test_hostile_yaml_is_refused_within_bounds(
    tmp_path: Path, name: str, content: str, message: str, line: int
) -> None:
    (tmp_path / name).write_text(content, "utf-8")
    result = cli(["check", "--format", "json", name], tmp_path)
    assert_handled(result, 1)
    (found,) = json.loads(result.stdout)
    assert (found["code"], found["line"]) == ("Y001", line)
    assert message in found["message"]  # statewright's own words, whichever parser stopped
    assert not (tmp_path / "owned").exists()


def test_a_100_mb_yaml_document_is_refused_before_parsing(tmp_path: Path) -> None:
    with (tmp_path / "big.yaml").open("w") as handle:
        handle.write("states:\n")
        line = "  - name: s\n" * 10_000
        for _ in range(100 * 1024 * 1024 // len(line) + 1):
            handle.write(line)
    assert_handled(
        cli(["compile", "big.yaml", "-T", "json"], tmp_path), 1, says="the limit is 10485760"
    )


# -- SCXML ----------------------------------------------------------------------------------------

DOCTYPES = {
    "billion-laughs": """<?xml version="1.0"?>
<!DOCTYPE lolz [
  <!ENTITY lol "lol">
  <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
  <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
  <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
]>
<scxml xmlns="http://www.w3.org/2005/07/scxml" version="1.0"><state id="a"><onentry>
<log expr="'&lol3;'"/></onentry></state></scxml>
""",
    "xxe": """<?xml version="1.0"?>
<!DOCTYPE scxml [<!ENTITY secret SYSTEM "file:///etc/passwd">]>
<scxml xmlns="http://www.w3.org/2005/07/scxml" version="1.0"><state id="a">
<onentry><log expr="'&secret;'"/></onentry></state></scxml>
""",
    "external-dtd": """<?xml version="1.0"?>
<!DOCTYPE scxml SYSTEM "http://127.0.0.1:9/evil.dtd">
<scxml xmlns="http://www.w3.org/2005/07/scxml" version="1.0"><state id="a"/></scxml>
""",
}


@pytest.mark.parametrize("name", sorted(DOCTYPES))
def test_an_scxml_doctype_is_refused_unexpanded(tmp_path: Path, name: str) -> None:
    (tmp_path / "x.scxml").write_text(DOCTYPES[name], "utf-8")
    for command in (
        ["check", "x.scxml"],
        ["import", "x.scxml"],
        ["compile", "x.scxml"],
        ["simulate", "x.scxml"],
    ):
        assert_handled(cli(command, tmp_path), 1, says="I002")


def test_deep_and_large_scxml_is_refused(tmp_path: Path) -> None:
    (tmp_path / "deep.scxml").write_text(
        SCXML.format(
            head="", body="".join(f'<state id="s{i}">' for i in range(5_000)) + "</state>" * 5_000
        ),
        "utf-8",
    )
    assert_handled(cli(["check", "deep.scxml"], tmp_path), 1, says="I001")
    (tmp_path / "huge.scxml").write_bytes(
        b'<scxml xmlns="http://www.w3.org/2005/07/scxml">' + b" " * (11 * 1024 * 1024)
    )
    assert_handled(cli(["check", "huge.scxml"], tmp_path), 1, says="the limit is")
