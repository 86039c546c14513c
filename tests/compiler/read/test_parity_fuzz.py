"""Parity with state-machine-cat on inputs nobody wrote by hand.

Thousands of mutations of the golden inputs go through smcat's own parser (its library, in one
Node process) and through ours. Where smcat accepts, we accept and print the same JSON value;
where smcat rejects, we reject, except for the documented extensions listed in `EXTENSIONS`
(docs/language.md, "Where statewright differs").

Needs node and state-machine-cat@15: `make test` installs it into tests/node; set SMCAT_DIST to
another copy's dist/index.mjs. Skipped, naming what to install, when neither is there.
"""

from __future__ import annotations

import json
import os
import random
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from statewright.compiler import parse
from statewright.compiler.emit import smcat_json
from testkit import INSTALL_NODE, NODE_DIR, ROOT, golden_cases

CANDIDATES = [
    os.environ.get("SMCAT_DIST", ""),
    str(NODE_DIR / "node_modules" / "state-machine-cat" / "dist" / "index.mjs"),
]
SMCAT = next((c for c in CANDIDATES if c and Path(c).is_file()), None)
COUNT = 3_000
PIECES = list(',;:{}[]="\\#/*-<>^]\n ') + ["=>", "<=", "/*", "*/", "//", '\\"', "initial", ":>"]

pytestmark = [
    pytest.mark.slow,  # heavy: `make test-fast` leaves it out
    pytest.mark.skipif(
        shutil.which("node") is None, reason="node is not installed: apt-get install nodejs npm"
    ),
    pytest.mark.skipif(
        SMCAT is None, reason=f"state-machine-cat@15 is not installed: {INSTALL_NODE}"
    ),
]

# Inputs we accept on purpose where smcat rejects them (documented in docs/language.md).
EXTENSIONS = [
    # an empty composite state: smcat reads the `}` of `{}` as a state name and then fails
    re.compile(r"\{\s*\}"),
]


def _mutate(rng: random.Random, text: str) -> str:
    for _ in range(rng.randint(1, 3)):
        at = rng.randint(0, len(text))
        until = min(len(text), at + rng.randint(0, 8))
        action = rng.choice(["insert", "delete", "replace", "duplicate"])
        if action == "insert":
            text = text[:at] + rng.choice(PIECES) + text[at:]
        elif action == "delete":
            text = text[:at] + text[until:]
        elif action == "replace":
            text = text[:at] + rng.choice(PIECES) + text[until:]
        else:
            text = text[:until] + text[at:until] + text[until:]
    return text


def _strip_ids(node: Any) -> Any:
    if isinstance(node, dict):
        return {k: _strip_ids(v) for k, v in node.items() if not (k == "id" and "from" in node)}
    if isinstance(node, list):
        return [_strip_ids(v) for v in node]
    return node


def _smcat(sources: list[str]) -> list[dict[str, Any]]:
    assert SMCAT is not None
    result = subprocess.run(
        ["node", str(ROOT / "tests" / "parity" / "smcat_batch.mjs"), SMCAT],
        input=json.dumps(sources),
        capture_output=True,
        text=True,
        timeout=600,
        check=True,
    )
    return json.loads(result.stdout)  # type: ignore[no-any-return]


def test_mutated_inputs_mean_what_smcat_says() -> None:
    rng = random.Random(20261123)
    seeds = [p.read_text("utf-8") for p in golden_cases()]
    sources = [_mutate(rng, rng.choice(seeds)) for _ in range(COUNT)]
    verdicts = _smcat(sources)
    mismatches = []
    accepted = 0
    for source, verdict in zip(sources, verdicts, strict=True):
        chart, diagnostics = parse(source)
        ours_ok = chart is not None and not any(d.is_error for d in diagnostics)
        if verdict["ok"]:
            accepted += 1
            if not ours_ok:
                mismatches.append(("smcat accepts, we reject", source, diagnostics))
            elif json.loads(smcat_json.emit(chart)) != verdict["ast"]:  # transition ids too
                mismatches.append(("different meaning", source, verdict["ast"]))
        elif ours_ok and not any(p.search(source) for p in EXTENSIONS):
            mismatches.append(("smcat rejects, we accept", source, verdict["error"]))
    assert mismatches == [], f"{len(mismatches)} of {COUNT}: {mismatches[:5]}"
    assert accepted > COUNT // 5  # the mutations must also produce valid charts


def test_formatted_text_means_the_same_to_smcat() -> None:
    """`statewright fmt` output, read by smcat, gives smcat's reading of the original."""
    from statewright.compiler.emit import smcat as smcat_text

    cases = golden_cases()
    formatted = []
    for case in cases:
        chart, _ = parse(case.read_text("utf-8"))
        assert chart is not None
        formatted.append(smcat_text.emit(chart))
    verdicts = _smcat(formatted)
    for case, text, verdict in zip(cases, formatted, verdicts, strict=True):
        if not verdict["ok"]:
            # only our extension (an empty composite) may be refused
            assert any(p.search(text) for p in EXTENSIONS), (case.name, text, verdict)
            continue
        expected = json.loads(case.with_suffix(".json").read_text("utf-8"))
        assert _strip_ids(verdict["ast"]) == _strip_ids(expected), (case.name, text)
