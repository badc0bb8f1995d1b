"""Reading a record's beat annotation file (MIT-BIH ``atr`` style): beat samples and symbols.

:func:`read_beat_file` finds the beat labels of a record: ``<record>.atr`` by
default, else the first other annotation file beside the record that holds
beat labels only (QTDB ``man``, then the others in name order; wave boundary
files such as ``q1c``, ``pu*``, LUDB lead files and ``ecgs`` are never
probed). Only beat symbols (:data:`~ecgstudio.core.waves.QRS_SYMBOLS`) are
kept; rhythm, noise and comment annotations are left out.

Reading follows :mod:`ecgstudio.io.annotations`: only regular files are read
(a FIFO or a link to a device is refused without blocking), their size is
checked on the opened file and at most :data:`MAX_BEAT_FILE_BYTES` + 1 bytes are
read, decoding is guarded against the inputs on which ``wfdb.rdann`` hangs and
can be cancelled, and every failure is an
:class:`~ecgstudio.core.errors.AnnotationError` with a one-line message.
"""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ecgstudio.core.errors import AnnotationError, RecordError
from ecgstudio.core.waves import QRS_SYMBOLS
from ecgstudio.io._boundaries import OFFSET, ONSET
from ecgstudio.io._write import LEAD_EXTS
from ecgstudio.io.annotations import (
    DEFAULT_EXT,
    MAX_ANNOTATION_FILE_BYTES,
    _annotation_path,
    _rdann,
    _record,
    list_annotation_exts,
)

__all__ = ["BEAT_EXT", "MAX_BEAT_FILE_BYTES", "BeatAnnotations", "read_beat_file"]

_log = logging.getLogger(__name__)

#: The beat annotation file read first.
BEAT_EXT = "atr"

#: Other beat-only files tried first, in this order, when there is no ``atr``.
PREFERRED_FALLBACK_EXTS: tuple[str, ...] = ("man",)

#: Larger files are refused (a 24-hour Holter ``atr`` is about 1 MB; same limit as boundary files).
MAX_BEAT_FILE_BYTES = MAX_ANNOTATION_FILE_BYTES

#: At most this many other files are probed for beat labels when there is no ``atr``.
MAX_FALLBACK_FILES = 8

#: Extensions that hold wave boundaries, never beat labels only (not probed).
_BOUNDARY_EXTS: frozenset[str] = frozenset({"q1c", "q2c", "qt1", "qt2", "pu", DEFAULT_EXT}) | LEAD_EXTS
_PER_SIGNAL_EXT = re.compile(r"^pu\d+$")


@dataclass(frozen=True)
class BeatAnnotations:
    """The beat labels of one annotation file.

    Attributes
    ----------
    path : Path
        The file read.
    samples : np.ndarray
        int64, shape ``(n_beats,)``: beat positions in samples of the full
        record, sorted.
    symbols : tuple[str, ...]
        Beat symbol at each position (``N``, ``V``, ``A`` ...), same length.
    fs : float | None
        Sampling frequency stored in the file (Hz), ``None`` when it stores none.
    """

    path: Path
    samples: np.ndarray
    symbols: tuple[str, ...]
    fs: float | None = None

    def __len__(self) -> int:
        return int(self.samples.size)

    def counts(self) -> dict[str, int]:
        """Number of beats per symbol."""
        out: dict[str, int] = {}
        for symbol in self.symbols:
            out[symbol] = out.get(symbol, 0) + 1
        return out


def _read(record: Path, ext: str, fs: float | None, cancel: Callable[[], bool] | None = None,
          ) -> tuple[BeatAnnotations, set[str]] | None:
    """The beats of ``<record>.<ext>`` and the set of all its symbols; ``None`` if there is no file.

    Raises
    ------
    AnnotationError
        If the file is unreadable, not a regular file, too large, corrupt or written for another ``fs``.
    ReadCancelled
        If ``cancel()`` returned True.
    """
    path = _annotation_path(record, ext)
    if not os.path.lexists(path):
        return None
    ann = _rdann(record, ext, cancel=cancel, limit=MAX_BEAT_FILE_BYTES)
    samples = np.asarray(ann.sample, dtype=np.int64).reshape(-1)
    symbols = [str(s) for s in (ann.symbol or [])]
    if len(symbols) != samples.size:
        raise AnnotationError(f"{path}: corrupt WFDB annotation file ({samples.size} samples, "
                              f"{len(symbols)} symbols)")
    file_fs = float(ann.fs) if ann.fs is not None and np.isfinite(float(ann.fs)) else None
    if file_fs is not None and fs and abs(file_fs - float(fs)) > 1e-6 * float(fs):
        raise AnnotationError(f"{path}: written for {file_fs:g} Hz, but the record is sampled at {fs:g} Hz")
    if samples.size and samples.min() < 0:
        raise AnnotationError(f"{path}: annotation at negative sample {int(samples.min())}")
    keep = np.fromiter((s in QRS_SYMBOLS for s in symbols), dtype=bool, count=len(symbols))
    picked = samples[keep]
    order = np.argsort(picked, kind="stable")
    beat_symbols = [s for s, k in zip(symbols, keep, strict=True) if k]
    beats = BeatAnnotations(path, picked[order], tuple(beat_symbols[i] for i in order), file_fs)
    return beats, set(symbols)


def _fallback_exts(record: Path) -> list[str]:
    """Extensions beside ``record`` that may hold beat labels only, in the order to try them."""
    try:
        exts = list_annotation_exts(record)
    except RecordError:
        return []
    candidates = [e for e in exts if e.lower() != BEAT_EXT and e.lower() not in _BOUNDARY_EXTS
                  and not _PER_SIGNAL_EXT.match(e.lower())]
    preferred = [e for p in PREFERRED_FALLBACK_EXTS for e in candidates if e.lower() == p]
    rest = [e for e in candidates if e not in preferred]
    return (preferred + rest)[:MAX_FALLBACK_FILES]


def read_beat_file(
    record_path: str | os.PathLike[str],
    ext: str | None = None,
    *,
    fs: float | None = None,
    cancel: Callable[[], bool] | None = None,
) -> BeatAnnotations | None:
    """The beat labels of a record, or ``None`` when it has no beat annotation file.

    Parameters
    ----------
    record_path : str | os.PathLike
        Record path without extension (or its ``.hea``).
    ext : str | None
        Read only ``<record>.<ext>``. ``None`` (default): ``atr``, or when there is
        none (or it holds no beat labels), the first other file beside the record
        that holds beat labels and no wave boundaries (see the module docs);
        such fallback files that cannot be read are skipped.
    fs : float | None
        The record's sampling frequency in Hz; a file that stores another one
        is refused. ``None``: not checked.
    cancel : callable | None
        ``cancel() -> bool``, checked while files are read and decoded
        (:class:`~ecgstudio.safe_read.ReadCancelled` is raised).

    Returns
    -------
    BeatAnnotations | None
        Beats sorted by sample, beat symbols only; ``None`` when the file
        (``ext`` given) or every candidate is missing or holds no beat labels.

    Raises
    ------
    AnnotationError
        If the named file, or ``atr``, exists but is corrupt, too large,
        unreadable, not a regular file (a FIFO, a link to a device) or written
        for another sampling frequency.
    """
    record = _record(record_path)
    if ext is not None:
        found = _read(record, ext, fs, cancel)
        return None if found is None or not len(found[0]) else found[0]
    found = _read(record, BEAT_EXT, fs, cancel)
    if found is not None and len(found[0]):
        return found[0]
    for candidate in _fallback_exts(record):
        try:
            found = _read(record, candidate, fs, cancel)
        except AnnotationError as exc:
            _log.info("not a beat annotation file: %s", exc)
            continue
        if found is None:
            continue
        beats, all_symbols = found
        if len(beats) and not all_symbols & {ONSET, OFFSET, "|"}:
            return beats
    return None
