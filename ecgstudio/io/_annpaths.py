"""Where a record's annotation files are: file names and the listing of a record's folder.

Part of :mod:`ecgstudio.io.annotations`, which re-exports the public names
(:data:`NON_ANNOTATION_EXTS`, :func:`list_annotation_exts`).
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from ecgstudio import safe_read
from ecgstudio.core.errors import AnnotationError, RecordError
from ecgstudio.io._header import MAX_HEADER_BYTES

__all__ = ["NON_ANNOTATION_EXTS", "annotation_path", "list_annotation_exts", "record_base"]

#: Extensions beside a record that are never annotation files.
NON_ANNOTATION_EXTS: frozenset[str] = frozenset({
    "hea", "dat", "mat", "edf", "json", "txt", "csv", "md", "xml", "npy", "npz", "tmp", "bak", "xyz",
    "flac", "wav", "png", "pdf", "zip", "gz",
})

_EXT_RE = re.compile(r"^[A-Za-z0-9_]+$")


def record_base(record_path: str | os.PathLike[str]) -> Path:
    """The record path without extension (``~`` expanded, a ``.hea`` suffix removed).

    Parameters
    ----------
    record_path : str | os.PathLike
        Record path without extension, or its ``.hea``.

    Returns
    -------
    Path
        ``<folder>/<record>``.
    """
    path = Path(os.fspath(record_path)).expanduser()
    if path.suffix == ".hea":
        path = path.with_suffix("")
    return path


def annotation_path(record: Path, ext: str) -> Path:
    """The annotation file ``<record>.<ext>``.

    Parameters
    ----------
    record : Path
        Record path without extension (see :func:`record_base`).
    ext : str
        Annotation extension.

    Returns
    -------
    Path
        ``<folder>/<record>.<ext>``.

    Raises
    ------
    AnnotationError
        If ``ext`` holds anything but letters, digits and ``_``.
    """
    if not _EXT_RE.match(ext):
        raise AnnotationError(f"{record}: invalid annotation extension {ext!r} (letters, digits, _ only)")
    return record.with_name(f"{record.name}.{ext}")


def list_annotation_exts(record_path: str | os.PathLike[str]) -> list[str]:
    """Extensions of the annotation files beside a record, sorted.

    Files ``<record>.<ext>`` with a single-word extension count, except
    headers, signal files (``.dat`` and any file the header names), sidecars
    such as ``<record>.<ext>.review.json`` and common non-WFDB files.

    Raises
    ------
    RecordError
        If the record's folder cannot be listed.
    """
    record = record_base(record_path)
    folder = record.parent
    prefix = record.name + "."
    try:  # scandir + a name test first: cheap per record even in folders of thousands of records
        with os.scandir(folder) as it:
            entries = [e for e in it if e.name.startswith(prefix)]
    except FileNotFoundError:
        raise RecordError(f"{folder}: folder does not exist") from None
    except PermissionError:
        raise RecordError(f"{folder}: permission denied") from None
    except OSError as exc:
        raise RecordError(f"{folder}: cannot list folder ({exc.strerror or exc})") from None
    signal_files = _signal_file_names(record)
    exts = []
    for entry in entries:
        name = entry.name
        if not name.startswith(prefix) or name in signal_files or not entry.is_file():
            continue
        ext = name[len(prefix):]
        if _EXT_RE.match(ext) and ext.lower() not in NON_ANNOTATION_EXTS:
            exts.append(ext)
    return sorted(exts)


def _signal_file_names(record: Path) -> set[str]:
    header = record.with_name(record.name + ".hea")
    try:
        raw = safe_read.read_bytes(header, MAX_HEADER_BYTES, what="WFDB header", error=RecordError,
                                   missing_ok=True)
    except RecordError:
        return set()
    if raw is None:
        return set()
    text = raw.decode("utf-8", errors="replace")
    lines = [ln.split() for ln in text.splitlines() if ln.strip() and not ln.lstrip().startswith("#")]
    return {fields[0] for fields in lines[1:] if fields}
