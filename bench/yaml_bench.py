"""YAML charts: reading a chart written in YAML into the IR (positions, the smcat meaning,
limits) against PyYAML's own `safe_load` of the same text (plain Python objects, no positions,
no checks) and against parsing the same chart written in smcat; and the cost of refusing a
"billion laughs" document. One process, one run.

    python bench/yaml_bench.py [--lines 1000 10000] [--repeat 5]
"""

from __future__ import annotations

import argparse
import sys
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))

from parse_bench import generate  # noqa: E402

from statewright.compiler import parse  # noqa: E402
from statewright.compiler.emit import smcat, yaml_text  # noqa: E402
from statewright.compiler.read.yaml_chart import read as read_yaml  # noqa: E402


def best(function: Callable[[], object], repeat: int) -> float:
    fastest = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        function()
        fastest = min(fastest, time.perf_counter() - start)
    return fastest


def peak(function: Callable[[], object]) -> int:
    tracemalloc.start()
    try:
        function()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def laughs(levels: int) -> bytes:
    lines = ['a: &a ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    previous = "a"
    for index in range(levels):
        lines.append(f"l{index}: &l{index} [{', '.join([f'*{previous}'] * 9)}]")
        previous = f"l{index}"
    return ("\n".join(lines) + "\n").encode()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", nargs="+", type=int, default=[1000, 10000])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    print(f"yaml_bench: PyYAML {yaml.__version__} ({loader.__name__})")
    print("| chart | YAML -> IR (ours) | yaml.safe_load | smcat -> IR | ours / safe_load |")
    print("|---|---:|---:|---:|---:|")
    for lines in args.lines:
        chart, _ = parse(generate(lines))
        assert chart is not None
        dsl = smcat.emit(chart)
        document = yaml_text.emit(chart).encode()
        back, _ = read_yaml(document, "bench.yaml")
        assert back is not None and back.region == chart.region
        ours = best(lambda document=document: read_yaml(document, "bench.yaml"), args.repeat)
        theirs = best(
            lambda document=document: yaml.load(document, Loader=loader),  # noqa: S506
            args.repeat,
        )
        text = best(lambda dsl=dsl: parse(dsl, "bench.smcat"), args.repeat)
        size = f"{len(chart.states())} states, {len(document) // 1024} KiB"
        print(
            f"| {size} | {ours * 1000:.1f} ms | {theirs * 1000:.1f} ms | {text * 1000:.1f} ms"
            f" | {ours / theirs:.2f} |"
        )
    bomb = laughs(9)
    refused = best(lambda: read_yaml(bomb, "laughs.yaml"), args.repeat)
    memory = peak(lambda: read_yaml(bomb, "laughs.yaml"))
    small = generate(20)
    baseline_chart, _ = parse(small)
    assert baseline_chart is not None
    small_yaml = yaml_text.emit(baseline_chart).encode()
    baseline = best(lambda: read_yaml(small_yaml, "small.yaml"), args.repeat)
    print(
        f"\nbillion laughs (9 levels, {9 ** 10:,} values expanded): refused in "
        f"{refused * 1000:.2f} ms, peak {memory / 1024:.0f} KiB traced; reading a "
        f"{len(baseline_chart.states())}-state chart: {baseline * 1000:.2f} ms "
        f"(ratio {refused / baseline:.2f})"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
