"""Builds: `statewright build` against make's pattern rules (examples/Makefile) on the same
charts and outputs (SVG, PNG and the Python class of every example), whole processes, one run:
from scratch (1 and 2 jobs), after one chart changed, and with nothing to do.

    python bench/build_bench.py [--repeat 3]

make decides by timestamps and starts one statewright process per output; build decides by
content hashes and parses each chart once. Needs Graphviz and make.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
PROJECT = """\
charts: ["*.smcat", "*.yaml"]
out: gen
outputs:
  - format: svg
  - format: png
  - format: python
"""


def timed(command: str, folder: Path, repeat: int, prepare: Callable[[], None]) -> float:
    best = float("inf")
    for _ in range(repeat):
        prepare()
        start = time.perf_counter()
        subprocess.run(command, shell=True, cwd=folder, check=True, capture_output=True)
        best = min(best, time.perf_counter() - start)
    return best


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    if shutil.which("dot") is None or shutil.which("make") is None:
        print("build_bench: needs Graphviz's dot and make", file=sys.stderr)
        return 2
    sw = shutil.which("statewright", path=str(Path(sys.executable).parent)) or "statewright"
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch)
        for chart in [*EXAMPLES.glob("*.smcat"), EXAMPLES / "order.yaml"]:
            shutil.copy(chart, folder)
        shutil.copy(EXAMPLES / "Makefile", folder)
        (folder / "statewright.yaml").write_text(PROJECT, "utf-8")
        charts = len(list(folder.glob("*.smcat"))) + 1
        build = f"{sw} build"
        make = f"make -s diagrams classes SW={sw}"

        def clean() -> None:
            shutil.rmtree(folder / "gen", ignore_errors=True)
            shutil.rmtree(folder / "out", ignore_errors=True)

        def nothing() -> None:
            pass

        door = folder / "door.smcat"

        def touch_one() -> None:
            text = door.read_text("utf-8")
            changed = text.replace("lock / beep;", "lock / beep twice;")
            door.write_text(changed if changed != text else text.replace(" twice", ""), "utf-8")

        rows = [
            (
                "from scratch, 1 job",
                timed(f"{build} -j1", folder, args.repeat, clean),
                timed(make, folder, args.repeat, clean),
            ),
            (
                "from scratch, 2 jobs",
                timed(f"{build} -j2", folder, args.repeat, clean),
                timed(f"{make} -j2", folder, args.repeat, clean),
            ),
        ]
        subprocess.run(build, shell=True, cwd=folder, check=True, capture_output=True)
        subprocess.run(make, shell=True, cwd=folder, check=True, capture_output=True)
        rows.append(
            (
                "one chart changed",
                timed(build, folder, args.repeat, touch_one),
                timed(make, folder, args.repeat, touch_one),
            )
        )
        rows.append(
            (
                "nothing changed",
                timed(build, folder, args.repeat, nothing),
                timed(make, folder, args.repeat, nothing),
            )
        )
    print(f"build_bench: {charts} charts x (svg, png, python) = {3 * charts} files")
    print("| case | statewright build | make | build / make |\n|---|---:|---:|---:|")
    for name, ours, theirs in rows:
        print(f"| {name} | {ours:.3f} s | {theirs:.3f} s | {ours / theirs:.2f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
