"""One table says which datamodels evaluate their own conditions (issue 34, item 1): the
checker, the generated classes and the interpreter's model builder all read `DATAMODELS`, and
no module spells the list again."""

from __future__ import annotations

import re
from pathlib import Path
from types import SimpleNamespace

import pytest

from statewright.compiler.check.declarations import foreign_datamodel
from statewright.runtime.datamodel import DATAMODELS, LANGUAGES, own_conditions
from statewright.runtime.model import _Builder

ROOT = Path(__file__).resolve().parent.parent


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
