"""What a document's edits start from: fingerprints of its record and annotation files (no Qt).

Part of :mod:`ecgstudio.app.autosave` (its public face). A recovery file
records the record's files (the header and each signal file, or segment
header: size, mtime and SHA-256 of the size, the first and the last
:data:`HASH_CHUNK` bytes, as a :class:`FileState`) and the annotation file as
the edits started from: when the record was opened (:func:`remember`), or else
at the first write after the last save (:func:`bases`). Files are read only
when regular, and opened non-blocking.
"""

from __future__ import annotations

import hashlib
import os
import stat
import threading
from dataclasses import dataclass
from pathlib import Path

from ecgstudio.app.document import Document

#: Bytes hashed at each end of a record or annotation file.
HASH_CHUNK = 1 << 20

#: Most files of one record fingerprinted (header not counted).
MAX_RECORD_FILES = 64

#: Flags of a read-only open that never blocks (a FIFO swapped in opens at once).
NONBLOCK = getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0) | getattr(os, "O_CLOEXEC", 0)

_lock = threading.Lock()
_record_bases: dict[tuple[str, str], tuple[FileState, ...]] = {}
_annotation_bases: dict[tuple[str, str], FileState] = {}


def record_key(record_path: Path, ext: str) -> tuple[str, str]:
    """The key of ``record_path``'s ``ext`` annotations in this process's tables."""
    return str(Path(record_path).absolute()), ext


@dataclass(frozen=True)
class FileState:
    """What a file looked like.

    Attributes
    ----------
    path : str
        The file.
    size : int | None
        Its size in bytes; ``None`` when it was missing or not a regular file.
    mtime_ns : int | None
        Its modification time (ns since the epoch).
    sha256 : str | None
        SHA-256 of its size, its first and its last :data:`HASH_CHUNK` bytes.
    """

    path: str
    size: int | None = None
    mtime_ns: int | None = None
    sha256: str | None = None

    @classmethod
    def of(cls, path: Path) -> FileState:
        """The state of ``path`` now (a missing, unreadable or non-regular file has ``size=None``)."""
        return _fingerprint(Path(path))[0]

    @property
    def exists(self) -> bool:
        return self.size is not None

    def same_as(self, other: FileState) -> bool:
        """Same content: size and hash equal, and (for a file only partly hashed) the same mtime."""
        if self.size is None or other.size is None:
            return self.size == other.size
        if self.size != other.size or self.sha256 != other.sha256:
            return False
        return self.size <= 2 * HASH_CHUNK or self.mtime_ns == other.mtime_ns

    def as_json(self) -> dict[str, object]:
        return {"path": self.path, "size": self.size, "mtime_ns": self.mtime_ns, "sha256": self.sha256}


def _fingerprint(path: Path) -> tuple[FileState, bytes]:
    """The state of ``path`` and its first :data:`HASH_CHUNK` bytes (regular files only, never blocks)."""
    name = str(path)
    try:
        fd = os.open(path, os.O_RDONLY | NONBLOCK)
    except OSError:
        return FileState(name), b""
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            return FileState(name), b""
        with os.fdopen(fd, "rb", closefd=False) as fh:
            head = fh.read(HASH_CHUNK)
            if st.st_size > 2 * HASH_CHUNK:
                fh.seek(st.st_size - HASH_CHUNK)
            tail = fh.read(HASH_CHUNK)
        digest = hashlib.sha256(f"{st.st_size}\0".encode())
        digest.update(head)
        digest.update(tail)
        return FileState(name, st.st_size, st.st_mtime_ns, digest.hexdigest()), head
    except OSError:
        return FileState(name), b""
    finally:
        os.close(fd)


def record_files(record_path: Path) -> tuple[FileState, ...]:
    """States of the record's header and of the files it names (signal files, or segment headers)."""
    record_path = Path(record_path).absolute()
    header = record_path.with_name(record_path.name + ".hea")
    state, head = _fingerprint(header)
    states = [state]
    lines = [ln.split("#", 1)[0].split() for ln in head.decode("utf-8", "replace").splitlines()]
    lines = [ln for ln in lines if ln]
    if not lines:
        return tuple(states)
    multi_segment = "/" in lines[0][0]
    names: list[str] = []
    for fields in lines[1:]:
        if fields[0] not in ("~", "-") and fields[0] not in names:
            names.append(fields[0])
        if len(names) >= MAX_RECORD_FILES:
            break
    for name in names:
        states.append(FileState.of(header.parent / (f"{name}.hea" if multi_segment else name)))
    return tuple(states)


def default_annotation_path(record_path: Path, ext: str) -> Path:
    """``<record>.<ext>`` beside the record (absolute)."""
    record_path = Path(record_path).absolute()
    return record_path.with_name(f"{record_path.name}.{ext}")


def remember(doc: Document) -> tuple[tuple[FileState, ...], FileState]:
    """Record what ``doc``'s edits start from (its record files and annotation file, now); returns both.

    Called when a record is opened (by :func:`ecgstudio.app.autosave.pending_recovery`); recovery files
    written later carry this identity. Without it the first write takes it.
    """
    key = record_key(doc.record_path, doc.annotation_ext)
    files = record_files(doc.record_path)
    annotation = FileState.of(Path(doc.annotation_path()).absolute())
    with _lock:
        _record_bases[key] = files
        _annotation_bases[key] = annotation
    return files, annotation


def bases(record_path: Path, ext: str, annotation_path: Path | None) -> tuple[tuple[FileState, ...], FileState]:
    """What the edits of ``record_path``/``ext`` start from: remembered, or taken now (and remembered).

    ``annotation_path`` is the annotation file when none is remembered (default
    :func:`default_annotation_path`).
    """
    key = record_key(record_path, ext)
    with _lock:
        files, annotation = _record_bases.get(key), _annotation_bases.get(key)
    if files is None:
        files = record_files(record_path)
    if annotation is None:
        path = annotation_path or default_annotation_path(record_path, ext)
        annotation = FileState.of(Path(path).absolute())
    with _lock:
        return _record_bases.setdefault(key, files), _annotation_bases.setdefault(key, annotation)


def forget_annotation(record_path: Path, ext: str) -> None:
    """Forget the annotation file's state: the next write takes it anew (after a save, or when closing)."""
    with _lock:
        _annotation_bases.pop(record_key(record_path, ext), None)
