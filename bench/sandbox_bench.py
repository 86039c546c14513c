"""What the ECMAScript sandbox's hard time limit costs: the options side by side, in one run.

Three ways to evaluate a document's expressions, each measured on the same condition
(`n < 10`, `n` a declared variable) and on making an instance's engine:

- in this process (`ISOLATION = "none"`, what statewright did before): only the engine's own
  interrupt stops a script, and a regular expression or a builtin walking a huge array-like
  never consults it;
- one process per instance (`ISOLATION = "process"`, the default): the parent ends the process
  when an answer is late;
- one process per evaluation: each evaluation starts a process (the simplest hard limit).

A fourth option, a step limit inside the regular-expression engine, is not offered by the
QuickJS the `quickjs` package embeds: the last row shows a backtracking expression running
past the engine's time limit in this process. Figures are ratios to the in-process row of
the same kind (an evaluation, a new instance).

    python bench/sandbox_bench.py [--evaluations 3000]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from collections.abc import Callable

from statewright.runtime.datamodel import ecmascript, sandbox


class _Host:
    sessionid = "bench"
    session_name = None

    def is_active(self, name: str) -> bool:
        return False


def _model(isolation: str) -> ecmascript.EcmascriptDatamodel:
    ecmascript.ISOLATION = isolation
    try:
        model = ecmascript.EcmascriptDatamodel(_Host())
    finally:
        ecmascript.ISOLATION = "process"
    model.declare("n", "3")
    return model


def _per_call(work: Callable[[], object], count: int) -> float:
    """Microseconds per call, the median of five rounds."""
    rounds = []
    for _ in range(5):
        start = time.perf_counter()
        for _ in range(count):
            work()
        rounds.append((time.perf_counter() - start) / count * 1e6)
    return statistics.median(rounds)


_ONE_SHOT = (
    "import sys; sys.path.insert(0, sys.argv[1]); import quickjs; c = quickjs.Context(); "
    "c.set_time_limit(2); c.eval('var n = 3'); print(c.eval('!!(n < 10)'))"
)


def _one_shot() -> None:
    subprocess.run(
        [sys.executable, "-I", "-S", "-c", _ONE_SHOT, sandbox._engine_home()],
        check=True,
        capture_output=True,
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--evaluations", type=int, default=3000)
    args = parser.parse_args()
    count = args.evaluations
    inside, isolated = _model("none"), _model("process")
    rows = [
        ("evaluation, in this process", _per_call(lambda: inside.condition("n < 10"), count)),
        (
            "evaluation, a process per instance",
            _per_call(lambda: isolated.condition("n < 10"), count),
        ),
        ("evaluation, a process per evaluation", _per_call(_one_shot, max(5, count // 300))),
        ("new instance, in this process", _per_call(lambda: _model("none").close(), 20)),
        ("new instance, its own process", _per_call(lambda: _model("process").close(), 20)),
    ]
    print(f"{'option':<40} {'us':>10} {'x in-process':>13}")
    for what, micros in rows:
        base = rows[0][1] if what.startswith("evaluation") else rows[3][1]
        print(f"{what:<40} {micros:>10.1f} {micros / base:>13.1f}")
    engine = sandbox.TIME_LIMIT
    inside.sandbox._context.set_time_limit(engine)
    start = time.perf_counter()
    inside.evaluate("/(a+)+$/.test('a'.repeat(26) + '!')")
    ran = time.perf_counter() - start
    print(
        f"regex /(a+)+$/ on 26 a's, in this process: ran {ran:.1f} s (engine limit {engine:g} s, "
        "not consulted); in its own process it is ended at "
        f"{sandbox.HARD_LIMIT:g} s"
    )
    inside.close()
    isolated.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
