"""Crash-recovery files for unsaved edits (no Qt).

While a document has unsaved changes the GUI writes its editable track and
review spans every 30 s to ``user_data_dir()/autosave/<record>-<hash>.<ext>.json``
(the hash tells apart records of the same name in different folders). Saving
or closing cleanly deletes the file; opening a record whose recovery file is
newer than its saved annotation file offers to restore it.

Format (JSON, version 1; wave fields as columns, which is several times
faster to write than one list per wave for a 24-hour track)::

    {"version": 1, "record_path": "/data/sel100", "ext": "ecgs", "saved_at": 1732500000.0,
     "fs": 250.0, "n_samples": 225000, "lead": null,
     "kind": "PQT...",                 # one letter per wave: P, Q (QRS) or T
     "onset": [10, -1, ...], "peak": [...], "offset": [...],   # -1 = unknown
     "confidence": [0.93, -1.0, ...],  # -1 = none
     "symbol": {"1": "V"},             # wave index -> peak symbol, where one is set
     "reviewed": [[0, 2500], ...]}     # half-open sample spans

Files are written to a temporary name and moved into place, so a crash during
autosave never destroys the previous recovery file. :class:`AutosaveWriter`
does the writing in a background thread (the GUI only takes a snapshot).
"""

from __future__ import annotations

import hashlib
import json
import threading
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from ecgstudio import atomic
from ecgstudio.app.document import Document
from ecgstudio.core.delineation import Delineation
from ecgstudio.core.errors import AnnotationError, SaveError
from ecgstudio.core.waves import Wave, WaveKind
from ecgstudio.paths import user_data_dir

FORMAT_VERSION = 1

#: Default autosave period of the GUI, in seconds.
DEFAULT_INTERVAL_S = 30.0


def autosave_dir() -> Path:
    """Folder holding recovery files (``user_data_dir()/autosave``)."""
    return user_data_dir() / "autosave"


def recovery_path(record_path: Path, ext: str) -> Path:
    """Recovery file for the ``ext`` annotations of ``record_path`` (may not exist)."""
    key = f"{Path(record_path).absolute()}|{ext}".encode()
    digest = hashlib.sha1(key).hexdigest()[:12]
    return autosave_dir() / f"{Path(record_path).name}-{digest}.{ext}.json"


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


def _waves_from_columns(data: dict, lead: int | None) -> tuple[Wave, ...]:
    kinds, onsets, peaks, offsets = data["kind"], data["onset"], data["peak"], data["offset"]
    confidences, symbols = data["confidence"], data["symbol"]
    if not len(kinds) == len(onsets) == len(peaks) == len(offsets) == len(confidences):
        raise ValueError("wave columns differ in length")
    out = []
    for i, letter in enumerate(kinds):
        onset, peak, conf = int(onsets[i]), int(peaks[i]), float(confidences[i])
        symbol = symbols.get(str(i))
        out.append(Wave(_LETTER_KIND[letter], None if onset < 0 else onset, None if peak < 0 else peak,
                        int(offsets[i]), lead, None if symbol is None else str(symbol),
                        None if conf < 0 else conf))
    return tuple(out)


def write_recovery(
    record_path: Path,
    ext: str,
    track: Delineation | Snapshot,
    reviewed: Iterable[tuple[int, int]] = (),
) -> Path:
    """Write (replace) the recovery file of ``record_path``/``ext``.

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

    Returns
    -------
    Path
        The recovery file.

    Raises
    ------
    SaveError
        If the autosave folder cannot be written.
    """
    snap = track if isinstance(track, Snapshot) else Snapshot.of(track, reviewed)
    target = recovery_path(record_path, ext)
    payload = {
        "version": FORMAT_VERSION,
        "record_path": str(Path(record_path).absolute()),
        "ext": ext,
        "saved_at": snap.taken_at,
        "fs": snap.fs,
        "n_samples": snap.n_samples,
        "lead": snap.lead,
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


def read_recovery(path: Path) -> Recovery:
    """Read a recovery file.

    Raises
    ------
    AnnotationError
        If the file is unreadable or not a version-1 recovery file.
    """
    try:
        with open(path, encoding="utf-8") as fh:
            data = json.load(fh)
        if data.get("version") != FORMAT_VERSION:
            raise ValueError(f"unsupported version {data.get('version')!r}")
        lead = data.get("lead")
        lead = None if lead is None else int(lead)
        return Recovery(
            path=Path(path),
            record_path=Path(data["record_path"]),
            ext=str(data["ext"]),
            saved_at=float(data["saved_at"]),
            fs=float(data["fs"]),
            n_samples=int(data["n_samples"]),
            lead=lead,
            waves=_waves_from_columns(data, lead),
            reviewed=tuple((int(a), int(b)) for a, b in data["reviewed"]),
            more=tuple(_more_tracks(data.get("more", []))),
        )
    except OSError as exc:
        raise AnnotationError(f"{path}: cannot read autosave file ({exc.strerror or exc})") from None
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise AnnotationError(f"{path}: not a valid autosave file ({exc})") from None


def _more_tracks(items: object) -> list[tuple[int | None, tuple[Wave, ...]]]:
    if not isinstance(items, list):
        raise ValueError("'more' must be a list")
    out = []
    for item in items:
        lead = item["lead"]
        lead = None if lead is None else int(lead)
        out.append((lead, _waves_from_columns(item, lead)))
    return out


def find_recovery(record_path: Path, ext: str, annotation_path: Path | None = None) -> Recovery | None:
    """The recovery file of ``record_path``/``ext`` if it is worth offering.

    A recovery file is offered when it exists, is readable, and is newer than
    ``annotation_path`` (the saved annotation file) or that file does not exist.
    An unreadable recovery file is ignored (``None``).
    """
    path = recovery_path(record_path, ext)
    if not path.is_file():
        return None
    try:
        recovery = read_recovery(path)
    except AnnotationError:
        return None
    if annotation_path is not None and annotation_path.is_file():
        if annotation_path.stat().st_mtime >= recovery.saved_at:
            return None
    return recovery


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
    """

    recovery: Recovery
    track: Delineation
    dropped: list[Wave]
    tracks: list[Delineation] = field(default_factory=list)


def pending_recovery(doc: Document) -> PendingRecovery | None:
    """The recovery of ``doc``'s editable track if it is newer than its saved file (slow: run off the GUI thread).

    ``None`` when there is no such file, it is unreadable, older than the
    saved annotation file, or written for a record of another length.
    """
    track = doc.editable_track
    if track is None:
        return None
    found = find_recovery(doc.record_path, doc.annotation_ext, doc.annotation_path())
    if found is None or found.n_samples != track.n_samples:
        return None
    restored, dropped = found.to_track(track.name)
    names = {t.lead: t.name for t in doc.editable_tracks}
    tracks, dropped = found.to_tracks(names)
    return PendingRecovery(found, restored, dropped, tracks)


def discard_recovery(record_path: Path, ext: str) -> None:
    """Delete the recovery file of ``record_path``/``ext`` if there is one."""
    path = recovery_path(record_path, ext)
    try:
        path.unlink(missing_ok=True)
    except OSError:
        pass


class AutosaveWriter:
    """Writes recovery files in one background thread; the newest request wins.

    :meth:`submit` returns at once. A request queued while a write runs
    replaces any older queued one. :meth:`discard` cancels what is queued for
    a record and deletes its file after the running write (so a late write can
    never resurrect a file the user discarded).
    """

    def __init__(self) -> None:
        self._lock = threading.Condition()
        self._pending: dict[tuple[Path, str], Snapshot] = {}
        self._discarded: set[tuple[Path, str]] = set()
        self._busy = False
        self._closed = False
        self.last_error: str | None = None
        self._thread = threading.Thread(target=self._run, name="ecgstudio-autosave", daemon=True)
        self._thread.start()

    def submit(self, record_path: Path, ext: str, snapshot: Snapshot) -> None:
        """Queue a write of ``snapshot`` as the recovery file of ``record_path``/``ext``."""
        key = (Path(record_path), ext)
        with self._lock:
            self._discarded.discard(key)
            self._pending[key] = snapshot
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
                key, snap = next(iter(self._pending.items()))
                del self._pending[key]
                self._busy = True
            try:
                write_recovery(key[0], key[1], snap)
                self.last_error = None
            except SaveError as exc:
                self.last_error = str(exc)
            finally:
                with self._lock:
                    self._busy = False
                    if key in self._discarded:
                        discard_recovery(*key)
                    self._lock.notify_all()
