"""Crash-recovery files for unsaved edits (no Qt): the public face.

While a document has unsaved changes the GUI writes its editable tracks and
review spans every 30 s to ``user_data_dir()/autosave/<record>-<hash>.<ext>.<token>.json``:
``<hash>`` tells apart records of the same name in different folders and
``<token>`` is the writing process's, so every editor writes only its own file
and two editors of one record never overwrite or delete each other's edits.
Saving or closing cleanly deletes the process's own file (and the files it
restored); opening a record offers the newest usable file left by an editor
that no longer runs.

Rules (docs/ARCHITECTURE.md, "Files"), each in its own module:

* **owner** (:mod:`~ecgstudio.app.recovery_owner`): a file names its process
  (pid, host, a per-process token, the process start time). A file whose owner
  still runs on this computer, or that another computer wrote in the last
  :data:`REMOTE_IN_USE_S` seconds, is *in use*: not offered, not touched, and
  said so in a note.
* **identity** (:mod:`~ecgstudio.app.recovery_identity`): a file records the
  record's files (the header and each signal file: size, mtime and SHA-256 of
  the size, the first and the last MiB) and the annotation file as the edits
  started from (when the record was opened, or after the last save). Restoring
  onto a changed record or annotation file is offered with a one-line warning
  (:attr:`PendingRecovery.warning`).
* **never lost, never breaking** (:mod:`~ecgstudio.app.recovery_offer`): a file
  that cannot be used (invalid, for a record of another length or frequency,
  older than the annotations saved since) is moved aside to
  ``<file>.unusable-<time>`` with a one-line note (:func:`recovery_notes`,
  ``Document.notes``, the log), never deleted and never applied.
* **strict reading** (:mod:`~ecgstudio.app.recovery_read`): only regular files
  up to :data:`MAX_FILE_BYTES` (opened non-blocking, links refused), JSON nested
  at most :data:`MAX_DEPTH` deep (checked before parsing), numbers of at most 19
  digits, and every field checked: types (ints, not bools or floats), positions
  and spans inside the record.

The format (JSON, version 2) and writing are in
:mod:`~ecgstudio.app.recovery_format`. Files are written to a temporary name
and moved into place, so a crash during autosave never destroys the previous
recovery file. :class:`AutosaveWriter` does the writing in a background thread
(the GUI only takes a snapshot).
"""

from __future__ import annotations

import logging
import threading
import time
import weakref
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from ecgstudio.app.document import Document
from ecgstudio.app.recovery_format import (
    FORMAT_VERSION,
    Recovery,
    Snapshot,
    autosave_dir,
    recovery_path,
    write_recovery,
)
from ecgstudio.app.recovery_identity import (
    HASH_CHUNK,
    FileState,
    default_annotation_path,
    forget_annotation,
    record_files,
    record_key,
    remember,
)
from ecgstudio.app.recovery_offer import Expect, examine, same_file, set_aside
from ecgstudio.app.recovery_owner import REMOTE_IN_USE_S, Owner, this_process
from ecgstudio.app.recovery_read import MAX_DEPTH, MAX_FILE_BYTES, read_recovery
from ecgstudio.core.delineation import Delineation
from ecgstudio.core.errors import SaveError
from ecgstudio.core.waves import Wave

__all__ = [
    "DEFAULT_INTERVAL_S", "FORMAT_VERSION", "HASH_CHUNK", "MAX_DEPTH", "MAX_FILE_BYTES", "REMOTE_IN_USE_S",
    "AutosaveWriter", "FileState", "Owner", "PendingRecovery", "Recovery", "Snapshot", "adopt",
    "autosave_dir", "decline", "discard_recovery", "find_recovery", "pending_recovery", "read_recovery",
    "record_files", "recovery_notes", "recovery_path", "remember", "set_aside", "this_process",
    "write_recovery",
]

log = logging.getLogger(__name__)

#: Default autosave period of the GUI, in seconds.
DEFAULT_INTERVAL_S = 30.0

_lock = threading.Lock()
_adopted: dict[tuple[str, str], list[tuple[Path, tuple[int, ...] | None]]] = {}
_doc_notes: weakref.WeakKeyDictionary[Document, list[str]] = weakref.WeakKeyDictionary()


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
    path = Path(annotation_path or default_annotation_path(record_path, ext)).absolute()
    found, _warning_line, notes = examine(record_path, ext, record_files(record_path), FileState.of(path), None)
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
    expect = Expect(doc.n_samples, doc.fs, doc.record.n_leads)
    found, warning, notes = examine(doc.record_path, doc.annotation_ext, files, annotation, expect)
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
        _adopted.setdefault(record_key(rec.record_path, rec.ext), []).append((rec.path, rec.file_id))


def decline(pending: PendingRecovery | Recovery) -> bool:
    """The user declined ``pending``: delete its file if it is still the file read; ``True`` if deleted."""
    rec = _recovery_of(pending)
    if not same_file(rec.path, rec.file_id):
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
    key = record_key(record_path, ext)
    with _lock:
        adopted = _adopted.pop(key, [])
    forget_annotation(record_path, ext)
    try:
        recovery_path(record_path, ext).unlink(missing_ok=True)
    except OSError:
        pass
    for path, file_id in adopted:
        if same_file(path, file_id):
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
