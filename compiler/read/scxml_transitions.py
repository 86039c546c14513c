"""SCXML import, the transitions: how a `<transition>` becomes the IR's transitions (one per
event name; several targets a fork; `sw:join` legs and ways out given back as a join), and the
executable content of transitions and of statewright's own exports (`<log>` lines).

`TransitionReader` is the part of the SCXML reader (`scxml.py`, `_Reader`) that reads them; it
reads the reader's tables of ids and names, declared here.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

from lxml import etree

from ..diagnostics import Severity
from ..guards import is_portable
from ..ir import Action, Region, State, StateKind, Transition, TransitionKind
from ..names import SCXML_NS
from ..notation import kind_from_name
from .scxml_content import ContentReader, nodes_json
from .scxml_text import joined, js_string, text_actions, text_lines
from .scxml_xml import XmlDocument
from .scxml_xml import q as _q
from .scxml_xml import sw as _sw


@dataclass
class Collected:
    """The states and transitions read into one region so far."""

    states: list[State] = field(default_factory=list)
    transitions: list[Transition] = field(default_factory=list)


class TransitionReader(XmlDocument):
    """Reads transitions into `Collected` regions, over the reader's tables."""

    #: written by statewright (sw: names and kinds are trusted)
    ours: bool
    #: SCXML id -> state name
    ids: dict[str, str]
    #: every state name taken (forks and joins included)
    names: set[str]
    #: join marker id -> join name (older exports)
    markers: dict[str, str]
    #: (join, source) of legs with a flag
    flagged: set[tuple[str, str]]
    next_id: int
    content: ContentReader

    def _new_state(
        self,
        name: str,
        kind: StateKind,
        element: etree._Element,
        *,
        region: Region | None = None,
        actions: tuple[Action, ...] = (),
    ) -> State:
        return State(
            name=name,
            kind=kind,
            kind_explicit=kind is not kind_from_name(name),
            actions=actions,
            region=region,
            span=self._span(element),
        )

    def _text_actions(self, holder: etree._Element, nodes: list[Any]) -> list[str]:
        """Text inside an `<onentry>`, `<onexit>` or `<transition>` (scxml_text.text_actions)."""
        return text_actions(holder, bool(nodes), lambda *why: self._report("I003", *why))

    # -- transitions ---------------------------------------------------------------------------

    def _transitions(self, element: etree._Element, source: str, region: Collected) -> None:
        events = (element.get("event") or "").split()
        if self.ours and element.get(_sw("event-name")) and len(events) == 1:
            events = [element.get(_sw("event-name"), "")]
        if self.ours and element.get(_sw("synthetic")) == "default":
            return  # the export wrote SCXML's default for a history state without one
        cond = element.get("cond")
        if self.ours and element.get(_sw("guard")) == "else":
            cond = "else"
        # the guard as written, before the export put it in the portable subset
        portable_as_written = self.ours and (
            element.get(_sw("cond")) is not None or element.get(_sw("join")) is not None
        )
        if portable_as_written:
            cond = element.get(_sw("cond"))
        if (
            cond
            and cond.strip() not in ("", "else")
            and not portable_as_written
            and not is_portable(cond.strip())
        ):
            self._report(
                "I005",
                f"the condition `{cond.strip()}` is outside the portable guard subset; it is "
                "kept as written",
                element,
                "portable guards use variables, numbers, 'strings', comparisons, && || and In()",
            )
        content = None
        if self.ours and element.get(_sw("content")) is None:
            actions = [text for text, _ in self._executable(element)]
        else:
            nodes, text = self.content.block(element)
            actions, content = ([text], nodes_json(nodes)) if nodes else ([], None)
            actions += self._text_actions(element, nodes)
        targets = (element.get("target") or "").split()
        kind = TransitionKind.INTERNAL if element.get("type") == "internal" else None
        if kind is not None and targets == [element.getparent().get("id")]:
            kind = None  # SCXML: the source is not its own descendant, so it is exited
        if self.ours and element.get(_sw("transition-type")) == "internal":
            kind = TransitionKind.INTERNAL
        join = element.get(_sw("join")) if self.ours else None
        if join is not None:
            cond = element.get(_sw("guard"))
            if element.get(_sw("sources")) is None:  # a leg that sets its arrival flag
                # (the join state is declared where its way out is: beside the parallel state)
                self.flagged.add((join, source))
                region.transitions.append(
                    self._transition(
                        source, join, (events or [None])[0], cond, joined(actions), None, element
                    )
                )
                return
            if join not in self.names:
                self.names.add(join)
                region.states.append(self._new_state(join, StateKind.JOIN, element))
            self._join_legs(element, join, region)
            source = join
        for event in events or [None]:
            self._add_transition(
                region, element, source, targets, event, cond, actions, kind, content
            )

    def _add_transition(
        self,
        region: Collected,
        element: etree._Element,
        source: str,
        targets: list[str],
        event: str | None,
        cond: str | None,
        actions: list[str],
        kind: TransitionKind | None,
        content: str | None = None,
    ) -> None:
        names = []
        for target in targets:
            if target in self.markers:
                names.append(self.markers[target])
            elif target in self.ids:
                names.append(self.ids[target])
            else:
                self._report(
                    "I004",
                    f"the target `{target}` is not the id of any state",
                    element,
                    "a transition's target names states by their id",
                    severity=Severity.ERROR,
                )
                return
        guard = cond.strip() if cond is not None and cond.strip() else None
        fork = element.get(_sw("fork")) if self.ours else None
        if not names:
            target, kind = source, TransitionKind.INTERNAL
        elif len(names) == 1 and fork is None:
            target = names[0]
        else:
            target = fork or self._fresh_fork(source)
            if target not in self.names:
                self.names.add(target)
                region.states.append(self._new_state(target, StateKind.FORK, element))
                for branch in names:
                    region.transitions.append(
                        self._transition(target, branch, None, None, None, None, element)
                    )
        made = self._transition(source, target, event, guard, joined(actions), kind, element)
        region.transitions.append(replace(made, content=content) if content else made)

    def _join_legs(self, element: etree._Element, join: str, region: Collected) -> None:
        """The legs of a join that arrive while their source is active (they have no element
        of their own: the way out names their sources, and carries their actions)."""
        for ident in (element.get(_sw("sources")) or "").split():
            source = self.ids.get(ident)
            if source is None or (join, source) in self.flagged:
                continue
            actions = [
                js_string(log.get("expr", "")) or ""
                for log in element.findall(_q("log"))
                if log.get(_sw("leg")) == ident
            ]
            region.transitions.append(
                self._transition(source, join, None, None, joined(actions), None, element)
            )

    def _fresh_fork(self, source: str) -> str:
        name = f"]{source}.fork"
        while name in self.names:
            name += "_"
        return name

    def _transition(
        self,
        source: str,
        target: str,
        event: str | None,
        guard: str | None,
        action: str | None,
        kind: TransitionKind | None,
        element: etree._Element,
    ) -> Transition:
        self.next_id += 1
        span = self._span(element)
        return Transition(
            id=self.next_id,
            source=source,
            target=target,
            event=event,
            guard=guard,
            action=action,
            kind=kind,
            span=span,
            source_span=span,
            target_span=span,
        )

    # -- executable content --------------------------------------------------------------------

    def _executable(self, holder: etree._Element) -> list[tuple[str, str | None]]:
        """The texts of the `<log>` actions in a block, with their labels; anything else in it
        is reported."""
        found: list[tuple[str, str | None]] = [(line, None) for line in text_lines(holder)]
        for child in holder:
            if not isinstance(child.tag, str) or not child.tag.startswith(f"{{{SCXML_NS}}}"):
                continue
            if self.ours and child.get(_sw("synthetic")) in ("after", "join"):
                continue  # the timer of an `after` event, given back by `sw:event-name`,
                # and a join's arrival flag, given back by `sw:join`
            if self.ours and child.get(_sw("leg")) is not None:
                continue  # the action of a join's leg, given back with the leg
            if child.tag != _q("log"):
                self._unsupported(child)
                continue
            text = js_string(child.get("expr", ""))
            if text is None:
                text = child.get("expr") or child.get("label") or ""
                self._report(
                    "I003",
                    "a <log> whose expr is not a string literal is kept as its text",
                    child,
                )
            found.append((text, child.get("label")))
        return found

    def _unsupported(self, element: etree._Element) -> None:
        local = etree.QName(element).localname
        self._report(
            "I003", f"<{local}> is not imported", element, "the chart is imported without it"
        )
