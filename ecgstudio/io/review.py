"""Review state stored beside an annotation file as a small JSON sidecar.

For the annotation file ``dir/rec.ecgs`` the sidecar is
``dir/rec.ecgs.review.json``::

    {"version": 1, "fs": 250.0, "reviewed": [[start, stop], ...]}

with ``start``/``stop`` in samples, ``stop`` exclusive. The annotation file
itself stays a plain WFDB file that other tools read unchanged. The sidecar is
written to a temporary file in the same folder and then renamed, so a crash
never leaves half a file.
"""

from __future__ import annotations

import json
import math
import os
from pathlib import Path

from ecgstudio import atomic
from ecgstudio.core.errors import AnnotationError, SaveError
from ecgstudio.core.review import ReviewSpans

#: Suffix appended to the annotation file's name.
SIDECAR_SUFFIX = ".review.json"

#: Format version written and understood.
FORMAT_VERSION = 1

#: Largest sidecar read (a 24-hour record reviewed beat by beat is < 3 MB).
_MAX_BYTES = 50_000_000


def review_path(annotation_path: str | os.PathLike[str]) -> Path:
    """The sidecar path of an annotation file (``rec.ecgs`` -> ``rec.ecgs.review.json``)."""
    path = Path(os.fspath(annotation_path)).expanduser()
    return path.with_name(path.name + SIDECAR_SUFFIX)


def read_review(annotation_path: str | os.PathLike[str], *, fs: float | None = None) -> ReviewSpans | None:
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
    ReviewSpans | None
        ``None`` when there is no sidecar (nothing reviewed yet).

    Raises
    ------
    AnnotationError
        If the sidecar is unreadable, not valid JSON, of an unknown version,
        malformed, or written for another sampling frequency.
    """
    path = review_path(annotation_path)
    try:
        if path.stat().st_size > _MAX_BYTES:
            raise AnnotationError(f"{path}: review file is too large")
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except UnicodeDecodeError:
        raise AnnotationError(f"{path}: review file is not UTF-8 text") from None
    except OSError as exc:
        raise AnnotationError(f"{path}: cannot read review file ({exc.strerror or exc})") from None
    try:
        data = json.loads(text)
    except (json.JSONDecodeError, RecursionError) as exc:
        message = exc.msg if isinstance(exc, json.JSONDecodeError) else "nested too deeply"
        raise AnnotationError(f"{path}: review file is not valid JSON ({message})") from None
    if not isinstance(data, dict):
        raise AnnotationError(f"{path}: review file must hold a JSON object")
    version = data.get("version")
    if version != FORMAT_VERSION:
        raise AnnotationError(f"{path}: unsupported review file version {version!r} (expected 1)")
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
    return ReviewSpans(pairs)


def write_review(
    annotation_path: str | os.PathLike[str], spans: ReviewSpans, *, fs: float | None = None
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
    text = json.dumps(payload, separators=(",", ":")) + "\n"
    if not path.parent.is_dir():
        raise SaveError(f"{path}: folder {path.parent} does not exist")
    try:
        return atomic.write_text(path, text)
    except OSError as exc:
        raise SaveError(f"{path}: cannot write into {path.parent} ({exc.strerror or exc})") from None
