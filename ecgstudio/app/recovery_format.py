"""Recovery files' names, values and writing (no Qt).

Part of :mod:`ecgstudio.app.autosave` (its public face). Every editor process
writes its own file, ``autosave_dir()/<record>-<hash>.<ext>.<token>.json``
(:func:`recovery_path`): ``<hash>`` tells apart records of the same name in
different folders, ``<token>`` is the first 12 hex digits of the writing
process's token. :class:`Snapshot` is what the GUI takes; :class:`Recovery` is
what a file holds once read (:mod:`ecgstudio.app.recovery_read`).

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

Files are written to a temporary name and moved into place
(:func:`write_recovery`), so a crash during autosave never destroys the
previous recovery file.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from ecgstudio import atomic
from ecgstudio.app.recovery_identity import FileState, bases
from ecgstudio.app.recovery_owner import Owner, this_process
from ecgstudio.core.delineation import Delineation
from ecgstudio.core.errors import SaveError
from ecgstudio.core.waves import Wave, WaveKind
from ecgstudio.paths import user_data_dir

FORMAT_VERSION = 2

#: Letter of each wave kind in the ``kind`` column, and back.
KIND_LETTER = {WaveKind.P: "P", WaveKind.QRS: "Q", WaveKind.T: "T"}
LETTER_KIND = {v: k for k, v in KIND_LETTER.items()}

#: The fields holding one track's waves.
COLUMNS = {"kind", "onset", "peak", "offset", "confidence", "symbol"}


def autosave_dir() -> Path:
    """Folder holding recovery files (``user_data_dir()/autosave``)."""
    return user_data_dir() / "autosave"


def _stem(record_path: Path, ext: str) -> str:
    digest = hashlib.sha1(f"{Path(record_path).absolute()}|{ext}".encode()).hexdigest()[:12]
    return f"{Path(record_path).name}-{digest}.{ext}"


def recovery_path(record_path: Path, ext: str) -> Path:
    """This process's recovery file for the ``ext`` annotations of ``record_path`` (may not exist)."""
    return autosave_dir() / f"{_stem(record_path, ext)}.{this_process().token[:12]}.json"


def candidates(record_path: Path, ext: str) -> list[Path]:
    """Every recovery file of ``record_path``/``ext`` (any process's, and a version-1 file)."""
    pattern = re.compile(re.escape(_stem(record_path, ext)) + r"(?:\.[0-9a-f]{12})?\.json")
    folder = autosave_dir()
    try:
        with os.scandir(folder) as entries:
            names = sorted(e.name for e in entries if pattern.fullmatch(e.name))
    except OSError:
        return []
    return [folder / name for name in names]


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
        "kind": "".join(KIND_LETTER[w.kind] for w in waves),
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
        The annotation file the edits started from, when
        :func:`~ecgstudio.app.recovery_identity.remember` was not called
        (default: ``<record>.<ext>`` beside the record).

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
    files, annotation = bases(record_path, ext, annotation_path)
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
