"""Atomic file writes: a crash or a full disk never leaves half a file in place.

Everything is written to a temporary file in the target's folder (same file system), given the permissions a plain
``open()`` would have given (``mkstemp`` makes 0600 files), then moved over the target with ``os.replace``. On any
failure the temporary file is removed and the target is untouched. Standard library only: io, ml and app use it.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


def _umask_mode() -> int:
    """File mode ``0o666`` minus the process umask (what ``open()`` would have given)."""
    mask = os.umask(0)
    os.umask(mask)
    return 0o666 & ~mask


@contextmanager
def replacing(target: str | os.PathLike[str], *, suffix: str = ".tmp") -> Iterator[Path]:
    """Yield a fresh temporary path beside ``target``; when the block ends without error, move it onto ``target``.

    Raises
    ------
    OSError
        The folder is not writable or the move failed (the temporary file is then removed).
    """
    target = Path(os.fspath(target))
    fd, tmp_name = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=suffix)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        yield tmp
        os.chmod(tmp, _umask_mode())
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)


def write_text(target: str | os.PathLike[str], text: str) -> Path:
    """Write ``text`` (UTF-8) to ``target`` atomically and flushed to disk; returns the path.

    Raises
    ------
    OSError
        If the file cannot be written.
    """
    target = Path(os.fspath(target))
    with replacing(target) as tmp, open(tmp, "w", encoding="utf-8", newline="") as handle:
        handle.write(text)
        handle.flush()
        os.fsync(handle.fileno())
    return target
