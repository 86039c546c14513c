"""SCXML conformance: SCION's corpus run on statewright and its peers, side by side.

The corpus is npm @scion-scxml/test-framework (tests/node): 316 SCXML documents, each with the
configurations expected after start and after each event; 189 of them (w3c-ecma/) are the W3C
IRP tests in their ECMAScript form. Each document is run on

- `statewright`: imported (`statewright import`), run on the interpreter with a fake clock
  (a step's `after` moves the clock, so timing needs no waiting);
- `statewright-python`: imported, generated with `-T python`, run as the class;
- `scion` and `python-statemachine`: the original document, in real time (the peers).

A document passes when the active atomic states after start and after each event are the
expected ones. `python tests/interop/conformance.py` (or `make conformance`) prints the table
and writes what passed to build/conformance.json; `--write-baseline` records statewright's
results in tests/data/conformance-baseline.json, which tests/interop/test_conformance.py holds
every later run to (a document that passed may not fail).
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
NODE_DIR = ROOT / "tests" / "node"
CORPUS = NODE_DIR / "node_modules" / "@scion-scxml" / "test-framework" / "test"
BASELINE = ROOT / "tests" / "data" / "conformance-baseline.json"
OURS = ("statewright", "statewright-python")
PEERS = ("scion", "python-statemachine")
#: seconds one document may take on one of our engines before it counts as failed
CASE_SECONDS = 10


@dataclass(frozen=True)
class Case:
    """One corpus document and what it expects."""

    name: str  # relative to the corpus, e.g. `w3c-ecma/test144.txml.scxml`
    path: Path
    initial: tuple[str, ...]
    steps: tuple[tuple[str, Any, float, tuple[str, ...]], ...]  # (event, data, after s, expected)

    @property
    def irp(self) -> bool:
        return self.name.startswith("w3c-ecma/")


@dataclass
class Outcome:
    passed: bool
    why: str = ""


@dataclass
class Results:
    """engine -> case name -> outcome."""

    by_engine: dict[str, dict[str, Outcome]] = field(default_factory=dict)

    def passed(self, engine: str) -> set[str]:
        return {n for n, o in self.by_engine.get(engine, {}).items() if o.passed}


def cases() -> list[Case]:
    found = []
    for expected in sorted(CORPUS.rglob("*.json")):
        document = expected.with_suffix(".scxml")
        if not document.is_file():
            continue
        spec = json.loads(expected.read_text("utf-8"))
        steps = tuple(
            (
                step["event"]["name"],
                step["event"].get("data"),
                float(step.get("after", 0)) / 1000,
                tuple(sorted(step["nextConfiguration"])),
            )
            for step in spec.get("events", [])
        )
        found.append(
            Case(
                str(document.relative_to(CORPUS)),
                document,
                tuple(sorted(spec["initialConfiguration"])),
                steps,
            )
        )
    return found


# -- our engines ----------------------------------------------------------------------------------


class _Timeout(Exception):
    pass


@contextmanager
def _bounded(seconds: int) -> Iterator[None]:
    def alarm(*_: object) -> None:
        raise _Timeout(f"no result within {seconds} s")

    previous = signal.signal(signal.SIGALRM, alarm)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def _imported(case: Case) -> Any:
    from statewright.compiler import ir_document
    from statewright.compiler.pipeline import diagnose

    chart, diagnostics = diagnose(case.path.read_bytes(), str(case.path), language="scxml")
    errors = [d for d in diagnostics if d.is_error]
    if chart is None or errors:
        first = errors[0] if errors else diagnostics[0]
        raise ValueError(f"import: {first.code} {first.message}")
    return chart, json.loads(ir_document.emit(chart))


def _drive(case: Case, machine: Any, clock: Any) -> Outcome:
    machine.start()
    got = tuple(sorted(machine.configuration))
    if got != case.initial:
        return Outcome(False, f"start: expected {list(case.initial)}, got {list(got)}")
    for index, (event, data, after, expected) in enumerate(case.steps, 1):
        if after:
            clock.advance(after)
            machine.tick()
        machine.send(event, **(data if isinstance(data, dict) else {}))
        got = tuple(sorted(machine.configuration))
        if got != expected:
            wanted = list(expected)
            return Outcome(False, f"step {index} ({event}): expected {wanted}, got {list(got)}")
    return Outcome(True)


def run_interpreter(case: Case) -> Outcome:
    from statewright.runtime import FakeClock, load

    _, document = _imported(case)
    clock = FakeClock()
    return _drive(case, load(document, clock=clock), clock)


def run_generated(case: Case, folder: Path) -> Outcome:
    from statewright.compiler.emit import python
    from statewright.compiler.pipeline import diagnose
    from statewright.runtime import FakeClock
    from statewright.runtime.compiled import CompiledMachine

    chart, _ = _imported(case)
    found = diagnose(case.path.read_bytes(), str(case.path), language="scxml", target="python")[1]
    refused = [d for d in found if d.is_error]
    if refused:
        return Outcome(False, f"-T python: {refused[0].code} {refused[0].message}")
    stem = "case_" + "".join(c if c.isalnum() else "_" for c in case.name)
    path = folder / f"{stem}.py"
    path.write_text(python.emit(chart, {"name": stem}), "utf-8")
    spec = importlib.util.spec_from_file_location(stem, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    generated = next(
        v
        for v in vars(module).values()
        if isinstance(v, type) and issubclass(v, CompiledMachine) and v.__module__ == stem
    )
    partial = type(generated.__name__ + "Partial", (generated,), {}, partial=True)
    clock = FakeClock()
    return _drive(case, partial(start=False, clock=clock), clock)


def run_ours(engine: str, all_cases: list[Case]) -> dict[str, Outcome]:
    results: dict[str, Outcome] = {}
    with tempfile.TemporaryDirectory() as scratch:
        for case in all_cases:
            try:
                with _bounded(CASE_SECONDS):
                    if engine == "statewright":
                        results[case.name] = run_interpreter(case)
                    else:
                        results[case.name] = run_generated(case, Path(scratch))
            except Exception as error:  # noqa: BLE001 - a failed case, with the reason
                results[case.name] = Outcome(False, f"{type(error).__name__}: {error}"[:300])
    return results


# -- the peers ------------------------------------------------------------------------------------


def run_scion(all_cases: list[Case]) -> dict[str, Outcome]:
    batch = [
        {
            "path": str(case.path),
            "events": [{"name": e, "data": d, "after": int(a * 1000)} for e, d, a, _ in case.steps],
        }
        for case in all_cases
    ]
    with tempfile.TemporaryDirectory() as scratch:
        listing = Path(scratch) / "batch.json"
        listing.write_text(json.dumps(batch), "utf-8")
        done = subprocess.run(
            ["node", str(HERE / "scion_corpus.mjs"), str(listing)],
            cwd=NODE_DIR,
            capture_output=True,
            text=True,
            timeout=1800,
            check=True,
        )
    line = next(x for x in done.stdout.splitlines() if x.startswith("RESULTS "))
    return _compare(all_cases, json.loads(line.removeprefix("RESULTS ")))


def run_python_statemachine(all_cases: list[Case]) -> dict[str, Outcome]:
    batch = []
    for case in all_cases:
        events: list[str] = []
        for event, _, after, _ in case.steps:
            if after:
                events.append(f"wait:{int(after * 1000)}")
            events.append(event)
        batch.append({"path": str(case.path), "events": events})
    with tempfile.TemporaryDirectory() as scratch:
        listing = Path(scratch) / "batch.json"
        listing.write_text(json.dumps(batch), "utf-8")
        done = subprocess.run(
            [sys.executable, str(HERE / "psm_run.py"), str(listing)],
            capture_output=True,
            text=True,
            timeout=3600,
            check=False,
        )
    line = next(x for x in done.stdout.splitlines() if x.startswith("RESULTS "))
    raw = json.loads(line.removeprefix("RESULTS "))
    # psm_run reports a step per `wait:` too: keep the steps after events only
    kept = []
    for case, result in zip(all_cases, raw, strict=True):
        if "error" in result:
            kept.append(result)
            continue
        steps, position = [result["steps"][0]], 1
        for _, _, after, _ in case.steps:
            position += 1 if after else 0
            steps.append(result["steps"][position])
            position += 1
        kept.append({"steps": steps})
    return _compare(all_cases, kept)


def _compare(all_cases: list[Case], raw: list[dict[str, Any]]) -> dict[str, Outcome]:
    results = {}
    for case, result in zip(all_cases, raw, strict=True):
        if "error" in result:
            results[case.name] = Outcome(False, str(result["error"])[:300])
            continue
        wanted = [list(case.initial), *(list(s[3]) for s in case.steps)]
        got = [sorted(step) for step in result["steps"]]
        results[case.name] = Outcome(got == wanted, "" if got == wanted else f"got {got}")
    return results


RUNNERS: dict[str, Callable[[list[Case]], dict[str, Outcome]]] = {
    "statewright": lambda c: run_ours("statewright", c),
    "statewright-python": lambda c: run_ours("statewright-python", c),
    "scion": run_scion,
    "python-statemachine": run_python_statemachine,
}


def versions() -> dict[str, str]:
    from importlib.metadata import PackageNotFoundError, version

    found = {"statewright": version("statewright")}
    found["statewright-python"] = found["statewright"]
    package = NODE_DIR / "node_modules" / "@scion-scxml" / "scxml" / "package.json"
    if package.is_file():
        found["scion"] = json.loads(package.read_text("utf-8"))["version"]
    try:
        found["python-statemachine"] = version("python-statemachine")
    except PackageNotFoundError:
        pass
    corpus = CORPUS.parent / "package.json"
    if corpus.is_file():
        found["corpus"] = json.loads(corpus.read_text("utf-8"))["version"]
    return found


def table(results: Results, all_cases: list[Case]) -> str:
    irp = {c.name for c in all_cases if c.irp}
    found = versions()
    lines = ["| engine | corpus passed | W3C IRP passed |", "|---|---|---|"]
    for engine, outcomes in results.by_engine.items():
        passed = results.passed(engine)
        label = f"{engine} {found.get(engine, '')}".strip()
        lines.append(
            f"| {label} | {len(passed)} / {len(outcomes)} | "
            f"{len(passed & irp)} / {len(irp & set(outcomes))} |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--engines", default=",".join((*OURS, *PEERS)))
    parser.add_argument("--only", help="run the cases whose name contains this text")
    parser.add_argument("--why", action="store_true", help="print why each failed case failed")
    parser.add_argument("--write-baseline", action="store_true")
    args = parser.parse_args(argv)
    if not CORPUS.is_dir():
        print(f"conformance: the corpus is missing ({CORPUS}): run make node-references")
        return 2
    all_cases = [c for c in cases() if not args.only or args.only in c.name]
    results = Results()
    for engine in args.engines.split(","):
        started = time.perf_counter()
        results.by_engine[engine] = RUNNERS[engine](all_cases)
        seconds = time.perf_counter() - started
        print(f"{engine}: {len(results.passed(engine))} / {len(all_cases)} in {seconds:.1f} s")
    print()
    print(table(results, all_cases))
    if args.why:
        for engine in (e for e in OURS if e in results.by_engine):
            for name, outcome in sorted(results.by_engine[engine].items()):
                if not outcome.passed:
                    print(f"{engine} {name}: {outcome.why}")
    out = ROOT / "build" / "conformance.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(
        json.dumps({e: sorted(results.passed(e)) for e in results.by_engine}, indent=1) + "\n",
        "utf-8",
    )
    if args.write_baseline:
        baseline = {e: sorted(results.passed(e)) for e in OURS if e in results.by_engine}
        BASELINE.write_text(json.dumps(baseline, indent=1) + "\n", "utf-8")
        print(f"\nbaseline written: {BASELINE.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT / "tests"))
    raise SystemExit(main())
