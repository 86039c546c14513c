"""The docs stay true: every `smcat` block in docs/ parses (or fails with the code its
`<!-- error: CODE -->` marker names), every `json` block is a document statewright writes (the
IR example validates against the schema and reads back), and every P-code is documented."""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest
import yaml

from statewright.compiler.pipeline import diagnose
from testkit import ROOT

DOCS = [*sorted((ROOT / "docs").glob("*.md")), ROOT / "README.md"]
BLOCK = re.compile(
    r"(?:<!-- (?:error|finds): (?P<code>\w+) -->\n)?```(?P<lang>\w+)"
    r"(?: title=\"(?P<title>[^\"]+)\")?\n(?P<body>.*?)```",
    re.S,
)


def _blocks(lang: str) -> list[tuple[str, str | None, str]]:
    found = []
    for doc in DOCS:
        for match in BLOCK.finditer(doc.read_text("utf-8")):
            if match["lang"] == lang:
                found.append((f"{doc.name}:{match.start()}", match["code"], match["body"]))
    return found


@pytest.mark.parametrize(("where", "code", "body"), _blocks("smcat"), ids=lambda v: str(v)[:40])
def test_smcat_blocks(where: str, code: str | None, body: str) -> None:
    chart, diagnostics = diagnose(body, where, target="python")
    errors = [d.code for d in diagnostics if d.is_error]
    if code is None:
        assert chart is not None and errors == [], (where, diagnostics)
    else:
        found = [d.code for d in diagnostics]
        if chart is not None:
            for target in ("scxml", "xstate"):
                found += [d.code for d in diagnose(body, where, target=target)[1]]
        assert code in found, (where, diagnostics)


@pytest.mark.parametrize(("where", "code", "body"), _blocks("json"), ids=lambda v: str(v)[:40])
def test_json_blocks(where: str, code: str | None, body: str) -> None:
    """Each JSON block is one of the documents statewright writes, and is what statewright
    writes: an IR document (valid by the schema, read back and written again unchanged), a
    list of diagnostics (exactly what the checker reports for the chart it describes), or a
    log line (its CRC and its keys those the store writes). Any other JSON is a failure: a
    new kind of block needs its check here."""
    document = json.loads(body)
    if isinstance(document, dict) and document.get("format") == "statewright-ir/1":
        from statewright.compiler.ir_document import from_document, to_document

        schema = json.loads((ROOT / "docs" / "ir.schema.json").read_text("utf-8"))
        jsonschema.validate(document, schema)
        assert to_document(from_document(document)) == document
        # it is what `-T ir` writes for the smcat block just before it in the same page
        page, offset = where.split(":")
        text = (ROOT / "docs" / page).read_text("utf-8")[: int(offset)]
        source = text[text.rindex("```smcat\n") + 9 :].split("```")[0]
        chart, _ = diagnose(source, document["file"])
        assert chart is not None and to_document(chart) == document
    elif isinstance(document, list) and document and all("code" in d for d in document):
        # the documented diagnostic: P007 for a state declared after a transition
        assert [d["code"] for d in document] == ["P007"], where
        _, diagnostics = diagnose("a => b;\nc;\n", document[0]["file"])
        assert [d.to_dict() for d in diagnostics if d.code == "P007"] == document
    elif isinstance(document, list) and document and all("do" in d for d in document):
        # a block of executable content (docs/ir.md): the runtime accepts it
        from statewright.runtime.content import validate_block

        validate_block(document, where)
    elif isinstance(document, dict) and "crc" in document:
        from statewright.runtime.store.logfile import unframe
        from statewright.runtime.store.records import Record

        line = body.strip().encode("utf-8") + b"\n"
        crc = document.pop("crc")
        assert unframe(line) == document, f"{where}: the CRC {crc} does not match the line"
        written = Record(1, "x", "t", "e", {}, 1, [], []).to_json()
        assert list(document) == [k for k in written if k in document], where
    else:
        pytest.fail(f"{where}: a JSON block this test does not know how to check")


@pytest.mark.parametrize(("where", "code", "body"), _blocks("yaml"), ids=lambda v: str(v)[:40])
def test_yaml_blocks(where: str, code: str | None, body: str) -> None:
    """A YAML block is a chart (it reads with no error, or with the marked code) or a project
    file (`charts:` and `outputs:`, docs/build.md), which must load."""
    try:
        document = yaml.safe_load(body)
    except yaml.YAMLError:
        document = None  # an example of a broken chart
    if isinstance(document, dict) and "charts" in document:
        from statewright.compiler.tools.build.project import load_project

        load_project(body.encode(), "statewright.yaml", Path("."))
        return
    chart, diagnostics = diagnose(body, where, language="yaml")
    found = [d.code for d in diagnostics if d.is_error]
    if code is None:
        assert chart is not None and found == [], (where, diagnostics)
    else:
        assert code in found, (where, diagnostics)


@pytest.mark.parametrize(("where", "code", "body"), _blocks("toml"), ids=lambda v: str(v)[:40])
def test_toml_blocks(where: str, code: str | None, body: str) -> None:
    """A TOML block with a [tool.statewright] table is a project file that loads."""
    from statewright.compiler.tools.build.project import load_project

    assert "[tool.statewright]" in body, where
    project = load_project(body.encode(), "pyproject.toml", Path("."))
    assert project.outputs, where


def test_the_site_builds_without_warnings(tmp_path: Path) -> None:
    """`mkdocs build --strict`: every page in the nav, no broken link, pictures drawn."""
    pytest.importorskip("mkdocs", reason="the docs site needs mkdocs-material (dev extras)")
    site = tmp_path / "site"
    done = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(site)],
        cwd=ROOT,
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert not re.search(r"^WARNING", done.stderr, re.M), done.stderr
    tutorial = (site / "tutorial" / "index.html").read_text("utf-8")
    assert "Tutorial: from an empty folder" in tutorial
    language = (site / "language" / "index.html").read_text("utf-8")
    if shutil.which("dot"):  # drawn by the statewright MkDocs plugin (mkdocs.yml)
        assert language.count('<figure class="sw-picture"') >= 8
    # smcat blocks are highlighted by statewright's Pygments lexer: arrows are operators
    assert '<span class="o">=&gt;</span>' in language


def test_yaml_page_shows_the_same_chart_twice() -> None:
    text = (ROOT / "docs" / "yaml.md").read_text("utf-8")
    first_yaml = next(b for lang in ["yaml"] for _, c, b in _blocks(lang) if "order.yaml" in b)
    first_smcat = next(
        m["body"] for m in BLOCK.finditer(text) if m["lang"] == "smcat" and "paid?" in m["body"]
    )
    from_yaml, _ = diagnose(first_yaml.encode(), "order.yaml")
    from_smcat, _ = diagnose(first_smcat, "order.smcat")
    assert from_yaml is not None and from_smcat is not None
    assert from_yaml.region == from_smcat.region


def test_every_code_used_is_in_the_table() -> None:
    from statewright.compiler.codes import CODES

    source = "".join(p.read_text("utf-8") for p in (ROOT / "compiler").rglob("*.py"))
    used = set(re.findall(r'"((?:P|SC|I|Y|R)\d{3})"', source))
    assert used and used <= set(CODES), used - set(CODES)
    assert {"SC033", "SC034", "R001", "I005"} <= used  # the stages' folders are read too


def test_docs_have_examples() -> None:
    assert len(_blocks("smcat")) >= 10


RUNNABLE = [
    "tutorial.md",
    "python.md",
    "semantics.md",
    "persistence.md",
    "operations.md",
    "yaml.md",
    "build.md",
    "diagrams.md",
    "cli.md",
]
#: pages whose examples start from an empty folder rather than a copy of examples/
FROM_SCRATCH = {"tutorial.md"}


@pytest.mark.parametrize("doc", RUNNABLE)
def test_the_python_and_shell_examples_run(
    doc: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A doc's blocks run in order, in one namespace, in a folder holding a copy of examples/
    (or nothing, for the tutorial), as a reader would run them: a block with a `title` is a
    file the reader saves; the `statewright` and `python` lines of `sh` blocks run, and a
    `text` block right after an `sh` block is what those lines print; untitled `python`
    blocks run."""
    if doc not in FROM_SCRATCH:
        shutil.copytree(ROOT / "examples", tmp_path / "examples")
    monkeypatch.chdir(tmp_path)
    monkeypatch.syspath_prepend(str(tmp_path))
    text = (ROOT / "docs" / doc).read_text("utf-8")
    namespace: dict[str, object] = {"__name__": f"docs_{doc.removesuffix('.md')}"}
    ran = 0
    printed: str | None = None
    folder = tmp_path
    last_end = 0
    for match in BLOCK.finditer(text):
        if text[last_end : match.start()].strip():
            printed = None  # prose between: a `text` block is no longer that command's output
        last_end = match.end()
        if match["title"]:
            (tmp_path / match["title"]).write_text(match["body"], "utf-8")
            printed = None
        elif match["lang"] == "sh":
            printed = ""
            for line in match["body"].splitlines():
                words = shlex.split(line.split(" #")[0]) if line.strip() else []
                if words[:1] == ["cd"]:
                    folder = folder / words[1]
                    continue
                if not words or words[0] not in ("statewright", "python"):
                    continue
                program = ["-m", "statewright"] if words[0] == "statewright" else []
                command = [sys.executable, *program, *words[1:]]
                done = subprocess.run(
                    command, capture_output=True, text=True, check=False, cwd=folder
                )
                assert done.returncode == 0, (line, done.stdout, done.stderr)
                printed += done.stdout
                ran += 1
        elif match["lang"] == "text" and printed is not None:
            assert printed == match["body"], (doc, match.start())
            printed = None
        elif match["lang"] == "python":
            exec(compile(match["body"], f"{doc}:{match.start()}", "exec"), namespace)  # noqa: S102
            ran += 1
            printed = None
        else:
            printed = None
    assert ran >= 2


def test_the_readme_commands_run_from_the_root_after_make_demo(tmp_path: Path) -> None:
    """The README's command block, line by line, from a folder laid out as the repository is
    after `make demo` (examples/, with examples/out/), each line exiting 0."""
    text = (ROOT / "README.md").read_text("utf-8")
    (block,) = [m for m in BLOCK.finditer(text) if m["title"] == "after make demo"]
    shutil.copytree(ROOT / "examples", tmp_path / "examples", ignore=shutil.ignore_patterns("out"))
    (tmp_path / "examples" / "out").mkdir()
    lines = [line for line in block["body"].splitlines() if line.strip()]
    assert len(lines) >= 8
    for line in lines:
        words = shlex.split(line.split(" #")[0])
        assert words[0] == ".venv/bin/statewright", line  # one venv path, as `make demo` makes
        done = subprocess.run(
            [sys.executable, "-m", "statewright", *words[1:]],
            capture_output=True,
            text=True,
            cwd=tmp_path,
        )
        assert done.returncode == 0, (line, done.stdout, done.stderr)
    assert (tmp_path / "examples" / "out" / "door_machine.py").is_file()


def test_the_architecture_page_names_every_folder_and_module() -> None:
    """docs/architecture.md stays the map: every package folder of the source has its place
    in it, and every module directly under compiler/ and runtime/ is named."""
    page = (ROOT / "docs" / "architecture.md").read_text("utf-8")
    for top in ("compiler", "runtime"):
        for init in sorted((ROOT / top).rglob("__init__.py")):
            folder = init.parent.relative_to(ROOT).as_posix()
            if "build/lib" in folder:
                continue
            short = folder.removeprefix("compiler/")
            assert f"{folder}/" in page or f"`{short}/`" in page, folder
        for module in sorted((ROOT / top).glob("*.py")):
            if module.name not in ("__init__.py", "__main__.py"):
                assert module.name in page or f"`{module.stem}`" in page, module
