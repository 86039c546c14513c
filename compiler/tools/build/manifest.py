"""`statewright build`, the manifest: the files without a header that the build wrote in an
output folder (`MANIFEST`: file name -> SHA-256 of the bytes written), so that a file the build
did not write is never overwritten or removed without `--force`."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from ....runtime.compiling import atomic_write, makedirs, unlink_if_there

#: the manifest of an output folder: what the build wrote there
MANIFEST = ".statewright-build.json"


def read_manifest(folder: Path) -> dict[str, str]:
    """What the build wrote in `folder` (file name -> SHA-256); empty when there is no
    manifest or it cannot be read (then nothing is assumed to be the build's)."""
    try:
        document = json.loads((folder / MANIFEST).read_text("utf-8"))
    except (OSError, ValueError, RecursionError):
        return {}
    files = document.get("files") if isinstance(document, dict) else None
    if not isinstance(files, dict):
        return {}
    return {
        name: digest
        for name, digest in files.items()
        if isinstance(name, str) and isinstance(digest, str) and "/" not in name
    }


def write_manifest(folder: Path, files: dict[str, str]) -> None:
    """Record what the build wrote in `folder` (atomically; removed when nothing is left)."""
    path = folder / MANIFEST
    if not files:
        unlink_if_there(path)
        return
    document = {
        "format": "statewright-build-manifest/1",
        "note": "what `statewright build` wrote in this folder; it never overwrites or "
        "removes a file whose bytes it did not write",
        "files": dict(sorted(files.items())),
    }
    data = (json.dumps(document, indent=2) + "\n").encode("utf-8")
    try:
        if path.read_bytes() == data:
            return
    except OSError:
        pass
    write_file(path, data)


def sha(data: bytes) -> str:
    """The SHA-256 of bytes, as the manifest records it."""
    return hashlib.sha256(data).hexdigest()


def write_file(path: Path, data: bytes) -> None:
    """Write a file whole (its folder made first): temporary file, fsync, rename."""
    makedirs(path.parent)
    atomic_write(path, data)
