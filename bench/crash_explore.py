#!/usr/bin/env python3
"""Explore more power-loss crash states than a CI run does (issue 24).

The suite (tests/crash/test_power_loss.py) checks a seeded sample of every scenario's crash
states, about a thousand. This script runs the same scenarios and checks with more random
variants per crash point and several seeds, and prints the count per scenario:

    python bench/crash_explore.py              # 4 seeds, 8 random variants per crash point
    python bench/crash_explore.py --full       # 20 seeds, 32 variants: an hour or more
    python bench/crash_explore.py --seeds 50 --samples 64 --only batches

A broken invariant stops it with the state's description (crash point and variant), and the
seed that found it: `--only NAME --seeds 1 --first-seed SEED` replays it.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "tests" / "crash"), str(ROOT / "tests")]

import test_power_loss as scenarios  # noqa: E402 - tests/crash on the path


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--full", action="store_true", help="20 seeds, 32 variants")
    parser.add_argument("--seeds", type=int, default=4)
    parser.add_argument("--first-seed", type=int, default=24)
    parser.add_argument("--samples", type=int, default=8)
    parser.add_argument("--only", choices=sorted(scenarios.SCENARIOS), action="append")
    options = parser.parse_args()
    if options.full:
        options.seeds, options.samples = 20, 32
    names = options.only or list(scenarios.SCENARIOS)
    total = 0
    for name in names:
        counts: Counter[str] = Counter()
        started = time.monotonic()
        for seed in range(options.first_seed, options.first_seed + options.seeds):
            with tempfile.TemporaryDirectory(prefix="sw-crash-") as work:
                (Path(work) / "run").mkdir()
                try:
                    found, _ = scenarios.explore(
                        name, Path(work), seed=seed, samples=options.samples
                    )
                except AssertionError as error:
                    print(f"{name}, seed {seed}: {error}", file=sys.stderr)
                    return 1
                counts.update(found)
        states = sum(counts.values())
        total += states
        took = time.monotonic() - started
        print(f"{name}: {states} crash states checked in {took:.1f} s: {dict(counts)}")
    print(f"total: {total} crash states (states repeated across seeds are counted again)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
