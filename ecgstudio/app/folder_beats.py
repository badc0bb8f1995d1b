"""Beats per record of a folder, and one measurements table of the whole folder (no Qt).

:func:`folder_status` reads headers and sidecars only; the number of beats
needs the saved annotation file itself (``<record>.<ext>``), which is slower.
:class:`BeatCounter` reads each file once and keeps the count keyed by the
file's (path, mtime, size), so refreshing a folder re-reads only the files
that changed. :func:`write_folder_measurements` writes one row per beat (and
track) of every record with a saved file, with the columns of
:mod:`ecgstudio.app.beat_table` after ``record`` and ``lead`` — the same
columns as the editor's CSV export and ``ecgstudio annotate --table``.
"""

from __future__ import annotations

import dataclasses
import os
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from ecgstudio.app.archive import tables_of_file
from ecgstudio.app.beat_table import TableWriter
from ecgstudio.app.folder_status import RecordStatus
from ecgstudio.core.errors import EcgStudioError, SaveError
from ecgstudio.core.waves import WaveKind
from ecgstudio.io.annotations import DEFAULT_EXT, read_tracks

_Key = tuple[str, int, int]


class BeatCounter:
    """Beats (QRS complexes) of saved annotation files, cached by (path, mtime, size); thread safe.

    A file with per-lead tracks counts the beats of its fullest track.
    """

    def __init__(self) -> None:
        self._cache: dict[_Key, int | None] = {}
        self._lock = threading.Lock()
        self.reads = 0  # files actually read (tests: a refresh of unchanged files reads none)

    def count(self, status: RecordStatus, ext: str = DEFAULT_EXT) -> int | None:
        """Beats in ``status``'s ``<record>.<ext>``; ``None`` without a readable file.

        Parameters
        ----------
        status : RecordStatus
            The record (its header facts give the file's length and rate).
        ext : str
            Extension of the edited annotation file.
        """
        if not status.has_annotation or status.n_samples <= 0 or not status.fs > 0:
            return None
        path = status.path.with_name(f"{status.name}.{ext}")
        try:
            st = path.stat()
        except OSError:
            return None
        key = (str(path), st.st_mtime_ns, st.st_size)
        with self._lock:
            if key in self._cache:
                return self._cache[key]
        try:
            tracks = read_tracks(status.path, ext, n_samples=status.n_samples, fs=status.fs,
                                 lead_names=status.lead_names)
            beats: int | None = max((sum(1 for w in t.waves if w.kind is WaveKind.QRS) for t in tracks),
                                    default=0)
        except EcgStudioError:
            beats = None
        with self._lock:
            self.reads += 1
            self._cache = {k: v for k, v in self._cache.items() if k[0] != key[0]}
            self._cache[key] = beats
        return beats


def with_beats(rows: Sequence[RecordStatus], ext: str = DEFAULT_EXT, counter: BeatCounter | None = None,
               cancel: Callable[[], bool] | None = None) -> list[RecordStatus]:
    """``rows`` with :attr:`RecordStatus.beats` filled in (``None`` where no file can be read).

    Parameters
    ----------
    rows : Sequence[RecordStatus]
        Records of a folder (from :func:`~ecgstudio.app.folder_status.folder_status`).
    ext : str
        Extension of the edited annotation files.
    counter : BeatCounter | None
        Cache to use (a new one when ``None``).
    cancel : callable | None
        ``cancel() -> bool``; when it turns true the remaining rows are left without a count.
    """
    counter = counter if counter is not None else BeatCounter()
    out = []
    for r in rows:
        beats = None if cancel is not None and cancel() else counter.count(r, ext)
        out.append(dataclasses.replace(r, beats=beats))
    return out


@dataclass(frozen=True)
class FolderMeasurements:
    """What :func:`write_folder_measurements` wrote: the file, records and beat rows, records it skipped."""

    path: Path
    records: int
    rows: int
    problems: tuple[str, ...] = ()


def write_folder_measurements(path: str | os.PathLike[str], rows: Sequence[RecordStatus],
                              ext: str = DEFAULT_EXT, *, progress: Callable[[float], None] | None = None,
                              cancel: Callable[[], bool] | None = None) -> FolderMeasurements | None:
    """Write one row per beat of every record in ``rows`` with a saved ``<record>.<ext>``.

    Parameters
    ----------
    path : path
        Destination ``.csv`` (or ``.parquet`` with pyarrow); written atomically.
    rows : Sequence[RecordStatus]
        The folder's records; those without a saved file are left out.
    ext : str
        Extension of the edited annotation files.
    progress : callable | None
        ``progress(fraction)`` in ``[0, 1]`` after each record.
    cancel : callable | None
        Polled before each record; once it returns ``True`` nothing is
        written (the destination is left as it was) and ``None`` is returned.

    Returns
    -------
    FolderMeasurements | None
        Records whose file could not be read are in ``problems`` (one line
        each); ``None`` when cancelled.

    Raises
    ------
    SaveError
        If ``path`` is not a writable ``.csv``/``.parquet`` file name.
    """
    dest = Path(os.fspath(path)).expanduser()
    if dest.is_dir():
        raise SaveError(f"{dest}: is a folder; give a .csv file name")
    try:
        writer = TableWriter(dest)
    except SaveError:
        raise
    except EcgStudioError as exc:
        raise SaveError(str(exc).removeprefix("--table ")) from None
    records, problems = 0, []
    try:
        for i, r in enumerate(rows):
            if cancel is not None and cancel():
                writer.discard()
                return None
            if progress is not None:
                progress(i / max(len(rows), 1))
            if not r.has_annotation or r.n_samples <= 0:
                continue
            try:
                tables = tables_of_file(r.path, r.path.parent, ext)
            except EcgStudioError as exc:
                problems.append(f"{r.name}: {exc}".replace("\n", " "))
                continue
            for lead, table in tables:
                writer.add(r.name, lead, table)
            records += 1
    except BaseException:
        writer.discard()
        raise
    return FolderMeasurements(writer.close(), records, writer.rows, tuple(problems))
