"""SCXML's executable content (SCXML 4 and 6), as the IR carries it and as the interpreter runs it.

A block is a list of nodes, each a JSON object whose `do` says what it is (docs/ir.md):

    {"do": "raise", "event": "done"}
    {"do": "log", "label": "outcome", "expr": "'pass'"}
    {"do": "assign", "location": "x", "expr": "x + 1"}          (or "value": JSON)
    {"do": "if", "branches": [{"cond": "x > 1", "then": [...]}, {"then": [...]}]}
    {"do": "foreach", "array": "list", "item": "v", "index": "i", "then": [...]}
    {"do": "script", "source": "var y = 2;"}
    {"do": "send", "event": "e", "target": "#_internal", "delay": "1s", "id": "s1",
     "namelist": ["x"], "params": [{"name": "p", "expr": "1"}], "content": {"expr": "x"}}
     (each of event, target, type, delay, id also as `...expr`/`idlocation`)
    {"do": "cancel", "sendid": "s1"}                            (or "sendidexpr")

`validate_block` checks a block from an untrusted document (shape, sizes, depth); `execute`
runs one: an error stops the block and becomes `error.execution` (SCXML 4.1), the rest of the
machine goes on. What a block needs from the machine is `Runner`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from .datamodel import LANGUAGES, SCXML_TYPES, UNSET, ContentError, Datamodel, Event
from .document import ChartError, validate

#: how deep `if` and `foreach` may nest in one block
MAX_NESTING = 32
#: how deep documents may invoke documents
MAX_INVOKED = 8
#: the most nodes one document may hold in all its blocks (validated per block, summed by the
#: document reader)
MAX_TEXT = 100_000

_KINDS = ("raise", "log", "assign", "if", "foreach", "script", "send", "cancel")
#: the attributes of `<send>` that a node keeps as text, as SCXML names them
SEND_ATTRIBUTES = (
    "event",
    "eventexpr",
    "target",
    "targetexpr",
    "type",
    "typeexpr",
    "id",
    "idlocation",
    "delay",
    "delayexpr",
)
_DELAY = re.compile(r"^\s*(\d*(?:\.\d+)?|\d+\.)\s*(ms|s|m|min|h)?\s*$")
_UNIT = {"ms": 0.001, "s": 1.0, "m": 60.0, "min": 60.0, "h": 3600.0}


@dataclass(frozen=True, slots=True)
class Block:
    """A run of executable content: one `<onentry>`, `<onexit>` or transition body."""

    nodes: tuple[Mapping[str, Any], ...]
    #: how listeners see it run (the action text the chart shows)
    text: str


@dataclass(frozen=True, slots=True)
class Send:
    """A `<send>`, evaluated: what the machine dispatches."""

    event: Event  # its sendid is the `id` the document gave, or None
    target: str | None
    delay: float  # seconds
    #: the id `<cancel>` and error events name (the document's, or a generated one)
    sendid: str


class Runner(Protocol):
    """What executable content asks of the machine running it."""

    @property
    def datamodel(self) -> Datamodel: ...

    def raise_internal(self, event: Event) -> None: ...

    def error(self, name: str, message: str, sendid: str | None = None) -> None:
        """Raise `error.execution` or `error.communication`, and tell the listeners."""

    def dispatch(self, send: Send) -> None: ...

    def cancel(self, sendid: str) -> None: ...

    def log(self, label: str | None, value: Any) -> None: ...

    def fresh_sendid(self) -> str: ...

    def is_active(self, name: str) -> bool: ...


# -- validation ---------------------------------------------------------------------------------


def validate_block(nodes: Any, where: str, depth: int = 0) -> None:
    """Refuse a block that is not one (`ChartError`, naming the JSON path)."""
    if not isinstance(nodes, list):
        raise ChartError(f"{where}: executable content is a list of nodes")
    if depth > MAX_NESTING:
        raise ChartError(f"{where}: executable content nested over {MAX_NESTING} deep")
    for position, node in enumerate(nodes):
        here = f"{where}[{position}]"
        if not isinstance(node, dict) or node.get("do") not in _KINDS:
            raise ChartError(f"{here}: a node is an object with `do` one of {', '.join(_KINDS)}")
        for key, value in node.items():
            if isinstance(value, str) and len(value) > MAX_TEXT:
                raise ChartError(f"{here}.{key}: over {MAX_TEXT} characters")
        kind = node["do"]
        if kind == "if":
            branches = node.get("branches")
            if not isinstance(branches, list) or not branches:
                raise ChartError(f"{here}: `if` has a list of branches")
            for number, branch in enumerate(branches):
                if not isinstance(branch, dict) or not _text_or_none(branch.get("cond")):
                    raise ChartError(f"{here}.branches[{number}]: a branch has `cond` and `then`")
                validate_block(branch.get("then", []), f"{here}.branches[{number}].then", depth + 1)
        elif kind == "foreach":
            if not all(isinstance(node.get(k), str) for k in ("array", "item")):
                raise ChartError(f"{here}: `foreach` has `array` and `item`")
            validate_block(node.get("then", []), f"{here}.then", depth + 1)
        elif kind == "send":
            _validate_send(node, here)
        elif kind in ("raise",) and not isinstance(node.get("event"), str):
            raise ChartError(f"{here}: `raise` has an `event`")
        elif kind == "assign" and not isinstance(node.get("location"), str):
            raise ChartError(f"{here}: `assign` has a `location`")
        elif kind == "script" and not isinstance(node.get("source"), str):
            raise ChartError(f"{here}: `script` has a `source`")


def validate_scxml(document: Mapping[str, Any], depth: int = 0) -> None:
    """Refuse the SCXML parts of a `statewright-ir/1` document that are not well formed
    (`ChartError` naming the JSON path): the datamodel, `<data>`, `<donedata>`, `<invoke>`
    (and the documents it invokes, at most `MAX_INVOKED` deep) and executable content of
    actions and transitions. `runtime.document.validate` checks the rest first."""
    extras = document.get("datamodel")
    if extras is not None:
        if not isinstance(extras, Mapping):
            raise ChartError("$.datamodel: an object")
        if extras.get("language") not in LANGUAGES:
            raise ChartError(f"$.datamodel.language: one of {', '.join(LANGUAGES)}")
        if extras.get("binding", "early") not in ("early", "late"):
            raise ChartError("$.datamodel.binding: `early` or `late`")
        if not _text_or_none(extras.get("name")):
            raise ChartError("$.datamodel.name: a string")
        _validate_data(extras.get("data", []), "$.datamodel.data")
        scripts = extras.get("scripts", [])
        if not isinstance(scripts, list) or not all(isinstance(x, str) for x in scripts):
            raise ChartError("$.datamodel.scripts: a list of strings")
    pending: list[tuple[Any, str]] = [(document["machine"], "$.machine")]
    while pending:
        machine, path = pending.pop()
        for index, state in enumerate(machine.get("states") or []):
            where = f"{path}.states[{index}]"
            _validate_data(state.get("data", []), f"{where}.data")
            done = state.get("donedata")
            if done is not None and not isinstance(done, Mapping):
                raise ChartError(f"{where}.donedata: an object")
            for number, spec in enumerate(state.get("invoke") or []):
                _validate_invoke(spec, f"{where}.invoke[{number}]", depth)
            for number, action in enumerate(state.get("actions") or []):
                if action.get("content") is not None:
                    validate_block(action["content"], f"{where}.actions[{number}].content")
            if state.get("machine") is not None:
                pending.append((state["machine"], f"{where}.machine"))
        for index, transition in enumerate(machine.get("transitions") or []):
            if transition.get("content") is not None:
                validate_block(transition["content"], f"{path}.transitions[{index}].content")


def _validate_invoke(spec: Any, where: str, depth: int) -> None:
    if not isinstance(spec, Mapping):
        raise ChartError(f"{where}: an object")
    for key in ("type", "typeexpr", "id", "idlocation", "srcexpr", "contentexpr"):
        if not _text_or_none(spec.get(key)):
            raise ChartError(f"{where}.{key}: a string")
    if spec.get("finalize") is not None:
        validate_block(spec["finalize"], f"{where}.finalize")
    child = spec.get("document")
    if child is not None:
        if depth >= MAX_INVOKED:
            raise ChartError(
                f"{where}.document: documents invoke each other over {MAX_INVOKED} deep"
            )
        try:
            validate(child)
            validate_scxml(child, depth + 1)
        except ChartError as error:
            raise ChartError(f"{where}.document: {error}") from None


def _validate_data(declarations: Any, where: str) -> None:
    if not isinstance(declarations, list):
        raise ChartError(f"{where}: a list of declarations")
    for index, data in enumerate(declarations):
        if not isinstance(data, Mapping) or not isinstance(data.get("id"), str):
            raise ChartError(f"{where}[{index}]: a declaration has an `id`")
        if not _text_or_none(data.get("expr")):
            raise ChartError(f"{where}[{index}].expr: a string")


def _validate_send(node: Mapping[str, Any], here: str) -> None:
    for key in SEND_ATTRIBUTES:
        if not _text_or_none(node.get(key)):
            raise ChartError(f"{here}.{key}: a string")
    names = node.get("namelist", [])
    if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
        raise ChartError(f"{here}.namelist: a list of names")
    for number, param in enumerate(node.get("params", [])):
        if not isinstance(param, dict) or not isinstance(param.get("name"), str):
            raise ChartError(f"{here}.params[{number}]: a param has a `name`")


def _text_or_none(value: Any) -> bool:
    return value is None or isinstance(value, str)


# -- running ------------------------------------------------------------------------------------


def execute(block: Block, runner: Runner) -> None:
    """Run a block; an error stops it and raises `error.execution` (the machine goes on)."""
    try:
        _nodes(block.nodes, runner)
    except ContentError as error:
        runner.error("error.execution", str(error), sendid=error.sendid)


def _nodes(nodes: Sequence[Mapping[str, Any]], runner: Runner) -> None:
    for node in nodes:
        _node(node, runner)


def _node(node: Mapping[str, Any], runner: Runner) -> None:
    kind = node["do"]
    model = runner.datamodel
    if kind == "raise":
        runner.raise_internal(Event(node["event"], type="internal"))
    elif kind == "log":
        expr = node.get("expr")
        runner.log(node.get("label"), model.evaluate(expr) if expr is not None else None)
    elif kind == "assign":
        if "expr" in node and node["expr"] is not None:
            model.assign(node["location"], node["expr"])
        else:
            model.assign(node["location"], None, node.get("value"))
    elif kind == "if":
        for branch in node["branches"]:
            cond = branch.get("cond")
            if cond is None or model.condition(cond):
                _nodes(branch.get("then", []), runner)
                break
    elif kind == "foreach":
        model.foreach(
            node["array"], node["item"], node.get("index"), lambda: _nodes(node["then"], runner)
        )
    elif kind == "script":
        model.script(node["source"])
    elif kind == "send":
        _send(node, runner)
    elif kind == "cancel":
        expr = node.get("sendidexpr")
        sendid = node.get("sendid") if expr is None else model.evaluate(expr)
        runner.cancel(str(sendid))


def _attribute(node: Mapping[str, Any], name: str, model: Datamodel) -> str | None:
    expr = node.get(f"{name}expr")
    if expr is not None:
        value = model.evaluate(expr)
        return None if value is None else str(value)
    value = node.get(name)
    return value if isinstance(value, str) else None


def _send(node: Mapping[str, Any], runner: Runner) -> None:
    model = runner.datamodel
    explicit = node.get("id")
    sendid = explicit if isinstance(explicit, str) else runner.fresh_sendid()
    try:
        if explicit is None and node.get("idlocation") is not None:
            model.assign(node["idlocation"], None, sendid)
        _dispatch(node, runner, sendid, explicit)
    except ContentError as error:
        error.sendid = sendid
        raise


def _dispatch(node: Mapping[str, Any], runner: Runner, sendid: str, explicit: str | None) -> None:
    model = runner.datamodel
    event = _attribute(node, "event", model)
    target = _attribute(node, "target", model)
    kind = _attribute(node, "type", model)
    delay_text = _attribute(node, "delay", model)
    data = _payload(node, model)
    if kind is not None and kind not in SCXML_TYPES:
        raise ContentError(f"the event I/O processor `{kind}` is not supported")
    if event is None:
        raise ContentError("<send> without an event")
    delay = 0.0
    if delay_text is not None:
        found = _DELAY.match(delay_text)
        if found is None or found.group(1) in ("", "."):
            raise ContentError(f"`{delay_text}` is not a delay")
        delay = float(found.group(1)) * _UNIT[found.group(2) or "ms"]
    if delay and target == "#_internal":
        raise ContentError("a delayed event cannot go to #_internal")
    runner.dispatch(Send(Event(event, data, sendid=explicit), target, delay, sendid))


def _payload(node: Mapping[str, Any], model: Datamodel) -> Any:
    """The event's data: the content, else the namelist and params by name (None: none)."""
    content = node.get("content")
    if isinstance(content, Mapping):
        if content.get("expr") is not None:
            return model.evaluate(content["expr"])
        value = content.get("value", UNSET)
        return None if value is UNSET else value
    data: dict[str, Any] = {}
    for name in node.get("namelist", []):
        data[name] = model.evaluate(name)
    for param in node.get("params", []):
        source = param.get("expr") if param.get("expr") is not None else param.get("location")
        if source is None:
            raise ContentError(f"the param `{param['name']}` has no expr or location")
        data[param["name"]] = model.evaluate(source)
    return data or None
