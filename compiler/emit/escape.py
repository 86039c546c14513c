"""Escaping: chart text is data in every language an emitter writes.

Shared by the emitters and the template of `-T python`. Names, events, actions, notes and
guards come from chart files, IR documents and SCXML imports, none of them trusted: each one
reaches an output only through the function here for the context it lands in. One section per
target language; an emitter or template that writes chart text any other way is a defect
(tests/compiler/emit/test_escape.py reads the templates and the emitters to keep it so).

- Python: a literal (`python_literal`, `repr`), docstring or comment text (`python_text`), an
  identifier that must already be one (`python_name`), a guard expression the emitter
  built from the guard language (`python_guard`, checked node by node);
- Graphviz DOT: a double-quoted string (`dot_string`) and HTML-like label text (`dot_html`);
- Mermaid: one line of text (`mermaid_text`) and a note (`mermaid_note`);
- XML (SCXML): text XML 1.0 can hold at all (`xml_text`; lxml escapes markup itself), and
  ECMAScript string literals inside it (`ecmascript_string`);
- smcat: a double-quoted string (`smcat_string`) and the lines of a note (`smcat_note`);
- JSON (IR, smcat JSON, XState): `json.dumps` escapes everything, nothing to add.

`visible` is the common step for contexts that must stay on one line and free of control
characters (a terminal, a comment, a docstring): every character that is not printable (NUL,
escape sequences, line and paragraph separators, bidirectional overrides, lone surrogates)
becomes a `\\xNN`, `\\uNNNN` or `\\UNNNNNNNN` escape, readable and inert.
"""

from __future__ import annotations

import ast
import keyword
import re
from html import escape as _html_escape

from ..notation import escape_char as _escape_char
from ..notation import visible

# -- Python ---------------------------------------------------------------------------------------


def python_literal(value: object) -> str:
    """A Python literal for a value built from str, int, float, bool, None, tuples, lists and
    dicts: `repr`, which quotes and escapes every string (non-printable characters included)."""
    return repr(value)


def python_text(text: str) -> str:
    """Text for inside a generated docstring or a `#` comment: backslashes and double quotes
    escaped (a docstring can neither end early nor run on), every non-printable character an
    escape (no newline, no NUL, no bidi override: "Trojan Source")."""
    escaped = text.replace("\\", "\\\\").replace('"', '\\"')
    return visible(escaped, keep_tabs=False)


def python_name(name: str) -> str:
    """`name`, which must be a Python identifier that is not a keyword (the emitter maps chart
    names to identifiers before they get here); ValueError otherwise."""
    if (
        not isinstance(name, str)
        or not name.isidentifier()
        or keyword.iskeyword(name)
        or name.startswith("__")  # mangled inside a class
    ):
        raise ValueError(f"not a usable Python identifier: {name!r}")
    return name


#: what a compiled guard may call: the machine's lookups, `bool`, and the bounded operators
_GUARD_CALLS = frozenset({"_read", "is_active", "_op"})
_GUARD_NODES = (
    ast.Expression,
    ast.BoolOp,
    ast.And,
    ast.Or,
    ast.UnaryOp,
    ast.Not,
    ast.USub,
    ast.Compare,
    ast.Eq,
    ast.NotEq,
    ast.Lt,
    ast.LtE,
    ast.Gt,
    ast.GtE,
    ast.In,
    ast.Constant,
    ast.Call,
    ast.Attribute,
    ast.Name,
    ast.Load,
)


#: a declared type (runtime.declared.TYPES) -> its annotation in generated code
_ANNOTATIONS = {
    "int": "int",
    "float": "float",
    "str": "str",
    "bool": "bool",
    "list": "list[Any]",
    "dict": "dict[str, Any]",
    "any": "Any",
}


def python_annotation(declared_type: str) -> str:
    """The annotation of a declared type; ValueError for any other text."""
    if declared_type not in _ANNOTATIONS:
        raise ValueError(f"no declared type {declared_type!r}")
    return _ANNOTATIONS[declared_type]


def python_guard(source: str) -> str:
    """A guard expression the emitter generated (`runtime.expr.python_source`), checked to be
    one: constants, comparisons, `and`/`or`/`not`, unary minus, and calls of the machine's
    own lookups and bounded operators (`m._read(...)`, `m.guard_x(data)`,
    `m.is_active(...)`, `m._op(...)`). Anything else is a ValueError: the guard language
    could never produce it, so chart text got into code."""
    tree = ast.parse(source, mode="eval")
    for node in ast.walk(tree):
        if not isinstance(node, _GUARD_NODES):
            raise ValueError(f"a guard compiled to {type(node).__name__}: {source!r}")
        if isinstance(node, ast.Name) and node.id not in ("m", "data"):
            raise ValueError(f"a guard reads the name {node.id!r}: {source!r}")
        if isinstance(node, ast.Attribute) and not (
            isinstance(node.value, ast.Name)
            and node.value.id == "m"
            and (node.attr in _GUARD_CALLS or node.attr.startswith("guard_"))
        ):
            raise ValueError(f"a guard reads the attribute {node.attr!r}: {source!r}")
        if isinstance(node, ast.Call) and (
            node.keywords or not isinstance(node.func, ast.Attribute)
        ):
            raise ValueError(f"a guard makes a call it may not: {source!r}")
    return source


# -- Graphviz DOT ----------------------------------------------------------------------------------


def dot_string(text: str) -> str:
    """A DOT double-quoted string that Graphviz shows as `text`: backslashes and quotes
    escaped, a newline as DOT's `\\n`, other non-printable characters as visible escapes
    (Graphviz reads C strings: a NUL would end the file)."""
    body = text.replace("\\", "\\\\").replace('"', '\\"').replace("\r\n", "\n")
    return '"' + "\\n".join(visible(line) for line in body.split("\n")) + '"'


def dot_html(text: str) -> str:
    """Text for inside a Graphviz HTML-like label: markup characters as entities, non-printable
    characters as visible escapes."""
    return _html_escape(visible(text), quote=True)


# -- Mermaid ---------------------------------------------------------------------------------------

#: `#` and `;` end a statement and start an entity; `%` is written as an entity too, so that
#: chart text never holds `%%`, which starts a comment or a directive (`%%{init: ...}%%`)
#: wherever Mermaid finds it
_MERMAID_ENTITIES = str.maketrans({"#": "#35;", ";": "#59;", "%": "#37;"})


def mermaid_text(text: str) -> str:
    """One line of Mermaid text: blanks and newlines folded to one space, `;`, `#` and `%`
    written as entities (see `_MERMAID_ENTITIES`), control characters visible."""
    return visible(" ".join(text.split())).translate(_MERMAID_ENTITIES)


def mermaid_note(text: str) -> str:
    """The text of a one-line note: Mermaid ends a note's text at a `:`, so it is an entity."""
    return mermaid_text(text).replace(":", "#58;")


# -- XML -------------------------------------------------------------------------------------------

# what XML 1.0 cannot hold even escaped: C0 controls but tab, newline and carriage return,
# lone surrogates, U+FFFE and U+FFFF
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def xml_text(text: str) -> str:
    """Text an XML 1.0 document can hold (lxml escapes `<`, `&` and quotes itself): the
    characters XML forbids outright become visible escapes (`\\x00`). The checker warns
    about names that hold them (SC030)."""
    if not _NOT_XML.search(text):
        return text
    return _NOT_XML.sub(lambda match: _escape_char(match.group()), text)


# -- ECMAScript ------------------------------------------------------------------------------------

_JS_SPECIAL = {"\\": "\\\\", "'": "\\'", "\n": "\\n", "\r": "\\r", "\t": "\\t"}


def ecmascript_string(text: str) -> str:
    """A single-quoted ECMAScript string literal whose value is `text` (SCXML's `<log expr>`):
    backslash, quote, newline, return and tab escaped, and every other non-printable
    character (line separators, NUL, surrogates) as a `\\uNNNN` escape."""
    out = []
    for char in text:
        special = _JS_SPECIAL.get(char)
        if special is not None:
            out.append(special)
        elif char.isprintable():
            out.append(char)
        elif ord(char) < 0x10000:
            out.append(f"\\u{ord(char):04x}")
        else:  # a surrogate pair, as ECMAScript strings hold astral characters
            code = ord(char) - 0x10000
            out.append(f"\\u{0xD800 + (code >> 10):04x}\\u{0xDC00 + (code & 0x3FF):04x}")
    return "'" + "".join(out) + "'"


# -- smcat -----------------------------------------------------------------------------------------


def smcat_string(text: str) -> str:
    """A double-quoted smcat string whose value is `text` (smcat has one escape, `\\"`)."""
    return '"' + text.replace('"', '\\"') + '"'


_SMCAT_LINE_BREAK = re.compile(r"\r\n|\r|\n")


def smcat_note(text: str) -> list[str]:
    """The `#` lines of a note. An smcat note runs to the end of its line, so a note that
    spans lines (from YAML, SCXML or an IR document) is written as one note per line: its
    text can never end the note and start a statement."""
    return [f"# {line}" for line in _SMCAT_LINE_BREAK.split(text)]
