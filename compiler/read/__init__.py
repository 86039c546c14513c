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
import an emitter or the checker. A new reader: a module here with `read`, its file endings in
`SUFFIXES`, its codes in `codes.py`.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable

from ..diagnostics import Diagnostic
from ..ir import Chart

Reader = Callable[[bytes, str], tuple[Chart | None, list[Diagnostic]]]

#: file name ending -> the module of its reader (a name with no known ending is smcat text)
SUFFIXES: dict[str, str] = {
    ".smcat": "smcat",
    ".yaml": "yaml_chart",
    ".yml": "yaml_chart",
    ".scxml": "scxml",
    ".ir.json": "ir",
}


def language_of(name: str) -> str:
    """The reader module for a file name: by its ending, smcat when it has none we know."""
    return next((m for suffix, m in SUFFIXES.items() if name.endswith(suffix)), "smcat")


def reader(language: str) -> Reader:
    """The `read` function of a reader module (imported now: lxml loads only for SCXML)."""
    found: Reader = importlib.import_module(f"{__name__}.{language}").read
    return found
