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
from typing import Any

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


class PythonNames:
    """The identifiers of one generated class, each unique where it lives, so that no chart is
    refused for its names (docs/python.md): `State` members among states, `Event` members
    among events, and the class's methods (event methods, hooks, `guard_<name>`,
    `invoke_<name>`, beside the methods every machine has) among each other. A name whose
    identifier is taken gets `_2`, `_3`, ... in the order the chart gives them (events first:
    they are the class's public face). `renamed` lists (what, name, identifier, taken by) for
    the ones that moved (SC024, SC028 say so).
    """

    def __init__(
        self,
        states: list[str],
        events: list[str],
        hooks: list[str],
        guards: list[str],
        invokes: list[str],
    ) -> None:
        self.renamed: list[tuple[str, str, str, str]] = []
        self.states = self._unique("state", states, enum_member, {})
        self.event_members = self._unique("event", events, enum_member, {})
        methods: dict[str, str] = {name: "every machine" for name in RESERVED_METHODS}
        self.event_methods = self._unique("event", events, event_method, methods)
        self.hooks = self._unique("action", hooks, hook_name, methods)
        self.guards = self._unique(
            "guard name", guards, lambda n: "guard_" + python_identifier(n), methods
        )
        self.invokes = self._unique(
            "invoked machine", invokes, lambda n: "invoke_" + python_identifier(n), methods
        )

    def _unique(
        self, what: str, names: list[str], base: Any, taken: dict[str, str]
    ) -> dict[str, str]:
        found: dict[str, str] = {}
        for name in names:
            if name in found:
                continue
            identifier = base(name)
            if identifier in taken:
                owner = taken[identifier]
                stem = identifier if identifier.endswith("_") else identifier + "_"
                number = 2
                while f"{stem}{number}" in taken:
                    number += 1
                if not any(r[:2] == (what, name) for r in self.renamed):  # said once
                    self.renamed.append((what, name, f"{stem}{number}", owner))
                identifier = f"{stem}{number}"
            taken[identifier] = f"{what} `{name}`"
            found[name] = identifier
        return found
