"""Reading files that may be unlucky or hostile: regular files only, bounded size, cancellable.

Every file ECG Studio reads comes from a user's folder and may be anything: a FIFO (reading it blocks forever), a
symlink to ``/dev/zero`` (``st_size`` is 0, reading never ends), a folder, or a regular file far larger than any
real one. The helpers here

* refuse anything that is not a regular file, without blocking: the path is ``stat``-ed first (devices, FIFOs and
  sockets are never opened), then opened with ``O_NONBLOCK`` (a FIFO swapped in meanwhile cannot block the open),
  ``fstat``-ed (the file actually opened must be regular) and switched back to blocking reads;
* check the size limit on the opened file (``fstat``), and read at most ``limit + 1`` bytes, so a file that grows
  while it is read is refused too;
* check ``cancel()`` between blocks (long reads can be stopped; :class:`ReadCancelled` is raised);
* raise one-line errors that name the file: :class:`UnreadableFileError`, or the caller's own error type (``error=
  AnnotationError``...), so the message reaches a status bar or ``ecgstudio: error:`` unchanged.

:func:`load_json` also refuses JSON nested deeper than ``max_depth`` (a recursion bomb), so code that walks the
result recursively never hits ``RecursionError``.

Standard library only (plus :mod:`ecgstudio.core.errors`): io, ml and app use it.
"""

from __future__ import annotations

import json
import os
import stat
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any

from ecgstudio.core.errors import EcgStudioError

__all__ = [
    "DEFAULT_MAX_JSON_DEPTH", "ReadCancelled", "UnreadableFileError", "check_cancel", "check_regular",
    "json_depth_exceeds", "load_json", "open_regular", "parse_json", "read_bytes",
    "read_text",
]

#: Deepest JSON nesting :func:`load_json` accepts (ECG Studio's own files nest 5 levels at most).
DEFAULT_MAX_JSON_DEPTH = 64

#: Bytes read per ``read()`` call (a cancel check between two).
_BLOCK = 4 << 20

_NONBLOCK = getattr(os, "O_NONBLOCK", 0)
_OPEN_FLAGS = (os.O_RDONLY | getattr(os, "O_BINARY", 0) | getattr(os, "O_NOCTTY", 0)
               | getattr(os, "O_CLOEXEC", 0))

ErrorType = type[EcgStudioError]
CancelFn = Callable[[], bool]


class UnreadableFileError(EcgStudioError):
    """A file is missing, not a regular file, too large, or cannot be read (one-line message naming it)."""


class ReadCancelled(EcgStudioError):
    """Reading was cancelled by the user (not a failure to report)."""


def _size_text(n_bytes: int) -> str:
    if n_bytes >= 1 << 20:
        return f"{n_bytes / (1 << 20):.1f} MiB"
    if n_bytes >= 1 << 10:
        return f"{n_bytes / (1 << 10):.1f} KiB"
    return f"{n_bytes} bytes"


def _kind(mode: int) -> str:
    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISFIFO(mode):
        return "a FIFO (named pipe)"
    if stat.S_ISCHR(mode):
        return "a character device"
    if stat.S_ISBLK(mode):
        return "a block device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not a plain file"


def _not_regular(path: Path, what: str, mode: int, error: ErrorType) -> EcgStudioError:
    return error(f"{path}: {what} is {_kind(mode)}, not a regular file; refusing to read it")


def _os_error(path: Path, what: str, exc: OSError, error: ErrorType) -> EcgStudioError:
    if isinstance(exc, PermissionError):
        return error(f"{path}: permission denied")
    reason = " ".join(str(exc.strerror or exc).split())[:160]
    return error(f"{path}: cannot read {what} ({reason})")


def check_cancel(cancel: CancelFn | None, path: Path | None = None) -> None:
    """Raise :class:`ReadCancelled` if ``cancel`` is given and returns True."""
    if cancel is not None and cancel():
        raise ReadCancelled("reading cancelled" if path is None else f"{path}: reading cancelled")


def open_regular(
    path: str | os.PathLike[str],
    *,
    what: str = "file",
    error: ErrorType = UnreadableFileError,
    missing_ok: bool = False,
) -> IO[bytes] | None:
    """Open a regular file for binary reading, refusing anything else without blocking.

    Parameters
    ----------
    path : str | os.PathLike
        The file (symlinks are followed; what they point to must be a regular file).
    what : str
        What the file is, for messages (``"annotation file"``, ``"model metadata"``).
    error : type
        Exception type raised (an :class:`~ecgstudio.core.errors.EcgStudioError` taking one message).
    missing_ok : bool
        Return ``None`` instead of raising when the file does not exist.

    Returns
    -------
    IO[bytes] | None
        A blocking, buffered binary reader (close it, e.g. ``with``); ``None`` when missing and ``missing_ok``.

    Raises
    ------
    error
        ``"<path>: <what> not found"``, ``"<path>: <what> is a FIFO (named pipe), not a regular file ..."``,
        ``"<path>: permission denied"`` or ``"<path>: cannot read <what> (<reason>)"``.
    """
    path = Path(os.fspath(path))
    try:
        before = os.stat(path)
    except (FileNotFoundError, NotADirectoryError):
        if missing_ok:
            return None
        raise error(f"{path}: {what} not found") from None
    except (OSError, ValueError) as exc:  # ValueError: NUL in the path
        if isinstance(exc, ValueError):
            raise error(f"{path}: invalid file name") from None
        raise _os_error(path, what, exc, error) from None
    if not stat.S_ISREG(before.st_mode):
        raise _not_regular(path, what, before.st_mode, error)
    try:
        fd = os.open(path, _OPEN_FLAGS | _NONBLOCK)
    except (FileNotFoundError, NotADirectoryError):
        if missing_ok:
            return None
        raise error(f"{path}: {what} not found") from None
    except OSError as exc:
        raise _os_error(path, what, exc, error) from None
    try:
        opened = os.fstat(fd)
        if not stat.S_ISREG(opened.st_mode):  # swapped for a FIFO or device after the stat above
            raise _not_regular(path, what, opened.st_mode, error)
        if _NONBLOCK:
            os.set_blocking(fd, True)
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise


def _check_size(path: Path, what: str, size: int, limit: int, error: ErrorType) -> None:
    if size > limit:
        raise error(f"{path}: {what} is too large ({_size_text(size)}; the limit is {_size_text(limit)})")


def check_regular(
    path: str | os.PathLike[str],
    limit: int,
    *,
    what: str = "file",
    error: ErrorType = UnreadableFileError,
) -> int:
    """Check that ``path`` is a readable regular file of at most ``limit`` bytes (for files another library reads).

    Returns
    -------
    int
        Its size in bytes.

    Raises
    ------
    error
        See :func:`open_regular`; also when the file is larger than ``limit``.
    """
    handle = open_regular(path, what=what, error=error)
    assert handle is not None
    with handle:
        size = os.fstat(handle.fileno()).st_size
    _check_size(Path(os.fspath(path)), what, size, limit, error)
    return size


def read_bytes(
    path: str | os.PathLike[str],
    limit: int,
    *,
    what: str = "file",
    error: ErrorType = UnreadableFileError,
    missing_ok: bool = False,
    cancel: CancelFn | None = None,
) -> bytes | None:
    """The content of a regular file of at most ``limit`` bytes.

    The size is checked on the opened file (``fstat``) and at most ``limit + 1`` bytes are ever read, so neither
    a device that reports size 0 nor a file growing meanwhile can make the read unbounded.

    Parameters
    ----------
    path, what, error, missing_ok
        See :func:`open_regular`.
    limit : int
        Largest accepted size in bytes.
    cancel : callable | None
        ``cancel() -> bool``, checked before every block of 4 MiB.

    Returns
    -------
    bytes | None
        ``None`` only when the file is missing and ``missing_ok``.

    Raises
    ------
    error
        Missing (unless ``missing_ok``), not a regular file, too large or unreadable.
    ReadCancelled
        When ``cancel()`` returned True.
    """
    path = Path(os.fspath(path))
    check_cancel(cancel, path)
    handle = open_regular(path, what=what, error=error, missing_ok=missing_ok)
    if handle is None:
        return None
    with handle:
        try:
            _check_size(path, what, os.fstat(handle.fileno()).st_size, limit, error)
            blocks: list[bytes] = []
            total = 0
            while total <= limit:
                check_cancel(cancel, path)
                block = handle.read(min(_BLOCK, limit + 1 - total))
                if not block:
                    break
                blocks.append(block)
                total += len(block)
        except OSError as exc:
            raise _os_error(path, what, exc, error) from None
    if total > limit:
        raise error(f"{path}: {what} is too large (it grew past the limit of {_size_text(limit)} while read)")
    return b"".join(blocks)


def read_text(
    path: str | os.PathLike[str],
    limit: int,
    *,
    what: str = "file",
    error: ErrorType = UnreadableFileError,
    missing_ok: bool = False,
    cancel: CancelFn | None = None,
    encoding: str = "utf-8",
) -> str | None:
    """The text of a regular file of at most ``limit`` bytes (see :func:`read_bytes`).

    Raises
    ------
    error
        Also when the content is not valid ``encoding`` text.
    """
    raw = read_bytes(path, limit, what=what, error=error, missing_ok=missing_ok, cancel=cancel)
    if raw is None:
        return None
    try:
        return raw.decode(encoding)
    except UnicodeDecodeError:
        raise error(f"{Path(os.fspath(path))}: {what} is not {encoding.upper()} text") from None


def json_depth_exceeds(value: Any, max_depth: int) -> bool:
    """Whether lists/dicts in ``value`` nest deeper than ``max_depth`` levels (iterative: no recursion)."""
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            children = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        if depth > max_depth:
            return True
        stack.extend((child, depth + 1) for child in children if isinstance(child, dict | list))
    return False


def load_json(
    path: str | os.PathLike[str],
    limit: int,
    *,
    what: str = "file",
    error: ErrorType = UnreadableFileError,
    missing_ok: bool = False,
    max_depth: int = DEFAULT_MAX_JSON_DEPTH,
    cancel: CancelFn | None = None,
) -> Any:
    """Parse a JSON file read with :func:`read_text`; nesting deeper than ``max_depth`` is refused.

    Returns
    -------
    Any
        The parsed value; ``None`` when the file is missing and ``missing_ok`` (a file holding ``null`` also gives
        ``None``: check with :func:`open_regular` first if the difference matters).

    Raises
    ------
    error
        Unreadable (see :func:`read_bytes`), not UTF-8, not valid JSON, or nested too deeply.
    """
    path = Path(os.fspath(path))
    text = read_text(path, limit, what=what, error=error, missing_ok=missing_ok, cancel=cancel)
    if text is None:
        return None
    return parse_json(text, path, what=what, error=error, max_depth=max_depth)


def parse_json(
    text: str | bytes,
    path: str | os.PathLike[str],
    *,
    what: str = "file",
    error: ErrorType = UnreadableFileError,
    max_depth: int = DEFAULT_MAX_JSON_DEPTH,
) -> Any:
    """Parse JSON read from ``path`` (see :func:`load_json`); every failure is one line naming ``path``.

    Raises
    ------
    error
        ``"<path>: corrupt <what>, not valid JSON (<reason> at line L column C)"`` or
        ``"<path>: corrupt <what>, JSON nested more than <max_depth> levels deep"``.
    """
    path = Path(os.fspath(path))
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        raise error(f"{path}: corrupt {what}, not valid JSON ({exc.msg} at line {exc.lineno} column {exc.colno})"
                    ) from None
    except RecursionError:
        raise error(f"{path}: corrupt {what}, JSON nested more than {max_depth} levels deep") from None
    except (ValueError, TypeError) as exc:  # an integer with too many digits, bytes that are not UTF-8 ...
        reason = " ".join(str(exc).split())[:120]
        raise error(f"{path}: corrupt {what}, not valid JSON ({reason})") from None
    if json_depth_exceeds(value, max_depth):
        raise error(f"{path}: corrupt {what}, JSON nested more than {max_depth} levels deep")
    return value
