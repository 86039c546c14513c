"""Readers (stage 1): one module per input language, each with the same interface,
`read(data: bytes, name: str) -> (Chart | None, diagnostics)`: bytes in, the chart (None when
the input cannot be read as one) and every finding out, never an exception for bad input.

- `smcat`: the smcat language (Lark grammar `grammars/smcat.lark`), with `smcat_errors` for
  the messages of syntax errors and `resolve` for the passes state-machine-cat applies after
  parsing;
- `yaml_chart`: YAML charts (docs/yaml.md), over the safe node reader `yaml_nodes`;
- `scxml`: SCXML import (lxml, no DTDs, no network);

Readers build the IR (`ir.py`) with smcat's naming and label rules (`notation.py`); they never
import an emitter or the checker. `statewright-ir/1` documents (`.ir.json`) are read where
they are written, `ir_document.py`. Which reader takes a file is the `LANGUAGES` table in
`formats.py`. A new reader: a module here with `read`, a `Language` row for it, its codes in
`codes.py`.
"""
