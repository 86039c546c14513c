"""Charts in other people's documentation: a Pygments lexer for smcat (`lexer.py`) and a MkDocs
plugin that draws `smcat` and YAML chart blocks (`mkdocs_plugin.py`); docs/python.md, "In your
documentation"."""

from __future__ import annotations

import re

_PROLOGUE = re.compile(r"<\?xml[^>]*\?>|<!DOCTYPE[^>]*>|<!--.*?-->", re.S)


def inline_svg(svg: str) -> str:
    """Graphviz's SVG made fit to sit inside an HTML page: no XML declaration, DOCTYPE or
    comments, no blank lines."""
    return "\n".join(line for line in _PROLOGUE.sub("", svg).splitlines() if line.strip())
