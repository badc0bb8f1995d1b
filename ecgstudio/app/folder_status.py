"""Status of every record in a folder: duration, fs, leads and review progress.

Only headers, the small review sidecars, lock files and file times are read,
never signals or annotation waves, so a folder of 24-hour records lists in
milliseconds per record. :mod:`ecgstudio.app.worklist` derives the review
state (untouched / pre-annotated / in progress / reviewed) from these facts.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from ecgstudio.app import locks
from ecgstudio.core.errors import EcgStudioError
from ecgstudio.core.review import ReviewInfo, ReviewSpans
from ecgstudio.io.annotations import DEFAULT_EXT
from ecgstudio.io.records import list_records, read_header
from ecgstudio.io.review import read_review_full, review_path


@dataclass(frozen=True)
class RecordStatus:
    """What the browser shows about one record.

    Attributes
    ----------
    path : Path
        Record path without extension.
    name : str
        Record name.
    fs : float
        Sampling frequency in Hz (NaN if the header is unreadable).
    n_samples : int
        Samples per lead (0 if unknown).
    lead_names : tuple[str, ...]
        Lead names.
    has_annotation : bool
        Whether ``<record>.<ext>`` exists.
    reviewed_samples : int
        Samples inside the reviewed spans of the review sidecar (0 without one).
    error : str | None
        One-line reason the header (or the review sidecar) could not be read,
        else ``None``.
    longest_unreviewed : int
        Longest stretch of the record outside the reviewed spans, in samples
        (the whole record without an annotation file or reviewed spans).
    source : str | None
        What produced the unreviewed waves (the sidecar's model, or
        ``"copy of ..."`` for a copied reference), ``None`` if not recorded.
    last_reviewer : str
        Who made the latest review mark (``""`` if none).
    last_reviewed_at : str
        When, ISO 8601 UTC (``""`` if none).
    changed_at : float | None
        Last time the annotation file or its sidecar was written (seconds
        since the epoch), ``None`` without an annotation file.
    locked_by : str | None
        ``"anna on ws-3 (pid 4242) since 14:05"`` when another live editor
        (another process) holds the record's lock, else ``None``.
    beats : int | None
        QRS complexes in the annotation file; ``None`` when not counted
        (:func:`ecgstudio.app.folder_beats.with_beats` fills it) or unreadable.
    """

    path: Path
    name: str
    fs: float
    n_samples: int
    lead_names: tuple[str, ...]
    has_annotation: bool = False
    reviewed_samples: int = 0
    error: str | None = None
    longest_unreviewed: int = 0
    source: str | None = None
    last_reviewer: str = ""
    last_reviewed_at: str = ""
    changed_at: float | None = None
    locked_by: str | None = None
    beats: int | None = None

    @property
    def duration_s(self) -> float:
        """Record length in seconds (0 if unknown)."""
        return self.n_samples / self.fs if self.n_samples and self.fs > 0 else 0.0

    @property
    def n_leads(self) -> int:
        """Number of leads."""
        return len(self.lead_names)

    @property
    def reviewed_fraction(self) -> float | None:
        """Reviewed share of the record in [0, 1]; ``None`` when it has no annotation file."""
        if not self.has_annotation:
            return None
        if self.n_samples <= 0:
            return 0.0
        return min(1.0, self.reviewed_samples / self.n_samples)


def record_status(record_path: str | os.PathLike[str], ext: str = DEFAULT_EXT) -> RecordStatus:
    """Status of one record (never raises for a bad record: ``error`` says why).

    Parameters
    ----------
    record_path : path
        Record path (``dir/rec`` or ``dir/rec.hea``).
    ext : str
        Annotation extension whose review state is reported.
    """
    path = Path(os.fspath(record_path))
    if path.suffix == ".hea":
        path = path.with_suffix("")
    try:
        info = read_header(path)
    except EcgStudioError as exc:
        return RecordStatus(path, path.name, float("nan"), 0, (), error=str(exc))
    annotation = info.path.with_name(f"{info.name}.{ext}")
    has_annotation = annotation.is_file()
    spans, review_info, error = ReviewSpans(), ReviewInfo(), None
    if has_annotation:
        try:
            full = read_review_full(annotation, fs=info.fs)
        except EcgStudioError as exc:
            full, error = None, str(exc)
        if full is not None:
            spans, review_info = full[0].overlapping(0, info.n_samples), full[1]
    last = _latest_mark(review_info)
    return RecordStatus(
        info.path, info.name, info.fs, info.n_samples, info.lead_names, has_annotation,
        spans.total_samples, error, _longest_gap(spans, info.n_samples), review_info.model,
        last[0], last[1], _changed_at(annotation) if has_annotation else None, _other_editor(annotation))


def _longest_gap(spans: ReviewSpans, n_samples: int) -> int:
    """Longest run of samples in ``[0, n_samples)`` outside ``spans`` (sorted, merged)."""
    longest, position = 0, 0
    for start, stop in spans:
        longest = max(longest, min(start, n_samples) - position)
        position = max(position, stop)
    return max(longest, n_samples - position)


def _latest_mark(info: ReviewInfo) -> tuple[str, str]:
    """``(reviewer, at)`` of the newest review mark (ISO UTC times sort as text), ``("", "")`` if none."""
    if not info.marks:
        return "", ""
    mark = max(reversed(info.marks), key=lambda m: m.at)  # reversed: the later of equal times wins
    return mark.reviewer, mark.at


def _changed_at(annotation: Path) -> float | None:
    """Newest modification time of the annotation file and its review sidecar."""
    times = []
    for path in (annotation, review_path(annotation)):
        try:
            times.append(path.stat().st_mtime)
        except OSError:
            pass
    return max(times) if times else None


def _other_editor(annotation: Path) -> str | None:
    """Who else (another live process) holds the record's lock, else ``None``."""
    owner = locks.read_owner(annotation)
    if owner is None or owner.pid == os.getpid() and owner.host == socket.gethostname()[:100]:
        return None
    return owner.describe() if locks.is_alive(owner) else None


def folder_status(
    folder: str | os.PathLike[str],
    ext: str = DEFAULT_EXT,
    *,
    progress: Callable[[float], None] | None = None,
    cancel: Callable[[], bool] | None = None,
) -> list[RecordStatus]:
    """Status of every record in ``folder``, naturally sorted by name.

    Parameters
    ----------
    folder : path
        Folder of WFDB records.
    ext : str
        Annotation extension whose review state is reported.
    progress : callable | None
        ``progress(fraction)`` after each record.
    cancel : callable | None
        Polled between records; when it returns True the records read so far
        are returned.

    Raises
    ------
    RecordError
        If ``folder`` is not a readable folder.
    """
    records = list_records(folder)
    out: list[RecordStatus] = []
    for i, record in enumerate(records):
        if cancel is not None and cancel():
            break
        out.append(record_status(record, ext))
        if progress is not None:
            progress((i + 1) / len(records))
    return out
