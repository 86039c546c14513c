"""Writing files whole: what every command that writes (compile, fmt, build, the studio) uses.

A file is replaced atomically and durably: the bytes go to a temporary file in the same folder,
which is fsynced and renamed over the target, so a reader (or a crash) sees the old file or the
new one, never a torn one. A replaced file keeps its permissions; a new one gets 0666 less the
umask, as `open` would give it.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path


def atomic_write(path: Path, data: bytes) -> None:
    """Replace `path` with `data` (raises OSError; the target is then untouched)."""
    folder = path.parent if str(path.parent) else Path(".")
    mode = path.stat().st_mode & 0o777 if path.exists() else 0o666 & ~_umask()
    fd, temporary = tempfile.mkstemp(dir=folder, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temporary, mode)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask
