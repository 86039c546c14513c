"""The XML layer of the SCXML import: parsing untrusted bytes safely, and pointing at elements.

A document with a DOCTYPE is refused before any entity could be expanded; the parser never
loads a DTD or touches the network, and refuses documents over `MAX_BYTES`. Diagnostics point
at the start tag of the element they are about (its line, and its column among the start tags
of its name on that line).

Part of stage 1 (readers): no lark, no emitter.
"""

from __future__ import annotations

import re

from lxml import etree

from ..diagnostics import Diagnostic, Severity
from ..ir import Span
from ..names import SCXML_NS, SW_NS

MAX_BYTES = 10 * 1024 * 1024


def q(tag: str) -> str:
    """An SCXML element's name as lxml spells it (`{namespace}tag`)."""
    return f"{{{SCXML_NS}}}{tag}"


def sw(name: str) -> str:
    """A statewright attribute's name as lxml spells it (`sw:name`)."""
    return f"{{{SW_NS}}}{name}"


def _parser() -> etree.XMLParser:
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
        remove_comments=True,
        remove_pis=True,
    )


class XmlDocument:
    """The bytes of one document, its diagnostics, and where its elements are."""

    def __init__(self, data: bytes, name: str) -> None:
        self.data, self.file = data, name
        self.lines = data.decode("utf-8", "replace").splitlines()
        self.diagnostics: list[Diagnostic] = []
        self.nth: dict[etree._Element, int] = {}
        self.starts: dict[tuple[int, str], list[tuple[int, int]]] = {}

    # -- diagnostics ---------------------------------------------------------------------------

    def _span(self, element: etree._Element | None, line: int | None = None) -> Span:
        number = line if line is not None else (element.sourceline if element is not None else 1)
        number = number or 1
        text = self.lines[number - 1] if 0 < number <= len(self.lines) else ""
        column, end = 1, max(len(text), 1) + 1
        if element is not None:
            local = etree.QName(element).localname
            starts = self._tag_starts(number, local, text)
            nth = self.nth.get(element, 0)
            if nth < len(starts):
                column = starts[nth][0] + 1
                close = text.find(">", starts[nth][1])
                end = (close + 2) if close >= 0 else len(text) + 1
        return Span(self.file, number, column, number, end)

    def _tag_starts(self, line: int, local: str, text: str) -> list[tuple[int, int]]:
        """Where each start tag `<local` (any prefix) begins and its name ends on a line, found
        once per line and tag: a document of 20,000 states on one line is read in linear
        time, and the k-th element of a tag on a line gets the k-th position."""
        key = (line, local)
        found = self.starts.get(key)
        if found is None:
            pattern = rf"<([A-Za-z_][\w.-]*:)?{re.escape(local)}\b"
            found = self.starts[key] = [(m.start(), m.end()) for m in re.finditer(pattern, text)]
        return found

    def _number_elements(self, root: etree._Element) -> None:
        """Each element's rank among the elements of its tag that start on its line."""
        seen: dict[tuple[int | None, str], int] = {}
        for element in root.iter():
            if not isinstance(element.tag, str):
                continue
            key = (element.sourceline, etree.QName(element).localname)
            self.nth[element] = seen.get(key, 0)
            seen[key] = self.nth[element] + 1

    def _report(
        self,
        code: str,
        message: str,
        element: etree._Element | None,
        hint: str | None = None,
        *,
        severity: Severity = Severity.WARNING,
        line: int | None = None,
    ) -> None:
        self.diagnostics.append(
            Diagnostic(code, severity, message, self._span(element, line), hint)
        )

    def _document(self) -> etree._Element | None:
        if len(self.data) > MAX_BYTES:
            self._report(
                "I001",
                f"the document is {len(self.data)} bytes; the limit is {MAX_BYTES}",
                None,
                severity=Severity.ERROR,
            )
            return None
        doctype = re.search(rb"<!DOCTYPE", self.data, re.I)
        if doctype is not None:
            line = self.data[: doctype.start()].count(b"\n") + 1
            self._report(
                "I002",
                "the document has a DOCTYPE; SCXML needs none, and statewright does not read "
                "DTDs or expand entities",
                None,
                "remove the <!DOCTYPE ...> declaration",
                severity=Severity.ERROR,
                line=line,
            )
            return None
        try:
            root = etree.fromstring(self.data, _parser())
        except etree.XMLSyntaxError as error:
            line = error.lineno or 1
            message = str(error.msg or error).split(" (line")[0]
            self._report(
                "I001", f"not well-formed XML: {message}", None, severity=Severity.ERROR, line=line
            )
            return None
        if root.tag != f"{{{SCXML_NS}}}scxml":
            self._report(
                "I001",
                f"the root element is <{etree.QName(root).localname}>, not SCXML's <scxml>",
                root,
                f'an SCXML document starts with <scxml xmlns="{SCXML_NS}">',
                severity=Severity.ERROR,
            )
            return None
        if root.getroottree().docinfo.doctype:  # belt and braces: the scan above refuses it first
            self._report("I002", "the document has a DOCTYPE", None, severity=Severity.ERROR)
            return None
        return root
