"""Read SCXML into the IR: `statewright import chart.scxml`, or any command given a `.scxml` file.

Stage 1 for SCXML input (bytes -> Chart + diagnostics), beside `smcat.py` for smcat text. It reads
the W3C SCXML 1.0 state structure and the parts of executable content that have a meaning in
the IR; everything else is reported (I003) with its XML line, never dropped in silence.
The XML is untrusted: a document with a DOCTYPE is refused before any entity could be
expanded, and the parser never loads a DTD or touches the network.

What maps to what (docs/scxml.md, "Import"):

- `<state>` -> a state (composite when it has children), `<parallel>` -> a parallel state,
  `<final>` -> a final state, `<history type="shallow|deep">` -> a history state and its default
  transition, `<initial>` and the `initial` attribute -> an initial state and its transition;
- `<transition event cond target type>` -> one transition per event name (`event="a b"` is two),
  no target -> an internal self-transition, several targets -> a fork state and its branches;
- `<log label="action|entry|exit|activity" expr="'text'">` -> the transition's action and the
  state's activities (the form `-T scxml` writes);
- the `sw:` attributes statewright writes (`sw:name`, `sw:kind`, `sw:initial-name`, `sw:event-name`,
  `sw:fork`, `sw:join`) give back what the export compiled away, so an exported chart reads back
  as the chart it came from (the round trip is tested on every golden chart).
"""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Any

from lxml import etree

from ..diagnostics import Diagnostic, Severity
from ..ir import (
    Action,
    ActionKind,
    Chart,
    Region,
    State,
    StateKind,
    Variable,
)
from ..ir_document import to_document
from ..names import SCXML_NS, SW_NS
from .scxml_content import ContentReader, datamodel_language, nodes_json
from .scxml_text import declared_variable, text_lines
from .scxml_transitions import Collected, TransitionReader
from .scxml_xml import MAX_BYTES as MAX_BYTES
from .scxml_xml import q as _q
from .scxml_xml import sw as _sw

MAX_DEPTH = 100

_STATES = ("state", "parallel", "final", "history")
_STATE_TAGS = frozenset(f"{{{SCXML_NS}}}{t}" for t in _STATES)
#: how deep `<invoke>`s may nest documents inside documents
MAX_INVOKE_DEPTH = 8


def read(data: bytes, name: str) -> tuple[Chart | None, list[Diagnostic]]:
    """SCXML bytes -> the chart (None when the document cannot be read) and the diagnostics."""
    reader = _Reader(data, name)
    chart = reader.read()
    return chart, reader.diagnostics


class _Reader(TransitionReader):
    def __init__(self, data: bytes, name: str, *, depth: int = 0, base: Path | None = None) -> None:
        super().__init__(data, name)
        self.depth = depth  # how deep this document is invoked (0: the document read)
        self.ids: dict[str, str] = {}  # SCXML id -> state name
        self.names: set[str] = set()  # every state name taken (forks and joins included)
        self.next_id = 0
        self.anonymous = 0
        self.ours = False  # written by statewright (sw: names and kinds are trusted)
        self.markers: dict[str, str] = {}  # join marker id -> join name (older exports)
        self.flagged: set[tuple[str, str]] = set()  # (join, source) of legs with a flag
        self.forks: dict[str, tuple[str, list[str], str | None]] = {}
        self.language: str | None = None  # the datamodel (None: statewright's guards)
        #: the declared context an export of ours carries (`<data sw:type=...>`)
        self.declared: list[Variable] = []
        folder = Path(name).parent if name and not name.startswith("<") else None
        self.content = ContentReader(
            lambda why, element: self._report("I003", why, element),
            base or (folder if folder is not None and folder.is_dir() else None),
        )

    # -- document ------------------------------------------------------------------------------

    def read(self) -> Chart | None:
        root = self._document()
        if root is None:
            return None
        self.ours = SW_NS in root.nsmap.values()
        self.language = None if self.ours else datamodel_language(root)
        if self.ours and root.get(_sw("datamodel")) == "kept":  # an imported document's own
            self.language = root.get("datamodel")
        self._number_elements(root)
        self._collect_ids(root)
        self._other_children(root)
        region = self._region(root, None, depth=0)
        if region is None:
            return None
        machine = Region(tuple(region.states), tuple(region.transitions))
        return Chart(
            machine,
            file=self.file,
            datamodel=self._datamodel(root),
            context=tuple(self.declared),
        )

    def _datamodel(self, root: etree._Element) -> str | None:
        """The document's datamodel as the IR keeps it (None: statewright's guards)."""
        if self.language is None:
            return None
        found: dict[str, object] = {"language": self.language}
        if root.get("binding") == "late":
            found["binding"] = "late"
        if root.get("name") is not None:
            found["name"] = root.get("name")
        data = [d for block in root.findall(_q("datamodel")) for d in self.content.data(block)]
        if data:
            found["data"] = data
        scripts = [
            s.text or "" if s.get("src") is None else self.content.source(s.get("src", ""), s)
            for s in root.findall(_q("script"))
        ]
        scripts = [text for text in scripts if text is not None]
        if scripts:
            found["scripts"] = scripts
        return json.dumps(found, sort_keys=True, ensure_ascii=False)

    def _collect_ids(self, root: etree._Element) -> None:
        """Every state's name: `sw:name` in a statewright document, else the id."""
        for element in root.iter(*(_q(t) for t in _STATES)):
            if next(element.iterancestors(_q("invoke")), None) is not None:
                continue  # a state of an invoked document: its own ids
            ident = element.get("id")
            if ident is None:
                self.anonymous += 1
                ident = f"state{self.anonymous}"
                while ident in self.ids:
                    self.anonymous += 1
                    ident = f"state{self.anonymous}"
                element.set("id", ident)
            name = element.get(_sw("name"), ident) if self.ours else ident
            if ident in self.ids:
                self._report(
                    "I004",
                    f"the id `{ident}` is used twice",
                    element,
                    "every state needs its own id",
                    severity=Severity.ERROR,
                )
                continue
            if element.get(_sw("synthetic")) == "join" and self.ours:
                self.markers[ident] = element.get(_sw("join"), ident)
                continue
            self.ids[ident] = name
            self.names.add(name)

    # -- states --------------------------------------------------------------------------------

    def _region(
        self, element: etree._Element, owner: str | None, *, depth: int
    ) -> Collected | None:
        if depth > MAX_DEPTH:
            self._report(
                "I001",
                f"states are nested more than {MAX_DEPTH} deep",
                element,
                severity=Severity.ERROR,
            )
            return None
        region = Collected()
        self._initial(element, owner, region)
        for child in element:
            if child.tag in _STATE_TAGS and self._state(child, region, depth=depth) is None:
                return None
        return region

    def _other_children(self, element: etree._Element) -> None:
        """Report the SCXML children of a state or the document that the IR has no place for
        (elements of other namespaces are extensions, which engines ignore too)."""
        known = {_q(t) for t in (*_STATES, "initial", "transition", "onentry", "onexit", "invoke")}
        stray = text_lines(element)
        if stray:
            where = f"<{etree.QName(element).localname}>"
            why = f"the text `{stray[0][:40]}` inside {where} is not imported (actions go in "
            self._report("I003", why + "<onentry>, <onexit> or <transition>)", element)
        for child in element:
            if not isinstance(child.tag, str) or not child.tag.startswith(f"{{{SCXML_NS}}}"):
                continue
            if child.tag in known:
                continue
            if self.language is not None and child.tag in (
                _q("datamodel"),
                _q("donedata"),
                _q("script"),
            ):
                continue  # read with the state or the document
            if child.tag == _q("datamodel"):
                for data in child.findall(_q("data")):
                    self._data(data)
                continue
            self._unsupported(child)

    def _initial(
        self,
        element: etree._Element,
        owner: str | None,
        region: Collected,
    ) -> None:
        if element.tag == _q("parallel"):
            return
        default = self._default_name(owner)
        node = element.find(_q("initial"))
        if node is not None:
            name = node.get(_sw("name"), default) if self.ours else default
            region.states.append(self._new_state(name, StateKind.INITIAL, node))
            for transition in node.findall(_q("transition")):
                self._transitions(transition, name, region)
            return
        targets = element.get("initial")
        if targets is None:
            return
        if self.ours and element.get(_sw("initial-name")) is None:
            return  # the export spelled out SCXML's default: the chart had no initial state
        name = element.get(_sw("initial-name"), default) if self.ours else default
        region.states.append(self._new_state(name, StateKind.INITIAL, element))
        self._add_transition(region, element, name, targets.split(), None, None, [], None)

    def _default_name(self, owner: str | None) -> str:
        name = "initial" if owner is None else f"{owner}.initial"
        while name in self.names:
            name += "_"
        return name

    def _state(self, element: etree._Element, region: Collected, *, depth: int) -> bool | None:
        ident = element.get("id")
        if ident in self.markers:
            return True
        name = self.ids.get(ident, ident)
        tag = etree.QName(element).localname
        kind = {
            "parallel": StateKind.PARALLEL,
            "final": StateKind.FINAL,
            "history": (
                StateKind.DEEP_HISTORY if element.get("type") == "deep" else StateKind.HISTORY
            ),
        }.get(tag, StateKind.REGULAR)
        if self.ours and element.get(_sw("kind")):
            try:
                kind = StateKind(element.get(_sw("kind")))
            except ValueError:
                pass
        self._other_children(element)
        nested = [c for c in element if c.tag in _STATE_TAGS]
        machine: Region | None = None
        if nested or tag == "parallel":
            inner = self._region(element, name, depth=depth + 1)
            if inner is None:
                return None
            machine = Region(tuple(inner.states), tuple(inner.transitions))
        elif element.find(_q("initial")) is not None or element.get("initial"):
            self._report("I003", f"`{name}` has an initial but no child states", element)
        state = self._new_state(
            name, kind, element, region=machine, actions=self._activities(element)
        )
        if self.language is not None:
            state = self._with_data(state, element)
        invokes = [self._invoke(child) for child in element.findall(_q("invoke"))]
        kept = [found for found in invokes if found is not None]
        if kept:
            state = replace(state, invoke=nodes_json(kept))
        region.states.append(state)
        for transition in element.findall(_q("transition")):
            self._transitions(transition, name, region)
        return True

    def _with_data(self, state: State, element: etree._Element) -> State:
        """A state's `<datamodel>` and a final state's `<donedata>` (documents with one)."""
        data = [d for block in element.findall(_q("datamodel")) for d in self.content.data(block)]
        done = element.find(_q("donedata"))
        return replace(
            state,
            data=json.dumps(data, sort_keys=True, ensure_ascii=False) if data else None,
            donedata=(
                json.dumps(self.content.donedata(done), sort_keys=True, ensure_ascii=False)
                if done is not None
                else None
            ),
        )

    def _activities(self, element: etree._Element) -> tuple[Action, ...]:
        if not self.ours or any(
            holder.get(_sw("content")) is not None
            for holder in (*element.findall(_q("onentry")), *element.findall(_q("onexit")))
        ):
            return self._blocks(element)
        actions: list[Action] = []
        for block, default in ((_q("onentry"), ActionKind.ENTRY), (_q("onexit"), ActionKind.EXIT)):
            for holder in element.findall(block):
                for text, label in self._executable(holder):
                    kind = default
                    if default is ActionKind.ENTRY and label == "activity":
                        kind = ActionKind.ACTIVITY
                    actions.append(Action(kind, text))
        return tuple(actions)

    def _invoke(self, element: etree._Element) -> dict[str, object] | None:
        """An `<invoke>`, with the document it invokes read by a reader of its own."""
        if self.depth >= MAX_INVOKE_DEPTH and (
            element.find(_q("content")) is not None or element.get("src") is not None
        ):
            self._report("I003", f"documents invoked over {MAX_INVOKE_DEPTH} deep", element)
            return None
        return self.content.invoke(element, self._read_invoked)

    def _read_invoked(self, text: bytes) -> dict[str, Any] | None:
        child = _Reader(text, self.file, depth=self.depth + 1, base=self.content.base)
        chart = child.read()
        self.diagnostics += child.diagnostics
        return None if chart is None else to_document(chart)

    def _blocks(self, element: etree._Element) -> tuple[Action, ...]:
        """A foreign document's `<onentry>` and `<onexit>` blocks, each one action that runs its
        executable content (an error stops the block, not the next one: SCXML 4.1)."""
        actions: list[Action] = []
        for block, kind in ((_q("onentry"), ActionKind.ENTRY), (_q("onexit"), ActionKind.EXIT)):
            for holder in element.findall(block):
                nodes, text = self.content.block(holder)
                if nodes:
                    actions.append(Action(kind, text or kind.value, nodes_json(nodes)))
                actions.extend(Action(kind, line) for line in self._text_actions(holder, nodes))
        return tuple(actions)

    def _data(self, data: etree._Element) -> None:
        if self.ours and data.get(_sw("synthetic")) == "join":
            return  # a join's arrival flag
        if self.ours and data.get(_sw("type")) is not None:  # a declared name, with its default
            variable = declared_variable(data.get("id", ""), data.get(_sw("type"), ""), data)
            if variable is not None:
                self.declared.append(variable)
                return
        expr = (data.get("expr") or "").strip()
        if data.get("src") is not None or len(data) or (data.text or "").strip():
            self._report("I003", f'the value of <data id="{data.get("id")}"> is not imported', data)
        elif not expr:
            self._report(
                "I003",
                f"`{data.get('id')}` starts undefined here; exports declare variables as 0",
                data,
            )
        elif expr != "0":
            self._report(
                "I003",
                f"the initial value `{expr}` of `{data.get('id')}` is not imported (variables "
                "start at 0 in exports)",
                data,
            )


def document_order(found: list[Diagnostic]) -> list[Diagnostic]:
    """The checker's findings as SCXML reads them: SC012 (two transitions with one trigger) is a
    warning, since document order decides between them (every engine takes the first)."""
    hint = "SCXML takes the first in document order; the other never fires"
    return [
        replace(d, severity=Severity.WARNING, hint=hint) if d.code == "SC012" and d.is_error else d
        for d in found
    ]
