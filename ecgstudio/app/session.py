"""Opening and saving documents (no Qt): record + annotation files + review sidecar.

Opening reads the record and every annotation file beside it. Files with wave
boundaries (``q1c``, ``q2c``, ``pu``, ``pu0``, ``pu1``, LUDB lead files ...)
become read-only tracks; beat-only files (``atr``, ``man``, QTDB's ``qt1``
``|`` marks) have no boundaries and are skipped with a note (their beats are
the QRS peaks the reference tracks already show). The ``ecgs`` file, if any,
becomes the editable track with its review sidecar; otherwise the editable
track starts empty.

Saving writes every editable track (global and per-lead ones, ``io.write_tracks``,
atomic) and the review sidecar, never replaces a reference file unless the
caller says so, and never writes inside the installed package.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable
from pathlib import Path

from ecgstudio.app.document import DEFAULT_EXT, Document, track_names
from ecgstudio.core.delineation import Delineation
from ecgstudio.core.errors import AnnotationError, SaveError
from ecgstudio.core.record import Record
from ecgstudio.core.review import ReviewInfo, ReviewSpans
from ecgstudio.io.annotations import (
    AnnotationFile,
    is_reference_ext,
    list_annotation_exts,
    read_annotation_file,
    write_tracks,
)
from ecgstudio.io.records import read_record, resolve_record_path
from ecgstudio.io.review import read_review_full, review_path, write_review
from ecgstudio.paths import models_dir, resources_dir

_log = logging.getLogger(__name__)

#: Extensions that only hold beat labels; not read as tracks (saves time on long records).
BEAT_ONLY_EXTS: frozenset[str] = frozenset({"atr", "man", "qrs", "ecg"})


def _read_named(record_path: Path, record: Record, ext: str,
                cancel: Callable[[], bool] | None = None) -> AnnotationFile:
    """The annotation file ``ext`` of the record, its tracks named by :func:`track_names`."""
    found = read_annotation_file(record_path, ext, n_samples=record.n_samples, fs=record.fs,
                                 lead_names=record.lead_names, cancel=cancel)
    _name_tracks(found.tracks, ext, record)
    return found


def _name_tracks(tracks: list[Delineation], ext: str, record: Record) -> None:
    """Name the tracks of the file ``ext`` (:func:`~ecgstudio.app.document.track_names`), in place."""
    for track, name in zip(tracks, track_names(ext, [t.lead for t in tracks], record.lead_names), strict=True):
        track.name = name


def _read_ext(record_path: Path, record: Record, ext: str, notes: list[str],
              cancel: Callable[[], bool] | None = None) -> list[Delineation]:
    """A reference file's tracks; a note when some of its annotations could not be read as waves."""
    found = _read_named(record_path, record, ext, cancel)
    if found.n_lost:
        notes.append(f"{found.path.name}: {found.n_lost} of its {found.n_annotations} annotations do not form "
                     "valid waves and are not shown (the file is unchanged)")
    return found.tracks


def _read_editable(record_path: Path, record: Record, ext: str,
                   cancel: Callable[[], bool] | None = None) -> tuple[list[Delineation], str | None]:
    """The editable file's tracks, and a one-line warning when writing them back would lose annotations."""
    found = _read_named(record_path, record, ext, cancel)
    warning = None
    if found.n_lost:
        example = ""
        dropped = [w for waves in found.dropped.values() for w in waves]
        if dropped:
            w = dropped[0]
            example = f", e.g. a {w.kind.value} wave at {w.start / record.fs:.2f}-{w.offset / record.fs:.2f} s"
        warning = (f"{found.path.name}: {found.n_lost} of its {found.n_annotations} annotations cannot be edited "
                   f"here (they break the delineation rules{example}); Save will not overwrite the file unless "
                   "you confirm — Save As keeps it")
    return found.tracks, warning


def _without_duplicates(tracks: list[Delineation]) -> list[Delineation]:
    """Drop tracks equal to another one (QTDB ``pu`` repeats ``pu0`` and ``pu1``), keeping the shorter name."""
    kept: list[Delineation] = []
    for track in tracks:
        twin = next((k for k in kept if k.lead == track.lead and len(k) == len(track)
                     and k.same_waves(track)), None)
        if twin is None:
            kept.append(track)
            continue
        if len(track.name) < len(twin.name):
            kept[kept.index(twin)] = track
            twin, track = track, twin
        _log.info("%s is the same as %s; shown once", track.name, twin.name)
    return kept


def read_document_record(path: str | os.PathLike[str]) -> tuple[Path, Record]:
    """First half of :func:`open_document`: resolve the path and read the signal.

    Returns
    -------
    record_path : Path
        Record path without extension.
    record : Record
        The whole record, ``(n_samples, n_leads)`` float32 in mV.

    Raises
    ------
    RecordError
        If the header or signal files cannot be read.
    """
    record_path = resolve_record_path(path)
    return record_path, read_record(record_path)


def open_document(
    path: str | os.PathLike[str],
    *,
    ext: str = DEFAULT_EXT,
    model_stem: str | None = None,
) -> Document:
    """Read a record with all its annotations.

    Parameters
    ----------
    path : str | os.PathLike
        Record path without extension, or its ``.hea`` file.
    ext : str
        Extension of the editable annotation file (``"ecgs"``).
    model_stem : str | None
        Model to remember in the document.

    Returns
    -------
    Document
        Reference tracks first (sorted by extension), the editable track last.

    Raises
    ------
    RecordError
        If the header or signal files cannot be read (a broken reference
        annotation file only adds a note to ``Document.notes``).
    AnnotationError
        If the editable annotation file (``<record>.<ext>``) exists but is
        corrupt (opening it empty would let Save destroy it).
    """
    record_path, record = read_document_record(path)
    return document_for(record, record_path, ext=ext, model_stem=model_stem)


def document_for(
    record: Record,
    record_path: Path,
    *,
    ext: str = DEFAULT_EXT,
    model_stem: str | None = None,
    cancel: Callable[[], bool] | None = None,
) -> Document:
    """Second half of :func:`open_document`: read the annotation files beside a read record.

    The GUI shows the signal after :func:`read_document_record` and calls this
    in a worker thread (a 24-hour track takes seconds to parse); ``cancel()``
    is polled while annotation files are decoded (it raises
    :class:`ecgstudio.safe_read.ReadCancelled`).

    Raises
    ------
    AnnotationError
        If the editable annotation file exists but is corrupt.
    """
    notes: list[str] = []
    tracks: list[Delineation] = []
    editable: list[Delineation] = []
    loss_warning: str | None = None
    review_problem: str | None = None
    for found in list_annotation_exts(record_path):
        if found.lower() in BEAT_ONLY_EXTS and found != ext:
            continue
        try:
            if found == ext:
                read, loss_warning = _read_editable(record_path, record, found, cancel)
            else:
                read = _read_ext(record_path, record, found, notes, cancel)
        except AnnotationError as exc:
            if found == ext:
                raise
            notes.append(f"skipped {record_path.name}.{found}: {exc}")
            continue
        if found == ext:
            # every track of the editable file is editable: the global one first, then one per lead
            editable = sorted(read, key=lambda t: -1 if t.lead is None else t.lead)
        else:
            tracks.extend(read)
    tracks = _without_duplicates(tracks)
    review = ReviewSpans()
    info = ReviewInfo()
    annotation_path = record_path.with_name(f"{record_path.name}.{ext}")
    if not editable:
        editable = [Delineation((), n_samples=record.n_samples, fs=record.fs, name=ext)]
    else:
        try:
            full = read_review_full(annotation_path, fs=record.fs)
            if full is not None:
                review, info = full
        except AnnotationError as exc:
            review_problem = str(exc)
            notes.append(f"review state not read: {exc} (Save keeps that file aside, renamed)")
    _name_tracks(editable, ext, record)
    if loss_warning:
        notes.insert(0, loss_warning)
    first = len(tracks)
    tracks.extend(editable)
    return Document(
        record=record,
        tracks=tracks,
        editable_indices=tuple(range(first, len(tracks))),
        review=review,
        record_path=record_path,
        annotation_ext=ext,
        annotation_dir=None,
        model_stem=model_stem,
        notes=notes,
        review_info=info,
        protected_path=annotation_path if loss_warning else None,
        review_problem=review_problem,
        disk_state=disk_state(annotation_path),
    )


def _keep_aside(path: Path) -> Path | None:
    """Rename an unreadable review sidecar to ``<name>.unreadable-<time>`` (never deleted, never overwritten)."""
    if not (path.exists() or path.is_symlink()):
        return None
    aside = path.with_name(f"{path.name}.unreadable-{time.strftime('%Y%m%d-%H%M%S')}")
    n = 1
    while aside.exists() or aside.is_symlink():
        n += 1
        aside = path.with_name(f"{path.name}.unreadable-{time.strftime('%Y%m%d-%H%M%S')}-{n}")
    try:
        os.rename(path, aside)
    except OSError as exc:
        raise SaveError(f"{path}: cannot keep the unreadable review file aside ({exc.strerror or exc})") from None
    _log.warning("%s kept aside as %s", path, aside.name)
    return aside


def disk_state(path: Path) -> tuple[int, int] | None:
    """``(size in bytes, modification time in ns)`` of a file, ``None`` if it does not exist."""
    try:
        st = os.stat(path)
    except OSError:
        return None
    return st.st_size, st.st_mtime_ns


def changed_on_disk(doc: Document, ext: str | None = None, out_dir: Path | None = None) -> bool:
    """Whether the file Save would replace changed since this document read or last wrote it."""
    target = doc.annotation_path(ext, out_dir)
    if target.absolute() != doc.annotation_path().absolute():
        return False  # another file: nothing of ours to compare with (Save As asks before replacing)
    return disk_state(target) != doc.disk_state


def _refuse_package_folder(folder: Path, name: str) -> None:
    """Never write inside the installed package (a reinstall would delete the file)."""
    target = Path(folder).resolve()
    for bundled in (resources_dir(), models_dir()):
        if target == bundled.resolve():
            raise SaveError(f"{name}: {target} is the program's own folder (a reinstall deletes what is "
                            "saved there); use Save As to choose another folder")


def would_overwrite_reference(doc: Document, *, ext: str | None = None, out_dir: Path | None = None) -> bool:
    """Whether saving to ``ext``/``out_dir`` would replace an existing reference file."""
    ext = ext or doc.annotation_ext
    target = doc.annotation_path(ext, out_dir)
    return target.exists() and is_reference_ext(doc.record_path, ext)


def save_document(
    doc: Document,
    *,
    ext: str | None = None,
    out_dir: str | os.PathLike[str] | None = None,
    overwrite_reference: bool = False,
    accept_loss: bool = False,
    overwrite_changed: bool = False,
) -> Path:
    """Write the editable track and its review sidecar.

    Parameters
    ----------
    doc : Document
        The document; on success its ``annotation_ext``/``annotation_dir``
        become ``ext``/``out_dir`` (so the next Save goes to the same place).
    ext : str | None
        Annotation extension; ``doc.annotation_ext`` when ``None``.
    out_dir : str | os.PathLike | None
        Folder; ``doc.annotation_dir`` (or the record's folder) when ``None``.
    overwrite_reference : bool
        Allow replacing a reference file (``q1c``, ``atr``, ``pu0`` ...);
        the GUI sets it only after asking the user.
    accept_loss : bool
        Allow replacing ``doc.protected_path`` (a file that held annotations
        the document could not represent); the GUI asks first.

    Returns
    -------
    Path
        The annotation file written.

    Raises
    ------
    SaveError
        No editable track, refusal to overwrite a reference file, or an
        unwritable folder.
    """
    editable = doc.editable_tracks
    if not editable:
        raise SaveError(f"{doc.name}: there is no editable track to save")
    ext = ext or doc.annotation_ext
    folder = Path(os.fspath(out_dir)) if out_dir is not None else doc.annotation_dir
    write_dir = folder if folder is not None else doc.record_path.parent
    _refuse_package_folder(write_dir, doc.name)
    target = write_dir / f"{doc.record_path.name}.{ext}"
    if doc.protected_path is not None and not accept_loss and target.absolute() == doc.protected_path.absolute():
        raise SaveError(f"{target.name}: not overwritten, it holds annotations that could not be opened here "
                        "(see the note when it was opened); use Save As, or confirm replacing it")
    if not overwrite_changed and changed_on_disk(doc, ext, Path(write_dir) if folder is not None else None):
        raise SaveError(f"{target.name}: changed on disk since it was opened (another editor or program saved "
                        "it); not overwritten — use Save As, or confirm replacing it")
    if doc.review_problem is not None and target.absolute() == doc.annotation_path().absolute():
        _keep_aside(review_path(target))  # the unreadable sidecar of this very file: kept, renamed
        doc.review_problem = None
    path = write_tracks(doc.record_path, ext, editable, out_dir=write_dir,
                        overwrite_reference=overwrite_reference)
    write_review(path, doc.review, fs=doc.fs, info=doc.review_info)
    same_dir = folder is None or Path(folder).absolute() == doc.record_path.parent.absolute()
    doc.annotation_ext = ext
    doc.annotation_dir = None if same_dir or folder is None else Path(folder)
    if doc.protected_path is not None and path.absolute() == doc.protected_path.absolute():
        doc.protected_path = None  # replaced on purpose
    doc.disk_state = disk_state(path)
    return path
