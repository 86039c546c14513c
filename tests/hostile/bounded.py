"""Running hostile input in a child process with bounds, and what every such run must show.

Every case of the hostile suite runs statewright (its command line, or a few lines of Python)
in a child process limited to `MEMORY` bytes of address space; the time limit only stops a
runaway, it is not what the test measures. `assert_handled` then checks what a hostile input
may cause: a diagnostic or a clean result, exit code 0, 1 or 2, and never a traceback.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

MEMORY = 1 << 30  # 1 GiB
SECONDS = 120  # stops a runaway; no case comes near it

_LIMIT = (
    "import resource, sys; "
    f"resource.setrlimit(resource.RLIMIT_AS, ({MEMORY}, {MEMORY})); "
    "sys.setrecursionlimit(10_000); "
)


def cli(
    args: list[str],
    cwd: Path,
    *,
    stdin: bytes | None = None,
    env: dict[str, str] | None = None,
    disk_full: bool = False,
) -> subprocess.CompletedProcess[str]:
    """`statewright ARGS` in a bounded child (the console script's own entry point). With
    `disk_full`, every write that grows a file fails (RLIMIT_FSIZE 0: EFBIG), as on a full
    disk."""
    full = (
        "import signal; signal.signal(signal.SIGXFSZ, signal.SIG_IGN); "
        "resource.setrlimit(resource.RLIMIT_FSIZE, (0, 0)); "
        if disk_full
        else ""
    )
    code = (
        _LIMIT
        + full
        + f"sys.argv = ['statewright', *{args!r}]; "
        + "from statewright.compiler.tools.cli.main import main; sys.exit(main())"
    )
    return _run(code, cwd, stdin, env)


def spawn(args: list[str], cwd: Path) -> subprocess.Popen[str]:
    """`statewright ARGS` started in a bounded child that keeps running (a server): the
    caller reads its output and stops it."""
    code = (
        _LIMIT
        + f"sys.argv = ['statewright', *{args!r}]; "
        + "from statewright.compiler.tools.cli.main import main; sys.exit(main())"
    )
    return subprocess.Popen(
        [sys.executable, "-u", "-c", code],
        cwd=cwd,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "NO_COLOR": "1"},
    )


def python(code: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """A snippet of Python in a bounded child."""
    return _run(_LIMIT + "\n" + code, cwd, None, None)


def _run(
    code: str, cwd: Path, stdin: bytes | None, env: dict[str, str] | None
) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(
        [sys.executable, "-c", code],
        input=stdin,
        capture_output=True,
        timeout=SECONDS,
        cwd=cwd,
        env={**os.environ, "NO_COLOR": "1", **(env or {})},
    )
    return subprocess.CompletedProcess(
        result.args,
        result.returncode,
        result.stdout.decode("utf-8", "replace"),
        result.stderr.decode("utf-8", "replace"),
    )


def assert_handled(
    result: subprocess.CompletedProcess[str], *codes: int, says: str | None = None
) -> None:
    """The run ended with one of `codes` (default: 0, 1 or 2), printed no traceback, and (when
    given) said `says` on stdout or stderr."""
    allowed = codes or (0, 1, 2)
    output = result.stdout + result.stderr
    assert result.returncode in allowed, (result.returncode, output[-3000:])
    assert "Traceback" not in output, output[-3000:]
    assert "MemoryError" not in output and "RecursionError" not in output, output[-3000:]
    if says is not None:
        assert says in output, output[-3000:]
