"""Checker cost: `check(chart)` on generated charts of 1k, 10k and 40k states.

Prints the time per state at each size; a flat column means the cost grows linearly. The charts
nest composite states three deep, with choices and transitions on shared events, so every rule
has work to do.

    python bench/check_bench.py [--sizes 1000 10000 40000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import sys
import time

from statewright.compiler import parse
from statewright.compiler.check import check


def generate(states: int) -> str:
    blocks = []
    top = []
    count = 0
    block = 0
    while count < states:
        b = f"b{block}"
        blocks.append(
            f"{b} {{\n  {b}.initial, {b}_a, ^{b}_pick, {b}_in {{\n"
            f"    {b}_in.initial, {b}_x, {b}_y;\n"
            f"    {b}_in.initial => {b}_x;\n    {b}_x => {b}_y: tick;\n    {b}_y => {b}_x: tick;\n"
            f"  }};\n"
            f"  {b}.initial => {b}_a;\n  {b}_a => ^{b}_pick: go;\n"
            f"  ^{b}_pick => {b}_in: [ok];\n  ^{b}_pick => {b}_a: [else];\n}}"
        )
        top.append(f"{b} => b{block + 1}: next;")
        count += 9
        block += 1
    blocks.append(f"b{block} [type=final]")
    return "initial,\n" + ",\n".join(blocks) + ";\n\ninitial => b0;\n" + "\n".join(top) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", nargs="+", type=int, default=[1_000, 10_000, 40_000])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    print(f"{'states':>8} {'findings':>9} {'check s':>9} {'us/state':>9}")
    for size in args.sizes:
        chart, diagnostics = parse(generate(size))
        assert chart is not None and not diagnostics, diagnostics
        states = len(chart.states())
        best = float("inf")
        for _ in range(args.repeat):
            start = time.perf_counter()
            findings = check(chart)
            best = min(best, time.perf_counter() - start)
        print(f"{states:>8} {len(findings):>9} {best:>9.3f} {best / states * 1e6:>9.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
