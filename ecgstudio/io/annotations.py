"""Reading and writing WFDB delineation annotation files.

Files follow PhysioNet's boundary convention (see :mod:`ecgstudio.io._boundaries`).

How a file maps to tracks (:func:`read_tracks`):

* a file named after a lead of the record (LUDB style ``rec.i``, ``rec.ii``,
  ``rec.v6``; case-insensitive) is one per-lead track of that lead, whatever
  its ``chan`` fields say;
* QTDB's per-signal ecgpuwave files ``pu0``/``pu1`` (any ``pu<k>``) and any file
  whose annotations all use one ``chan`` c != 0 are one per-lead track of lead c
  (so ``pu0`` -> lead 0, ``pu1`` -> lead 1);
* a file that uses ``chan`` 0 only (``q1c``, ``q2c``, an ``ecgs`` file written
  for a global track) is one global track (``lead=None``), unless ECG Studio
  marked it as holding lead 0 (``aux_note`` ``"ecgstudio:per-lead"``);
* a file that uses several ``chan`` values (QTDB ``pu``) is one per-lead
  track per ``chan``, in ``chan`` order.

Tracks are named after the extension. Waves that break a
:class:`~ecgstudio.core.delineation.Delineation` rule are dropped (and counted
in :class:`AnnotationFile`); annotations that are not P/QRS/T waves (U waves,
unmatched boundaries) ride along on the neighbouring wave so that writing the
track back reproduces the file.

Files are read once, as regular files of at most :data:`MAX_ANNOTATION_FILE_BYTES`
(:mod:`ecgstudio.safe_read`: a FIFO or a link to a device is refused without
blocking), and decoded without wfdb touching the disk again; every reader takes
``cancel`` (``cancel() -> bool``, checked every few thousand annotations; it
raises :class:`~ecgstudio.safe_read.ReadCancelled`).

This module reads; it re-exports the rest of the public API from its parts:
:class:`AnnotationFile` (:mod:`ecgstudio.io._annfile`), :func:`list_annotation_exts`
and :data:`NON_ANNOTATION_EXTS` (:mod:`ecgstudio.io._annpaths`, with the file-name
helpers), :func:`write_tracks`, :data:`REFERENCE_EXTS` and :func:`is_reference_ext`
(:mod:`ecgstudio.io._write`). The read size limit and the cancel interval
(:data:`MAX_ANNOTATION_FILE_BYTES`, ``_CANCEL_EVERY``) are looked up here.
"""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Callable, Iterable, Iterator
from enum import Enum
from pathlib import Path
from typing import Any

import numpy as np

from ecgstudio import safe_read
from ecgstudio.core.delineation import Delineation
from ecgstudio.core.errors import AnnotationError, EcgStudioError, RecordError
from ecgstudio.core.waves import QRS_SYMBOLS, Wave
from ecgstudio.io import _annscan
from ecgstudio.io._annfile import AnnotationFile
from ecgstudio.io._annpaths import _EXT_RE as _EXT_RE  # pre-split name
from ecgstudio.io._annpaths import NON_ANNOTATION_EXTS, list_annotation_exts
from ecgstudio.io._annpaths import _signal_file_names as _signal_file_names  # pre-split name
from ecgstudio.io._annpaths import annotation_path as _annotation_path
from ecgstudio.io._annpaths import record_base as _record
from ecgstudio.io._boundaries import OFFSET, ONSET, attach_unparsed, parse_channel
from ecgstudio.io._header import MAX_HEADER_BYTES as MAX_HEADER_BYTES  # pre-split name
from ecgstudio.io._write import PER_LEAD_NOTE, REFERENCE_EXTS, is_reference_ext, write_tracks

__all__ = [
    "DEFAULT_EXT", "MAX_ANNOTATION_FILE_BYTES", "NON_ANNOTATION_EXTS", "REFERENCE_EXTS", "AnnotationFile",
    "AnnotationKind", "annotation_kind", "is_reference_ext", "list_annotation_exts", "read_annotation_file",
    "read_beats", "read_tracks", "write_tracks",
]

_log = logging.getLogger(__name__)

#: Extension of the files ECG Studio writes by default.
DEFAULT_EXT = "ecgs"

#: Largest annotation file read (64 MiB): a 24-hour 12-lead delineation at 100 beats/min (P, QRS and T with
#: onset, peak and offset on every lead: ~15.6 M annotations of ~4 bytes) is about 60 MiB; a 24-hour 2-lead
#: Holter delineation is ~8 MiB. Bounds the reader's memory (~20x the file) and time.
MAX_ANNOTATION_FILE_BYTES = 64 << 20

CancelFn = Callable[[], bool]

#: Annotations parsed between two ``cancel()`` checks.
_CANCEL_EVERY = 8192

_PER_SIGNAL_EXT = re.compile(r"^pu(\d+)$")


def _rdann(record: Path, ext: str, *, cancel: CancelFn | None = None, limit: int | None = None,
           n_samples: int | None = None) -> Any:  # a wfdb.Annotation
    """The file ``<record>.<ext>`` as ``wfdb.rdann`` reads it, read once with a size limit, cancellably.

    With ``n_samples``, an annotation outside ``0..n_samples - 1`` fails the read as soon as it is decoded.
    """
    path = _annotation_path(record, ext)
    raw = safe_read.read_bytes(path, MAX_ANNOTATION_FILE_BYTES if limit is None else limit,
                               what="annotation file", error=AnnotationError, cancel=cancel)
    assert raw is not None
    if raw and (len(raw) % 2 or raw[-2:] != b"\x00\x00"):
        # every WFDB annotation file ends with a zero word; without it the last annotations are cut off
        raise AnnotationError(f"{path}: cut short (no end-of-file mark; a save or copy was interrupted)")
    try:
        if _annscan.can_decode():
            ann = _annscan.decode_annotation(raw, record.name, ext, cancel=cancel,
                                             sample_range=None if n_samples is None else (0, n_samples))
        else:  # a wfdb without the routines: it reads the (checked) file again itself
            if _annscan.rdann_would_hang(raw):
                raise _annscan.HangingDefinitions("malformed '## ' definition notes")
            import wfdb

            ann = wfdb.rdann(str(record), ext)
    except _annscan.Cancelled:
        raise safe_read.ReadCancelled(f"{path}: reading cancelled") from None
    except _annscan.SampleOutOfRange as exc:
        raise AnnotationError(f"{path}: annotation at sample {exc.sample} is outside the record "
                              f"(0..{n_samples - 1 if n_samples is not None else '?'})") from None
    except _annscan.HangingDefinitions:
        raise AnnotationError(f"{path}: corrupt WFDB annotation file (malformed '## ' definition notes)") from None
    except EcgStudioError:
        raise
    except PermissionError:
        raise AnnotationError(f"{path}: permission denied") from None
    except Exception as exc:  # wfdb raises assorted errors on corrupt files
        text = " ".join(str(exc).split())[:120] or type(exc).__name__
        raise AnnotationError(f"{path}: not a readable WFDB annotation file ({text})") from None
    if ann.fs is None:  # as wfdb.rdann: the header's fs, read by the guarded reader
        from ecgstudio.io.records import read_header

        try:
            ann.fs = read_header(record).fs
        except RecordError:
            pass
    return ann


def _checked(items: Iterable, cancel: CancelFn | None, path: Path) -> Iterator:
    """``items``, with a ``cancel()`` check every :data:`_CANCEL_EVERY` items."""
    if cancel is None:
        yield from items
        return
    for i, item in enumerate(items):
        if not i % _CANCEL_EVERY:
            safe_read.check_cancel(cancel, path)
        yield item


def _header_lead_names(record: Path) -> tuple[str, ...]:
    from ecgstudio.io.records import read_header

    try:
        return read_header(record).lead_names
    except RecordError:
        return ()


def read_annotation_file(
    record_path: str | os.PathLike[str],
    ext: str,
    *,
    n_samples: int,
    fs: float,
    lead_names: tuple[str, ...] | list[str] = (),
    cancel: CancelFn | None = None,
) -> AnnotationFile:
    """Read a boundary annotation file into tracks, with a report of what was left out.

    Parameters
    ----------
    record_path : str | os.PathLike
        Record path without extension (or its ``.hea``).
    ext : str
        Annotation extension (``"q1c"``, ``"pu"``, ``"ii"``, ``"ecgs"`` ...).
    n_samples : int
        Length of the record in samples.
    fs : float
        Sampling frequency of the record in Hz.
    lead_names : sequence of str
        The record's lead names; read from the header when empty.
    cancel : callable | None
        ``cancel() -> bool``, checked while the file is read, decoded and parsed.

    Raises
    ------
    AnnotationError
        If the file is missing, not a regular file, larger than
        :data:`MAX_ANNOTATION_FILE_BYTES` or corrupt, was written for another sampling
        frequency, has annotations beyond the record, names a lead the record
        lacks, or holds no P/QRS/T boundaries at all.
    ReadCancelled
        If ``cancel()`` returned True.
    """
    record = _record(record_path)
    path = _annotation_path(record, ext)
    ann = _rdann(record, ext, cancel=cancel, n_samples=n_samples)
    samples = np.asarray(ann.sample, dtype=np.int64)
    symbols = list(ann.symbol or [])
    n = samples.size
    chans = np.zeros(n, np.int64) if ann.chan is None else np.asarray(ann.chan, dtype=np.int64)
    nums = np.zeros(n, np.int64) if ann.num is None else np.asarray(ann.num, dtype=np.int64)
    aux_notes = set(ann.aux_note or [])
    n_file = n
    coded = [i for i, symbol in enumerate(symbols) if isinstance(symbol, str)]
    if len(coded) < n:  # label codes wfdb does not know: not representable, counted as lost (AnnotationFile.n_lost)
        samples, chans, nums = samples[coded], chans[coded], nums[coded]
        symbols = [symbols[i] for i in coded]
        n = len(coded)
    if ann.fs is not None and fs and abs(float(ann.fs) - float(fs)) > 1e-6 * float(fs):
        raise AnnotationError(f"{path}: written for {ann.fs:g} Hz, but the record is sampled at {fs:g} Hz")
    if n and (samples.min() < 0 or samples.max() >= n_samples):
        bad = int(samples.max() if samples.max() >= n_samples else samples.min())
        raise AnnotationError(f"{path}: annotation at sample {bad} is outside the record (0..{n_samples - 1})")
    if n and not any(s in (ONSET, OFFSET) for s in symbols):
        if "|" in symbols:
            raise AnnotationError(f"{path}: holds only unlabelled '|' boundary marks (a QTDB first-pass "
                                  "file), which do not say which wave they bound; use q1c/q2c instead")
        found = ", ".join(sorted(set(symbols))[:8])
        raise AnnotationError(f"{path}: no wave boundary annotations '(' or ')' (symbols found: {found})")
    names = tuple(lead_names) or _header_lead_names(record)
    lowered = [name.lower() for name in names]
    groups: dict[int | None, np.ndarray]
    if ext.lower() in lowered:
        groups = {lowered.index(ext.lower()): np.arange(n)}
    else:
        used = sorted(set(chans.tolist()))
        per_signal = _PER_SIGNAL_EXT.match(ext)
        if not used:
            groups = {int(per_signal.group(1)) if per_signal else None: np.arange(0)}
        elif len(used) == 1 and used[0] == 0 and not per_signal and PER_LEAD_NOTE not in aux_notes:
            groups = {None: np.arange(n)}
        else:
            groups = {c: np.flatnonzero(chans == c) for c in used}
        if names:
            missing = [c for c in groups if c is not None and c >= len(names)]
            if missing:
                raise AnnotationError(f"{path}: annotations for signal {missing[0]}, "
                                      f"but the record has {len(names)} leads")
    tracks: list[Delineation] = []
    dropped: dict[int | None, list[Wave]] = {}
    n_unparsed = 0
    for lead, index in groups.items():
        safe_read.check_cancel(cancel, path)
        picked = index.tolist()
        items = list(zip(samples[index].tolist(), [symbols[i] for i in picked], nums[index].tolist(),
                         strict=True))
        parsed = parse_channel(_checked(items, cancel, path), lead)
        safe_read.check_cancel(cancel, path)
        track, lost = Delineation.from_waves_lenient(parsed.waves, n_samples=n_samples, fs=fs,
                                                     lead=lead, name=ext)
        safe_read.check_cancel(cancel, path)
        if parsed.skipped or lost:
            kept_ids = {id(w) for w in track.waves}
            kept = [id(w) in kept_ids for w in parsed.waves]
            waves = attach_unparsed(parsed.waves, kept, parsed.skipped)
            n_unparsed += sum(len(getattr(w, "unparsed", ())) for w in waves)
            track = Delineation(waves, n_samples=n_samples, fs=fs, lead=lead, name=ext)
            lost = [w for w in lost if w.onset is not None or w.peak is not None]
        tracks.append(track)
        if lost:
            dropped[lead] = lost
    return AnnotationFile(path, tracks, dropped, n_unparsed, n_file)


def read_tracks(
    record_path: str | os.PathLike[str],
    ext: str,
    *,
    n_samples: int,
    fs: float,
    lead_names: tuple[str, ...] | list[str] = (),
    cancel: CancelFn | None = None,
) -> list[Delineation]:
    """Read a boundary annotation file into tracks (see the module docs for the mapping).

    Same as :func:`read_annotation_file` but returns only the tracks; dropped
    waves are logged (``logging`` INFO), not raised.

    Raises
    ------
    AnnotationError
        See :func:`read_annotation_file`.
    """
    result = read_annotation_file(record_path, ext, n_samples=n_samples, fs=fs, lead_names=lead_names,
                                  cancel=cancel)
    if result.n_dropped:
        _log.info("%s: dropped %d waves that break the delineation rules", result.path, result.n_dropped)
    return result.tracks


def read_beats(record_path: str | os.PathLike[str], ext: str = "atr", *,
               cancel: CancelFn | None = None) -> tuple[np.ndarray, list[str]]:
    """Beat annotations of a record.

    Parameters
    ----------
    record_path : str | os.PathLike
        Record path without extension.
    ext : str
        Annotation extension, ``"atr"`` by default (QTDB ``man`` works too).
    cancel : callable | None
        ``cancel() -> bool`` (see :func:`read_annotation_file`).

    Returns
    -------
    samples : np.ndarray
        int64, shape ``(n_beats,)``, sorted beat positions in samples.
    symbols : list[str]
        Beat symbol of each position (``N``, ``V``, ``A`` ...); non-beat
        annotations (rhythm, noise, boundaries) are left out.

    Raises
    ------
    AnnotationError
        If the file is missing, not a regular file, too large or corrupt.
    """
    record = _record(record_path)
    ann = _rdann(record, ext, cancel=cancel)
    samples = np.asarray(ann.sample, dtype=np.int64)
    symbols = list(ann.symbol or [])
    keep = [i for i, s in enumerate(symbols) if s in QRS_SYMBOLS]
    return samples[keep], [symbols[i] for i in keep]


class AnnotationKind(Enum):
    """What an annotation file holds (see :func:`annotation_kind`)."""

    BOUNDARIES = "boundaries"  #: P/QRS/T boundaries: read with :func:`read_tracks`
    BEATS = "beats"  #: beat labels only: read with :func:`read_beats`
    OTHER = "other"  #: neither (rhythm/noise labels, unlabelled marks, empty)


def annotation_kind(record_path: str | os.PathLike[str], ext: str, *,
                    cancel: CancelFn | None = None) -> AnnotationKind:
    """Whether ``<record>.<ext>`` holds wave boundaries, beat labels or neither.

    Raises
    ------
    AnnotationError
        If the file is missing, not a regular file, too large or corrupt.
    """
    symbols = set(_rdann(_record(record_path), ext, cancel=cancel).symbol or [])
    if symbols & {ONSET, OFFSET}:
        return AnnotationKind.BOUNDARIES
    if symbols & QRS_SYMBOLS and "|" not in symbols:
        return AnnotationKind.BEATS
    return AnnotationKind.OTHER
