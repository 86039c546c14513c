"""Diagram speed: `statewright compile -T svg` against `smcat -T svg` on charts of ~100 and
~500 states (nested, parallel, pseudo-states), whole processes, same files, same run.

    python bench/render_bench.py [--states 100 500] [--repeat 3] [--smcat PATH]
"""

from __future__ import annotations

import argparse
import shutil
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from parse_bench import OUT, best_time, find_smcat, generate  # noqa: E402

from statewright.compiler import parse  # noqa: E402


def chart_with_states(states: int) -> tuple[str, int]:
    lines = states
    while True:
        text = generate(lines)
        chart, _ = parse(text)
        assert chart is not None
        count = len(chart.states())
        if count >= states:
            return text, count
        lines = int(lines * states / max(count, 1)) + 10


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--states", nargs="+", type=int, default=[100, 500])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--smcat")
    args = parser.parse_args()
    OUT.mkdir(exist_ok=True)
    ours = shutil.which("statewright", path=str(Path(sys.executable).parent)) or "statewright"
    smcat = find_smcat(args.smcat)
    print(f"{'states':>7} {'statewright s':>14} {'smcat s':>9} {'smcat/ours':>11}")
    for wanted in args.states:
        text, count = chart_with_states(wanted)
        path = OUT / f"render-{wanted}.smcat"
        path.write_text(text, "utf-8")
        mine, ok = best_time([ours, "compile", str(path), "-T", "svg"], args.repeat)
        if smcat:
            theirs, their_ok = best_time(
                [smcat, "-T", "svg", str(path), "-o", str(OUT / "smcat.svg")], args.repeat
            )
        else:
            theirs, their_ok = float("nan"), False
        ratio = theirs / mine if their_ok else float("nan")
        flag = "" if ok and their_ok else "  (a run failed or smcat is missing)"
        print(f"{count:>7} {mine:>14.3f} {theirs:>9.3f} {ratio:>10.2f}x{flag}")
    print("smcat/ours > 1 means statewright is faster")
    return 0


if __name__ == "__main__":
    sys.exit(main())
