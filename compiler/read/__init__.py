"""Readers (stage 1): one module per input language, each with the same interface,
`read(data: bytes, name: str) -> (Chart | None, diagnostics)`: bytes in, the chart (None when
the input cannot be read as one) and every finding out, never an exception for bad input.

- `smcat`: the smcat language (Lark grammar `grammars/smcat.lark`), with `smcat_errors` for
  the messages of syntax errors and `resolve` for the passes state-machine-cat applies after
  parsing;
- `yaml_chart`: YAML charts (docs/yaml.md), over the safe node reader `yaml_nodes`;
- `scxml`: SCXML import (lxml, no DTDs, no network);
- `ir`: `statewright-ir/1` documents (`.ir.json`).

Readers build the IR (`ir.py`) with smcat's naming and label rules (`notation.py`); they never
import an emitter or the checker. Which reader takes a file is the `LANGUAGES` table in
`formats.py`. A new reader: a module here with `read`, a `Language` row for it, its codes in
`codes.py`.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from types import ModuleType
from typing import cast

from ..diagnostics import Diagnostic
from ..formats import Language
from ..ir import Chart

Reader = Callable[[bytes, str], tuple[Chart | None, list[Diagnostic]]]


def _module(language: Language) -> ModuleType:
    """The reader module of a language (imported now: lxml loads only for SCXML)."""
    return importlib.import_module(f"{__name__}.{language.module}")


def reader(language: Language) -> Reader:
    """The `read` function of a language's reader."""
    return cast(Reader, _module(language).read)


def review(language: Language, found: list[Diagnostic]) -> list[Diagnostic]:
    """The checker's findings as the language's reader restates them (`Language.review`)."""
    if language.review is None:
        return found
    restate = cast(
        Callable[[list[Diagnostic]], list[Diagnostic]], getattr(_module(language), language.review)
    )
    return restate(found)


def precheck(language: Language, size: int, name: str) -> Diagnostic | None:
    """A diagnostic refusing a file of `size` bytes before it is read, or None
    (`Language.precheck`)."""
    if language.precheck is None:
        return None
    refuse = cast(
        Callable[[int, str], Diagnostic | None], getattr(_module(language), language.precheck)
    )
    return refuse(size, name)
