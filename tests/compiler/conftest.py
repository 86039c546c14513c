"""The compiler tests' fixtures: `golden`, which compares an output with its golden file (and
rewrites it under `--update-golden`)."""

from __future__ import annotations

from pathlib import Path

import pytest

from testkit import ROOT, GoldenCompare


@pytest.fixture
def update_golden(request: pytest.FixtureRequest) -> bool:
    return bool(request.config.getoption("--update-golden"))


@pytest.fixture
def golden(update_golden: bool) -> GoldenCompare:
    """`golden(actual, path)`: assert that `actual` is the text of the golden file at `path`
    (byte for byte); with `--update-golden`, write it there first. A missing file, or the
    first line that differs, is named in the failure."""

    def compare(actual: str, path: Path) -> None:
        if update_golden:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(actual, "utf-8")
        assert path.exists(), f"{path.relative_to(ROOT)} is missing: run pytest --update-golden"
        expected = path.read_text("utf-8")
        if actual != expected:
            ours, theirs = actual.splitlines(), expected.splitlines()
            line = next(
                (i for i, (a, b) in enumerate(zip(ours, theirs, strict=False)) if a != b),
                min(len(ours), len(theirs)),
            )
            shown = (
                ours[line] if line < len(ours) else "<end>",
                theirs[line] if line < len(theirs) else "<end>",
            )
            raise AssertionError(
                f"{path.relative_to(ROOT)} differs at line {line + 1}:\n"
                f"  got:      {shown[0]!r}\n  expected: {shown[1]!r}\n"
                "(review the change; pytest --update-golden rewrites the golden files)"
            )

    return compare
