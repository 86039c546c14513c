"""Charts in other people's documentation (compiler/tools/docs): the Pygments lexer for smcat
(found by name through its entry point, never failing on any text), the MkDocs plugin
(pictures of chart blocks; this project's own docs use both: tests/docs/test_docs.py) and the
Sphinx directive (`.. statewright::`, in a Sphinx project built here)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pygments.lexers import get_lexer_by_name, get_lexer_for_filename
from pygments.token import Comment, Error, Keyword, Name, Operator, String

from statewright.compiler.tools.docs.mkdocs_plugin import StatewrightPlugin, picture
from testkit import EXAMPLES


def _tokens(text: str) -> list[tuple[object, str]]:
    return list(get_lexer_by_name("smcat").get_tokens(text))


def test_the_lexer_is_found_by_name_and_by_file_name() -> None:
    assert get_lexer_by_name("smcat").name == "smcat"
    assert get_lexer_for_filename("door.smcat").name == "smcat"


def test_the_lexer_colours_what_the_grammar_knows() -> None:
    tokens = _tokens((EXAMPLES / "door.smcat").read_text("utf-8"))
    assert not [value for kind, value in tokens if kind is Error]
    kinds = {value.strip(): kind for kind, value in tokens if value.strip()}
    assert kinds["=>"] is Operator and kinds["entry"] is Keyword
    assert kinds["# A door that can be locked."] is Comment.Special
    assert kinds["[jammed == 0]"] is Name.Builtin and kinds["closed"] is Name.Variable
    assert String in {kind for kind, value in tokens if value.strip() == "beep"} or any(
        kind in String for kind, value in tokens if "beep" in value
    )
    assert "".join(value for _, value in tokens) == (EXAMPLES / "door.smcat").read_text("utf-8")


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=200))
def test_the_lexer_never_fails_and_keeps_every_character(text: str) -> None:
    tokens = _tokens(text)
    joined = "".join(value for _, value in tokens)
    # Pygments reads CR and CRLF as LF, trims blank lines at both ends, ends with one newline
    expected = text.replace("\r\n", "\n").replace("\r", "\n").strip("\n")
    assert joined.strip("\n") == expected


@pytest.mark.skipif(shutil.which("dot") is None, reason="needs Graphviz: apt-get install graphviz")
def test_the_mkdocs_plugin_draws_chart_blocks_and_leaves_the_rest() -> None:
    assert "<svg" in (picture("smcat", "a => b: go;\n") or "")
    assert picture("smcat", "a => ;\n") is None  # a chart with errors
    assert picture("yaml", "charts: ['*.smcat']\n") is None  # a project file, not a chart
    assert "<svg" in (picture("yaml", "states: [a, b]\ntransitions:\n  - {from: a, to: b}\n") or "")
    plugin = StatewrightPlugin()
    plugin.load_config({"pages": ["charts.md"]})
    page = SimpleNamespace(file=SimpleNamespace(src_uri="charts.md"))
    other = SimpleNamespace(file=SimpleNamespace(src_uri="other.md"))
    text = "```smcat\na => b;\n```\n\n<!-- error: P002 -->\n```smcat\na => ;\n```\n"
    drawn = plugin.on_page_markdown(text, page, None, None)
    assert drawn.count('<figure class="sw-picture"') == 1
    assert plugin.on_page_markdown(text, other, None, None) == text


def _sphinx(tmp_path: Path, index: str) -> Any:
    source = tmp_path / "source"
    source.mkdir(exist_ok=True)
    (source / "conf.py").write_text(
        'extensions = ["statewright.compiler.tools.docs.sphinx"]\nproject = "doors"\n', "utf-8"
    )
    (source / "index.rst").write_text(index, "utf-8")
    shutil.copy(EXAMPLES / "door.smcat", source / "door.smcat")
    return subprocess.run(
        [sys.executable, "-m", "sphinx", "-b", "html", "-q", str(source), str(tmp_path / "html")],
        capture_output=True,
        text=True,
        timeout=300,
    )


@pytest.mark.skipif(shutil.which("dot") is None, reason="needs Graphviz: apt-get install graphviz")
def test_the_sphinx_directive_draws_files_and_inline_charts(tmp_path: Path) -> None:
    done = _sphinx(
        tmp_path,
        "Doors\n=====\n\n.. statewright:: door.smcat\n   :caption: The door\n\n"
        ".. statewright::\n   :direction: left-right\n\n   a => b: go;\n\n"
        ".. code-block:: smcat\n\n   a => b: go;\n",
    )
    assert done.returncode == 0, done.stderr
    page = (tmp_path / "html" / "index.html").read_text("utf-8")
    assert page.count("<svg") == 2 and "The door" in page
    assert '<span class="o">=&gt;</span>' in page  # the smcat lexer highlights the code block


def test_the_sphinx_directive_fails_the_build_on_a_broken_chart(tmp_path: Path) -> None:
    done = _sphinx(tmp_path, "Doors\n=====\n\n.. statewright::\n\n   a => ;\n")
    assert "has errors" in done.stderr and "P002" in done.stderr


@pytest.mark.parametrize("where", ["../secret.smcat", "/../../secret.smcat", "link.smcat"])
def test_the_sphinx_directive_reads_no_chart_outside_the_docs(tmp_path: Path, where: str) -> None:
    """A chart path that leaves the documentation's folder (`..`, an absolute path, a link to
    a file outside) is an error naming it, and nothing of the file reaches the page (issue
    33, item 9)."""
    (tmp_path / "secret.smcat").write_text("secret_state => b: go;\n", "utf-8")
    (tmp_path / "source").mkdir()
    (tmp_path / "source" / "link.smcat").symlink_to(tmp_path / "secret.smcat")
    done = _sphinx(tmp_path, f"Doors\n=====\n\n.. statewright:: {where}\n")
    assert "outside the documentation's folder" in done.stderr, done.stderr
    page = tmp_path / "html" / "index.html"
    assert not page.exists() or "secret_state" not in page.read_text("utf-8")
