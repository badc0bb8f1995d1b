"""Atomic file writes: a crash or a full disk never leaves half a file in place.

Everything is written to a temporary file in the target's folder (same file system), given the permissions a plain
``open()`` would have given (``mkstemp`` makes 0600 files), then moved over the target with ``os.replace``. On any
failure the temporary file is removed and the target is untouched. Standard library only: io, ml and app use it.

A process killed in the middle of a save (``SIGKILL``, power loss) cannot clean up; its temporary file or folder
(``.<target name>.ecgstudio-tmp-XXXXXXXX[suffix]``) stays behind. Every temporary is ``flock``-ed by the process that
writes it, so the next save of the same target removes the leftovers nobody holds any more (where ``flock`` is not
available, those older than :data:`STALE_WITHOUT_LOCK_S`), together with the temporaries older versions left
(``.<target name>.XXXXXXXX.tmp``, ``.<record>.<ext>.XXXXXXXX/``) once they are an hour old.
"""

from __future__ import annotations

import os
import re
import shutil
import stat
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

try:
    import fcntl
except ImportError:  # Windows: leftovers are recognised by age only
    fcntl = None

#: Marker in the names of temporaries (after ``.<target name>.``).
TMP_MARK = "ecgstudio-tmp-"

#: An unlocked temporary younger than this may be one another process just created and not yet locked.
_LOCK_GRACE_S = 10.0

#: Age after which a temporary is taken for a leftover where it cannot be told by its lock.
STALE_WITHOUT_LOCK_S = 3600.0

#: Temporaries written by versions before the marker: ``XXXXXXXX.tmp[.keras]`` files and ``XXXXXXXX`` folders
#: holding at most the annotation writer's ``record.ecgstmp``.
_LEGACY_FILE = re.compile(r"^[a-z0-9_]{8}\.tmp(\.keras)?$")
_LEGACY_FOLDER = re.compile(r"^[a-z0-9_]{8}$")
_LEGACY_FOLDER_CONTENT = frozenset({"record.ecgstmp"})


def _umask_mode() -> int:
    """File mode ``0o666`` minus the process umask (what ``open()`` would have given)."""
    mask = os.umask(0)
    os.umask(mask)
    return 0o666 & ~mask


def _try_lock(fd: int) -> bool:
    """Take an exclusive ``flock`` on ``fd`` without waiting; ``False`` if someone else holds one (or no flock)."""
    if fcntl is None:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        return False
    return True


def _held_by_someone(path: Path) -> bool | None:
    """Whether another open file holds a lock on ``path`` (``None``: cannot tell)."""
    if fcntl is None:
        return None
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOFOLLOW", 0))
    except OSError:
        return None
    try:
        return not _try_lock(fd)
    finally:
        os.close(fd)


def remove_stale_temporaries(target: str | os.PathLike[str]) -> list[Path]:
    """Remove temporaries of ``target`` left by saves that were killed; returns what was removed.

    Only names this module (or :func:`scratch_folder`) makes for ``target`` are considered, never followed
    through symlinks, and only when no process holds them (see the module docs). Errors are ignored: cleaning up
    never makes a save fail.
    """
    target = Path(os.fspath(target))
    prefix = f".{target.name}."
    now = time.time()
    removed: list[Path] = []
    try:
        entries = [e for e in os.scandir(target.parent) if e.name.startswith(prefix)]
    except OSError:
        return removed
    for entry in entries:
        rest = entry.name[len(prefix):]
        path = Path(entry.path)
        try:
            info = entry.stat(follow_symlinks=False)
        except OSError:
            continue
        is_dir = stat.S_ISDIR(info.st_mode)
        if not (stat.S_ISREG(info.st_mode) or is_dir):
            continue
        age = now - info.st_mtime
        if rest.startswith(TMP_MARK):
            held = _held_by_someone(path)
            if age < _LOCK_GRACE_S or held or (held is None and age < STALE_WITHOUT_LOCK_S):
                continue
        elif age < STALE_WITHOUT_LOCK_S or not _is_legacy(path, rest, is_dir):
            continue
        try:
            if stat.S_ISDIR(info.st_mode):
                shutil.rmtree(path)
            else:
                path.unlink()
        except OSError:
            continue
        removed.append(path)
    return removed


def _is_legacy(path: Path, rest: str, is_dir: bool) -> bool:
    """Whether ``path`` (named ``.<target>.<rest>``) is a temporary an older version left."""
    if not is_dir:
        return bool(_LEGACY_FILE.match(rest))
    if not _LEGACY_FOLDER.match(rest):
        return False
    try:
        return set(os.listdir(path)) <= _LEGACY_FOLDER_CONTENT
    except OSError:
        return False


@contextmanager
def replacing(target: str | os.PathLike[str], *, suffix: str = ".tmp") -> Iterator[Path]:
    """Yield a fresh temporary path beside ``target``; when the block ends without error, move it onto ``target``.

    The temporary is locked while the block runs; leftovers of killed saves of ``target`` are removed first
    (:func:`remove_stale_temporaries`).

    Raises
    ------
    OSError
        The folder is not writable or the move failed (the temporary file is then removed).
    """
    target = Path(os.fspath(target))
    fd, tmp_name = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.{TMP_MARK}", suffix=suffix)
    tmp = Path(tmp_name)
    if not _try_lock(fd):  # no flock (Windows, where an open file also cannot be replaced): age tells
        os.close(fd)
        fd = -1
    try:
        remove_stale_temporaries(target)
        yield tmp
        os.chmod(tmp, _umask_mode())
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)
        if fd >= 0:
            os.close(fd)


@contextmanager
def scratch_folder(target: str | os.PathLike[str]) -> Iterator[Path]:
    """Yield a fresh, locked, empty folder beside ``target`` (for writers that need one); removed at the end.

    Its name marks it as a temporary of ``target``, so one left by a killed process is removed by the next save
    of ``target`` (:func:`remove_stale_temporaries`).

    Raises
    ------
    OSError
        The folder is not writable.
    """
    target = Path(os.fspath(target))
    folder = Path(tempfile.mkdtemp(dir=target.parent, prefix=f".{target.name}.{TMP_MARK}"))
    fd = -1
    try:
        with suppress(OSError):
            fd = os.open(folder, os.O_RDONLY)
            _try_lock(fd)
        remove_stale_temporaries(target)
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)
        if fd >= 0:
            os.close(fd)


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
