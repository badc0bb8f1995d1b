"""Exact conversions between a delineation and per-sample class masks.

Classes are :class:`~ecgstudio.core.waves.SegmentClass` codes
(``0 P, 1 PQ, 2 QR, 3 RS, 4 ST, 5 TP``). A second boolean mask says which
samples are *labelled*: only the waves themselves and the gaps that the
annotation really describes. A gap is labelled when it is short
(``<= max_gap_s``), when the pair of waves defines its class, and when no
other known beat (``beat_samples``, e.g. from an ``atr`` file) lies inside it:

======== ======== ==============================
before   after    gap class
======== ======== ==============================
P        QRS      PQ
P        P        TP (blocked P waves)
QRS      T        ST
T        P, QRS   TP
QRS      P, QRS   unlabelled (T not annotated)
======== ======== ==============================

A QRS complex covers ``[onset, peak)`` as QR and ``[peak, offset)`` as RS
(peak ``None`` -> the middle). A T wave covers ``[start, offset)`` as ST.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from ecgstudio.core.delineation import Delineation
from ecgstudio.core.waves import SegmentClass, Wave, WaveKind

#: Longest gap between two waves that is still labelled, in seconds.
DEFAULT_MAX_GAP_S = 2.0

#: Class of the gap between two consecutive waves (pairs not listed stay unlabelled).
GAP_CLASS: dict[tuple[WaveKind, WaveKind], SegmentClass] = {
    (WaveKind.P, WaveKind.QRS): SegmentClass.PQ,
    (WaveKind.P, WaveKind.P): SegmentClass.TP,
    (WaveKind.QRS, WaveKind.T): SegmentClass.ST,
    (WaveKind.T, WaveKind.P): SegmentClass.TP,
    (WaveKind.T, WaveKind.QRS): SegmentClass.TP,
}


def _qrs_peak(wave: Wave) -> int:
    if wave.peak is not None:
        return wave.peak
    return wave.start + (wave.offset - wave.start) // 2


def to_mask(
    track: Delineation,
    *,
    max_gap_s: float = DEFAULT_MAX_GAP_S,
    beat_samples: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Per-sample classes and the labelled mask of a track.

    Parameters
    ----------
    track : Delineation
        The waves; ``track.n_samples`` sets the output length.
    max_gap_s : float
        Gaps between waves longer than this (seconds) stay unlabelled.
    beat_samples : np.ndarray | None
        Sample positions of all known beats (int, shape ``(n_beats,)``); a gap
        holding one of them that the track does not annotate is unlabelled.

    Returns
    -------
    classes : np.ndarray
        int8, shape ``(n_samples,)``; meaningful where ``labelled``.
    labelled : np.ndarray
        bool, shape ``(n_samples,)``.
    """
    n = track.n_samples
    classes = np.full(n, SegmentClass.TP, dtype=np.int8)
    labelled = np.zeros(n, dtype=bool)
    max_gap = int(round(max_gap_s * track.fs))
    beats = None if beat_samples is None else np.sort(np.asarray(beat_samples, dtype=np.int64))
    waves = track.waves
    for i, wave in enumerate(waves):
        start, end = wave.start, wave.offset
        if wave.kind is WaveKind.P:
            classes[start:end] = SegmentClass.P
        elif wave.kind is WaveKind.QRS:
            peak = _qrs_peak(wave)
            classes[start:peak] = SegmentClass.QR
            classes[peak:end] = SegmentClass.RS
        else:
            classes[start:end] = SegmentClass.ST
        labelled[start:end] = True
        if i + 1 == len(waves):
            continue
        nxt = waves[i + 1]
        gap_class = GAP_CLASS.get((wave.kind, nxt.kind))
        if gap_class is None or nxt.start - end > max_gap:
            continue
        if beats is not None and nxt.start > end:
            lo = np.searchsorted(beats, end, side="left")
            hi = np.searchsorted(beats, nxt.start, side="left")
            if hi > lo:
                continue
        classes[end:nxt.start] = gap_class
        labelled[end:nxt.start] = True
    classes[~labelled] = SegmentClass.TP
    return classes, labelled


def _runs(values: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Start, stop (exclusive) and value of each run of equal values."""
    if values.size == 0:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty, empty
    change = np.flatnonzero(np.diff(values)) + 1
    starts = np.concatenate(([0], change))
    stops = np.concatenate((change, [values.size]))
    return starts, stops, values[starts]


def from_mask(
    classes: np.ndarray,
    labelled: np.ndarray | None,
    *,
    fs: float,
    lead: int | None = None,
    name: str = "",
) -> Delineation:
    """Waves described by per-sample classes (the inverse of :func:`to_mask`).

    Parameters
    ----------
    classes : np.ndarray
        int, shape ``(n_samples,)``, :class:`SegmentClass` codes.
    labelled : np.ndarray | None
        bool, shape ``(n_samples,)``; unlabelled samples break runs. ``None``
        means everything is labelled.
    fs : float
        Sampling frequency in Hz.

    Returns
    -------
    Delineation
        P runs become P waves ``[start, stop)``; a QR run and/or the RS run
        after it become a QRS with the peak at the QR/RS boundary; an ST run
        becomes a T wave ending at the run's end (onset unknown when a QRS
        precedes it). Waves that would break a rule are dropped.
    """
    classes = np.asarray(classes).astype(np.int16)
    n = classes.size
    codes = classes.copy()
    if labelled is not None:
        codes[~np.asarray(labelled, dtype=bool)] = -1
    starts, stops, values = _runs(codes)
    waves: list[Wave] = []
    i = 0
    while i < len(values):
        value, start, stop = values[i], int(starts[i]), int(stops[i])
        if value == SegmentClass.P:
            waves.append(Wave(WaveKind.P, start, None, stop, lead))
        elif value in (SegmentClass.QR, SegmentClass.RS):
            if value == SegmentClass.QR and i + 1 < len(values) and values[i + 1] == SegmentClass.RS:
                waves.append(Wave(WaveKind.QRS, start, stop, int(stops[i + 1]), lead))
                i += 1
            elif value == SegmentClass.QR:
                waves.append(Wave(WaveKind.QRS, start, stop, stop, lead))
            else:
                waves.append(Wave(WaveKind.QRS, start, start, stop, lead))
        elif value == SegmentClass.ST:
            after_qrs = i > 0 and values[i - 1] == SegmentClass.RS and bool(waves) \
                and waves[-1].kind is WaveKind.QRS and waves[-1].offset == start
            waves.append(Wave(WaveKind.T, None if after_qrs else start, None, stop, lead))
        i += 1
    last = n - 1  # a run reaching the end of the array ends at its last sample
    clamped = [w if w.offset <= last else
               replace(w, peak=None if w.peak is None else min(w.peak, last), offset=last) for w in waves]
    track, _ = Delineation.from_waves_lenient(clamped, n_samples=n, fs=fs, lead=lead, name=name)
    return track
