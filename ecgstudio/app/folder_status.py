"""Status of every record in a folder: duration, fs, leads and review progress.

Only headers and the small review sidecars are read, never signals, so a
folder of 24-hour records lists in milliseconds per record.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from ecgstudio.core.errors import EcgStudioError
from ecgstudio.io.annotations import DEFAULT_EXT
from ecgstudio.io.records import list_records, read_header
from ecgstudio.io.review import read_review


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
        One-line reason the header could not be read, else ``None``.
    """

    path: Path
    name: str
    fs: float
    n_samples: int
    lead_names: tuple[str, ...]
    has_annotation: bool = False
    reviewed_samples: int = 0
    error: str | None = None

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
    reviewed = 0
    error = None
    if has_annotation:
        try:
            spans = read_review(annotation, fs=info.fs)
        except EcgStudioError as exc:
            spans, error = None, str(exc)
        if spans is not None:
            reviewed = spans.overlapping(0, info.n_samples).total_samples
    return RecordStatus(info.path, info.name, info.fs, info.n_samples, info.lead_names,
                        has_annotation, reviewed, error)


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
