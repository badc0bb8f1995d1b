"""Archive-scale inputs and bookkeeping for ``ecgstudio annotate``.

* Manifests: a text file of record paths, one per line (PhysioNet's
  ``RECORDS`` files), relative to the manifest's folder; an entry that is a
  folder holding its own ``RECORDS`` is expanded recursively, another folder
  gives every record in it (:func:`read_manifest`).
* Resumable runs: a record whose output file exists and is newer than the
  model and the record's files is up to date (:func:`up_to_date`) and skipped
  unless ``--force``.
* Progress: records done, records/s and ETA, redrawn on one line on a
  terminal, else printed as a plain line every :data:`PLAIN_EVERY_S` seconds
  (:class:`Progress`).
* Tables: the beats of a written or skipped file for ``--table``
  (:func:`beat_tables`, :func:`tables_of_file`).
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from ecgstudio.core.delineation import Delineation
from ecgstudio.core.errors import EcgStudioError
from ecgstudio.core.measurements import BeatTable, measure_beats
from ecgstudio.paths import model_files

#: Name of PhysioNet's manifest files: an input with this name is read as a manifest.
MANIFEST_NAME = "RECORDS"

#: Seconds between two plain progress lines when stderr is not a terminal.
PLAIN_EVERY_S = 30.0


def is_manifest(item: str) -> bool:
    """Whether a command-line input names a manifest (a file called ``RECORDS``)."""
    path = Path(item).expanduser()
    return path.name == MANIFEST_NAME and path.is_file()


def read_manifest(path: str | os.PathLike[str], _depth: int = 0) -> tuple[list[Path], list[tuple[str, str]]]:
    """Record paths listed by a manifest file.

    Parameters
    ----------
    path : str | os.PathLike
        Text file, one record per line (without extension, or its ``.hea``),
        relative to its folder (absolute paths are kept); blank lines and
        lines starting with ``#`` are ignored.

    Returns
    -------
    records : list[Path]
        Record paths without extension, in the file's order.
    problems : list[tuple[str, str]]
        ``(entry, reason)`` for entries that name no record (each reported,
        the others still annotated).

    Raises
    ------
    EcgStudioError
        If the manifest itself cannot be read.
    """
    from ecgstudio.io.records import list_records, resolve_record_path

    manifest = Path(os.fspath(path)).expanduser()
    try:
        lines = manifest.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError as exc:
        raise EcgStudioError(f"{manifest}: cannot read manifest ({exc.strerror or exc})") from None
    records: list[Path] = []
    problems: list[tuple[str, str]] = []
    for line in lines:
        entry = line.strip()
        if not entry or entry.startswith("#"):
            continue
        target = manifest.parent / entry
        try:
            if target.is_dir():
                nested = target / MANIFEST_NAME
                if nested.is_file() and _depth < 8:
                    found, sub_problems = read_manifest(nested, _depth + 1)
                    records += found
                    problems += sub_problems
                    continue
                found = list_records(target)
                if not found:
                    problems.append((str(target), "folder holds no WFDB records (.hea files)"))
                records += found
            else:
                records.append(resolve_record_path(target))
        except EcgStudioError as exc:
            problems.append((str(target), str(exc)))
    return records, problems


def _mtime(path: Path) -> float:
    try:
        return path.stat().st_mtime
    except OSError:
        return -1.0


def up_to_date(output: Path, record_path: Path, model_stem: Path) -> bool:
    """Whether ``output`` exists and is newer than the model pair and the record's header and signal file.

    Only the ``.dat`` file named like the record is looked at (no directory
    listing per record: archives hold millions of files).
    """
    out_time = _mtime(output)
    if out_time < 0:
        return False
    inputs = [*model_files(model_stem),
              record_path.with_name(record_path.name + ".hea"), record_path.with_name(record_path.name + ".dat")]
    return all(_mtime(p) < out_time for p in inputs)


def beat_tables(tracks: Sequence[Delineation], lead_names: Sequence[str]) -> tuple[tuple[str, BeatTable], ...]:
    """``(lead name, beats)`` of each track (``"global"`` for a track of all leads)."""
    out = []
    for track in tracks:
        lead = "global" if track.lead is None else (
            lead_names[track.lead] if 0 <= track.lead < len(lead_names) else str(track.lead))
        out.append((lead, measure_beats(track.waves, track.fs)))
    return tuple(out)


def tables_of_file(record_path: Path, out_dir: Path, ext: str) -> tuple[tuple[str, BeatTable], ...]:
    """Beats of an existing output file (a record skipped as up to date), for ``--table``.

    Raises
    ------
    EcgStudioError
        If the record's header or the file cannot be read.
    """
    from ecgstudio.io.annotations import read_tracks
    from ecgstudio.io.records import read_header

    info = read_header(record_path)
    tracks = read_tracks(out_dir / record_path.name, ext, n_samples=info.n_samples, fs=info.fs,
                         lead_names=info.lead_names)
    return beat_tables(tracks, info.lead_names)


def _clock(seconds: float) -> str:
    seconds = int(max(0.0, seconds))
    hours, rest = divmod(seconds, 3600)
    return f"{hours}:{rest // 60:02d}:{rest % 60:02d}" if hours else f"{rest // 60}:{rest % 60:02d}"


class Progress:
    """Records done, records/s and ETA on stderr.

    On a terminal one status line is redrawn after every record (and
    :meth:`line` prints a record's own line above it); otherwise a plain line
    is printed every :data:`PLAIN_EVERY_S` seconds.

    Parameters
    ----------
    total : int
        Records to process.
    tty : bool | None
        Whether stderr is a terminal (``None``: ask it).
    """

    def __init__(self, total: int, tty: bool | None = None, every_s: float = PLAIN_EVERY_S) -> None:
        self.total = total
        self.done = 0
        self.tty = sys.stderr.isatty() if tty is None else tty
        self.every_s = every_s
        self.start = time.perf_counter()
        self._last_plain = self.start

    def status(self) -> str:
        """``"  37/100 records, 21.3 records/s, ETA 0:03"``."""
        elapsed = max(time.perf_counter() - self.start, 1e-9)
        rate = self.done / elapsed
        eta = (self.total - self.done) / rate if rate > 0 else float("nan")
        eta_text = _clock(eta) if rate > 0 else "?"
        return f"{self.done}/{self.total} records, {rate:.1f} records/s, ETA {eta_text}"

    def line(self, text: str) -> None:
        """Print one record's line (above the status line on a terminal)."""
        if self.tty:
            print(f"\r\033[K{text}", file=sys.stderr, flush=True)
        else:
            print(text, file=sys.stderr, flush=True)

    def advance(self, n: int = 1) -> None:
        """Count ``n`` more records done and show the progress."""
        self.done += n
        now = time.perf_counter()
        if self.tty:
            print(f"\r\033[K  {self.status()}", end="", file=sys.stderr, flush=True)
        elif now - self._last_plain >= self.every_s and self.done < self.total:
            self._last_plain = now
            print(f"progress: {self.status()}", file=sys.stderr, flush=True)

    def finish(self) -> float:
        """Clear the status line; returns the seconds since the start."""
        if self.tty:
            print("\r\033[K", end="", file=sys.stderr, flush=True)
        return time.perf_counter() - self.start
