"""SCXML executable content and data -> the IR's blocks (runtime.content): the part of the SCXML
import that reads `<onentry>`, `<onexit>`, transition bodies, `<datamodel>`, `<donedata>` and
top-level `<script>`s of documents statewright did not write.

Each block becomes JSON text (what `Action.content` and `Transition.content` hold) and a short
text that diagrams and listeners show (`raise done; x = x + 1`). What has no place in the IR
is reported by the caller's `report` (I003) and left out; elements of other namespaces are
extensions, which SCXML engines ignore, and so does the import.

Part of stage 1 (readers): no lark, no emitter.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from lxml import etree

from ...runtime.compiling import SEND_ATTRIBUTES
from ..guards import is_portable
from ..names import SCXML_NS
from .scxml_text import js_string
from .scxml_xml import q as _q

#: the longest text an action shows for a block
MAX_SHOWN = 120

Report = Callable[[str, etree._Element], None]
Node = dict[str, Any]

#: the executable content elements (SCXML 4), and what needs a datamodel to run
EXECUTABLE = ("raise", "log", "assign", "if", "foreach", "script", "send", "cancel")


def nodes_json(nodes: list[dict[str, object]]) -> str:
    """Executable content's nodes as the IR keeps them (`content`: JSON text)."""
    return json.dumps(nodes, sort_keys=True, ensure_ascii=False)


def _local(element: etree._Element) -> str | None:
    tag = element.tag
    if not isinstance(tag, str) or not tag.startswith(f"{{{SCXML_NS}}}"):
        return None  # a comment, a processing instruction, another namespace
    return str(etree.QName(element).localname)


#: the largest file a `src` attribute may name
MAX_SOURCE = 1024 * 1024


class ContentReader:
    """Reads blocks of executable content; `report(why, element)` hears what is left out.
    `base` is the folder of the document (None: it came from no file): a `src` attribute may
    name a file in it, never outside it."""

    def __init__(self, report: Report, base: Path | None = None) -> None:
        self.report = report
        self.base = base

    def source(self, src: str, element: etree._Element) -> str | None:
        """The text of the file `src` names (`file:` allowed), inside the document's folder
        and at most `MAX_SOURCE` bytes; None (reported) otherwise."""
        if self.base is None:
            self.report(f"`{src[:80]}` cannot be read: the document came from no file", element)
            return None
        relative = src.removeprefix("file:")
        base = self.base.resolve()
        try:
            path = (base / relative).resolve()
            if not path.is_relative_to(base) or not path.is_file():
                raise OSError("not a file in the document's folder")
            with path.open("rb") as handle:
                data = handle.read(MAX_SOURCE + 1)
            if len(data) > MAX_SOURCE:
                raise OSError(f"larger than {MAX_SOURCE} bytes")
            return data.decode("utf-8")
        except (OSError, ValueError) as error:
            self.report(f"`{src[:80]}` is not read: {error}", element)
            return None

    def block(self, holder: etree._Element) -> tuple[list[Node], str]:
        """The nodes of a block (the children of `holder`) and the text it shows."""
        nodes = self._nodes(holder)
        return nodes, shown(nodes)

    def _nodes(self, holder: etree._Element) -> list[Node]:
        found: list[Node] = []
        for child in holder:
            local = _local(child)
            if local is None:
                continue
            node = self._node(child, local)
            if node is not None:
                found.append(node)
        return found

    def _node(self, element: etree._Element, local: str) -> Node | None:
        get = element.get
        if local == "raise":
            return {"do": "raise", "event": get("event", "")}
        if local == "log":
            return _present({"do": "log", "label": get("label"), "expr": get("expr")})
        if local == "assign":
            node = _present({"do": "assign", "location": get("location", ""), "expr": get("expr")})
            if "expr" not in node:
                node["value"] = inline_value(element)
            return node
        if local == "if":
            return self._if(element)
        if local == "foreach":
            node = _present(
                {
                    "do": "foreach",
                    "array": get("array", ""),
                    "item": get("item", ""),
                    "index": get("index"),
                }
            )
            node["then"] = self._nodes(element)
            return node
        if local == "script":
            if get("src") is not None:
                text = self.source(get("src"), element)
                return None if text is None else {"do": "script", "source": text}
            return {"do": "script", "source": element.text or ""}
        if local == "send":
            return self._send(element)
        if local == "cancel":
            return _present(
                {"do": "cancel", "sendid": get("sendid"), "sendidexpr": get("sendidexpr")}
            )
        self.report(f"<{local}> is not executable content", element)
        return None

    def _if(self, element: etree._Element) -> Node:
        branches: list[dict[str, Any]] = [{"cond": element.get("cond", "false"), "then": []}]
        for child in element:
            local = _local(child)
            if local == "elseif":
                branches.append({"cond": child.get("cond", "false"), "then": []})
            elif local == "else":
                branches.append({"cond": None, "then": []})
            elif local is not None:
                node = self._node(child, local)
                if node is not None:
                    branches[-1]["then"].append(node)
        return {"do": "if", "branches": branches}

    def _send(self, element: etree._Element) -> Node:
        node = _present({"do": "send", **{k: element.get(k) for k in SEND_ATTRIBUTES}})
        names = (element.get("namelist") or "").split()
        if names:
            node["namelist"] = names
        params = [
            _present(
                {"name": p.get("name", ""), "expr": p.get("expr"), "location": p.get("location")}
            )
            for p in element.findall(_q("param"))
        ]
        if params:
            node["params"] = params
        content = element.find(_q("content"))
        if content is not None:
            node["content"] = (
                {"expr": content.get("expr")}
                if content.get("expr") is not None
                else {"value": inline_value(content)}
            )
        return node

    # -- data -----------------------------------------------------------------------------------

    def data(self, datamodel: etree._Element) -> list[Node]:
        """The declarations of a `<datamodel>`."""
        found: list[Node] = []
        for data in datamodel.findall(_q("data")):
            declaration: Node = {"id": data.get("id", "")}
            if data.get("src") is not None:
                text = self.source(data.get("src", ""), data)
                if text is not None:
                    declaration["value"] = _text_value(text)
            elif data.get("expr") is not None:
                declaration["expr"] = data.get("expr")
            elif len(data) or (data.text or "").strip():
                declaration["value"] = inline_value(data)
            found.append(declaration)
        return found

    def invoke(
        self, element: etree._Element, read: Callable[[bytes], dict[str, Any] | None]
    ) -> Node | None:
        """An `<invoke>` of an SCXML session: its attributes, params, finalize block, and the
        child document (inline `<content>`, or `src` from the document's folder) that `read`
        imports; None (reported) when the document cannot be had."""
        found: Node = {
            key: element.get(key)
            for key in ("type", "typeexpr", "id", "idlocation", "srcexpr")
            if element.get(key) is not None
        }
        if element.get("autoforward") == "true":
            found["autoforward"] = True
        if element.get("namelist"):
            found["namelist"] = element.get("namelist", "").split()
        params = self.params(element)
        if params:
            found["params"] = params
        finalize = element.find(_q("finalize"))
        if finalize is not None:
            found["finalize"] = self.block(finalize)[0]
        text: bytes | None = None
        content = element.find(_q("content"))
        if content is not None and content.get("expr") is not None:
            found["contentexpr"] = content.get("expr")
        elif content is not None:
            inner = content.find(_q("scxml"))
            if inner is None:
                self.report("<invoke> content that is not an <scxml> document", content)
                return None
            text = etree.tostring(inner)
        elif element.get("src") is not None:
            source = self.source(element.get("src", ""), element)
            if source is None:
                return None
            text = source.encode("utf-8")
        if text is not None:
            document = read(text)
            if document is None:
                return None
            found["document"] = document
        return found

    def params(self, element: etree._Element) -> list[Node]:
        return [
            _present(
                {"name": p.get("name", ""), "expr": p.get("expr"), "location": p.get("location")}
            )
            for p in element.findall(_q("param"))
        ]

    def donedata(self, element: etree._Element) -> Node:
        content = element.find(_q("content"))
        if content is not None:
            if content.get("expr") is not None:
                return {"content": {"expr": content.get("expr")}}
            return {"content": {"value": inline_value(content)}}
        params = [
            _present(
                {"name": p.get("name", ""), "expr": p.get("expr"), "location": p.get("location")}
            )
            for p in element.findall(_q("param"))
        ]
        return {"params": params}


def inline_value(element: etree._Element) -> Any:
    """The value of inline content (`<data>`, `<assign>`, `<content>` children or text): JSON
    when the text is JSON, else the text (with child elements, their XML)."""
    if len(element):
        return "".join(etree.tostring(child, encoding="unicode") for child in element).strip()
    text = (element.text or "").strip()
    try:
        return json.loads(text)
    except ValueError:
        return " ".join(text.split())


def _text_value(text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError:
        return " ".join(text.split())


def _present(node: dict[str, Any]) -> Node:
    return {key: value for key, value in node.items() if value is not None}


def shown(nodes: list[Node]) -> str:
    """What a block shows (on a diagram, to listeners): each node in a few words."""
    parts = []
    for node in nodes:
        kind = node["do"]
        if kind == "raise":
            parts.append(f"raise {node['event']}")
        elif kind == "log":
            literal = js_string(node.get("expr", "")) if node.get("expr") else None
            parts.append(literal if literal is not None else f"log {node.get('expr', '')}")
        elif kind == "assign":
            value = node.get("expr", json.dumps(node.get("value"), ensure_ascii=False))
            parts.append(f"{node['location']} = {value}")
        elif kind == "send":
            parts.append(f"send {node.get('event') or node.get('eventexpr', '')}")
        elif kind == "cancel":
            parts.append(f"cancel {node.get('sendid') or node.get('sendidexpr', '')}")
        else:
            parts.append(kind)
    text = "; ".join(parts)
    return text if len(text) <= MAX_SHOWN else text[: MAX_SHOWN - 3] + "..."


#: words a portable-looking condition cannot use as a variable in ECMAScript
_JS_WORDS = re.compile(
    r"\b(?:return|function|var|let|const|new|delete|typeof|void|this|if|else|for|while|do|"
    r"switch|case|break|continue|throw|try|catch|finally|class|instanceof|in|of|with|yield|"
    r"await|null|undefined)\b"
)
_SYSTEM = re.compile(r"\b_(?:event|sessionid|name|ioprocessors|x)\b")
#: what makes a document need its datamodel (else its conditions run on statewright's guards)
_DATA_TAGS = frozenset(
    _q(local) for local in ("data", "script", "assign", "foreach", "param", "donedata", "content")
)


def datamodel_language(root: etree._Element) -> str | None:
    """The datamodel a document statewright did not write runs on: the one it names, but for
    an ECMAScript document (or one that names none, which SCION takes as ECMAScript) that
    needs no datamodel at all (no data, no script, conditions in the portable subset, logs of
    string literals): that one runs on statewright's guards, the same there, and needs no
    JavaScript engine (None)."""
    named = root.get("datamodel")
    if named is not None and named != "ecmascript":
        return str(named)
    for element in root.iter():
        if element.tag in _DATA_TAGS:
            return "ecmascript"
        for key, value in element.attrib.items():
            if key == "cond" and (
                not is_portable(value.strip()) or _SYSTEM.search(value) or _JS_WORDS.search(value)
            ):
                return "ecmascript"
            if key.endswith("expr") and not (key == "expr" and js_string(value) is not None):
                return "ecmascript"
            if key in ("namelist", "location", "idlocation", "array"):
                return "ecmascript"
    return None
