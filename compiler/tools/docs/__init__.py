"""Charts in other people's documentation: a Pygments lexer for smcat (`lexer.py`) and a MkDocs
plugin that draws `smcat` and YAML chart blocks (`mkdocs_plugin.py`); docs/python.md, "In your
documentation"."""
