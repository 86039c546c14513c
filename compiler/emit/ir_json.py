"""Emit `-T ir`: the chart as a `statewright-ir/1` JSON document.

Stage 3 (emitter): Chart -> str. This is the complete, versioned form of the IR that the runtime
loads without the compiler; `docs/ir.schema.json` is its published schema. Every key is always
present (null or empty when unset), so readers need no defaults. It imports nothing from the
parser.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from ...runtime.document import FORMAT as FORMAT
from ..ir import Chart


def emit(chart: Chart, options: Mapping[str, Any] | None = None) -> str:
    return json.dumps(to_document(chart), indent=2, ensure_ascii=False) + "\n"


def to_document(chart: Chart) -> dict[str, Any]:
    """The chart as a `statewright-ir/1` document (`Chart.to_document`)."""
    return chart.to_document()
