"""Review state stored beside an annotation file as a small JSON sidecar.

For the annotation file ``dir/rec.ecgs`` the sidecar is
``dir/rec.ecgs.review.json``::

    {"version": 2, "fs": 250.0, "reviewed": [[start, stop], ...],
     "marks": [{"start": 0, "stop": 2500, "reviewer": "anna", "at": "2026-12-03T17:50:00Z"}, ...],
     "unreviewed_source": {"model": "default", "at": "2026-12-03T17:40:00Z"}}

with ``start``/``stop`` in samples, ``stop`` exclusive. ``reviewed`` is what is
reviewed now (fine-tuning learns from these samples only); ``marks`` is the
log of who marked what when; ``unreviewed_source`` names the model whose output
fills the rest of the file; ``annotation_sha256`` is the hash of the annotation
file the spans describe. The annotation file is written first and the sidecar
second; a sidecar whose hash does not match its annotation file (a save cut
short between the two, or the file changed by another program) is refused
(:class:`StaleReviewError`), so reviewed marks never describe other waves.
Version 1 files (``reviewed`` only) are still read. The annotation file
itself stays a plain WFDB file that other tools read unchanged. The sidecar is
written to a temporary file in the same folder and then renamed, so a crash
never leaves half a file.
"""

from __future__ import annotations

import json
import math
import os
from pathlib import Path

from ecgstudio import atomic, safe_read
from ecgstudio.core.errors import AnnotationError, SaveError
from ecgstudio.core.review import ReviewInfo, ReviewMark, ReviewSpans


class StaleReviewError(AnnotationError):
    """The sidecar's reviewed spans were written for another version of the annotation file."""


#: Suffix appended to the annotation file's name.
SIDECAR_SUFFIX = ".review.json"

#: Format version written.
FORMAT_VERSION = 2

#: Versions read.
_READ_VERSIONS = (1, 2)

#: Most review marks kept in a sidecar (older ones are dropped from the log, never the spans).
_MAX_MARKS = 100_000

#: Largest sidecar read (a 24-hour record reviewed beat by beat is < 3 MB).
_MAX_BYTES = 50_000_000


def review_path(annotation_path: str | os.PathLike[str]) -> Path:
    """The sidecar path of an annotation file (``rec.ecgs`` -> ``rec.ecgs.review.json``)."""
    path = Path(os.fspath(annotation_path)).expanduser()
    return path.with_name(path.name + SIDECAR_SUFFIX)


def read_review(annotation_path: str | os.PathLike[str], *, fs: float | None = None) -> ReviewSpans | None:
    """Read the reviewed spans of an annotation file (see :func:`read_review_full`).

    Returns
    -------
    ReviewSpans | None
        ``None`` when there is no sidecar (nothing reviewed yet).
    """
    full = read_review_full(annotation_path, fs=fs)
    return None if full is None else full[0]


def read_review_full(
    annotation_path: str | os.PathLike[str], *, fs: float | None = None
) -> tuple[ReviewSpans, ReviewInfo] | None:
    """Read the review state of an annotation file.

    Parameters
    ----------
    annotation_path : str | os.PathLike
        The annotation file (``dir/rec.ecgs``); it need not exist.
    fs : float | None
        The record's sampling frequency in Hz; when given, a sidecar written
        for another frequency is refused.

    Returns
    -------
    tuple[ReviewSpans, ReviewInfo] | None
        The reviewed spans and their provenance (empty for version-1 files);
        ``None`` when there is no sidecar (nothing reviewed yet).

    Raises
    ------
    AnnotationError
        If the sidecar is unreadable, not valid JSON, of an unknown version,
        malformed, or written for another sampling frequency;
        :class:`StaleReviewError` if its reviewed spans were written for
        another version of the annotation file.
    """
    path = review_path(annotation_path)
    text = safe_read.read_text(path, _MAX_BYTES, what="review file", error=AnnotationError, missing_ok=True)
    if text is None:
        return None
    data = safe_read.parse_json(text, path, what="review file", error=AnnotationError)
    if not isinstance(data, dict):
        raise AnnotationError(f"{path}: review file must hold a JSON object")
    version = data.get("version")
    if isinstance(version, bool) or version not in _READ_VERSIONS:
        raise AnnotationError(f"{path}: unsupported review file version {version!r} (expected 1 or 2)")
    stored_fs = data.get("fs")
    if stored_fs is not None:
        if isinstance(stored_fs, bool) or not isinstance(stored_fs, int | float) or not stored_fs > 0:
            raise AnnotationError(f"{path}: 'fs' must be a positive number, got {stored_fs!r}")
        if fs is not None and not math.isclose(float(stored_fs), float(fs), rel_tol=1e-9):
            raise AnnotationError(f"{path}: written for {stored_fs:g} Hz, but the record is sampled at {fs:g} Hz")
    reviewed = data.get("reviewed", [])
    if not isinstance(reviewed, list):
        raise AnnotationError(f"{path}: 'reviewed' must be a list of [start, stop] pairs")
    pairs = []
    for item in reviewed:
        if (not isinstance(item, list) or len(item) != 2
                or not all(isinstance(v, int) and not isinstance(v, bool) and v >= 0 for v in item)
                or item[1] < item[0]):
            raise AnnotationError(f"{path}: bad review span {str(item)[:40]} (need [start, stop], 0 <= start <= stop)")
        pairs.append((item[0], item[1]))
    if pairs:
        _check_pair(path, Path(os.fspath(annotation_path)).expanduser(), data)
    return ReviewSpans(pairs), _read_info(path, data)


def _annotation_digest(annotation_path: Path) -> str | None:
    """SHA-256 of the annotation file the sidecar describes (``None`` if it does not exist)."""
    import hashlib

    handle = safe_read.open_regular(annotation_path, what="annotation file", error=AnnotationError, missing_ok=True)
    if handle is None:
        return None
    with handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()


def _check_pair(path: Path, annotation_path: Path, data: dict) -> None:
    """Refuse a sidecar written for another version of its annotation file (a save cut short)."""
    stored = data.get("annotation_sha256")
    if stored is None:
        return  # version 1, or written before the annotation file existed
    try:
        actual = _annotation_digest(annotation_path)
    except OSError:
        actual = None
    if stored != actual:
        raise StaleReviewError(f"{path}: its review marks belong to another version of {annotation_path.name} "
                               "(a save was interrupted, or the file was changed by another program)")


def _text(value: object, what: str, path: Path, *, optional: bool = False) -> str | None:
    if value is None and optional:
        return None
    if not isinstance(value, str) or len(value) > 200:
        raise AnnotationError(f"{path}: {what} must be a short text, got {str(value)[:40]}")
    return value


def _read_info(path: Path, data: dict) -> ReviewInfo:
    """The provenance part of a version-2 sidecar (empty for version 1)."""
    marks_data = data.get("marks", [])
    if not isinstance(marks_data, list):
        raise AnnotationError(f"{path}: 'marks' must be a list")
    marks = []
    for item in marks_data[-_MAX_MARKS:]:
        if not isinstance(item, dict):
            raise AnnotationError(f"{path}: bad review mark {str(item)[:40]}")
        start, stop = item.get("start"), item.get("stop")
        if not all(isinstance(v, int) and not isinstance(v, bool) and v >= 0 for v in (start, stop)):
            raise AnnotationError(f"{path}: bad review mark {str(item)[:40]} (need samples >= 0)")
        marks.append(ReviewMark(start, stop, _text(item.get("reviewer", ""), "reviewer", path) or "",
                                _text(item.get("at", ""), "'at'", path) or ""))
    source = data.get("unreviewed_source")
    model = model_at = None
    if source is not None:
        if not isinstance(source, dict):
            raise AnnotationError(f"{path}: 'unreviewed_source' must be an object")
        model = _text(source.get("model"), "model name", path, optional=True)
        model_at = _text(source.get("at"), "'at'", path, optional=True)
    return ReviewInfo(tuple(marks), model, model_at)


def write_review(
    annotation_path: str | os.PathLike[str], spans: ReviewSpans, *, fs: float | None = None,
    info: ReviewInfo | None = None,
) -> Path:
    """Write the review state of an annotation file, atomically.

    Parameters
    ----------
    annotation_path : str | os.PathLike
        The annotation file (``dir/rec.ecgs``); the sidecar goes beside it.
    spans : ReviewSpans
        Reviewed intervals in samples.
    fs : float | None
        Sampling frequency in Hz, stored so a reader can check it.
    info : ReviewInfo | None
        Who reviewed what when, and which model produced the rest.

    Returns
    -------
    Path
        The sidecar written.

    Raises
    ------
    SaveError
        If the folder is missing or not writable.
    """
    path = review_path(annotation_path)
    payload = {
        "version": FORMAT_VERSION,
        "fs": None if fs is None else float(fs),
        "reviewed": [[start, stop] for start, stop in spans],
    }
    info = info or ReviewInfo()
    digest = _annotation_digest(Path(os.fspath(annotation_path)).expanduser())
    if digest is not None:
        payload["annotation_sha256"] = digest
    payload["marks"] = [{"start": m.start, "stop": m.stop, "reviewer": m.reviewer, "at": m.at}
                        for m in info.marks[-_MAX_MARKS:]]
    if info.model is not None:
        payload["unreviewed_source"] = {"model": info.model, "at": info.model_at}
    text = json.dumps(payload, separators=(",", ":")) + "\n"
    if not path.parent.is_dir():
        raise SaveError(f"{path}: folder {path.parent} does not exist")
    try:
        return atomic.write_text(path, text)
    except OSError as exc:
        raise SaveError(f"{path}: cannot write into {path.parent} ({exc.strerror or exc})") from None
