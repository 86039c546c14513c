"""One table per fact (issue 34, item 1): which datamodels evaluate their own conditions
(`DATAMODELS`: the checker, the generated classes and the interpreter's model builder read it,
no module spells the list again), and which reader takes a file (`formats.LANGUAGES`: the
pipeline, the CLI, the build and the studio ask it, no module lists file endings again)."""

from __future__ import annotations

import re
from pathlib import Path
from types import SimpleNamespace

import pytest

from statewright.compiler.check.declarations import foreign_datamodel
from statewright.compiler.formats import CHART_SUFFIXES, is_chart_file, language_of
from statewright.compiler.formats import LANGUAGES as INPUTS
from statewright.compiler.pipeline import chart_stem, diagnose
from statewright.compiler.tools.cli.main import main
from statewright.runtime.datamodel import DATAMODELS, LANGUAGES, own_conditions
from statewright.runtime.model import _Builder
from testkit import ROOT


@pytest.mark.parametrize("language", [*DATAMODELS, None, "unknown"])
def test_every_reader_of_the_fact_agrees_with_the_table(language: str | None) -> None:
    row = DATAMODELS.get(language or "statewright")
    expected = row is not None and row.own_conditions
    assert own_conditions(language) is expected
    assert foreign_datamodel(SimpleNamespace(datamodel_language=language)) is expected
    document = {"datamodel": {"language": language}} if language else {}
    assert _Builder(document).foreign is expected


def test_the_table_is_the_only_place_that_lists_datamodels() -> None:
    assert LANGUAGES == ("null", "statewright", "ecmascript")
    listed = re.compile(r"""\(\s*["'](ecmascript|null)["']\s*,\s*["'](ecmascript|null)["']\s*\)""")
    sources = [*(ROOT / "compiler").rglob("*.py"), *(ROOT / "runtime").rglob("*.py")]
    found = [
        str(path.relative_to(ROOT))
        for path in sources
        if "build" not in path.relative_to(ROOT).parts and listed.search(path.read_text("utf-8"))
    ]
    assert found == []


@pytest.mark.parametrize(
    ("name", "language"),
    [
        ("door.smcat", "smcat"),
        ("door.yaml", "yaml"),
        ("door.yml", "yaml"),
        ("door.scxml", "scxml"),
        ("door.ir.json", "ir"),
        ("door.json", "smcat"),
        ("door", "smcat"),
        ("-", "smcat"),
    ],
)
def test_a_file_name_gives_one_language(name: str, language: str) -> None:
    assert language_of(name) is INPUTS[language]


def test_chart_files_are_what_authors_write() -> None:
    assert CHART_SUFFIXES == (".smcat", ".yaml", ".yml", ".scxml")
    assert is_chart_file("a/door.yml") and not is_chart_file("door.ir.json")
    assert [chart_stem(f"doors/door{s}") for s in CHART_SUFFIXES] == ["door"] * 4


def test_each_language_is_read_by_its_own_reader() -> None:
    texts = {
        "smcat": "a => b: go;",
        "yaml": "states: [a, b]\ntransitions:\n  - {from: a, to: b, event: go}\n",
        "scxml": '<scxml xmlns="http://www.w3.org/2005/07/scxml" version="1.0">'
        '<state id="a"><transition event="go" target="b"/></state><state id="b"/></scxml>',
    }
    for language, text in texts.items():
        chart, diagnostics = diagnose(text, f"door{INPUTS[language].suffixes[0]}")
        assert chart is not None and not [d for d in diagnostics if d.is_error], language
        assert [t.event for t in chart.transitions() if t.event] == ["go"], language


def test_scxml_restates_the_checkers_findings() -> None:
    """SCXML's review: two transitions with one trigger are a warning (document order)."""
    text = (
        '<scxml xmlns="http://www.w3.org/2005/07/scxml" version="1.0"><state id="a">'
        '<transition event="go" target="b"/><transition event="go" target="c"/></state>'
        '<state id="b"/><state id="c"/></scxml>'
    )
    as_scxml = {d.code: d for d in diagnose(text, "x.scxml")[1]}
    assert not as_scxml["SC012"].is_error
    assert "document order" in (as_scxml["SC012"].hint or "")
    as_smcat = {d.code: d for d in diagnose("a => b: go;\na => c: go;", "x.smcat")[1]}
    assert as_smcat["SC012"].is_error


def test_fmt_rewrites_only_what_it_can_write_back(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """An IR document is not smcat text: fmt refuses it rather than writing smcat into it."""
    path = tmp_path / "door.ir.json"
    path.write_text('{"format": "statewright-ir/1"}', "utf-8")
    assert main(["fmt", str(path)]) == 2
    assert "fmt rewrites smcat text only" in capsys.readouterr().err
    assert path.read_text("utf-8") == '{"format": "statewright-ir/1"}'


def test_no_other_module_lists_file_endings() -> None:
    listed = re.compile(r"""["']\.(smcat|yaml|yml|scxml|ir\.json)["']""")
    found = [
        str(path.relative_to(ROOT))
        for path in (ROOT / "compiler").rglob("*.py")
        if path.name != "formats.py" and listed.search(path.read_text("utf-8"))
    ]
    assert found == []


def test_text_that_is_not_unicode_is_refused_not_raised() -> None:
    """Text with a lone surrogate cannot be a file's UTF-8: it is refused (P001), as such a
    file's bytes are, rather than raising UnicodeEncodeError."""
    chart, diagnostics = diagnose("a\ud800 => b;", "x.smcat")
    assert chart is None and [d.code for d in diagnostics] == ["P001"]
