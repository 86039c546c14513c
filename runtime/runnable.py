"""The runnable part of a `statewright-ir/1` document, and its hash.

`runnable_document` keeps what running a chart reads (names, kinds, actions, nested machines,
transitions, the SCXML datamodel, the declared context and event fields) and drops the rest
(spans, notes, attributes, empty values): generated classes embed it, and `chart_hash`
hashes it, so that two charts that behave the same have the same hash whatever their layout
and comments.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from typing import Any

from .content import validate_scxml
from .document import validate


def runnable_document(document: Mapping[str, Any]) -> dict[str, Any]:
    """A `statewright-ir/1` document without what running it does not read (spans, notes,
    attributes, empty values): what generated classes embed and what `chart_hash` hashes.
    `ChartError` names the JSON path of the first part that is not a runnable document."""
    validate(document)
    validate_scxml(document)

    def state(raw: Mapping[str, Any]) -> dict[str, Any]:
        found: dict[str, Any] = {"name": raw["name"], "kind": raw["kind"]}
        if raw.get("actions"):
            found["actions"] = [
                {key: a[key] for key in ("kind", "body", "content") if a.get(key) is not None}
                for a in raw["actions"]
            ]
        for key in ("data", "donedata", "invoke"):
            if raw.get(key):
                found[key] = raw[key]
        if raw.get("machine") is not None:
            found["machine"] = machine(raw["machine"])
        return found

    def machine(raw: Mapping[str, Any]) -> dict[str, Any]:
        keys = ("id", "source", "target", "event", "guard", "action", "kind", "content")
        return {
            "states": [state(s) for s in raw.get("states", [])],
            "transitions": [
                {key: t[key] for key in keys if t.get(key) is not None}
                for t in raw.get("transitions", [])
            ],
        }

    runnable = {"format": document["format"], "machine": machine(document["machine"])}
    for key in ("datamodel", "context", "events"):  # the declarations change what runs
        if document.get(key):
            runnable[key] = document[key]
    return runnable


def chart_hash(document: Mapping[str, Any]) -> str:
    """The SHA-256 of a chart's behaviour (its runnable document as canonical JSON): equal for
    the `-T ir` file and the generated class of one chart, different when behaviour changes."""
    canonical = json.dumps(runnable_document(document), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()
