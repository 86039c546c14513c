"""Parse speed: `statewright compile -T json` against `smcat -T json`, as whole processes.

Generates charts of about 1k, 10k and 100k lines (composite states, parallel regions, history,
choice and fork/join pseudo-states, labels with events, guards and actions), runs both tools on
the same files in one run, and prints the best of N wall-clock times, the ratio, and our cost per
line (flat when the cost grows linearly).

    python bench/parse_bench.py [--sizes 1000 10000 100000] [--repeat 3] [--smcat PATH]

smcat is looked up on PATH, then in tests/node/ (the pinned version, installed with npm ci).
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
OUT = HERE / "out"


def generate(lines: int) -> str:
    """A chart of about `lines` lines: blocks of a composite with a parallel state inside."""
    parts: list[str] = ["initial,"]
    transitions: list[str] = []
    block = 0
    count = 1
    while count < lines:
        b = f"b{block}"
        parts.append(
            f'{b} [label="Block {block}"]: entry/ enter {block}\n'
            f"    exit/ leave {block} {{\n"
            f"    {b}.initial,\n"
            f"    {b}_idle,\n"
            f"    {b}.history,\n"
            f"    ^{b}_pick,\n"
            f"    {b}_work [type=parallel] {{\n"
            f"        {b}_r1 {{\n"
            f"            {b}_r1.initial => {b}_r1_a;\n"
            f"            {b}_r1_a => {b}_r1_b: step [ready] / go;\n"
            f"            {b}_r1_b => {b}_r1_a: back;\n"
            f"        }},\n"
            f"        {b}_r2 {{\n"
            f"            {b}_r2.initial => {b}_r2_a;\n"
            f"            {b}_r2_a => {b}_r2_b: tick / count++;\n"
            f"            {b}_r2_b => {b}_r2_a: tock;\n"
            f"        }};\n"
            f"    }},\n"
            f"    {b}_done;\n"
            f"\n"
            f"    {b}.initial => {b}_idle;\n"
            f"    {b}_idle => ^{b}_pick: choose;\n"
            f"    ^{b}_pick => {b}_work: [load > 10];\n"
            f"    ^{b}_pick => {b}_done: [else];\n"
            f"    {b}_work => {b}_done: finish / report {block};\n"
            f"    {b}_done => {b}.history: resume;\n"
            f"    {b}.history => {b}_idle;\n"
            f"}},"
        )
        transitions.append(f"{b} => b{block + 1}: next [ok] / advance;")
        count += 29
        block += 1
    parts.append(f"b{block} [type=final];")
    transitions.insert(0, "initial => b0;")
    return "\n".join(parts) + "\n\n" + "\n".join(transitions) + "\n"


def find_smcat(explicit: str | None) -> str | None:
    if explicit:
        return explicit
    found = shutil.which("smcat")
    if found:
        return found
    # the version the tests pin (tests/node/package-lock.json), installed with `npm ci`
    pinned = HERE.parent / "tests" / "node"
    local = pinned / "node_modules" / ".bin" / "smcat"
    if not local.exists() and shutil.which("npm"):
        print("npm ci in tests/node (state-machine-cat, pinned) ...", file=sys.stderr)
        subprocess.run(
            ["npm", "ci", "--silent", "--no-audit", "--no-fund"],
            cwd=pinned,
            check=False,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
    return str(local) if local.exists() else None


def best_time(command: list[str], repeat: int) -> tuple[float, bool]:
    best = float("inf")
    ok = True
    for _ in range(repeat):
        start = time.perf_counter()
        result = subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        elapsed = time.perf_counter() - start
        ok = ok and result.returncode == 0
        best = min(best, elapsed)
    return best, ok


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", nargs="+", type=int, default=[1_000, 10_000, 100_000])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--smcat")
    args = parser.parse_args()

    OUT.mkdir(exist_ok=True)
    ours = shutil.which("statewright", path=str(Path(sys.executable).parent)) or "statewright"
    smcat = find_smcat(args.smcat)
    if smcat is None:
        print("smcat not found and npm unavailable: timing statewright alone", file=sys.stderr)
    rows = []
    for size in args.sizes:
        path = OUT / f"chart-{size}.smcat"
        text = generate(size)
        path.write_text(text, encoding="utf-8")
        lines = text.count("\n")
        ours_t, ours_ok = best_time([ours, "compile", str(path), "-T", "json"], args.repeat)
        if smcat:
            theirs_t, theirs_ok = best_time(
                [smcat, "-T", "json", str(path), "-o", os.devnull], args.repeat
            )
        else:
            theirs_t, theirs_ok = float("nan"), False
        rows.append((lines, ours_t, ours_ok, theirs_t, theirs_ok))

    print(f"{'lines':>8} {'statewright s':>14} {'smcat s':>10} {'smcat/ours':>11} {'us/line':>8}")
    for lines, ours_t, ours_ok, theirs_t, theirs_ok in rows:
        ratio = theirs_t / ours_t if theirs_ok else float("nan")
        flag = "" if ours_ok and (theirs_ok or not smcat) else "  (a run failed)"
        print(
            f"{lines:>8} {ours_t:>14.3f} {theirs_t:>10.3f} {ratio:>10.2f}x "
            f"{ours_t / lines * 1e6:>8.1f}{flag}"
        )
    print(
        "smcat/ours > 1 means statewright is faster (whole process, best of "
        f"{args.repeat}, same files, same run)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
