"""SCXML's executable content and data written back from the IR's blocks (runtime.content): the
inverse of `read/scxml_content.py`, so that a document imported from SCXML is exported with
what it runs (`<raise>`, `<send>`, `<assign>`, `<if>`, ..., `<datamodel>`, `<donedata>`).

Part of stage 3 (emitters): built with lxml, never by string concatenation.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from lxml import etree

from ...runtime.compiling import SEND_ATTRIBUTES
from ..names import SCXML_NS


def _q(tag: str) -> str:
    return f"{{{SCXML_NS}}}{tag}"


def block(parent: etree._Element, nodes: list[Mapping[str, Any]]) -> None:
    """Write a block's nodes as children of `parent` (`<onentry>`, `<transition>`, ...)."""
    for node in nodes:
        _node(parent, node)


def _node(parent: etree._Element, node: Mapping[str, Any]) -> None:
    kind = node["do"]
    if kind == "raise":
        etree.SubElement(parent, _q("raise"), event=node["event"])
    elif kind == "log":
        element = etree.SubElement(parent, _q("log"))
        _set(element, node, ("label", "expr"))
    elif kind == "assign":
        element = etree.SubElement(parent, _q("assign"), location=node["location"])
        if node.get("expr") is not None:
            element.set("expr", node["expr"])
        else:
            _value(element, node.get("value"))
    elif kind == "if":
        element = etree.SubElement(parent, _q("if"))
        for index, branch in enumerate(node["branches"]):
            if index == 0:
                element.set("cond", branch["cond"])
            elif branch.get("cond") is None:
                etree.SubElement(element, _q("else"))
            else:
                etree.SubElement(element, _q("elseif"), cond=branch["cond"])
            block(element, branch.get("then", []))
    elif kind == "foreach":
        element = etree.SubElement(parent, _q("foreach"))
        _set(element, node, ("array", "item", "index"))
        block(element, node.get("then", []))
    elif kind == "script":
        etree.SubElement(parent, _q("script")).text = node["source"]
    elif kind == "send":
        _send(parent, node)
    elif kind == "cancel":
        element = etree.SubElement(parent, _q("cancel"))
        _set(element, node, ("sendid", "sendidexpr"))


def _send(parent: etree._Element, node: Mapping[str, Any]) -> None:
    element = etree.SubElement(parent, _q("send"))
    _set(element, node, SEND_ATTRIBUTES)
    if node.get("namelist"):
        element.set("namelist", " ".join(node["namelist"]))
    _params(element, node.get("params", []))
    _content(element, node.get("content"))


def data(parent: etree._Element, declarations: list[Mapping[str, Any]]) -> None:
    """A `<datamodel>` with the declarations."""
    if not declarations:
        return
    holder = etree.SubElement(parent, _q("datamodel"))
    for declaration in declarations:
        element = etree.SubElement(holder, _q("data"), id=declaration["id"])
        if declaration.get("expr") is not None:
            element.set("expr", declaration["expr"])
        elif "value" in declaration:
            _value(element, declaration["value"])


def donedata(parent: etree._Element, spec: Mapping[str, Any]) -> None:
    element = etree.SubElement(parent, _q("donedata"))
    _content(element, spec.get("content"))
    _params(element, spec.get("params", []))


def _params(element: etree._Element, params: list[Mapping[str, Any]]) -> None:
    for param in params:
        child = etree.SubElement(element, _q("param"), name=param["name"])
        _set(child, param, ("expr", "location"))


def _content(element: etree._Element, content: Any) -> None:
    if isinstance(content, Mapping):
        child = etree.SubElement(element, _q("content"))
        if content.get("expr") is not None:
            child.set("expr", content["expr"])
        else:
            _value(child, content.get("value"))


def _set(element: etree._Element, node: Mapping[str, Any], keys: tuple[str, ...]) -> None:
    for key in keys:
        if node.get(key) is not None:
            element.set(key, str(node[key]))


def _value(element: etree._Element, value: Any) -> None:
    """Inline content: a string as text, any other JSON value as JSON text (the import reads
    JSON text back as the value)."""
    element.text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
