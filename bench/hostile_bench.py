"""Hostile inputs as whole processes: time and peak memory beside `check` of the door chart.

The hostile inputs of docs/security.md, which once took minutes and gigabytes: a 10,000-state
chart on one line, 4,000 declared and 4,000 misspelt names (did-you-mean for each), a YAML
mapping of 40,000 keys, an SCXML document of 20,000 anonymous states on one line, and a
transition on 40,000 events compiled to Python; and what the ECMAScript sandbox and the
guard language bound (a backtracking regular expression, `<foreach>` over an array-like of
10^9 items, an endless loop, a list of one long string repeated). Each runs as
`statewright ...` in a child process whose peak resident memory is read from `wait4`; the
yardstick is `statewright check` of examples/door.smcat in the same run, and every row gives
its ratio to it.

    python bench/hostile_bench.py [--repeat 3]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SCXML = '<scxml xmlns="http://www.w3.org/2005/07/scxml" version="1.0"{head}>{body}</scxml>\n'
#: an ECMAScript document whose `go` runs `{body}` (docs/security.md: the sandbox's limits)
_ECMASCRIPT = (
    SCXML.format(
        head=' datamodel="ecmascript" initial="idle"',
        body='<state id="idle"><transition event="go" target="done">{body}</transition></state>'
        '<state id="done"/>',
    )
    .replace("{", "{{")
    .replace("}", "}}")
    .replace("{{body}}", "{body}")
)


def inputs(folder: Path) -> list[tuple[str, list[str]]]:
    """(what, statewright arguments) for each case, its files written into `folder`."""
    files = {
        "one-line.smcat": ", ".join(f"s{i}" for i in range(10_000)) + ";\n",
        "misspelt.smcat": ", ".join(f"state_number_{i}" for i in range(4_000))
        + ";\n"
        + "".join(f"state_number_{i} => state_numbr_{i};\n" for i in range(4_000)),
        "keys.yaml": "states:\n  - name: a\n    x:\n"
        + "".join(f"      k{i}: 1\n" for i in range(40_000)),
        "anonymous.scxml": SCXML.format(head="", body="<state/>" * 20_000),
        "events.scxml": SCXML.format(
            head=' initial="a"',
            body='<state id="a"><transition event="'
            + " ".join(f"e{i}" for i in range(40_000))
            + '" target="b"/></state><state id="b"/>',
        ),
        "regex.scxml": _ECMASCRIPT.format(
            body="<script>/(a+)+$/.test('a'.repeat(38) + '!')</script>"
        ),
        "foreach.scxml": _ECMASCRIPT.format(
            body='<foreach array="({length: 1e9})" item="x"><log expr="x"/></foreach>'
        ),
        "spin.scxml": _ECMASCRIPT.format(body="<script>while (true) {}</script>"),
        "repeat.smcat": "idle => busy: go [(_event.data.l * 100000) == 0];\n",
    }
    for name, text in files.items():
        (folder / name).write_text(text, "utf-8")
    return [
        ("check door.smcat (yardstick)", ["check", str(ROOT / "examples" / "door.smcat")]),
        ("check: 10,000 states on one line", ["check", "one-line.smcat"]),
        ("check: 4,000 + 4,000 misspelt names", ["check", "misspelt.smcat"]),
        ("check: YAML mapping of 40,000 keys", ["check", "keys.yaml"]),
        ("check: 20,000 anonymous SCXML states", ["check", "anonymous.scxml"]),
        ("compile -T python: 40,000 events", ["compile", "events.scxml", "-T", "python"]),
        ("simulate: regex /(a+)+$/, 38 a's", ["simulate", "regex.scxml", "go"]),
        ("simulate: foreach over length 1e9", ["simulate", "foreach.scxml", "go"]),
        ("simulate: while (true) {}", ["simulate", "spin.scxml", "go"]),
        (
            "simulate: [s] * 100000, s 100,000 chars",
            ["simulate", "repeat.smcat", "go:" + '{"l": ["' + "x" * 100_000 + '"]}'],
        ),
    ]


def measure(arguments: list[str], folder: Path) -> tuple[float, float, int]:
    """Seconds, peak resident MiB and exit code of one `statewright` process."""
    command = [sys.executable, "-m", "statewright", *arguments]
    start = time.perf_counter()
    child = subprocess.Popen(
        command, cwd=folder, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    _, status, usage = os.wait4(child.pid, 0)
    elapsed = time.perf_counter() - start
    child.returncode = os.waitstatus_to_exitcode(status)
    return elapsed, usage.ru_maxrss / 1024, child.returncode


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3, help="runs per case; the best counts")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch)
        cases = inputs(folder)
        print(
            f"{'case':<40} {'exit':>4} {'seconds':>8} {'x door':>7} {'peak MiB':>9} {'x door':>7}"
        )
        base: tuple[float, float] | None = None
        for what, arguments in cases:
            runs = [measure(arguments, folder) for _ in range(args.repeat)]
            seconds = min(r[0] for r in runs)
            peak = max(r[1] for r in runs)
            code = runs[-1][2]
            if base is None:
                base = (seconds, peak)
            print(
                f"{what:<40} {code:>4} {seconds:>8.2f} {seconds / base[0]:>7.1f} "
                f"{peak:>9.0f} {peak / base[1]:>7.1f}"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
