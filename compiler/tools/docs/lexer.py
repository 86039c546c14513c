"""A Pygments lexer for smcat (registered as `smcat`): what MkDocs, Sphinx and anything else
that highlights with Pygments use for a fenced ```smcat block.

It colours what the grammar (grammars/smcat.lark) knows: comments (`//`, `/* */`), notes
(`# ...`), quoted strings, arrows, `[...]` attributes, the `:` before a label and the
label's `event [guard] / action`, keywords of activities (`entry/`, `exit/`), `,` `;` `{` `}`.
The parser is the judge of what a chart means; the lexer only colours, and never fails.
"""

from __future__ import annotations

from typing import Any, ClassVar

from pygments.lexer import RegexLexer, bygroups
from pygments.token import Comment, Keyword, Name, Operator, Punctuation, String, Text, Whitespace

ARROWS = r"(=>>|=>|->|>>|:>|--|==|<<=|<=|<-|<<|<:)"


class SmcatLexer(RegexLexer):
    """smcat, state-machine-cat's language (statewright's dialect: docs/language.md)."""

    name = "smcat"
    aliases: ClassVar[list[str]] = ["smcat", "state-machine-cat"]
    filenames: ClassVar[list[str]] = ["*.smcat"]
    mimetypes: ClassVar[list[str]] = ["text/x-smcat"]
    url = "https://github.com/statewright/statewright"

    tokens: ClassVar[dict[str, Any]] = {
        "root": [
            (r"\s+", Whitespace),
            (r"//[^\n]*", Comment.Single),
            (r"/\*", Comment.Multiline, "comment"),
            (r"#[^\n]*", Comment.Special),  # a note: part of the chart
            (r'"(?:\\.|[^"\\])*"', String.Double),
            (ARROWS, Operator),
            (r"\[", Punctuation, "attributes"),
            (r":", Punctuation, "label"),
            (r"[,;{}]", Punctuation),
            (r"[^\s,;{}\[\]:=<>\-\"#/]+", Name.Variable),
            (r".", Text),
        ],
        "comment": [
            (r"[^*]+", Comment.Multiline),
            (r"\*/", Comment.Multiline, "#pop"),
            (r"\*", Comment.Multiline),
        ],
        "attributes": [
            (r"\]", Punctuation, "#pop"),
            (r'"(?:\\.|[^"\\])*"', String.Double),
            (r"([\w-]+)(\s*=\s*)", bygroups(Name.Attribute, Operator)),
            (r"[^\]\"]+", Text),
        ],
        # a label: `event [guard] / action`, or activities (`entry/ engage bolt`), to `;` or `,`
        "label": [
            (r"[ \t]+", Whitespace),
            (r"[;,]", Punctuation, "#pop"),
            (r"\{", Punctuation, "#pop"),
            (r"\n", Whitespace),
            (r"(entry|exit|do|compensate|rollback|commit|invoke)(/)", bygroups(Keyword, Operator)),
            (r'"(?:\\.|[^"\\])*"', String.Double),
            (r"\[[^\]\n]*\]", Name.Builtin),  # a guard
            (r"/", Operator),
            (r"[^;,{\[\"/\n]+", String),
        ],
    }
