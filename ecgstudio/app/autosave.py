"""Crash-recovery files for unsaved edits (no Qt).

While a document has unsaved changes the GUI writes its editable track and
review spans every 30 s to ``user_data_dir()/autosave/<record>-<hash>.<ext>.json``
(the hash tells apart records of the same name in different folders). Saving
or closing cleanly deletes the file; opening a record whose recovery file is
newer than its saved annotation file offers to restore it.

Format (JSON, version 1)::

    {"version": 1, "record_path": "/data/sel100", "ext": "ecgs", "saved_at": 1732500000.0,
     "fs": 250.0, "n_samples": 225000, "lead": null,
     "waves": [["P", 10, 20, 30, null, 0.93], ...],   # kind, onset, peak, offset, symbol, confidence
     "reviewed": [[0, 2500], ...]}                      # half-open sample spans

Files are written to a temporary name and moved into place, so a crash during
autosave never destroys the previous recovery file.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

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

    def to_track(self, name: str) -> tuple[Delineation, list[Wave]]:
        """The recovered waves as a track (waves breaking a rule are dropped and returned)."""
        return Delineation.from_waves_lenient(self.waves, n_samples=self.n_samples, fs=self.fs,
                                              lead=self.lead, name=name)


def _wave_row(wave: Wave) -> list[object]:
    return [wave.kind.value, wave.onset, wave.peak, wave.offset, wave.symbol, wave.confidence]


def _wave_from_row(row: Sequence[object], lead: int | None) -> Wave:
    kind, onset, peak, offset, symbol, confidence = row
    return Wave(
        WaveKind(kind),
        None if onset is None else int(onset),  # type: ignore[arg-type]
        None if peak is None else int(peak),  # type: ignore[arg-type]
        int(offset),  # type: ignore[arg-type]
        lead,
        None if symbol is None else str(symbol),
        None if confidence is None else float(confidence),  # type: ignore[arg-type]
    )


def write_recovery(
    record_path: Path,
    ext: str,
    track: Delineation,
    reviewed: Iterable[tuple[int, int]],
) -> Path:
    """Write (replace) the recovery file of ``record_path``/``ext``.

    Parameters
    ----------
    record_path : Path
        Record path without extension.
    ext : str
        Annotation extension the editable track is saved under.
    track : Delineation
        The editable track (a snapshot of its waves is written).
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
    target = recovery_path(record_path, ext)
    payload = {
        "version": FORMAT_VERSION,
        "record_path": str(Path(record_path).absolute()),
        "ext": ext,
        "saved_at": time.time(),
        "fs": track.fs,
        "n_samples": track.n_samples,
        "lead": track.lead,
        "waves": [_wave_row(w) for w in track.waves],
        "reviewed": [[int(a), int(b)] for a, b in reviewed],
    }
    tmp = target.with_name(target.name + ".tmp")
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        with open(tmp, "w", encoding="utf-8") as fh:
            json.dump(payload, fh, separators=(",", ":"))
        os.replace(tmp, target)
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
            waves=tuple(_wave_from_row(row, lead) for row in data["waves"]),
            reviewed=tuple((int(a), int(b)) for a, b in data["reviewed"]),
        )
    except OSError as exc:
        raise AnnotationError(f"{path}: cannot read autosave file ({exc.strerror or exc})") from None
    except (ValueError, KeyError, TypeError) as exc:
        raise AnnotationError(f"{path}: not a valid autosave file ({exc})") from None


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


def discard_recovery(record_path: Path, ext: str) -> None:
    """Delete the recovery file of ``record_path``/``ext`` if there is one."""
    path = recovery_path(record_path, ext)
    try:
        path.unlink(missing_ok=True)
    except OSError:
        pass
