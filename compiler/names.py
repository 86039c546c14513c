"""Names in generated Python: how state names and events become identifiers.

Shared by the checker (which reports names that clash) and the Python code generator. The
mapping is deterministic and documented in docs/diagnostics.md (SC024, SC025):

- NFKC-normalise the text, then replace every run of characters that cannot appear in a Python
  identifier with one `_`, and drop `_` at both ends: `caps lock` -> `caps_lock`,
  `^check` -> `check`, `send SYN+ACK` -> `send_SYN_ACK`;
- a name that starts with a digit gets a leading `_`; a name with nothing left becomes `_`;
- characters that NFKC leaves outside identifiers become `_`, and a name never starts with two
  `_` (Python would mangle it inside the class).
"""

from __future__ import annotations

import keyword
import re
import unicodedata

_NOT_IDENTIFIER = re.compile(r"\W+")

#: Attributes every generated machine has: an event whose method would take one of these names
#: gets a trailing `_` (`start` -> `m.start_()`), as PEP 8 suggests for clashes.
RESERVED_METHODS = frozenset(
    {
        "send",
        "start",
        "tick",
        "clock",
        "next_due",
        "pending_timers",
        "configuration",
        "active",
        "finished",
        "is_active",
        "context",
        "snapshot",
        "restore",
        "add_listener",
        "children",
        "on_done",
        "compensations",
        "rolling_back",
        "auto_compensate",
        "compensate_one",
        "State",
        "Event",
        "mro",
    }
)


def python_identifier(text: str) -> str:
    """The identifier generated code uses for a state name or an event: a Python keyword gets
    `_` after it (`pass` -> `pass_`, docs/python.md)."""
    identifier = _identifier(text)
    return identifier + "_" if keyword.iskeyword(identifier) else identifier


def is_keyword_name(text: str) -> bool:
    """Whether `python_identifier` spells `text` with a `_` because it is a keyword."""
    return keyword.iskeyword(_identifier(text))


def _identifier(text: str) -> str:
    normal = unicodedata.normalize("NFKC", text)
    cleaned = _NOT_IDENTIFIER.sub("_", normal).strip("_")
    if not cleaned:
        return "_"
    if not cleaned.isidentifier():
        cleaned = "_" + cleaned
    if not cleaned.isidentifier():  # a character \w admits that identifiers do not
        cleaned = re.sub(r"[^A-Za-z0-9_]", "_", cleaned)
    if cleaned.startswith("__"):  # Python would mangle `__name` inside the generated class
        cleaned = "_" + cleaned.lstrip("_")
    return cleaned


def event_method(event: str) -> str:
    """The method that sends an event: its identifier, with `_` after one that every machine
    already has (`tick` -> `tick_`)."""
    identifier = python_identifier(event)
    return identifier + "_" if identifier in RESERVED_METHODS else identifier


def enum_member(name: str) -> str:
    """A state's or event's member in the `State`/`Event` enums (`mro` is taken by Enum)."""
    identifier = python_identifier(name)
    return identifier + "_" if identifier == "mro" else identifier


def hook_name(text: str) -> str:
    """The method a generated class calls for an action text: `send SYN+ACK` -> `send_SYN_ACK`
    (the identifier rule above, applied to the text as written)."""
    return python_identifier(text)


def is_keyword(identifier: str) -> bool:
    """True for Python's reserved words (`class`, `if`, ...), which cannot be identifiers."""
    return keyword.iskeyword(identifier)


#: SCXML's namespace, and statewright's own for the attributes that make an export reversible.
SCXML_NS = "http://www.w3.org/2005/07/scxml"
SW_NS = "https://statewright.dev/ns/scxml"

_NOT_SCXML_TOKEN = re.compile(r"[^A-Za-z0-9_.\-]+")


def scxml_event(text: str) -> str:
    """An event name as SCXML writes it (docs/scxml.md): blanks and characters SCXML splits on
    or rejects become `_`; SCXML's wildcards stay (`*` alone, and a trailing `.*` after a
    prefix). The checker warns where this changes a name (SC027)."""
    text = unicodedata.normalize("NFKC", text.strip())
    if text == "*":
        return text
    wildcard = text.endswith(".*") and len(text) > 2
    cleaned = _NOT_SCXML_TOKEN.sub("_", text[:-2] if wildcard else text).strip("_") or "_"
    return cleaned + ".*" if wildcard else cleaned
