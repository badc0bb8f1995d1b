"""Crash-recovery files for unsaved edits (no Qt).

While a document has unsaved changes the GUI writes its editable tracks and
review spans every 30 s to ``user_data_dir()/autosave/<record>-<hash>.<ext>.<token>.json``:
``<hash>`` tells apart records of the same name in different folders and
``<token>`` is the writing process's, so every editor writes only its own file
and two editors of one record never overwrite or delete each other's edits.
Saving or closing cleanly deletes the process's own file (and the files it
restored); opening a record offers the newest usable file left by an editor
that no longer runs.

Rules (docs/ARCHITECTURE.md, "Files"):

* **owner**: a file names its process (pid, host, a per-process token, the
  process start time). A file whose owner still runs on this computer, or that
  another computer wrote in the last :data:`REMOTE_IN_USE_S` seconds, is *in use*:
  not offered, not touched, and said so in a note.
* **identity**: a file records the record's files (the header and each signal
  file: size, mtime and SHA-256 of the size, the first and the last MiB) and the
  annotation file as the edits started from (when the record was opened, or
  after the last save). Restoring onto a changed record or annotation file is
  offered with a one-line warning (:attr:`PendingRecovery.warning`).
* **never lost, never breaking**: a file that cannot be used (invalid, for a record
  of another length or frequency, older than the annotations saved since) is
  moved aside to ``<file>.unusable-<time>`` with a one-line note
  (:func:`recovery_notes`, ``Document.notes``, the log), never deleted and never
  applied.
* **strict reading**: only regular files up to :data:`MAX_FILE_BYTES` (opened
  non-blocking, links refused), JSON nested at most :data:`MAX_DEPTH` deep
  (checked before parsing), numbers of at most 19 digits, and every field checked:
  types (ints, not bools or floats), positions and spans inside the record.

Format (JSON, version 2; version-1 files without owner and identity are still
read, and offered with a warning; wave fields as columns, which is several times
faster to write than one list per wave for a 24-hour track)::

    {"version": 2, "record_path": "/data/sel100", "ext": "ecgs", "saved_at": 1732500000.0,
     "fs": 250.0, "n_samples": 225000, "lead": null,
     "owner": {"pid": 4242, "host": "ws1", "token": "<32 hex>", "started": "81234"},
     "record_files": [{"path": "/data/sel100.hea", "size": 186, "mtime_ns": ..., "sha256": "..."}, ...],
     "annotation_file": {"path": "/data/sel100.ecgs", "size": null, "mtime_ns": null, "sha256": null},
     "kind": "PQT...",                 # one letter per wave: P, Q (QRS) or T
     "onset": [10, -1, ...], "peak": [...], "offset": [...],   # -1 = unknown
     "confidence": [0.93, -1.0, ...],  # -1 = none
     "symbol": {"1": "V"},             # wave index -> peak symbol, where one is set
     "reviewed": [[0, 2500], ...],     # half-open sample spans
     "more": [{"lead": 1, "kind": ..., ...}]}   # further editable tracks (optional)

Files are written to a temporary name and moved into place, so a crash during
autosave never destroys the previous recovery file. :class:`AutosaveWriter`
does the writing in a background thread (the GUI only takes a snapshot).
"""

from __future__ import annotations

import errno
import hashlib
import json
import logging
import math
import os
import re
import secrets
import socket
import stat
import sys
import threading
import time
import weakref
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from ecgstudio import atomic
from ecgstudio.app.document import Document
from ecgstudio.core.delineation import Delineation
from ecgstudio.core.errors import AnnotationError, SaveError
from ecgstudio.core.waves import Wave, WaveKind
from ecgstudio.paths import user_data_dir

log = logging.getLogger(__name__)

FORMAT_VERSION = 2

#: Default autosave period of the GUI, in seconds.
DEFAULT_INTERVAL_S = 30.0

#: Largest recovery file read (a 24-hour 12-lead per-lead track is far smaller).
MAX_FILE_BYTES = 256 << 20

#: Deepest JSON nesting read (the format nests 4 levels).
MAX_DEPTH = 6

#: A file another computer wrote this recently may belong to an editor still open there.
REMOTE_IN_USE_S = 600.0

#: Bytes hashed at each end of a record or annotation file.
HASH_CHUNK = 1 << 20

_MAX_RECORD_FILES = 64
_MAX_LEADS = 4096
_MAX_SAMPLES = 10**12
_EXT_RE = re.compile(r"[A-Za-z0-9_]{1,16}")
_TOKEN_RE = re.compile(r"[0-9a-f]{32}")
_SHA_RE = re.compile(r"[0-9a-f]{64}")
_INDEX_RE = re.compile(r"0|[1-9][0-9]{0,11}")
_SYMBOLS = frozenset(chr(c) for c in range(33, 127)) - {"(", ")"}
_NONBLOCK = getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0) | getattr(os, "O_CLOEXEC", 0)

_lock = threading.Lock()
_record_bases: dict[tuple[str, str], tuple[FileState, ...]] = {}
_annotation_bases: dict[tuple[str, str], FileState] = {}
_adopted: dict[tuple[str, str], list[tuple[Path, tuple[int, ...] | None]]] = {}
_doc_notes: weakref.WeakKeyDictionary[Document, list[str]] = weakref.WeakKeyDictionary()


def autosave_dir() -> Path:
    """Folder holding recovery files (``user_data_dir()/autosave``)."""
    return user_data_dir() / "autosave"


def _key(record_path: Path, ext: str) -> tuple[str, str]:
    return str(Path(record_path).absolute()), ext


def _stem(record_path: Path, ext: str) -> str:
    digest = hashlib.sha1(f"{Path(record_path).absolute()}|{ext}".encode()).hexdigest()[:12]
    return f"{Path(record_path).name}-{digest}.{ext}"


# ---------------------------------------------------------------------- owner
@dataclass(frozen=True)
class Owner:
    """The process that wrote a recovery file.

    Attributes
    ----------
    pid : int
        Its process id.
    host : str
        The computer's name.
    token : str
        32 hex digits drawn when the process first wrote (tells a later process
        with the same pid apart).
    started : str | None
        Its start time in clock ticks since boot (Linux), ``None`` where unknown.
    """

    pid: int
    host: str
    token: str
    started: str | None = None

    def as_json(self) -> dict[str, object]:
        return {"pid": self.pid, "host": self.host, "token": self.token, "started": self.started}


_owner: Owner | None = None


def _process_started(pid: int) -> str | None:
    """Start time of ``pid`` (``/proc/<pid>/stat`` field 22), ``None`` where there is no ``/proc``."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as fh:
            raw = fh.read(4096)
    except OSError:
        return None
    fields = raw[raw.rfind(b")") + 2:].split()
    return fields[19].decode("ascii", "replace") if len(fields) > 19 else None


def this_process() -> Owner:
    """The owner this process writes into its recovery files (made anew after a fork)."""
    global _owner
    pid = os.getpid()
    if _owner is None or _owner.pid != pid:
        _owner = Owner(pid, socket.gethostname(), secrets.token_hex(16), _process_started(pid))
    return _owner


def _pid_running(pid: int) -> bool:
    """Whether process ``pid`` exists on this computer (``True`` when it cannot be told)."""
    if sys.platform == "win32":
        return _windows_pid_running(pid)
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True  # EPERM: it exists, owned by someone else
    return True


def _windows_pid_running(pid: int) -> bool:  # pragma: no cover - Windows only
    import ctypes

    try:
        kernel32 = ctypes.windll.kernel32  # type: ignore[attr-defined]
        handle = kernel32.OpenProcess(0x1000, False, pid)  # PROCESS_QUERY_LIMITED_INFORMATION
        if not handle:
            return ctypes.GetLastError() == 5  # type: ignore[attr-defined]  # access denied: it exists
        try:
            code = ctypes.c_ulong()
            if not kernel32.GetExitCodeProcess(handle, ctypes.byref(code)):
                return True
            return code.value == 259  # STILL_ACTIVE
        finally:
            kernel32.CloseHandle(handle)
    except (AttributeError, OSError):
        return True


def _in_use(owner: Owner | None, written_at: float) -> str | None:
    """Why the file of ``owner`` (last written at ``written_at``) belongs to a running editor, or ``None``."""
    if owner is None:
        return None
    me = this_process()
    if owner.token == me.token:
        return None
    if owner.host != me.host:
        age = time.time() - written_at
        if age < REMOTE_IN_USE_S:
            return f"ECG Studio on {owner.host} wrote them {max(age, 0.0):.0f} s ago and may still be editing"
        return None
    if owner.pid == me.pid or not _pid_running(owner.pid):
        return None  # gone (a pid equal to ours is an earlier process: containers reuse pids)
    if owner.started is not None:
        started = _process_started(owner.pid)
        if started is not None and started != owner.started:
            return None  # the pid was reused by another process
    return f"another ECG Studio (pid {owner.pid}) is still editing them"


# ---------------------------------------------------------------------- identity
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
        fd = os.open(path, os.O_RDONLY | _NONBLOCK)
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
        if len(names) >= _MAX_RECORD_FILES:
            break
    for name in names:
        states.append(FileState.of(header.parent / (f"{name}.hea" if multi_segment else name)))
    return tuple(states)


def _default_annotation_path(record_path: Path, ext: str) -> Path:
    record_path = Path(record_path).absolute()
    return record_path.with_name(f"{record_path.name}.{ext}")


def remember(doc: Document) -> tuple[tuple[FileState, ...], FileState]:
    """Record what ``doc``'s edits start from (its record files and annotation file, now); returns both.

    Called when a record is opened (by :func:`pending_recovery`); recovery files
    written later carry this identity. Without it the first write takes it.
    """
    key = _key(doc.record_path, doc.annotation_ext)
    files = record_files(doc.record_path)
    annotation = FileState.of(Path(doc.annotation_path()).absolute())
    with _lock:
        _record_bases[key] = files
        _annotation_bases[key] = annotation
    return files, annotation


def _bases(record_path: Path, ext: str, annotation_path: Path | None) -> tuple[tuple[FileState, ...], FileState]:
    key = _key(record_path, ext)
    with _lock:
        files, annotation = _record_bases.get(key), _annotation_bases.get(key)
    if files is None:
        files = record_files(record_path)
    if annotation is None:
        path = annotation_path or _default_annotation_path(record_path, ext)
        annotation = FileState.of(Path(path).absolute())
    with _lock:
        return _record_bases.setdefault(key, files), _annotation_bases.setdefault(key, annotation)


def recovery_path(record_path: Path, ext: str) -> Path:
    """This process's recovery file for the ``ext`` annotations of ``record_path`` (may not exist)."""
    return autosave_dir() / f"{_stem(record_path, ext)}.{this_process().token[:12]}.json"


def _candidates(record_path: Path, ext: str) -> list[Path]:
    """Every recovery file of ``record_path``/``ext`` (any process's, and a version-1 file)."""
    pattern = re.compile(re.escape(_stem(record_path, ext)) + r"(?:\.[0-9a-f]{12})?\.json")
    folder = autosave_dir()
    try:
        with os.scandir(folder) as entries:
            names = sorted(e.name for e in entries if pattern.fullmatch(e.name))
    except OSError:
        return []
    return [folder / name for name in names]


# ---------------------------------------------------------------------- values
@dataclass(frozen=True)
class Recovery:
    """The content of a recovery file.

    Attributes
    ----------
    path : Path
        The recovery file.
    record_path : Path
        Record it belongs to (no extension).
    ext : str
        Annotation extension it stands in for.
    saved_at : float
        When it was written (seconds since the epoch).
    fs : float
        Sampling frequency in Hz of the track.
    n_samples : int
        Record length in samples.
    lead : int | None
        Lead of the track (``None`` = global).
    waves : tuple[Wave, ...]
        The editable track's waves.
    reviewed : tuple[tuple[int, int], ...]
        Reviewed half-open sample spans.
    more : tuple[tuple[int | None, tuple[Wave, ...]], ...]
        ``(lead, waves)`` of every further editable track (per-lead documents
        hold one track per lead; the first is ``lead``/``waves``).
    version : int
        Format version of the file.
    owner : Owner | None
        The process that wrote it (``None`` for version 1).
    record_files : tuple[FileState, ...]
        The record's files when the edits started (empty for version 1).
    annotation : FileState | None
        The annotation file when the edits started (``None`` for version 1).
    file_id : tuple[int, ...] | None
        ``(device, inode, size, mtime_ns)`` of the file as read (it is deleted
        or moved aside only while it is still that file).
    """

    path: Path
    record_path: Path
    ext: str
    saved_at: float
    fs: float
    n_samples: int
    lead: int | None
    waves: tuple[Wave, ...]
    reviewed: tuple[tuple[int, int], ...]
    more: tuple[tuple[int | None, tuple[Wave, ...]], ...] = ()
    version: int = FORMAT_VERSION
    owner: Owner | None = None
    record_files: tuple[FileState, ...] = ()
    annotation: FileState | None = None
    file_id: tuple[int, ...] | None = None

    def to_track(self, name: str) -> tuple[Delineation, list[Wave]]:
        """The recovered waves as a track (waves breaking a rule are dropped and returned)."""
        return Delineation.from_waves_lenient(self.waves, n_samples=self.n_samples, fs=self.fs,
                                              lead=self.lead, name=name)

    def to_tracks(self, names: dict[int | None, str]) -> tuple[list[Delineation], list[Wave]]:
        """Every recovered track (named by lead from ``names``) and the waves left out."""
        tracks: list[Delineation] = []
        dropped: list[Wave] = []
        for lead, waves in ((self.lead, self.waves), *self.more):
            track, lost = Delineation.from_waves_lenient(waves, n_samples=self.n_samples, fs=self.fs,
                                                         lead=lead, name=names.get(lead, self.ext))
            tracks.append(track)
            dropped.extend(lost)
        return tracks, dropped


_KIND_LETTER = {WaveKind.P: "P", WaveKind.QRS: "Q", WaveKind.T: "T"}
_LETTER_KIND = {v: k for k, v in _KIND_LETTER.items()}


@dataclass(frozen=True)
class Snapshot:
    """What a recovery file holds, taken on the GUI thread in O(n) list copies.

    Attributes
    ----------
    waves : tuple[Wave, ...]
        The editable track's waves (immutable values, safe to share with a thread).
    reviewed : tuple[tuple[int, int], ...]
        Reviewed half-open sample spans.
    fs, n_samples, lead
        The track's sampling frequency (Hz), length (samples) and lead.
    taken_at : float
        When the snapshot was taken (seconds since the epoch).
    more : tuple[tuple[int | None, tuple[Wave, ...]], ...]
        ``(lead, waves)`` of further editable tracks.
    """

    waves: tuple[Wave, ...]
    reviewed: tuple[tuple[int, int], ...]
    fs: float
    n_samples: int
    lead: int | None
    taken_at: float
    more: tuple[tuple[int | None, tuple[Wave, ...]], ...] = ()

    @classmethod
    def of(cls, track: Delineation | Sequence[Delineation],
           reviewed: Iterable[tuple[int, int]] = ()) -> Snapshot:
        """Snapshot of ``track`` (or of several editable tracks, first one first) and the reviewed spans."""
        tracks = [track] if isinstance(track, Delineation) else list(track)
        first = tracks[0]
        more = tuple((t.lead, t.waves) for t in tracks[1:])
        return cls(first.waves, tuple((int(a), int(b)) for a, b in reviewed), first.fs,
                   first.n_samples, first.lead, time.time(), more)


def _columns(waves: Sequence[Wave]) -> dict[str, object]:
    return {
        "kind": "".join(_KIND_LETTER[w.kind] for w in waves),
        "onset": [-1 if w.onset is None else w.onset for w in waves],
        "peak": [-1 if w.peak is None else w.peak for w in waves],
        "offset": [w.offset for w in waves],
        "confidence": [-1.0 if w.confidence is None else round(w.confidence, 4) for w in waves],
        "symbol": {str(i): w.symbol for i, w in enumerate(waves) if w.symbol},
    }


# ---------------------------------------------------------------------- writing
def write_recovery(
    record_path: Path,
    ext: str,
    track: Delineation | Snapshot,
    reviewed: Iterable[tuple[int, int]] = (),
    *,
    annotation_path: Path | None = None,
) -> Path:
    """Write (replace) this process's recovery file of ``record_path``/``ext``.

    Parameters
    ----------
    record_path : Path
        Record path without extension.
    ext : str
        Annotation extension the editable track is saved under.
    track : Delineation | Snapshot
        The editable track (its waves are written), or a :class:`Snapshot`
        taken earlier (then ``reviewed`` is ignored).
    reviewed : Iterable[tuple[int, int]]
        Reviewed half-open sample spans.
    annotation_path : Path | None
        The annotation file the edits started from, when :func:`remember` was
        not called (default: ``<record>.<ext>`` beside the record).

    Returns
    -------
    Path
        The recovery file (:func:`recovery_path`).

    Raises
    ------
    SaveError
        If the autosave folder cannot be written.
    """
    snap = track if isinstance(track, Snapshot) else Snapshot.of(track, reviewed)
    target = recovery_path(record_path, ext)
    files, annotation = _bases(record_path, ext, annotation_path)
    payload = {
        "version": FORMAT_VERSION,
        "record_path": str(Path(record_path).absolute()),
        "ext": ext,
        "saved_at": snap.taken_at,
        "fs": snap.fs,
        "n_samples": snap.n_samples,
        "lead": snap.lead,
        "owner": this_process().as_json(),
        "record_files": [f.as_json() for f in files],
        "annotation_file": annotation.as_json(),
        **_columns(snap.waves),
        "reviewed": [[int(a), int(b)] for a, b in snap.reviewed],
    }
    if snap.more:
        payload["more"] = [{"lead": lead, **_columns(waves)} for lead, waves in snap.more]
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        atomic.write_text(target, json.dumps(payload, separators=(",", ":")))
    except OSError as exc:
        raise SaveError(f"{target}: cannot write autosave file ({exc.strerror or exc})") from None
    return target


# ---------------------------------------------------------------------- reading
class _Unusable(ValueError):
    """The file is not a recovery file that can be used (one-line reason)."""


def _read_bytes(path: Path) -> tuple[bytes, os.stat_result]:
    """The bytes of a regular file of at most :data:`MAX_FILE_BYTES` (links and FIFOs refused, never blocks)."""
    try:
        fd = os.open(path, os.O_RDONLY | _NONBLOCK | getattr(os, "O_NOFOLLOW", 0))
    except OSError as exc:
        if exc.errno in (errno.ELOOP, errno.ENXIO, errno.EMLINK):
            raise _Unusable("a link or special file, not a regular file") from None
        raise
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise _Unusable("not a regular file")
        if st.st_size > MAX_FILE_BYTES:
            raise _Unusable(f"larger than {MAX_FILE_BYTES >> 20} MiB")
        with os.fdopen(fd, "rb", closefd=False) as fh:
            raw = fh.read(MAX_FILE_BYTES + 1)
        if len(raw) > MAX_FILE_BYTES:
            raise _Unusable(f"larger than {MAX_FILE_BYTES >> 20} MiB")
        return raw, st
    finally:
        os.close(fd)


_JSON_TOKEN = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"|[\[\]{}]|(?<![0-9])[0-9]{20,}')


def _check_text(text: str) -> None:
    """Refuse JSON nested deeper than :data:`MAX_DEPTH`, or with a number of 20 digits or more.

    Checked before ``json.loads``, which would recurse once per level and
    convert every digit of a huge number.
    """
    depth = 0
    for match in _JSON_TOKEN.finditer(text):
        token = match.group()
        if token in "[{":
            depth += 1
            if depth > MAX_DEPTH:
                raise _Unusable(f"JSON nested deeper than {MAX_DEPTH} levels")
        elif token in "]}":
            depth -= 1
        elif token[0] != '"':
            raise _Unusable(f"a number of {len(token)} digits")


def _no_constant(name: str) -> object:
    raise _Unusable(f"{name} is not a number")


def _load(path: Path) -> tuple[dict, os.stat_result]:
    raw, st = _read_bytes(path)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise _Unusable("not UTF-8 text") from None
    _check_text(text)
    try:
        data = json.loads(text, parse_constant=_no_constant)
    except json.JSONDecodeError as exc:
        raise _Unusable(f"not valid JSON ({exc.msg} at line {exc.lineno})") from None
    if not isinstance(data, dict):
        raise _Unusable("not a JSON object")
    return data, st


def _type(value: object) -> str:
    return "null" if value is None else type(value).__name__


def _int(value: object, what: str, lo: int, hi: int) -> int:
    if type(value) is not int:
        raise _Unusable(f"{what} is {_type(value)}, not an integer")
    if not lo <= value <= hi:
        raise _Unusable(f"{what} {value} is outside {lo}..{hi}")
    return value


def _number(value: object, what: str, lo: float, hi: float) -> float:
    if type(value) not in (int, float):
        raise _Unusable(f"{what} is {_type(value)}, not a number")
    number = float(value)  # type: ignore[arg-type]
    if not math.isfinite(number) or not lo <= number <= hi:
        raise _Unusable(f"{what} {value} is outside {lo:g}..{hi:g}")
    return number


def _text(value: object, what: str, max_len: int, pattern: re.Pattern[str] | None = None) -> str:
    if type(value) is not str:
        raise _Unusable(f"{what} is {_type(value)}, not text")
    if len(value) > max_len or "\0" in value or (pattern is not None and not pattern.fullmatch(value)):
        raise _Unusable(f"{what} is not valid")
    return value


def _fields(value: object, what: str, required: set[str], optional: frozenset[str] = frozenset()) -> dict:
    if type(value) is not dict:
        raise _Unusable(f"{what} is {_type(value)}, not an object")
    missing = sorted(required - value.keys())
    if missing:
        raise _Unusable(f"{what} has no {missing[0]!r}")
    unknown = sorted(value.keys() - required - optional)
    if unknown:
        raise _Unusable(f"{what} has an unknown field {unknown[0][:40]!r}")
    return value


def _column(data: dict, name: str, where: str, n: int, lo: int, hi: int) -> list[int]:
    values = data[name]
    if type(values) is not list:
        raise _Unusable(f"{where}{name!r} is {_type(values)}, not a list")
    if len(values) != n:
        raise _Unusable(f"{where}{name!r} has {len(values)} values for {n} waves")
    if values and (set(map(type, values)) != {int} or min(values) < lo or max(values) > hi):
        i, bad = next((i, v) for i, v in enumerate(values) if type(v) is not int or not lo <= v <= hi)
        _int(bad, f"{where}{name!r}[{i}]", lo, hi)
    return values


_COLUMNS = {"kind", "onset", "peak", "offset", "confidence", "symbol"}


def _waves(data: dict, where: str, lead: int | None, n_samples: int) -> tuple[Wave, ...]:
    kinds = _text(data["kind"], f"{where}'kind'", 10**9)
    wrong = set(kinds) - set(_LETTER_KIND)
    if wrong:
        raise _Unusable(f"{where}'kind' holds {min(wrong)!r}, not P, Q or T")
    n, last = len(kinds), n_samples - 1
    onsets = _column(data, "onset", where, n, -1, last)
    peaks = _column(data, "peak", where, n, -1, last)
    offsets = _column(data, "offset", where, n, 0, last)
    confidences = data["confidence"]
    if type(confidences) is not list or len(confidences) != n:
        raise _Unusable(f"{where}'confidence' is not a list of {n} numbers")
    for i, c in enumerate(confidences):
        if type(c) not in (int, float) or not (c == -1 or 0 <= c <= 1):
            raise _Unusable(f"{where}'confidence'[{i}] {c!r} is neither -1 nor in 0..1")
    symbols = data["symbol"]
    if type(symbols) is not dict:
        raise _Unusable(f"{where}'symbol' is {_type(symbols)}, not an object")
    for key, symbol in symbols.items():
        if not _INDEX_RE.fullmatch(key) or int(key) >= n:
            raise _Unusable(f"{where}'symbol' names wave {key[:20]!r} of {n}")
        if type(symbol) is not str or symbol not in _SYMBOLS:
            raise _Unusable(f"{where}'symbol' of wave {key} is {str(symbol)[:20]!r}, not a WFDB symbol")
    return tuple(
        Wave(_LETTER_KIND[letter], None if onsets[i] < 0 else onsets[i], None if peaks[i] < 0 else peaks[i],
             offsets[i], lead, symbols.get(str(i)), None if confidences[i] < 0 else float(confidences[i]))
        for i, letter in enumerate(kinds)
    )


def _lead(value: object, what: str) -> int | None:
    return None if value is None else _int(value, what, 0, _MAX_LEADS - 1)


def _owner_field(value: object) -> Owner:
    data = _fields(value, "'owner'", {"pid", "host", "token", "started"})
    started = data["started"]
    return Owner(_int(data["pid"], "'owner' pid", 1, 2**32), _text(data["host"], "'owner' host", 255),
                 _text(data["token"], "'owner' token", 32, _TOKEN_RE),
                 None if started is None else _text(started, "'owner' start", 32))


def _state_field(value: object, what: str) -> FileState:
    data = _fields(value, what, {"path", "size", "mtime_ns", "sha256"})
    path = _text(data["path"], f"{what} path", 4096)
    if data["size"] is None:
        if data["mtime_ns"] is not None or data["sha256"] is not None:
            raise _Unusable(f"{what} has a hash without a size")
        return FileState(path)
    return FileState(path, _int(data["size"], f"{what} size", 0, 2**62),
                     _int(data["mtime_ns"], f"{what} mtime", -(2**62), 2**62),
                     _text(data["sha256"], f"{what} hash", 64, _SHA_RE))


_TOP_V1 = {"version", "record_path", "ext", "saved_at", "fs", "n_samples", "lead", "reviewed"} | _COLUMNS
_TOP_V2 = _TOP_V1 | {"owner", "record_files", "annotation_file"}


def _parse(data: dict, path: Path, st: os.stat_result | None) -> Recovery:
    """A :class:`Recovery` from the parsed JSON, every field checked (raises :class:`_Unusable`)."""
    version = _int(data.get("version"), "'version'", 1, FORMAT_VERSION)
    _fields(data, "the file", _TOP_V1 if version == 1 else _TOP_V2, frozenset({"more"}))
    n_samples = _int(data["n_samples"], "'n_samples'", 1, _MAX_SAMPLES)
    lead = _lead(data["lead"], "'lead'")
    waves = _waves(data, "", lead, n_samples)
    more_items = data.get("more", [])
    if type(more_items) is not list or len(more_items) >= _MAX_LEADS:
        raise _Unusable("'more' is not a list of tracks")
    more = []
    leads = {lead}
    for i, item in enumerate(more_items):
        where = f"'more'[{i}] "
        _fields(item, where.strip(), {"lead"} | _COLUMNS)
        item_lead = _lead(item["lead"], f"{where}lead")
        if item_lead in leads:
            raise _Unusable(f"{where}repeats lead {item_lead}")
        leads.add(item_lead)
        more.append((item_lead, _waves(item, where, item_lead, n_samples)))
    spans = data["reviewed"]
    if type(spans) is not list:
        raise _Unusable(f"'reviewed' is {_type(spans)}, not a list")
    reviewed = []
    for i, span in enumerate(spans):
        if type(span) is not list or len(span) != 2:
            raise _Unusable(f"'reviewed'[{i}] is not a [start, stop] pair")
        start = _int(span[0], f"'reviewed'[{i}] start", 0, n_samples - 1)
        reviewed.append((start, _int(span[1], f"'reviewed'[{i}] stop", start + 1, n_samples)))
    owner, files, annotation = None, (), None
    if version >= 2:
        owner = _owner_field(data["owner"])
        states = data["record_files"]
        if type(states) is not list or not 1 <= len(states) <= _MAX_RECORD_FILES + 1:
            raise _Unusable("'record_files' is not a list of file states")
        files = tuple(_state_field(s, f"'record_files'[{i}]") for i, s in enumerate(states))
        annotation = _state_field(data["annotation_file"], "'annotation_file'")
    file_id = None if st is None else (st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns)
    return Recovery(
        path=Path(path),
        record_path=Path(_text(data["record_path"], "'record_path'", 4096)),
        ext=_text(data["ext"], "'ext'", 16, _EXT_RE),
        saved_at=_number(data["saved_at"], "'saved_at'", 0.0, 1e11),
        fs=_number(data["fs"], "'fs'", 1e-3, 1e6),
        n_samples=n_samples,
        lead=lead,
        waves=waves,
        reviewed=tuple(reviewed),
        more=tuple(more),
        version=version,
        owner=owner,
        record_files=files,
        annotation=annotation,
        file_id=file_id,
    )


def read_recovery(path: Path) -> Recovery:
    """Read a recovery file, checking every field.

    Raises
    ------
    AnnotationError
        If the file is unreadable, not a regular file, too large, too deeply
        nested or not a valid recovery file (one line naming the problem).
    """
    try:
        data, st = _load(Path(path))
        return _parse(data, Path(path), st)
    except OSError as exc:
        raise AnnotationError(f"{path}: cannot read autosave file ({exc.strerror or exc})") from None
    except (ValueError, RecursionError) as exc:
        raise AnnotationError(f"{path}: not a valid autosave file ({exc})") from None


def _owner_of(data: dict) -> Owner | None:
    try:
        return _owner_field(data.get("owner"))
    except _Unusable:
        return None


# ---------------------------------------------------------------------- deciding what to offer
@dataclass(frozen=True)
class PendingRecovery:
    """A recovery file worth offering for an opened document, already turned into a track.

    Attributes
    ----------
    recovery : Recovery
        The file's content.
    track : Delineation
        Its waves as a valid track (same length as the document's record).
    dropped : list[Wave]
        Waves of the file that broke a rule and were left out.
    tracks : list[Delineation]
        Every recovered editable track (``track`` first).
    warning : str | None
        One line to show with the restore question: the record's files or the
        annotation file changed since the edits were autosaved (``None``: no doubt).
    """

    recovery: Recovery
    track: Delineation
    dropped: list[Wave]
    tracks: list[Delineation] = field(default_factory=list)
    warning: str | None = None


@dataclass(frozen=True)
class _Expect:
    """What the opened document says the recovery must fit."""

    n_samples: int
    fs: float
    n_leads: int


def _one_line(text: str, limit: int = 200) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _same_file(path: Path, file_id: tuple[int, ...] | None) -> bool:
    if file_id is None:
        return True
    try:
        st = os.lstat(path)
    except OSError:
        return False
    return (st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns) == tuple(file_id)


def set_aside(path: Path, file_id: tuple[int, ...] | None = None) -> Path | None:
    """Move a recovery file to ``<file>.unusable-<time>`` (never deleted); the new path, ``None`` if it stayed.

    With ``file_id`` the file is moved only while it is still the file read.
    """
    path = Path(path)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    for i in range(100):
        target = path.with_name(f"{path.name}.unusable-{stamp}{f'-{i}' if i else ''}")
        if os.path.lexists(target):
            continue
        if not _same_file(path, file_id):
            return None
        try:
            os.rename(path, target)
        except OSError:
            return None
        return target
    return None


def _aside_note(name: str, path: Path, file_id: tuple[int, ...] | None, reason: str) -> str:
    moved = set_aside(path, file_id)
    where = f"kept as {moved.name}" if moved else f"left as {path.name}"
    return _one_line(f"Autosaved edits of {name} cannot be used ({_one_line(reason, 120)}); {where}", 400)


def _mismatch(rec: Recovery, record_path: Path, ext: str, expect: _Expect | None) -> str | None:
    """Why ``rec`` does not belong to this record as it is now (``None``: it fits)."""
    if str(rec.record_path) != str(Path(record_path).absolute()) or rec.ext != ext:
        return f"written for {_one_line(str(rec.record_path), 80)}.{rec.ext}"
    if expect is None:
        return None
    if rec.n_samples != expect.n_samples:
        return f"made on a record of {rec.n_samples} samples; it now has {expect.n_samples}"
    if not math.isclose(rec.fs, expect.fs, rel_tol=1e-9):
        return f"made at {rec.fs:g} Hz; the record is now {expect.fs:g} Hz"
    leads = [lead for lead, _ in ((rec.lead, ()), *rec.more) if lead is not None and lead >= expect.n_leads]
    if leads:
        return f"lead {leads[0]} but the record now has {expect.n_leads} leads"
    return None


def _stale(rec: Recovery, annotation: FileState) -> str | None:
    """Why ``rec`` is older than the annotations saved since (``None``: it is not)."""
    if rec.annotation is not None and rec.annotation.path == annotation.path and rec.annotation.same_as(annotation):
        return None
    if annotation.exists and annotation.mtime_ns is not None and annotation.mtime_ns / 1e9 >= rec.saved_at:
        return f"{Path(annotation.path).name} was saved after them"
    return None


def _warning(rec: Recovery, files: tuple[FileState, ...], annotation: FileState) -> str | None:
    """One line on what changed since ``rec``'s edits started (``None``: nothing)."""
    if rec.version < 2 or rec.annotation is None:
        return "They were autosaved by an older ECG Studio, so the record files could not be checked"
    parts = []
    before = {f.path: f for f in rec.record_files}
    now = {f.path: f for f in files}
    changed = [Path(p).name for p in sorted(before.keys() | now.keys())
               if p not in before or p not in now or not before[p].same_as(now[p])]
    if changed:
        names = ", ".join(changed[:3]) + (", …" if len(changed) > 3 else "")
        parts.append(f"the record's files changed since these edits were autosaved ({names}): "
                     "check that the waves still fit the signal")
    if rec.annotation.path != annotation.path:
        parts.append(f"they were made on the annotation file {Path(rec.annotation.path).name} of another folder")
    elif not rec.annotation.same_as(annotation):
        parts.append(f"the annotation file {Path(annotation.path).name} changed since they were autosaved; "
                     "restoring replaces that version")
    if not parts:
        return None
    text = "; ".join(parts)
    return _one_line(text[0].upper() + text[1:], 300)


def _examine(record_path: Path, ext: str, files: tuple[FileState, ...], annotation: FileState,
             expect: _Expect | None) -> tuple[Recovery | None, str | None, list[str]]:
    """The recovery to offer, its warning, and a note on every file not offered (moved aside if unusable)."""
    name = Path(record_path).name
    notes: list[str] = []
    usable: list[Recovery] = []
    for path in _candidates(record_path, ext):
        try:
            data, st = _load(path)
        except OSError as exc:
            notes.append(_one_line(f"Autosaved edits of {name} cannot be read ({exc.strerror or exc}); "
                                   f"left as {path.name}"))
            continue
        except (ValueError, RecursionError) as exc:
            notes.append(_aside_note(name, path, None, str(exc)))
            continue
        busy = _in_use(_owner_of(data), st.st_mtime)
        if busy:
            notes.append(_one_line(f"Autosaved edits of {name} are in use: {busy}; not offered, "
                                   f"left untouched ({path.name})"))
            continue
        try:
            rec = _parse(data, path, st)
            problem = _mismatch(rec, record_path, ext, expect) or _stale(rec, annotation)
        except (ValueError, RecursionError) as exc:
            problem = str(exc)
        if problem:
            notes.append(_aside_note(name, path, (st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns), problem))
            continue
        usable.append(rec)
    if not usable:
        return None, None, notes
    usable.sort(key=lambda r: r.saved_at)
    chosen = usable[-1]
    if len(usable) > 1:
        notes.append(f"{len(usable) - 1} older autosave(s) of {name} kept in {autosave_dir()} for later")
    return chosen, _warning(chosen, files, annotation), notes


def _note(doc: Document, notes: Sequence[str]) -> None:
    for note in notes:
        log.warning("%s", note)
        if note not in doc.notes:
            doc.notes.append(note)
    with _lock:
        kept = _doc_notes.setdefault(doc, [])
        kept.extend(n for n in notes if n not in kept)


def recovery_notes(doc: Document) -> tuple[str, ...]:
    """One line per recovery file of ``doc`` that :func:`pending_recovery` did not offer, and why."""
    with _lock:
        return tuple(_doc_notes.get(doc, ()))


def find_recovery(record_path: Path, ext: str, annotation_path: Path | None = None) -> Recovery | None:
    """The newest usable recovery file of ``record_path``/``ext``, if one is worth offering.

    One is offered when it is valid, its editor no longer runs, and it is not
    older than annotations saved to ``annotation_path`` (default
    ``<record>.<ext>``) since; unusable ones are moved aside (logged).
    """
    path = Path(annotation_path or _default_annotation_path(record_path, ext)).absolute()
    found, _warning_line, notes = _examine(record_path, ext, record_files(record_path), FileState.of(path), None)
    for note in notes:
        log.warning("%s", note)
    return found


def pending_recovery(doc: Document) -> PendingRecovery | None:
    """The recovery of ``doc``'s editable tracks worth offering (slow: run off the GUI thread).

    Also records what the document's edits start from (:func:`remember`).
    ``None`` when there is none; files not offered (in use by another editor,
    unusable, older than the saved annotations) are noted in ``doc.notes`` and
    :func:`recovery_notes`, and the unusable ones moved aside.
    """
    track = doc.editable_track
    if track is None:
        return None
    files, annotation = remember(doc)
    expect = _Expect(doc.n_samples, doc.fs, doc.record.n_leads)
    found, warning, notes = _examine(doc.record_path, doc.annotation_ext, files, annotation, expect)
    _note(doc, notes)
    if found is None:
        return None
    restored, _lost = found.to_track(track.name)
    names = {t.lead: t.name for t in doc.editable_tracks}
    tracks, dropped = found.to_tracks(names)
    return PendingRecovery(found, restored, dropped, tracks, warning)


def _recovery_of(pending: PendingRecovery | Recovery) -> Recovery:
    return pending.recovery if isinstance(pending, PendingRecovery) else pending


def adopt(pending: PendingRecovery | Recovery) -> None:
    """The user restored ``pending``: its file is deleted with this process's own (:func:`discard_recovery`)."""
    rec = _recovery_of(pending)
    with _lock:
        _adopted.setdefault(_key(rec.record_path, rec.ext), []).append((rec.path, rec.file_id))


def decline(pending: PendingRecovery | Recovery) -> bool:
    """The user declined ``pending``: delete its file if it is still the file read; ``True`` if deleted."""
    rec = _recovery_of(pending)
    if not _same_file(rec.path, rec.file_id):
        return False
    try:
        rec.path.unlink()
    except OSError:
        return False
    return True


def discard_recovery(record_path: Path, ext: str) -> None:
    """Delete this process's recovery file of ``record_path``/``ext`` and the files it restored.

    Another editor's file is never deleted. What the edits start from is taken
    again at the next write (the annotation file was just saved, or is left).
    """
    key = _key(record_path, ext)
    with _lock:
        adopted = _adopted.pop(key, [])
        _annotation_bases.pop(key, None)
    try:
        recovery_path(record_path, ext).unlink(missing_ok=True)
    except OSError:
        pass
    for path, file_id in adopted:
        if _same_file(path, file_id):
            try:
                path.unlink()
            except OSError:
                pass


# ---------------------------------------------------------------------- background writer
class AutosaveWriter:
    """Writes recovery files in one background thread; the newest request wins.

    :meth:`submit` returns at once. A request queued while a write runs
    replaces any older queued one. :meth:`discard` cancels what is queued for
    a record and deletes its file after the running write (so a late write can
    never resurrect a file the user discarded).
    """

    def __init__(self) -> None:
        self._lock = threading.Condition()
        self._pending: dict[tuple[Path, str], tuple[Snapshot, Path | None]] = {}
        self._discarded: set[tuple[Path, str]] = set()
        self._busy = False
        self._closed = False
        self.last_error: str | None = None
        self._thread = threading.Thread(target=self._run, name="ecgstudio-autosave", daemon=True)
        self._thread.start()

    def submit(self, record_path: Path, ext: str, snapshot: Snapshot, *,
               annotation_path: Path | None = None) -> None:
        """Queue a write of ``snapshot`` as the recovery file of ``record_path``/``ext``."""
        key = (Path(record_path), ext)
        with self._lock:
            self._discarded.discard(key)
            self._pending[key] = (snapshot, annotation_path)
            self._lock.notify_all()

    def discard(self, record_path: Path, ext: str) -> None:
        """Forget queued writes for the record and delete its recovery file."""
        key = (Path(record_path), ext)
        with self._lock:
            self._pending.pop(key, None)
            self._discarded.add(key)
            while self._busy:
                self._lock.wait()
        discard_recovery(record_path, ext)

    def wait(self, timeout_s: float = 10.0) -> bool:
        """Block until nothing is queued or being written; ``False`` on timeout."""
        end = time.monotonic() + timeout_s
        with self._lock:
            while self._pending or self._busy:
                left = end - time.monotonic()
                if left <= 0:
                    return False
                self._lock.wait(left)
        return True

    def close(self) -> None:
        """Finish queued writes and stop the thread."""
        self.wait()
        with self._lock:
            self._closed = True
            self._lock.notify_all()
        self._thread.join(timeout=5.0)

    def _run(self) -> None:
        while True:
            with self._lock:
                while not self._pending and not self._closed:
                    self._lock.wait()
                if self._closed and not self._pending:
                    return
                key, (snap, annotation_path) = next(iter(self._pending.items()))
                del self._pending[key]
                self._busy = True
            try:
                write_recovery(key[0], key[1], snap, annotation_path=annotation_path)
                self.last_error = None
            except SaveError as exc:
                self.last_error = str(exc)
            finally:
                with self._lock:
                    self._busy = False
                    if key in self._discarded:
                        discard_recovery(*key)
                    self._lock.notify_all()
