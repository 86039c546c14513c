"""Run SCXML documents on python-statemachine 3.x, one process for the whole batch.

Usage: python psm_run.py BATCH.json. The batch is a JSON list of {"path", "events"}; the output
(one line, prefixed `RESULTS `) is a list of {"steps": [active state ids after start, after each
event...], "logs": [the values of the `<log>` actions run in each of those steps], "final": bool}
or {"error": "..."}. Each case gets 5 s before it counts as an error (an engine looping on
eventless transitions).
"""

import ast
import contextlib
import io as _io
import json
import signal
import sys
import time
from collections.abc import Callable
from typing import Any

import statemachine.io as io


def _alarm(*_: object) -> None:
    raise TimeoutError("no stable configuration within 5 s")


def _active(machine: object) -> list[str]:
    return sorted(s.id for s in machine.configuration)  # type: ignore[attr-defined]


def _logged(step: Callable[..., Any], *args: Any) -> tuple[Any, list[str]]:
    """Run one step; return its result and what its `<log>` actions printed
    (python-statemachine prints `label: 'value'`), the values only."""
    out = _io.StringIO()
    with contextlib.redirect_stdout(out):
        result = step(*args)
    values = []
    for line in out.getvalue().splitlines():
        _, _, literal = line.partition(": ")
        values.append(ast.literal_eval(literal) if literal else line)
    return result, values


def _wait(machine: Any, ms: int) -> None:
    time.sleep(ms / 1000)
    machine.send("sw.tick")  # python-statemachine takes due delayed events when it is driven


def main() -> None:
    signal.signal(signal.SIGALRM, _alarm)
    with open(sys.argv[1], encoding="utf-8") as batch:
        cases = json.load(batch)
    results = []
    for case in cases:
        signal.alarm(5)
        try:
            machine, written = _logged(io.load(case["path"]))
            steps, logs = [_active(machine)], [written]
            for event in case["events"]:
                if event.startswith("wait:"):  # let delayed events fire
                    _, written = _logged(_wait, machine, int(event[5:]))
                else:
                    _, written = _logged(machine.send, event)
                steps.append(_active(machine))
                logs.append(written)
            results.append({"steps": steps, "logs": logs, "final": bool(machine.is_terminated)})
        except BaseException as error:  # noqa: BLE001 - reported, compared by the test
            results.append({"error": f"{type(error).__name__}: {str(error)[:200]}"})
        finally:
            signal.alarm(0)
    print("RESULTS " + json.dumps(results))


if __name__ == "__main__":
    main()
