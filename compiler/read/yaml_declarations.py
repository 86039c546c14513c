"""Declared data in YAML charts (docs/yaml.md): the top-level `context:` and `events:` keys.

Part of stage 1 (the YAML reader), over the safe node reader `yaml_nodes.py`:

    context:
      jammed: {type: int, default: 0}
    events:
      authorized:
        amount: int
        note: {type: str, required: false}

What does not fit (an unknown type, a default of another type or none, a value of the wrong
shape) is Y002 with the node's position, as every other key of a YAML chart.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from typing import Any

from ...runtime.compiling import TYPES
from ..ir import Field, Signature, Variable
from .yaml_nodes import NULL, Mapping, Node, Scalar, Sequence

Refuse = Callable[[str, Node, str | None], None]

_TYPES_HINT = f"the types are {', '.join(TYPES)}"


def context(node: Node | None, refuse: Refuse) -> tuple[Variable, ...]:
    """The `context:` mapping: each name with `type` and `default` (or a bare default)."""
    if node is None or (isinstance(node, Scalar) and node.tag == NULL):
        return ()
    if not isinstance(node, Mapping):
        refuse(
            "`context` must be a mapping of names", node, "write `name: {type: int, default: 0}`"
        )
        return ()
    found = []
    for key, value in node.pairs:
        if not isinstance(value, Mapping) or value.get("default") is None:
            refuse(
                f"`{key.value}` needs a type and a default",
                value,
                f"write `{key.value}: {{type: int, default: 0}}`",
            )
            continue
        kind = _type(value.get("type"), refuse, value)
        if kind is None:
            continue
        default = _python(value.get("default"))
        if isinstance(default, float) and not math.isfinite(default):
            refuse(f"the default of `{key.value}` is out of range", value, None)
        elif not TYPES[kind](default):
            refuse(f"the default of `{key.value}` is not {kind}", value, None)
        else:
            found.append(
                Variable(key.value, kind, json.dumps(default, ensure_ascii=False), key.span)
            )
    return tuple(found)


def events(node: Node | None, refuse: Refuse) -> tuple[Signature, ...]:
    """The `events:` mapping: each event with its fields (`field: TYPE` or
    `field: {type: TYPE, required: false}`)."""
    if node is None or (isinstance(node, Scalar) and node.tag == NULL):
        return ()
    if not isinstance(node, Mapping):
        refuse("`events` must be a mapping of event names", node, "write `unlock: {code: int}`")
        return ()
    found = []
    for key, value in node.pairs:
        fields: list[Field] = []
        if isinstance(value, Mapping):
            for name, spec in value.pairs:
                field = _field(name.value, spec, refuse)
                if field is not None:
                    fields.append(field)
        elif not (isinstance(value, Scalar) and value.tag == NULL):
            refuse(f"the fields of `{key.value}` must be a mapping", value, "write `code: int`")
            continue
        found.append(Signature(key.value, tuple(fields), key.span))
    return tuple(found)


def _field(name: str, spec: Node, refuse: Refuse) -> Field | None:
    if isinstance(spec, Scalar):
        kind = _type(spec, refuse, spec)
        return None if kind is None else Field(name, kind)
    if isinstance(spec, Mapping):
        kind = _type(spec.get("type"), refuse, spec)
        required = spec.get("required")
        optional = isinstance(required, Scalar) and required.as_python() is False
        return None if kind is None else Field(name, kind, not optional)
    refuse(f"the field `{name}` is a type or a mapping with `type`", spec, _TYPES_HINT)
    return None


def _type(node: Node | None, refuse: Refuse, where: Node) -> str | None:
    if node is None:
        return "any"
    if isinstance(node, Scalar) and node.value in TYPES:
        return node.value
    refuse("an unknown type", node or where, _TYPES_HINT)
    return None


def _python(node: Node | None) -> Any:
    """A node's value as `yaml.safe_load` gives it (aliases are expanded by the node reader)."""
    if node is None:
        return None
    if isinstance(node, Scalar):
        return node.as_python()
    if isinstance(node, Sequence):
        return [_python(item) for item in node.items]
    assert isinstance(node, Mapping)
    return {key.value: _python(value) for key, value in node.pairs}
