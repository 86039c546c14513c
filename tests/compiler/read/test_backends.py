"""lark-cython and plain lark read every golden case and example the same way."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from statewright.compiler import ir_document
from statewright.compiler.read.smcat import accelerated, parse
from testkit import EXAMPLES, GOLDEN, golden_cases

SCRIPT = """
import json, sys
from pathlib import Path
from statewright.compiler.read.smcat import accelerated, parse
from statewright.compiler import ir_document
assert not accelerated()
out = {}
for name in sys.argv[1:]:
    chart, diagnostics = parse(Path(name).read_text("utf-8"), name)
    out[name] = [
        json.loads(ir_document.emit(chart)) if chart else None,
        [d.to_dict() for d in diagnostics],
    ]
print(json.dumps(out))
"""


@pytest.mark.skipif(
    not accelerated(), reason="lark-cython is not installed: pip install 'statewright[fast]'"
)
def test_pure_lark_and_lark_cython_agree() -> None:
    files = [str(p) for p in golden_cases()]
    files += [str(p) for p in sorted(EXAMPLES.glob("*.smcat"))]
    files += [str(p) for p in sorted((GOLDEN / "errors").glob("*.smcat"))]
    env = dict(os.environ, STATEWRIGHT_PURE_LARK="1")
    result = subprocess.run(
        [sys.executable, "-c", SCRIPT, *files],
        capture_output=True,
        text=True,
        env=env,
        check=True,
        timeout=300,
    )
    pure = json.loads(result.stdout)
    for name in files:
        text = open(name, encoding="utf-8").read()
        chart, diagnostics = parse(text, name)
        ours = [
            json.loads(ir_document.emit(chart)) if chart else None,
            [d.to_dict() for d in diagnostics],
        ]
        assert ours == pure[name], name
